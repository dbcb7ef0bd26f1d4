"""The trace log: one JSON line per answer, appendable by several processes at once."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any


class TraceLog:
    """Append-only JSON Lines file shared by every worker on a machine.

    Each record is written with one ``write`` on an ``O_APPEND`` descriptor under an exclusive
    ``flock``, so lines from different processes (and threads) never interleave.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, record: dict[str, Any]) -> None:
        """Append one record; raises ``OSError`` if the file cannot be written."""
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line)
        finally:
            os.close(fd)  # also releases the lock
