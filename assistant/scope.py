"""Scope from what the index holds: how much of a question's distinctive vocabulary is indexed.

A question's *distinctive* terms are its words that are rare in general language (a word
frequency below ``scope_distinctive_zipf`` on the Zipf scale of ``wordfreq``'s German and English
lists; stop words and very common words such as "learn", "company", "Firma" are not distinctive).
Each is weighted by how rare it is, and the *held share* is the weighted share found in the
BM25 vocabulary of everything indexed (paper, notes, translation, users' documents). A foreign
task ("a Spanish course", "a recipe for sourdough") keeps its distinctive words outside the
index, however well its generic words match; a question about an indexed user document finds
them there.
"""

from __future__ import annotations

import bisect
import re
import sqlite3
import threading
from collections.abc import Collection
from contextlib import suppress
from functools import lru_cache
from pathlib import Path

from ._stopwords import STOPWORDS_EN, STOPWORDS_GERMAN
from .lexical import analyse
from .wordfreq_table import ZipfTable, build, table_path

_WORD = re.compile(r"[a-zäöüß0-9]+(?:-[a-zäöüß0-9]+)*(?:['’][a-z]+)?")
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_STOP = {w.translate(_FOLD) for w in (*STOPWORDS_GERMAN, *STOPWORDS_EN)} | {"ki", "ai"}
ZIPF_CEILING = 7.0  # the most frequent words of a language lie near 7 on the Zipf scale


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """The word's frequency in general German or English (the higher of the two), Zipf scale:
    from the persisted table when it is there (``wordfreq_table.py``, the same values without
    loading wordfreq's lists), else from wordfreq."""
    table = _TABLE[0] if _TABLE else None
    if table is not None and (value := table.zipf(word)) is not None:
        return value
    from wordfreq import zipf_frequency

    return max(zipf_frequency(word, "de"), zipf_frequency(word, "en"))


def distinctive_terms(text: str, max_zipf: float) -> list[tuple[str, float]]:
    """The text's words rarer than ``max_zipf`` in general language, with their weight (rarity)."""
    out = []
    for word in dict.fromkeys(m.group(0) for m in _WORD.finditer(text.lower())):
        # contractions ("don't", "what's") and numbers carry no topic
        if len(word) <= 2 or word.translate(_FOLD) in _STOP or word.isdigit() or "'" in word or "’" in word:
            continue
        z = zipf(word)
        if z < max_zipf:
            out.append((word, ZIPF_CEILING - z))
    return out


def query_terms(query: str, lang: str, max_zipf: float) -> dict[str, float]:
    """The query's distinctive words (rarer than ``max_zipf`` in general language), stemmed as
    the index stems them, weighted by how far below ``max_zipf`` they lie (a word just under it,
    such as "gehe", counts next to nothing); a word naming the sources themselves ("laut
    Papier", "the theses") names no topic."""
    from .intent import SOURCES

    terms: dict[str, float] = {}
    for word, rarity in distinctive_terms(query, max_zipf):
        weight = rarity - (ZIPF_CEILING - max_zipf)
        if SOURCES.fullmatch(word) or weight <= 0:
            continue
        for stem in analyse(word, (lang,)):
            terms[stem] = max(terms.get(stem, 0.0), weight)
    return terms


@lru_cache(maxsize=8192)
def _stems(text: str, lang: str) -> frozenset[str]:
    return frozenset(analyse(text, (lang,)))


def term_support(terms: dict[str, float], text: str, lang: str) -> float:
    """Weighted share of the query's distinctive terms that the sentence contains."""
    stems = _stems(text, lang)
    total = sum(terms.values())
    return sum(w for t, w in terms.items() if t in stems) / total if total else 0.0


MIN_STEM = 5  # shorter stems are matched exactly only (a prefix that short says little)
# The last vocabulary seen, sorted for prefix look-ups (one index at a time); re-sorted when it is
# another object or has grown (an incremental view refresh adds terms in place).
_SORTED: list[tuple[Collection[str], int, list[str]]] = []


def _sorted(vocabulary: Collection[str]) -> list[str]:
    if not _SORTED or _SORTED[0][0] is not vocabulary or _SORTED[0][1] != len(vocabulary):
        _SORTED[:] = [(vocabulary, len(vocabulary), sorted(vocabulary))]
    return _SORTED[0][2]


def _indexed(stem: str, vocabulary: Collection[str]) -> bool:
    """The stem is a vocabulary term, or an inflected form of one: the stemmer leaves some
    endings ("abonniert" / "abonnieren", "gewinnt" / "gewinnen"), so a vocabulary term that
    starts with the stem, or that the stem starts with (two letters more at most), counts."""
    if stem in vocabulary:
        return True
    if len(stem) < MIN_STEM:
        return False
    terms = _sorted(vocabulary)
    i = bisect.bisect_left(terms, stem)
    if i < len(terms) and terms[i].startswith(stem):
        return True
    return any(stem[:n] in vocabulary for n in range(max(MIN_STEM, len(stem) - 2), len(stem)))


def held_share(text: str, vocabulary: Collection[str], max_zipf: float) -> float | None:
    """Weighted share of the text's distinctive terms that occur in the index vocabulary (BM25
    terms, analysed as the index analyses them); None when the text has no distinctive term."""
    terms = distinctive_terms(text, max_zipf)
    if not terms:
        return None
    total = sum(w for _, w in terms)
    held = sum(w for word, w in terms if any(_indexed(t, vocabulary) for t in analyse(word, ("de", "en"))))
    return held / total


_preload: threading.Thread | None = None
_TABLE: list[ZipfTable | None] = []  # the opened look-up table, once looked for


def preload(cache_dir: Path | None = None) -> None:
    """Open the persisted frequency table in ``cache_dir`` (built there first if missing: a few
    seconds, once per machine and wordfreq version). Without a cache, load wordfreq's lists
    (half a second) in a background thread beside the embedding model's load instead of in the
    first question. Idempotent."""
    global _preload
    if not _TABLE and cache_dir is not None:
        path = table_path(cache_dir)
        table = ZipfTable.open(path)
        if table is None:
            with suppress(OSError, sqlite3.Error):  # a read-only cache: wordfreq answers
                build(path)
                table = ZipfTable.open(path)
        _TABLE.append(table)
    if _TABLE and _TABLE[0] is not None:
        return
    if _preload is None:
        _preload = threading.Thread(target=zipf, args=("beratung",), name="wordfreq-lists", daemon=True)
        _preload.start()
