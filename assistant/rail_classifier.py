"""The exemplar classifier behind the input rails, as a persisted artefact.

The exemplars in ``prompts/guardrails.yaml`` (and the labelled development items it names)
are training data for one linear model per rail (logistic regression) over two views of a
question: its multilingual embedding (meaning, across languages) and character n-grams
(wording such as "DSGVO-konform", "entscheide du").

Fitting uses scikit-learn and happens once: at ``assistant index build`` or on first use.
The fitted model (n-gram vocabulary and idf, one weight vector and intercept per rail) and the
exemplar vectors are written beside the index together with a fingerprint of their inputs
(the rail files' bytes, the code that derives training texts and fits, embedding model id,
library versions). Loading and
predicting need numpy only; scikit-learn is imported when (re)fitting, never at a plain start.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

FORMAT = 1  # bump when the artefact's layout or the feature definition changes
ARTEFACT = "rail-model"  # <index_dir>/rail-model.npz + rail-model.json
NGRAM_RANGE = (3, 5)
MIN_DF = 2
_WHITESPACE = re.compile(r"\s\s+")


def char_wb_ngrams(text: str, ngram_range: tuple[int, int] = NGRAM_RANGE) -> list[str]:
    """Character n-grams inside word boundaries, padded with spaces; identical to
    scikit-learn's ``TfidfVectorizer(analyzer="char_wb", lowercase=True)`` analyser."""
    low, high = ngram_range
    grams: list[str] = []
    for word in _WHITESPACE.sub(" ", text.lower()).split():
        w = f" {word} "
        for n in range(low, high + 1):
            offset = 0
            grams.append(w[:n])
            while offset + n < len(w):
                offset += 1
                grams.append(w[offset : offset + n])
            if offset == 0:  # a short word counts once
                break
    return grams


def library_versions() -> dict[str, str]:
    """Versions that shape a fit (read from package metadata: no scikit-learn import)."""
    out = {}
    for name in ("numpy", "scipy", "scikit-learn"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def fingerprint(files: list[Path], model_id: str, params: dict) -> str:
    """Hash of everything a fit depends on, from bytes alone (a start parses and redacts
    nothing to check it): the rail files and the code that turns them into training texts
    (``files``), this module (the fit and the features), the embedding model, the
    hyper-parameters and library versions."""
    h = hashlib.sha256()
    payload = {
        "format": FORMAT,
        "model_id": model_id,
        "params": params,
        "versions": library_versions(),
    }
    h.update(json.dumps(payload, sort_keys=True).encode())
    for path in [*files, Path(__file__)]:
        h.update(path.name.encode() + b"\x1f")
        h.update(path.read_bytes() if path.is_file() else b"<missing>")
        h.update(b"\x1e")
    return h.hexdigest()[:24]


@dataclass
class RailClassifier:
    """One-vs-rest logistic regression per rail; ``predict`` returns a probability per rail."""

    rails: list[str]
    c: float = 4.0
    embedding_weight: float = 2.0
    vocabulary: dict[str, int] = field(default_factory=dict)
    idf: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    coef: dict[str, np.ndarray] = field(default_factory=dict)  # per rail: n-gram weights + embedding weights
    intercept: dict[str, float] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, object]:
        return {
            "c": self.c,
            "embedding_weight": self.embedding_weight,
            "ngrams": NGRAM_RANGE,
            "min_df": MIN_DF,
        }

    # --- fitting (scikit-learn, imported only here) ---------------------------------------

    def fit(self, texts: list[str], owners: list[str], vectors: np.ndarray) -> RailClassifier:
        """``owners[i]`` is the rail of exemplar i, or "ordinary" for a negative example."""
        if not texts:
            return self
        from scipy.sparse import csr_matrix, hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        labels: dict[str, set[str]] = {}
        for text, owner in zip(texts, owners, strict=True):
            labels.setdefault(text, set()).add(owner)
        ngrams = TfidfVectorizer(
            analyzer="char_wb", ngram_range=NGRAM_RANGE, min_df=MIN_DF, sublinear_tf=True, lowercase=True
        )
        grams = ngrams.fit_transform(texts)
        x = hstack([grams, csr_matrix(vectors * self.embedding_weight)]).tocsr()
        self.vocabulary = {g: int(i) for g, i in ngrams.vocabulary_.items()}
        self.idf = np.asarray(ngrams.idf_, dtype=np.float64)
        self.coef, self.intercept = {}, {}
        for rail in self.rails:
            y = np.array([rail in labels[t] for t in texts], dtype=int)
            if y.sum() == 0 or y.sum() == len(y):
                continue
            model = LogisticRegression(C=self.c, class_weight="balanced", max_iter=3000).fit(x, y)
            self.coef[rail] = np.asarray(model.coef_[0], dtype=np.float64)
            self.intercept[rail] = float(model.intercept_[0])
        return self

    # --- prediction (numpy only) ----------------------------------------------------------

    def features(self, text: str, vector: np.ndarray) -> np.ndarray:
        """Sublinear tf-idf of the n-grams (l2-normalised), then the weighted embedding."""
        counts = Counter(i for g in char_wb_ngrams(text) if (i := self.vocabulary.get(g)) is not None)
        grams = np.zeros(len(self.vocabulary), dtype=np.float64)
        if counts:
            idx = np.fromiter(counts.keys(), dtype=np.int64)
            tf = np.fromiter(counts.values(), dtype=np.float64)
            grams[idx] = (1.0 + np.log(tf)) * self.idf[idx]
            grams /= np.linalg.norm(grams)
        return np.concatenate([grams, np.asarray(vector, dtype=np.float64).ravel() * self.embedding_weight])

    def predict(self, text: str, vector: np.ndarray) -> dict[str, float]:
        if not self.coef:
            return {}
        x = self.features(text, vector)
        return {
            rail: float(1.0 / (1.0 + np.exp(-(x @ w + self.intercept[rail]))))
            for rail, w in self.coef.items()
        }


@dataclass
class RailModel:
    """The persisted artefact: the classifier, the exemplar vectors and their owners."""

    classifier: RailClassifier
    texts: list[str]  # exemplar texts as the classifier sees them
    owners: list[str]
    vectors: np.ndarray
    fingerprint: str
    model_id: str

    def save(self, directory: Path) -> None:
        """Write atomically (temporary files, then rename): a crash leaves the old artefact."""
        directory.mkdir(parents=True, exist_ok=True)
        clf = self.classifier
        rails = list(clf.coef)
        meta = {
            "format": FORMAT,
            "fingerprint": self.fingerprint,
            "model_id": self.model_id,
            "rails": clf.rails,
            "fitted_rails": rails,
            "c": clf.c,
            "embedding_weight": clf.embedding_weight,
            "intercept": clf.intercept,
            "vocabulary": clf.vocabulary,
            "texts": self.texts,
            "owners": self.owners,
        }
        coef = np.vstack([clf.coef[r] for r in rails]) if rails else np.zeros((0, 0))
        arrays = directory / f"{ARTEFACT}.npz.tmp"
        with arrays.open("wb") as handle:
            np.savez(
                handle, idf=clf.idf, coef=coef, vectors=self.vectors, fingerprint=np.array(self.fingerprint)
            )
        text = directory / f"{ARTEFACT}.json.tmp"
        text.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        # The JSON names the fingerprint; it is renamed last, so a torn write never matches.
        os.replace(arrays, directory / f"{ARTEFACT}.npz")
        os.replace(text, directory / f"{ARTEFACT}.json")

    @classmethod
    def load(cls, directory: Path) -> RailModel | None:
        """The stored artefact, or None when there is none or it cannot be read."""
        try:
            meta = json.loads((directory / f"{ARTEFACT}.json").read_text(encoding="utf-8"))
            with np.load(directory / f"{ARTEFACT}.npz") as arrays:
                idf, coef, vectors = arrays["idf"], arrays["coef"], arrays["vectors"]
                stored = str(arrays["fingerprint"])
        except (OSError, ValueError, KeyError):
            return None
        # Both files must come from the same fit (a crash between the two renames).
        if (
            meta.get("format") != FORMAT
            or stored != meta.get("fingerprint")
            or len(meta["texts"]) != len(vectors)
        ):
            return None
        clf = RailClassifier(meta["rails"], meta["c"], meta["embedding_weight"])
        clf.vocabulary = meta["vocabulary"]
        clf.idf = idf
        clf.coef = {r: coef[i] for i, r in enumerate(meta["fitted_rails"])}
        clf.intercept = {r: float(v) for r, v in meta["intercept"].items()}
        return cls(clf, meta["texts"], meta["owners"], vectors, meta["fingerprint"], meta["model_id"])
