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
    """The words a support test looks for: longer than four letters, not function words."""
    return [t for t in tokens(text) if len(t) > 4 and t not in _STOP and not t.isdigit()]


def overlap(sentence: str, passages: Sequence[str]) -> float:
    """Share of the sentence's content words that occur in the passages (0 when it has none)."""
    words = content_words(sentence)
    if not words:
        return 0.0
    seen = {t for p in passages for t in tokens(p)}
    return sum(w in seen for w in words) / len(words)


@dataclass(frozen=True)
class SupportTest:
    """The cut-offs (``Settings.support_min_overlap`` / ``support_min_similarity``)."""

    min_overlap: float
    min_similarity: float

    @classmethod
    def from_settings(cls, settings) -> SupportTest:
        return cls(settings.support_min_overlap, settings.support_min_similarity)

    def supported(self, sentence: str, passages: Sequence[str], similarities: Sequence[float]) -> bool:
        """Supported by the passages together (overlap) or by one of them (``similarities``:
        embedding cosine of the sentence to each passage)."""
        if not passages:
            return False
        sentence = sentence.strip('„“"»« ')
        return overlap(sentence, passages) >= self.min_overlap or max(similarities, default=0.0) >= (
            self.min_similarity
        )
