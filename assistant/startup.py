"""Start-up work done once, early: no repeated garbage-collector scans, no imports left to
the first web request.

A start imports the libraries and loads the rail model and the search views: some 170,000
objects that live as long as the process. With the collector on, Python scans them again and
again while they are created (two full and ~30 middle collections during one ``assistant
ask``). Pausing it for the start and then freezing what exists (``gc.freeze``: never scanned
again) removes that work; collection resumes for what requests allocate. Nothing an answer
depends on changes: the collector only decides when reference cycles are freed (a first start
that builds the whole index and fits the rail model inside the pause leaves about 1,700 cyclic
objects behind, measured with the fake embedder).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress


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


def preload_plotting() -> None:
    """Import matplotlib the way Gradio's first request would, so no request pays for it.

    Gradio asks matplotlib for its backend around every event (``MatplotlibBackendMananger``
    in ``gradio.utils``): the first request imports matplotlib, and with no backend chosen also
    pyplot to pick one. A server draws nothing on screen, so the default is "agg", the backend
    Gradio switches to for each request anyway (a user's ``MPLBACKEND`` still wins).
    """
    os.environ.setdefault("MPLBACKEND", "agg")
    with suppress(ImportError):  # without matplotlib Gradio skips its backend switch too
        import matplotlib  # noqa: F401
