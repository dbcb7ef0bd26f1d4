"""Start-up without repeated garbage-collector scans.

A start imports the libraries and loads the rail model and the search views: some 170,000
objects that live as long as the process. With the collector on, Python scans them again and
again while they are created (two full and ~30 middle collections during one ``assistant
ask``). Pausing it for the start and then freezing what exists (``gc.freeze``: never scanned
again) removes that work; collection resumes for what requests allocate. Nothing an answer
depends on changes: the collector only decides when reference cycles are freed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause cyclic garbage collection inside; afterwards freeze the survivors and resume."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
