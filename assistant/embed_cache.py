"""Persistent embedding cache (SQLite, WAL): vectors keyed by model id and text hash.

Every batch of vectors is committed as soon as it is computed, so an ingest killed at any
moment keeps its embedding work and a re-run continues where it stopped.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


class EmbeddingCache:
    """``(model, sha256(text)) -> float32 vector``; safe across processes (SQLite locking)."""

    def __init__(self, path: Path, model_id: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.model_id = model_id
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, key BLOB NOT NULL, "
            "vec BLOB NOT NULL, PRIMARY KEY (model, key)) WITHOUT ROWID"
        )
        self._db.commit()

    def get_many(self, texts: list[str]) -> dict[int, np.ndarray]:
        """Cached vectors by position in ``texts``."""
        keys = [text_key(t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                rows = self._db.execute(
                    f"SELECT key, vec FROM vectors WHERE model = ? AND key IN ({','.join('?' * len(part))})",
                    [self.model_id, *part],
                ).fetchall()
                found.update((bytes(k), np.frombuffer(v, dtype=np.float32)) for k, v in rows)
        return {i: found[k] for i, k in enumerate(keys) if k in found}

    def put_many(self, texts: list[str], vectors: np.ndarray) -> None:
        rows = [
            (self.model_id, text_key(t), np.asarray(v, dtype=np.float32).tobytes())
            for t, v in zip(texts, vectors, strict=True)
        ]
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
            self._db.commit()

    def count(self) -> int:
        with self._lock:
            return int(
                self._db.execute("SELECT COUNT(*) FROM vectors WHERE model = ?", [self.model_id]).fetchone()[
                    0
                ]
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


def embed_with_cache(
    texts: list[str],
    encode: Callable[[list[str]], np.ndarray],
    cache: EmbeddingCache | None,
    batch: int,
    on_batch: Callable[[int, list[int], np.ndarray], None] | None = None,
) -> np.ndarray:
    """Vectors for ``texts``: cached ones looked up, the rest encoded ``batch`` at a time.

    ``on_batch(done, positions, vectors)`` is called after each step with the positions it
    finished (cached ones first, in one step), so callers can write rows and show progress.
    """
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    out: list[np.ndarray | None] = [None] * len(texts)
    hits = cache.get_many(texts) if cache else {}
    for i, vec in hits.items():
        out[i] = vec
    done = len(hits)
    if hits and on_batch:
        pos = sorted(hits)
        on_batch(done, pos, np.vstack([hits[i] for i in pos]))
    missing = [i for i in range(len(texts)) if out[i] is None]
    for start in range(0, len(missing), batch):
        pos = missing[start : start + batch]
        part = [texts[i] for i in pos]
        vecs = np.asarray(encode(part), dtype=np.float32)
        if cache:
            cache.put_many(part, vecs)
        for i, vec in zip(pos, vecs, strict=True):
            out[i] = vec
        done += len(pos)
        if on_batch:
            on_batch(done, pos, vecs)
    return np.vstack(out)  # type: ignore[arg-type]
