"""Does a passage support a sentence? One test for the eval's groundedness and for answers.

ALCE-style: a sentence is supported by its cited passages when most of its content words occur
in them (overlap recall; a verbatim extractive sentence scores 1.0) or it is a close paraphrase
of one of them (embedding cosine; e.g. a digest sentence restating the paper). The two cut-offs
live in ``Settings`` and were measured on digest sentences vs their source sections (supported)
and vs other sections (unrelated): ``benchmarks/calibrate_support.py``, docs/llm.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_WORD = re.compile(r"[\wäöüß]+", re.I)
# Links, addresses and numbers are not content: support must come from the words around them.
URL = re.compile(
    r"\b(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|de|org|net|io|info|biz|xyz|ru|cn|ly|me|eu|ai)"
    r"(?:/\S*)?\b",
    re.I,
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?:\+|00)?\d[\d\s/().-]{6,}\d")
# Short function words carry no content; words of four letters or fewer are skipped as well.
_STOP = frozenset(
    re.findall(
        r"\w+",
        """
    allen diese dieser dieses durch einem einen einer eines haben immer jeder
    jedes keine können nicht seine sollte sollten ihren unter werden wurde zwischen
    about being other should their there these those where which while within
    would
""",
    )
)


def tokens(text: str) -> list[str]:
    return [t.lower() for t in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    """The words a support test looks for: longer than four letters, not function words, not
    part of a link, address or number."""
    text = PHONE.sub(" ", URL.sub(" ", EMAIL.sub(" ", text)))
    return [t for t in tokens(text) if len(t) > 4 and t not in _STOP and not t.isdigit()]


def overlap(sentence: str, passages: Sequence[str]) -> float:
    """Share of the sentence's content words that occur in the passages (0 when it has none)."""
    words = content_words(sentence)
    if not words:
        return 0.0
    seen = {t for p in passages for t in content_words(p)}
    return sum(w in seen for w in words) / len(words)


@dataclass(frozen=True)
class SupportTest:
    """The cut-offs (``Settings.support_min_overlap`` / ``support_min_similarity`` /
    ``support_min_similarity_cross``)."""

    min_overlap: float
    min_similarity: float
    min_similarity_cross: float  # sentence and passage in different languages

    @classmethod
    def from_settings(cls, settings) -> SupportTest:
        return cls(
            settings.support_min_overlap,
            settings.support_min_similarity,
            settings.support_min_similarity_cross,
        )

    def supported(
        self,
        sentence: str,
        passages: Sequence[str],
        similarities: Sequence[float],
        langs: Sequence[str] | None = None,
    ) -> bool:
        """Supported by the passages together (overlap) or by one of them (``similarities``:
        embedding cosine of the sentence to each passage). A passage in another language than the
        sentence counts by similarity only, with its own cut-off. ``langs``: each passage's
        language as stored in the index ("" where unknown: then it is detected)."""
        if not passages:
            return False
        if self.by_overlap(sentence, passages, langs):
            return True
        same = _same_language(sentence, passages, langs)
        return any(
            sim >= (self.min_similarity if s else self.min_similarity_cross)
            for sim, s in zip(similarities, same, strict=True)
        )

    def by_overlap(self, sentence: str, passages: Sequence[str], langs: Sequence[str] | None = None) -> bool:
        """The overlap half of the test alone (no embeddings needed); ``langs`` as in ``supported``."""
        sentence = sentence.strip('„“"»« ')
        same = _same_language(sentence, passages, langs)
        return overlap(sentence, [p for p, s in zip(passages, same, strict=True) if s]) >= self.min_overlap


def _same_language(sentence: str, passages: Sequence[str], langs: Sequence[str] | None = None) -> list[bool]:
    """Per passage: is it in the sentence's language? A passage's stored language is used where
    given (chunks carry it), else it is detected; the sentence's is always detected."""
    from .language import detect_language

    lang = detect_language(sentence.strip('„“"»« '))
    known = list(langs) if langs is not None else [""] * len(passages)
    return [(k or detect_language(p)) == lang for p, k in zip(passages, known, strict=True)]
