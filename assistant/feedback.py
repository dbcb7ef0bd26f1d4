"""Feedback store (SQLite, WAL mode so several workers can share one file): thumbs up/down plus
comment, question and answer PII-redacted."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
import time
from pathlib import Path

from .config import Settings
from .pii import redact

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    rails TEXT NOT NULL DEFAULT '[]'
)
"""
COLUMNS = ("id", "created_at", "rating", "question", "answer", "comment", "language", "rails")


class FeedbackStore:
    """Append-only feedback table; every text field is redacted before it is written."""

    def __init__(
        self, path: Path, busy_timeout_s: float = Settings.model_fields["sqlite_busy_timeout"].default
    ) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            # WAL: every worker of a cluster writes to this one file while others read it.
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=self.busy_timeout_s)

    def add(
        self,
        rating: int,
        question: str,
        answer: str,
        comment: str = "",
        language: str = "",
        rails: list[str] | None = None,
    ) -> int:
        """Store one rating (+1 / -1); returns the row id."""
        if rating not in (-1, 1):
            raise ValueError("rating must be +1 or -1")
        row = (
            time.strftime("%Y-%m-%dT%H:%M:%S"),
            rating,
            redact(question).text,
            redact(answer).text,
            redact(comment or "").text[:2000],
            language,
            json.dumps(rails or []),
        )
        with self._lock, self._connect() as db:
            cur = db.execute(
                "INSERT INTO feedback (created_at, rating, question, answer, comment, language, rails)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cur.lastrowid)

    def set_comment(self, row_id: int, comment: str) -> None:
        """Attach an optional comment (redacted) to a stored rating."""
        with self._lock, self._connect() as db:
            db.execute("UPDATE feedback SET comment = ? WHERE id = ?", (redact(comment).text[:2000], row_id))

    def get(self, row_id: int) -> dict | None:
        """One stored row, as exported."""
        with self._connect() as db:
            cur = db.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback WHERE id = ?", (row_id,))
            row = cur.fetchone()
        return dict(zip(COLUMNS, row, strict=True)) if row else None

    def rows(self) -> list[dict]:
        with self._connect() as db:
            cur = db.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id")
            return [dict(zip(COLUMNS, r, strict=True)) for r in cur.fetchall()]

    def export(self, fmt: str = "jsonl") -> str:
        rows = self.rows()
        if fmt == "jsonl":
            return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
