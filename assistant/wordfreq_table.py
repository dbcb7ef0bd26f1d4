"""wordfreq's Zipf frequencies from a persisted look-up table, without loading wordfreq.

wordfreq reads its German (634k words) and English (321k) lists into dictionaries on first use:
about half a second of every start. The table keeps each listed word's raw frequency in both
languages in SQLite (one file per wordfreq version, built once per machine); a look-up reads
two rows. The Zipf value is then computed exactly as ``wordfreq.zipf_frequency`` computes it
(tokens, combination of a hyphenated word's parts, rounding), which
``tests/test_startup.py`` checks word by word. Words with other characters (digits) return
None: the caller asks wordfreq itself.
"""

from __future__ import annotations

import math
import os
import re
import sqlite3
import threading
import time
from importlib import metadata
from pathlib import Path

FORMAT = 1  # bump when the table's layout or the computation changes
LANGS = ("de", "en")
MINIMUM = 10**0.0 / 1e9  # zipf_frequency's default minimum, Zipf 0, as wordfreq converts it
# Lower-case words and hyphenated compounds of letters wordfreq tokenizes as we do below.
_SIMPLE = re.compile(r"[a-zäöüß]+(?:-[a-zäöüß]+)*")


def table_path(directory: Path) -> Path:
    """The table for the installed wordfreq version."""
    version = metadata.version("wordfreq")
    return directory / f"wordfreq-{version}-f{FORMAT}.sqlite3"


def build(path: Path) -> None:
    """Write the table (temporary file, then rename: a reader never sees a partial one)."""
    from wordfreq import get_frequency_dict

    freqs = {lang: get_frequency_dict(lang, "best") for lang in LANGS}
    words = sorted(set().union(*(f.keys() for f in freqs.values())))
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f"{path.name}.*.tmp"):  # left by a killed build
        if stale.stat().st_mtime < time.time() - 600:
            stale.unlink(missing_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.execute("CREATE TABLE freq (word TEXT PRIMARY KEY, de REAL, en REAL) WITHOUT ROWID")
        con.executemany(
            "INSERT INTO freq VALUES (?, ?, ?)",
            ((w, freqs["de"].get(w), freqs["en"].get(w)) for w in words),
        )
        con.commit()
    finally:
        con.close()
    os.replace(tmp, path)


def _zipf(parts: list[float | None]) -> float:
    """``wordfreq.zipf_frequency`` for one language, from the raw frequencies of the tokens,
    step by step as ``wordfreq._word_frequency`` does: a missing token gives the minimum; parts
    combine as 1/f = sum of 1/f_i; three significant digits; the Zipf scale to hundredths."""
    if any(f is None for f in parts):
        freq = MINIMUM
    else:
        unrounded = max(1.0 / sum(1.0 / f for f in parts), MINIMUM)  # type: ignore[operator]
        freq = round(unrounded, math.floor(-math.log(unrounded, 10)) + 3)
    return round(math.log(freq, 10) + 9, 2)


class ZipfTable:
    """Read-only look-ups in a built table; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self._con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path) -> ZipfTable | None:
        """The table at ``path``, or None when there is none (or it cannot be read)."""
        if not path.is_file():
            return None
        try:
            table = cls(path)
            table._row("und")
        except sqlite3.Error:
            return None
        return table

    def _row(self, token: str) -> tuple[float | None, float | None]:
        with self._lock:
            row = self._con.execute("SELECT de, en FROM freq WHERE word = ?", (token,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def zipf(self, word: str) -> float | None:
        """The higher of the word's German and English Zipf frequencies, as wordfreq gives it;
        None for a word this table cannot answer exactly."""
        if not _SIMPLE.fullmatch(word):
            return None
        rows = [self._row(part.replace("ß", "ss")) for part in word.split("-")]
        return max(_zipf([r[i] for r in rows]) for i in range(len(LANGS)))
