"""Ingest progress as people read it: done/total, rate and time left, per phase.

One ``ProgressMeter`` takes the index's ``(done, total, what)`` callbacks and keeps the
rate per phase; front ends render it: a live bar on a terminal, a plain line every few
seconds otherwise (logs, pipes), a ``gr.Progress`` in the web upload.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

PHASES = {
    "de": {"chunks": "Abschnitte", "sentences": "Sätze"},
    "en": {"chunks": "chunks", "sentences": "sentences"},
}


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"


@dataclass
class ProgressMeter:
    """Rate and ETA of the current phase from ``(done, total, what)`` updates."""

    lang: str = "de"
    clock: Callable[[], float] = time.monotonic
    what: str = ""
    done: int = 0
    total: int = 0
    _start: float = 0.0
    _start_done: int = 0

    def update(self, done: int, total: int, what: str) -> None:
        if what != self.what:  # a new phase starts its own clock
            self.what, self._start, self._start_done = what, self.clock(), done
        self.done, self.total = done, total

    @property
    def rate(self) -> float:
        """Items per second since the phase started (0 until there is a measurement)."""
        elapsed = self.clock() - self._start
        return (self.done - self._start_done) / elapsed if elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        rate = self.rate
        return (self.total - self.done) / rate if rate > 0 else None

    def line(self) -> str:
        """E.g. ``Abschnitte 120/1612 (7 %) · 4.3/s · noch 5 min 47 s``."""
        name = PHASES.get(self.lang, PHASES["en"]).get(self.what, self.what)
        share = f" ({100 * self.done // self.total} %)" if self.total else ""
        parts = [f"{name} {self.done}/{self.total}{share}"]
        if self.rate > 0:
            parts.append(f"{self.rate:.1f}/s")
        eta = self.eta
        if eta is not None and self.done < self.total:
            parts.append(("noch " if self.lang == "de" else "ETA ") + format_duration(eta))
        return " · ".join(parts)


class PlainReporter:
    """Prints ``meter.line()`` at most every ``interval`` seconds (and at each phase's end)."""

    def __init__(
        self, write: Callable[[str], None], interval: float, lang: str = "de", clock=time.monotonic
    ) -> None:
        self.meter = ProgressMeter(lang=lang, clock=clock)
        self.write, self.interval, self.clock = write, interval, clock
        self._last = float("-inf")

    def __call__(self, done: int, total: int, what: str) -> None:
        new_phase = what != self.meter.what
        self.meter.update(done, total, what)
        now = self.clock()
        if new_phase or done >= total or now - self._last >= self.interval:
            self._last = now
            self.write(self.meter.line())
