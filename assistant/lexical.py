"""BM25 over chunks with German-aware analysis (umlaut/ß folding, Snowball stemming DE+EN)."""

from __future__ import annotations

import re
from functools import lru_cache

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_GERMAN

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
    """BM25 (bm25s) over a fixed list of chunk texts."""

    def __init__(self, ids: list[str], texts: list[str], langs: list[str]) -> None:
        self.ids = ids
        corpus = [
            analyse(t, (lang if lang in _STEMMERS else "de",)) or ["_"]
            for t, lang in zip(texts, langs, strict=True)
        ]
        self._bm25 = bm25s.BM25()
        if corpus:
            self._bm25.index(corpus, show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, score) with a positive score; query analysed in DE and EN."""
        if not self.ids:
            return []
        tokens = [t for t in analyse(query, ("de", "en")) if t in self._bm25.vocab_dict]
        if not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        top = np.argsort(-scores)[:k]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]
