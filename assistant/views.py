"""The index's in-memory views, persisted beside it: chunk and sentence rows with their vectors
and the BM25 arrays, so a start loads two files instead of reading every row from Chroma and
re-analysing every chunk.

The artefact (``<index_dir>/views-<collection>.json`` + ``.npz``) is keyed by the index version
(which changes with every write), the index fingerprint and the BM25 format; a start whose key
differs builds the views from Chroma once and stores them. Both files carry the key, so a torn
pair (a crash between the two writes) is never used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .lexical import FORMAT as LEXICAL_FORMAT
from .lexical import LexicalIndex

FORMAT = 1  # bump when the stored layout changes


@dataclass
class Rows:
    ids: list[str]
    texts: list[str]
    metas: list[dict[str, Any]]
    vectors: np.ndarray


@dataclass
class IndexViews:
    key: str
    chunks: Rows
    sentences: Rows
    lexical: LexicalIndex


def _key(index: Any, version: str) -> str:
    s = index.settings
    where = [str(s.index_dir), s.chroma_host or "", s.chroma_port if s.chroma_host else 0]
    payload = [FORMAT, LEXICAL_FORMAT, *where, s.collection, index.fingerprint, version]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:24]


def _paths(index: Any) -> tuple[Path, Path]:
    base = index.settings.index_dir / f"views-{index.settings.collection}"
    return base.with_suffix(".json"), base.with_suffix(".npz")


def _rows(got: dict, with_vectors: bool = True) -> Rows:
    emb = got.get("embeddings") if with_vectors else None
    vectors = np.asarray(emb if emb is not None and len(emb) else np.zeros((0, 1)))
    return Rows(list(got["ids"]), list(got["documents"] or []), list(got["metadatas"] or []), vectors)


def read_all(collection: Any, include: list[str], page: int) -> dict:
    """Every row of a collection, ``page`` rows per read: Chroma's ``get()`` of more than ~32k
    rows with metadata fails in SQLite ("too many SQL variables"; docs/scale.md)."""
    out: dict[str, list] = {"ids": [], **{k: [] for k in include}}
    offset = 0
    while True:
        got = collection.get(include=include, limit=page, offset=offset)
        out["ids"].extend(got["ids"])
        for k in include:
            values = got[k]
            out[k].extend(values if values is not None else [])
        if len(got["ids"]) < page:
            return out
        offset += page


def build(index: Any, key: str) -> IndexViews:
    """Read the live chunks and sentences (rows staged by a write in progress are not part of
    the index yet) and fit BM25 over the chunks. Sentences of a document whose sentence
    vectors are pending stand in with their chunk's vector, marked ``_standin``."""
    snap = index.snapshot()
    ids, texts, metas, vectors = index.active_chunks(snap, embeddings=True)
    chunks = Rows(ids, texts, metas, vectors if vectors is not None else np.zeros((0, 1)))
    rows = index.active_sentences(snap)
    sentences = Rows(
        [r["id"] for r in rows],
        [r["text"] for r in rows],
        [{**r["meta"], "_standin": True} if r.get("standin") else r["meta"] for r in rows],
        np.vstack([r["vec"] for r in rows]).astype(np.float32) if rows else np.zeros((0, 1), np.float32),
    )
    lexical = LexicalIndex.build(chunks.ids, chunks.texts, [str(m["lang"]) for m in chunks.metas])
    return IndexViews(key, chunks, sentences, lexical)


def save(index: Any, views: IndexViews) -> None:
    """Write both files atomically (temporary file, then rename); the key goes into each."""
    text_path, array_path = _paths(index)
    text_path.parent.mkdir(parents=True, exist_ok=True)
    lex = views.lexical
    record = {
        "key": views.key,
        "chunks": [views.chunks.ids, views.chunks.texts, views.chunks.metas],
        "sentences": [views.sentences.ids, views.sentences.texts, views.sentences.metas],
        "vocab": lex.vocabulary(),
    }
    suffix = f".{os.getpid()}.{threading.get_ident()}.tmp"
    tmp_arrays = array_path.with_name(array_path.name + suffix)
    with open(tmp_arrays, "wb") as handle:
        np.savez(
            handle,
            key=np.array(views.key),
            chunk_vectors=views.chunks.vectors,
            sentence_vectors=views.sentences.vectors,
            bm25_data=lex.data,
            bm25_indices=lex.indices,
            bm25_indptr=lex.indptr,
        )
    tmp_text = text_path.with_name(text_path.name + suffix)
    tmp_text.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp_arrays, array_path)
    os.replace(tmp_text, text_path)


def load(index: Any, key: str) -> IndexViews | None:
    """The stored views if both files are there and carry ``key``; else None."""
    text_path, array_path = _paths(index)
    try:
        with np.load(array_path) as arrays:
            if str(arrays["key"]) != key:
                return None
            stored = {name: arrays[name] for name in arrays.files}
        record = json.loads(text_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError):
        return None
    if record.get("key") != key:
        return None
    chunk_ids, chunk_texts, chunk_metas = record["chunks"]
    sent_ids, sent_texts, sent_metas = record["sentences"]
    lexical = LexicalIndex.from_arrays(
        chunk_ids, record["vocab"], stored["bm25_data"], stored["bm25_indices"], stored["bm25_indptr"]
    )
    return IndexViews(
        key,
        Rows(chunk_ids, chunk_texts, chunk_metas, stored["chunk_vectors"]),
        Rows(sent_ids, sent_texts, sent_metas, stored["sentence_vectors"]),
        lexical,
    )


_lock = threading.Lock()
_recent: dict[str, IndexViews] = {}  # key -> views: the retriever and the sentence store share one load


def get_views(index: Any, version: str) -> IndexViews:
    """The views of ``index`` at ``version``: from memory, from the stored artefact, or built
    from Chroma (and stored) when the index changed since they were written."""
    key = _key(index, version)
    with _lock:
        views = _recent.get(key)
        if views is None:
            views = load(index, key)
            if views is None:
                views = build(index, key)
                with contextlib.suppress(OSError):  # a read-only folder: built at each start instead
                    save(index, views)
            _recent[key] = views
            while len(_recent) > 4:  # a few indexes per process at most (tests); old versions go
                _recent.pop(next(iter(_recent)))
        return views
