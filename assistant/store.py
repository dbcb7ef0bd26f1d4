"""Sentence vectors from the index, grouped by section, cached in memory until the index changes."""

from __future__ import annotations

import threading

import numpy as np

from .embed_cache import embed_with_cache
from .index import Index
from .views import get_views


def section_key(meta: dict) -> str:
    """Grouping key: the paper section id, or ``<doc_id>#<own section id or heading>`` for user
    documents, so a user's "2.1" never groups with the paper's 2.1."""
    if meta.get("section") and meta.get("kind") != "user":
        return str(meta["section"])
    return f"{meta['doc_id']}#{meta.get('user_section') or meta.get('section_title', '')}"


class SentenceStore:
    """Sentence vectors from the index, grouped by section key, cached until the index changes."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._lock = threading.Lock()
        self._version = ""
        self._by_section: dict[str, list[dict]] = {}
        self._chunks: dict[str, dict] = {}
        self._matrices: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def refresh(self, version: str | None = None) -> None:
        """Reload if the index changed (called once per request, not per lookup)."""
        with self._lock:
            self._load(version or self.index.version())

    def _load(self, version: str) -> None:
        if version == self._version:
            return
        views = get_views(self.index, version)
        sent = views.sentences
        by_section: dict[str, list[dict]] = {}
        for sid, text, meta, vec in zip(sent.ids, sent.texts, sent.metas, sent.vectors, strict=False):
            # A stand-in: the sentence of a chunk whose sentence vectors are pending (chunk vector).
            row = {"id": sid, "text": text, "meta": meta, "vec": vec, "standin": bool(meta.get("_standin"))}
            by_section.setdefault(section_key(meta), []).append(row)
        chunks = views.chunks
        self._chunks = {
            cid: {"id": cid, "text": t, "meta": m}
            for cid, t, m in zip(chunks.ids, chunks.texts, chunks.metas, strict=False)
        }
        self._matrices = {
            key: (np.vstack([r["vec"] for r in rows]), np.array([r["meta"]["kind"] for r in rows]))
            for key, rows in by_section.items()
        }
        self._by_section, self._version = by_section, version

    def sharpen(self, chunk_ids: list[str], limit: int) -> int:
        """Give stand-in sentences (of chunks whose sentence vectors are pending) their own
        vectors, for up to ``limit`` sentences of these chunks, in this order.

        Only what an answer is about to use is embedded (through the persistent cache, so the
        background completion does not embed it again). Returns the number embedded.
        """
        self._ensure_loaded()
        wanted = {cid: rank for rank, cid in enumerate(chunk_ids)}
        with self._lock:
            rows = sorted(
                (r for rows in self._by_section.values() for r in rows if r.get("standin")),
                key=lambda r: wanted.get(r["meta"]["chunk_id"], len(wanted)),
            )
            rows = [r for r in rows if r["meta"]["chunk_id"] in wanted][:limit]
            if not rows:
                return 0
            texts = list(dict.fromkeys(r["text"] for r in rows))
            index = self.index
            vecs = embed_with_cache(
                texts, index.embeddings.encode_passages, index.embedding_cache, index.settings.embed_batch
            )
            by_text = dict(zip(texts, vecs, strict=True))
            for row in rows:
                row["vec"], row["standin"] = by_text[row["text"]], False
            for key in {section_key(r["meta"]) for r in rows}:
                section = self._by_section[key]
                self._matrices[key] = (
                    np.vstack([r["vec"] for r in section]),
                    np.array([r["meta"]["kind"] for r in section]),
                )
        return len(texts)

    def _ensure_loaded(self) -> None:
        if not self._version:
            self.refresh()

    def for_section(self, key: str) -> list[dict]:
        self._ensure_loaded()
        return self._by_section.get(key, [])

    def best_similarity(self, key: str, query_vector: np.ndarray, skip_kind: str = "method") -> float | None:
        """Highest cosine between the query and any sentence of a section (one matrix product)."""
        self._ensure_loaded()
        entry = self._matrices.get(key)
        if entry is None:
            return None
        matrix, kinds = entry
        mask = kinds != skip_kind
        return float((matrix[mask] @ query_vector).max()) if mask.any() else None

    def chunk(self, chunk_id: str) -> dict:
        self._ensure_loaded()
        return self._chunks[chunk_id]

    def best_chunk(self, section: str, kind: str, query_vector: np.ndarray) -> tuple[dict, float] | None:
        """The chunk of ``kind`` in ``section`` whose sentences best match the query, and that match."""
        rows = [r for r in self.for_section(section) if r["meta"]["kind"] == kind]
        if not rows:
            return None
        score, best = max(((float(r["vec"] @ query_vector), r) for r in rows), key=lambda x: x[0])
        return self.chunk(best["meta"]["chunk_id"]), score
