"""BM25 over chunks with German-aware analysis (umlaut/ß folding, Snowball stemming DE+EN).

The index keeps each chunk's analysed term counts, so chunks can be added and removed without
analysing the others again; the term-by-chunk scores are recomputed from the counts in one
vectorised step, exactly as bm25s (Lucene variant) computes them, to the last bit.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

import numpy as np
import Stemmer

from ._stopwords import STOPWORDS_EN, STOPWORDS_GERMAN

FORMAT = 2  # bump when the analysis or the stored BM25 arrays change (2: term counts per chunk)
K1, B = 1.5, 0.75  # bm25s's defaults
EMPTY_TOKEN = "_"  # a chunk without any indexable word still counts as a document of length 1

_WORD = re.compile(r"[a-zäöüß0-9]+(?:-[a-zäöüß0-9]+)*")
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_STOP = {w.translate(_FOLD) for w in (*STOPWORDS_GERMAN, *STOPWORDS_EN)} | {"ki", "ai"}
_STEMMERS = {"de": Stemmer.Stemmer("german"), "en": Stemmer.Stemmer("english")}


@lru_cache(maxsize=65536)
def _stem(word: str, lang: str) -> str:
    return _STEMMERS[lang].stemWord(word).translate(_FOLD)


def analyse(text: str, langs: tuple[str, ...] = ("de",)) -> list[str]:
    """Lowercase, split (compounds with hyphens also as parts), drop stop words, stem per language.

    "ki"/"ai" are dropped as stop words: every passage of this corpus is about AI, so the
    term carries no signal and only inflates scores of short passages.
    """
    tokens: list[str] = []
    for match in _WORD.finditer(text.lower()):
        word = match.group(0)
        parts = [word, *word.split("-")] if "-" in word else [word]
        for part in parts:
            folded = part.translate(_FOLD)
            if len(folded) < 2 or folded in _STOP:
                continue
            tokens.extend({_stem(part, lang) for lang in langs})
    return tokens


def _i32(values=()) -> np.ndarray:
    return np.asarray(values, dtype=np.int32)


class LexicalIndex:
    """BM25 over a list of chunks that can grow and shrink (rows in insertion order).

    State: the vocabulary and each chunk's term counts (CSR rows ``c_indptr``, ``c_terms``,
    ``c_counts``). Derived: the term-by-chunk scores as CSC arrays (``data``, ``indices``,
    ``indptr``), computed as bm25s computes them, so a query is scored with numpy exactly as
    bm25s scores it. Both are stored with the search views, so a load needs no re-analysis,
    no bm25s and no scipy.
    """

    def __init__(
        self,
        ids: list[str],
        vocab: dict[str, int],
        data: np.ndarray,
        indices: np.ndarray,
        indptr: np.ndarray,
        counts: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.ids = list(ids)
        self.vocab = vocab
        self.data, self.indices, self.indptr = data, indices, indptr
        # None for an index loaded from scores alone: it can search, not change.
        self.counts = counts
        self._id_rank: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    # --- building and changing -------------------------------------------------------------

    @classmethod
    def empty(cls) -> LexicalIndex:
        z = np.zeros(0, dtype=np.float32)
        return cls([], {}, z, _i32(), _i32([0]), (_i32([0]), _i32(), _i32()))

    @classmethod
    def build(cls, ids: list[str], texts: list[str], langs: list[str]) -> LexicalIndex:
        index = cls.empty()
        index.add(ids, texts, langs)
        return index

    def copy(self) -> LexicalIndex:
        """A copy to change while readers keep using this one (arrays are replaced, never
        written in place, so they are shared)."""
        return LexicalIndex(self.ids, dict(self.vocab), self.data, self.indices, self.indptr, self.counts)

    def add(self, ids: list[str], texts: list[str], langs: list[str]) -> None:
        """Analyse and append chunks (each in its own language), then rescore."""
        if self.counts is None:
            raise ValueError("this BM25 index was loaded without term counts and cannot change")
        if not ids:
            return
        indptr, terms, counts = self.counts
        new_ptr, new_terms, new_counts = [], [], []
        total = int(indptr[-1])
        for text, lang in zip(texts, langs, strict=True):
            tokens = analyse(text, (lang if lang in _STEMMERS else "de",)) or [EMPTY_TOKEN]
            for term, n in Counter(tokens).items():  # first-seen order, as bm25s counts
                new_terms.append(self.vocab.setdefault(term, len(self.vocab)))
                new_counts.append(n)
            new_ptr.append(total + len(new_terms))
        self.counts = (
            np.concatenate([indptr, _i32(new_ptr)]),
            np.concatenate([terms, _i32(new_terms)]),
            np.concatenate([counts, _i32(new_counts)]),
        )
        self.ids = self.ids + list(ids)
        self._rescore()

    def keep(self, mask: np.ndarray) -> None:
        """Drop the chunks whose ``mask`` entry is False (terms left unused are dropped too)."""
        if self.counts is None:
            raise ValueError("this BM25 index was loaded without term counts and cannot change")
        mask = np.asarray(mask, dtype=bool)
        if mask.all():
            return
        indptr, terms, counts = self.counts
        lengths = np.diff(indptr)
        entries = np.repeat(mask, lengths)
        terms, counts = terms[entries], counts[entries]
        used = np.bincount(terms, minlength=len(self.vocab)) > 0
        if not used.all():  # renumber the terms still in use, keeping their order
            new_id = np.cumsum(used, dtype=np.int64) - 1
            self.vocab = {t: int(new_id[i]) for t, i in self.vocab.items() if used[i]}
            terms = new_id[terms].astype(np.int32)
        self.counts = (
            np.concatenate([_i32([0]), np.cumsum(lengths[mask], dtype=np.int64)]).astype(np.int32),
            terms,
            counts,
        )
        self.ids = [cid for cid, k in zip(self.ids, mask, strict=True) if k]
        self._rescore()

    def _rescore(self) -> None:
        """Each (chunk, term) score idf · tf / (tf + k1 · (1 − b + b · len/avglen)), with the
        same operations and dtypes as bm25s (so the floats are identical)."""
        indptr, terms, counts = self.counts  # type: ignore[misc]
        n, width = len(self.ids), len(self.vocab)
        self._id_rank = None
        if not n:
            self.data, self.indices, self.indptr = (
                np.zeros(0, np.float32),
                _i32(),
                np.zeros(width + 1, np.int64),
            )
            return
        row_nnz = np.diff(indptr)
        rows = np.repeat(np.arange(n, dtype=np.int32), row_nnz)
        lengths = np.bincount(rows, weights=counts, minlength=n).astype(np.int64)  # tokens per chunk
        avg = lengths.mean()
        norm = K1 * ((1 - B) + B * lengths / avg)  # float64, as bm25s's per-document scalar
        tf = counts.astype(np.float32)
        df = np.bincount(terms, minlength=width)
        values, inverse = np.unique(df, return_inverse=True)  # few distinct dfs: math.log as bm25s
        logs = np.array([math.log(1 + (n - d + 0.5) / (d + 0.5)) if d else 0.0 for d in values.tolist()])
        idf = logs[inverse].astype(np.float32)
        scores = (idf[terms] * (tf / (norm[rows] + tf))).astype(np.float32)
        order = np.argsort(terms, kind="stable")  # by term, rows ascending within a term
        self.data, self.indices = scores[order], rows[order]
        self.indptr = np.concatenate([[0], np.cumsum(df, dtype=np.int64)])

    # --- stored form ---------------------------------------------------------------------

    @classmethod
    def from_arrays(
        cls,
        ids: list[str],
        vocabulary: list[str],
        data: np.ndarray,
        indices: np.ndarray,
        indptr: np.ndarray,
        counts: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> LexicalIndex:
        return cls(ids, {term: i for i, term in enumerate(vocabulary)}, data, indices, indptr, counts)

    def vocabulary(self) -> list[str]:
        """Terms in id order (what ``from_arrays`` expects)."""
        terms = [""] * len(self.vocab)
        for term, i in self.vocab.items():
            terms[i] = term
        return terms

    # --- search --------------------------------------------------------------------------

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk for these (analysed, in-vocabulary) tokens; bm25s's own
        summation (per token, in order, ``np.add.at``), so the floats are identical."""
        out = np.zeros(len(self.ids), dtype=self.data.dtype if len(self.data) else np.float32)
        for term in tokens:
            t = self.vocab[term]
            start, end = self.indptr[t], self.indptr[t + 1]
            np.add.at(out, self.indices[start:end], self.data[start:end])
        return out

    def _rank_of_ids(self) -> np.ndarray:
        if self._id_rank is None or len(self._id_rank) != len(self.ids):
            rank = np.empty(len(self.ids), dtype=np.int64)
            rank[np.argsort(np.array(self.ids, dtype=object), kind="stable")] = np.arange(len(self.ids))
            self._id_rank = rank
        return self._id_rank

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, score) with a positive score; query analysed in DE and EN.

        ``mask`` (one bool per chunk) limits the search to some chunks. Equal scores are
        ordered by chunk id, so the order does not depend on the order chunks were added.
        """
        if not self.ids:
            return []
        tokens = [t for t in analyse(query, ("de", "en")) if t in self.vocab]
        if not tokens:
            return []
        scores = self.scores(tokens)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        found = np.flatnonzero(scores > 0)
        if len(found) > k:
            kth = np.partition(scores[found], len(found) - k)[len(found) - k]
            found = found[scores[found] >= kth]
        order = found[np.lexsort((self._rank_of_ids()[found], -scores[found]))][:k]
        return [(self.ids[i], float(scores[i])) for i in order]
