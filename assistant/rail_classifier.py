"""The exemplar classifier behind the input rails.

The exemplars in ``prompts/guardrails.yaml`` (and the labelled development items it names)
are training data for one linear model per rail (scikit-learn logistic regression) over
two views of a question: its multilingual embedding (meaning, across languages) and
character n-grams (wording such as "DSGVO-konform", "entscheide du"). It generalises
better than a bare nearest-exemplar threshold and costs well under a millisecond.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression


class RailClassifier:
    """One-vs-rest logistic regression per rail; ``predict`` returns a probability per rail."""

    def __init__(self, rails: list[str], c: float = 4.0, embedding_weight: float = 2.0) -> None:
        self.rails = rails
        self.c = c
        self.embedding_weight = embedding_weight
        self.models: dict[str, LogisticRegression] = {}
        self.ngrams = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True, lowercase=True
        )

    def _features(self, texts: list[str], vectors: np.ndarray, fit: bool = False):
        grams = self.ngrams.fit_transform(texts) if fit else self.ngrams.transform(texts)
        return hstack([grams, csr_matrix(vectors * self.embedding_weight)]).tocsr()

    def fit(self, texts: list[str], owners: list[str], vectors: np.ndarray) -> RailClassifier:
        """``owners[i]`` is the rail of exemplar i, or "ordinary" for a negative example."""
        if not texts:
            return self
        labels: dict[str, set[str]] = {}
        for text, owner in zip(texts, owners, strict=True):
            labels.setdefault(text, set()).add(owner)
        x = self._features(texts, vectors, fit=True)
        for rail in self.rails:
            y = np.array([rail in labels[t] for t in texts], dtype=int)
            if y.sum() == 0 or y.sum() == len(y):
                continue
            model = LogisticRegression(C=self.c, class_weight="balanced", max_iter=3000)
            self.models[rail] = model.fit(x, y)
        return self

    def predict(self, text: str, vector: np.ndarray) -> dict[str, float]:
        if not self.models:
            return {}
        x = self._features([text], vector.reshape(1, -1))
        return {rail: float(m.predict_proba(x)[0, 1]) for rail, m in self.models.items()}
