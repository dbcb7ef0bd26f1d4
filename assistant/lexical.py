"""BM25 over chunks with German-aware analysis (umlaut/ß folding, Snowball stemming DE+EN)."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import Stemmer

from ._stopwords import STOPWORDS_EN, STOPWORDS_GERMAN

FORMAT = 1  # bump when the analysis or the stored BM25 arrays change

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


class LexicalIndex:
    """BM25 over a fixed list of chunk texts.

    Fitted with bm25s (Lucene variant; imported only when fitting); the fitted term-by-document
    scores are kept as plain arrays (CSC: ``data``, ``indices``, ``indptr``), so a stored index
    loads without bm25s and a query is scored with numpy exactly as bm25s scores it.
    """

    def __init__(
        self, ids: list[str], vocab: dict[str, int], data: np.ndarray, indices: np.ndarray, indptr: np.ndarray
    ) -> None:
        self.ids = ids
        self.vocab = vocab
        self.data, self.indices, self.indptr = data, indices, indptr

    @classmethod
    def build(cls, ids: list[str], texts: list[str], langs: list[str]) -> LexicalIndex:
        corpus = [
            analyse(t, (lang if lang in _STEMMERS else "de",)) or ["_"]
            for t, lang in zip(texts, langs, strict=True)
        ]
        if not corpus:
            empty = np.zeros(0, dtype=np.float32)
            return cls(ids, {}, empty, np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int32))
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index(corpus, show_progress=False)
        scores = bm25.scores
        return cls(ids, dict(bm25.vocab_dict), scores["data"], scores["indices"], scores["indptr"])

    @classmethod
    def from_arrays(
        cls, ids: list[str], vocabulary: list[str], data: np.ndarray, indices: np.ndarray, indptr: np.ndarray
    ) -> LexicalIndex:
        return cls(ids, {term: i for i, term in enumerate(vocabulary)}, data, indices, indptr)

    def vocabulary(self) -> list[str]:
        """Terms in id order (what ``from_arrays`` expects)."""
        terms = [""] * len(self.vocab)
        for term, i in self.vocab.items():
            terms[i] = term
        return terms

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk for these (analysed, in-vocabulary) tokens; bm25s's own
        summation (per token, in order, ``np.add.at``), so the floats are identical."""
        out = np.zeros(len(self.ids), dtype=self.data.dtype if len(self.data) else np.float32)
        for term in tokens:
            t = self.vocab[term]
            start, end = self.indptr[t], self.indptr[t + 1]
            np.add.at(out, self.indices[start:end], self.data[start:end])
        return out

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, score) with a positive score; query analysed in DE and EN.

        ``mask`` (one bool per chunk) limits the search to some chunks.
        """
        if not self.ids:
            return []
        tokens = [t for t in analyse(query, ("de", "en")) if t in self.vocab]
        if not tokens:
            return []
        scores = self.scores(tokens)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        top = np.argsort(-scores)[:k]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def coverage(self, query: str) -> float:
        """Share of the query's content words that occur anywhere in the indexed texts (0 when
        it has none): how much of what is asked the index holds at all, whatever its wording."""
        words = {m.group(0) for m in _WORD.finditer(query.lower())}
        content = [w for w in words if len(w) > 2 and w.translate(_FOLD) not in _STOP]
        if not content or not self.ids:
            return 0.0
        found = sum(any(t in self.vocab for t in analyse(w, ("de", "en"))) for w in content)
        return found / len(content)
