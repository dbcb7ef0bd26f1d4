"""Language identification (German or English), deterministic and offline."""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from langdetect import DetectorFactory, detect_langs
from langdetect.detector_factory import init_factory
from langdetect.lang_detect_exception import LangDetectException

DetectorFactory.seed = 0  # langdetect is random unless seeded

_DE_HINTS = re.compile(
    r"\b(und|oder|nicht|wie|was|wir|ich|sie|ist|der|die|das|ein|eine|mit|für|über|bei|zum|zur|"
    r"wer|welche[rsnm]?|kann|soll|muss|unser[e]?)\b|[äöüß]",
    re.I,
)
_EN_HINTS = re.compile(
    r"\b(the|and|or|not|how|what|we|i|you|is|are|a|an|with|for|about|to|of|who|which|can|"
    r"should|must|our|do|does)\b",
    re.I,
)


_preload: threading.Thread | None = None
_preload_lock = threading.Lock()


def preload() -> None:
    """Start loading langdetect's language profiles (a quarter second of pure Python) in a
    background thread, so it overlaps with start-up work that runs outside the interpreter
    lock (loading the embedding model, the first query embedding). Idempotent."""
    global _preload
    with _preload_lock:
        if _preload is None:
            _preload = threading.Thread(target=init_factory, name="langdetect-profiles", daemon=True)
            _preload.start()


def _profiles_ready() -> None:
    """Wait for a running preload: langdetect must never see half-loaded profiles."""
    if _preload is not None:
        _preload.join()


@lru_cache(maxsize=4096)
def detect_language(text: str, default: str = "de") -> str:
    """Return ``"de"`` or ``"en"`` for ``text``; German is the default for unclear input."""
    _profiles_ready()
    sample = text.strip()[:2000]
    if not sample:
        return default
    de_hits, en_hits = len(_DE_HINTS.findall(sample)), len(_EN_HINTS.findall(sample))
    try:
        probs = {p.lang: p.prob for p in detect_langs(sample)}
    except LangDetectException:
        probs = {}
    de, en = probs.get("de", 0.0), probs.get("en", 0.0)
    # Short questions fool statistical detectors; function words are a strong second signal.
    score = (de - en) + 0.15 * (de_hits - en_hits)
    if abs(score) < 1e-9:
        return default
    return "de" if score > 0 else "en"
