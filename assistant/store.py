"""Sentence vectors of the index grouped by section, read from the in-memory search views."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from .embed_cache import embed_with_cache
from .views import IndexViews, get_views, section_key

__all__ = ["SentenceStore", "section_key"]


class SentenceStore:
    """Sentences (text, metadata, vector) by section key, and chunks by id, from the views.

    The views are shared (with the retriever, across requests); sentence vectors this store
    computes for stand-ins (``sharpen``) are kept beside them, per views version.
    """

    def __init__(self, index: Any) -> None:
        self.index = index
        self._lock = threading.Lock()
        self._views: IndexViews | None = None
        self._sharp: dict[int, np.ndarray] = {}  # sentence row -> its own vector (was a stand-in)
        self._sharp_sections: set[str] = set()

    def refresh(self, version: str | None = None) -> None:
        """Follow the index if it changed (called once per request, not per lookup)."""
        views = get_views(self.index, version or self.index.version())
        with self._lock:
            if views is not self._views:
                self._views, self._sharp, self._sharp_sections = views, {}, set()

    def _current(self) -> IndexViews:
        if self._views is None:
            self.refresh()
        return self._views  # type: ignore[return-value]

    def sharpen(self, chunk_ids: list[str], limit: int) -> int:
        """Give stand-in sentences (of chunks whose sentence vectors are pending) their own
        vectors, for up to ``limit`` sentences of these chunks, in this order.

        Only what an answer is about to use is embedded (through the persistent cache, so the
        background completion does not embed it again). Returns the number embedded.
        """
        views = self._current()
        if not views.standins:
            return 0
        with self._lock:
            standins = views.standins
            rows = [int(r) for cid in chunk_ids for r in standins.get(cid, ()) if int(r) not in self._sharp]
            rows = rows[:limit]
            if not rows:
                return 0
            sent = views.sentences
            texts = list(dict.fromkeys(sent.texts[r] for r in rows))
            index = self.index
            vecs = embed_with_cache(
                texts, index.embeddings.encode_passages, index.embedding_cache, index.settings.embed_batch
            )
            by_text = dict(zip(texts, vecs, strict=True))
            for r in rows:
                self._sharp[r] = np.asarray(by_text[sent.texts[r]], dtype=np.float32)
                self._sharp_sections.add(section_key(sent.metas[r]))
        return len(texts)

    def _vectors(self, views: IndexViews, key: str, rows: np.ndarray) -> np.ndarray:
        matrix = views.sentences.vectors[rows]
        if key in self._sharp_sections:
            for j, r in enumerate(rows.tolist()):
                if r in self._sharp:
                    matrix[j] = self._sharp[r]
        return matrix

    def section_keys(self) -> list[str]:
        """Every section key that has sentences."""
        return list(self._current().sections)

    def for_section(self, key: str) -> list[dict]:
        views = self._current()
        rows = views.sections.get(key)
        if rows is None:
            return []
        sent = views.sentences
        vectors = self._vectors(views, key, rows)
        return [
            {
                "id": sent.ids[r],
                "text": sent.texts[r],
                "meta": sent.metas[r],
                "vec": vectors[j],
                "standin": bool(sent.metas[r].get("_standin")) and r not in self._sharp,
            }
            for j, r in enumerate(rows.tolist())
        ]

    def best_match(
        self, key: str, query_vector: np.ndarray, support=None, skip_kind: str = "method"
    ) -> tuple[float, float] | None:
        """The best ``cosine + support(text, lang)`` over a section's sentences (the sentence that
        matches the query best once the words it shares with the query count too; the cosine
        alone without ``support``), and the highest cosine. One matrix product."""
        views = self._current()
        rows = views.sections.get(key)
        if rows is None:
            return None
        rows = rows[views.sent_kinds[rows] != skip_kind]
        if not len(rows):
            return None
        sims = self._vectors(views, key, rows) @ query_vector
        cosine = float(sims.max())
        if support is None:
            return cosine, cosine
        sent = views.sentences
        combined = max(
            float(sim) + support(sent.texts[r], str(sent.metas[r].get("lang", "")))
            for sim, r in zip(sims.tolist(), rows.tolist(), strict=True)
        )
        return combined, cosine

    def chunk(self, chunk_id: str) -> dict:
        views = self._current()
        i = views.pos[chunk_id]
        return {"id": chunk_id, "text": views.chunks.texts[i], "meta": views.chunks.metas[i]}

    def best_chunk(self, section: str, kind: str, query_vector: np.ndarray) -> tuple[dict, float] | None:
        """The chunk of ``kind`` in ``section`` whose sentences best match the query, and that match."""
        rows = [r for r in self.for_section(section) if r["meta"]["kind"] == kind]
        if not rows:
            return None
        score, best = max(((float(r["vec"] @ query_vector), r) for r in rows), key=lambda x: x[0])
        return self.chunk(best["meta"]["chunk_id"]), score
