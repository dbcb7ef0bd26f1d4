"""The index's in-memory search views, persisted beside it and refreshed incrementally.

The views hold the live chunk rows (ids, texts, metadata, vectors as one float32 matrix),
the sentence rows (vectors likewise; grouped by section as row indices) and BM25. A question
touches no database apart from the version check: dense search is one matrix product.

When the index version changes, the views are **refreshed, not rebuilt**: the manifest says
which chunks are live and which wait for their sentence vectors; only chunks that appeared
are read (with their sentences), only rows that disappeared are dropped, and BM25 analyses
only the added chunks. A document whose sentence vectors are pending has its chunk's own
sentences stand in with the chunk vector (marked ``_standin``); when its sentences are
switched in, only its rows are replaced. Each refresh builds a new object; readers keep the
one they started with.

The artefact (``<index_dir>/views-<collection>.json`` + ``.npz``) is keyed by the view
format, the BM25 format, the index's location and fingerprint, and records the index version
it holds; a new process loads it and reads only what changed since. Both files carry the
key, so a torn pair (a crash between the two writes) is never used; a damaged one is
rebuilt from Chroma.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import functools
import gc
import hashlib
import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .lexical import FORMAT as LEXICAL_FORMAT
from .lexical import LexicalIndex

FORMAT = 2  # bump when the stored layout changes (2: incremental; the version is inside)
STALE_TMP_SECONDS = 3600  # a views write never takes this long: its temporary file is a leftover


def section_key(meta: dict) -> str:
    """Grouping key: the paper section id, or ``<doc_id>#<own section id or heading>`` for user
    documents, so a user's "2.1" never groups with the paper's 2.1."""
    if meta.get("section") and meta.get("kind") != "user":
        return str(meta["section"])
    return f"{meta['doc_id']}#{meta.get('user_section') or meta.get('section_title', '')}"


@dataclass
class Rows:
    ids: list[str]
    texts: list[str]
    metas: list[dict[str, Any]]
    vectors: np.ndarray


def _matrix(vectors: Any, dim: int) -> np.ndarray:
    if vectors is not None and len(vectors):
        return np.asarray(vectors, dtype=np.float32)
    return np.zeros((0, dim), dtype=np.float32)


@dataclass
class IndexViews:
    """The live rows at one index version (never changed after it is built)."""

    key: str
    version: str
    chunks: Rows
    sentences: Rows
    lexical: LexicalIndex
    # Derived from the sentence rows (computed here unless ``merge`` carries them over):
    sections: dict[str, np.ndarray] | None = None  # section key -> sentence rows
    standins: dict[str, np.ndarray] | None = None  # chunk id -> its stand-in sentence rows
    sent_kinds: np.ndarray | None = None  # kind of each sentence row
    pos: dict[str, int] = field(default_factory=dict)  # chunk id -> row
    aliases: set[str] = field(default_factory=set)  # versions read before this one was taken
    _masks: dict[Any, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.pos = {cid: i for i, cid in enumerate(self.chunks.ids)}
        if self.sections is None or self.standins is None or self.sent_kinds is None:
            self.sections, self.standins, self.sent_kinds = _derive(self.sentences.metas, 0)

    def mask(self, scope: Any) -> np.ndarray | None:
        """One bool per chunk: the chunks ``scope`` admits (None: no limit). Kept per scope."""
        if scope is None:
            return None
        if scope not in self._masks:
            self._masks[scope] = np.fromiter(
                (scope.admits(m) for m in self.chunks.metas), dtype=bool, count=len(self.chunks.ids)
            )
        return self._masks[scope]

    def dense(self, query_vector: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[str]:
        """Ids of the ``k`` chunks closest to the query (cosine; vectors are normalised)."""
        # einsum, not ``@``: a matrix-vector product through multi-threaded BLAS was 25x slower
        # (40 ms vs 1.6 ms at 10k chunks) on a busy 2-core machine; einsum stays on one core.
        vectors = self.chunks.vectors
        scores = np.einsum("ij,j->i", vectors, query_vector.astype(vectors.dtype, copy=False))
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        k = min(k, len(self.chunks.ids) if mask is None else int(mask.sum()))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        return [self.chunks.ids[i] for i in top[np.argsort(-scores[top], kind="stable")]]


def _derive(metas: list[dict], base: int) -> tuple[dict, dict, np.ndarray]:
    """Sections (key -> rows), stand-ins (chunk id -> rows) and kinds of these sentence rows,
    numbered from ``base``."""
    groups: dict[str, list[int]] = {}
    standins: dict[str, list[int]] = {}
    for row, meta in enumerate(metas, start=base):
        groups.setdefault(section_key(meta), []).append(row)
        if meta.get("_standin"):
            standins.setdefault(str(meta["chunk_id"]), []).append(row)
    kinds = np.array([str(m.get("kind", "")) for m in metas], dtype=object)
    as_arrays = {k: np.asarray(v, dtype=np.int64) for k, v in groups.items()}
    return as_arrays, {k: np.asarray(v, dtype=np.int64) for k, v in standins.items()}, kinds


def _renumber(groups: dict[str, np.ndarray], keep: np.ndarray, new: dict[str, np.ndarray]) -> dict:
    """Row groups after dropping the rows ``keep`` drops (the rest renumbered), plus ``new``."""
    if keep.all():
        out = dict(groups)
    else:
        new_row = np.cumsum(keep) - 1
        out = {}
        for k, rows in groups.items():
            left = rows[keep[rows]]
            if len(left):
                out[k] = new_row[left]
    for k, rows in new.items():
        out[k] = np.concatenate([out[k], rows]) if k in out else rows
    return out


def _without_gc(fn):
    """Run ``fn`` with the cyclic garbage collector paused: building views allocates many
    objects (no cycles), and each automatic collection would walk every row dict already held
    (it made a refresh 3x slower at 10k chunks)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return run


def _key(index: Any) -> str:
    s = index.settings
    where = [str(s.index_dir), s.chroma_host or "", s.chroma_port if s.chroma_host else 0]
    payload = [FORMAT, LEXICAL_FORMAT, *where, s.collection, index.fingerprint]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:24]


def _paths(index: Any) -> tuple[Path, Path]:
    base = index.settings.index_dir / f"views-{index.settings.collection}"
    return base.with_suffix(".json"), base.with_suffix(".npz")


# --- reading Chroma in pages --------------------------------------------------------------


def read_all(collection: Any, include: list[str], page: int, where: dict | None = None) -> dict:
    """Every row of a collection (matching ``where``), ``page`` rows per read: Chroma's
    ``get()`` of more than ~32k rows with metadata fails in SQLite ("too many SQL variables";
    docs/scale.md)."""
    out: dict[str, list] = {"ids": [], **{k: [] for k in include}}
    offset = 0
    while True:
        got = collection.get(where=where, include=include, limit=page, offset=offset)
        _extend(out, got, include)
        if len(got["ids"]) < page:
            return out
        offset += page


def read_ids(collection: Any, ids: list[str], include: list[str], page: int) -> dict:
    """These rows (those that exist), at most ``page`` ids per read."""
    out: dict[str, list] = {"ids": [], **{k: [] for k in include}}
    for start in range(0, len(ids), page):
        _extend(out, collection.get(ids=ids[start : start + page], include=include), include)
    return out


def _extend(out: dict, got: dict, include: list[str]) -> None:
    out["ids"].extend(got["ids"])
    for k in include:
        values = got[k]
        out[k].extend(values if values is not None else [])


# --- refresh --------------------------------------------------------------------------------


@dataclass
class RefreshReport:
    """What the last refresh did and how long it took (for the scale benchmark and tests)."""

    added: int = 0  # chunks read
    removed: int = 0  # chunks dropped
    sentences_replaced: int = 0  # chunks whose sentences switched between stand-ins and stored
    loaded_from_disk: bool = False
    full_scan: bool = False
    seconds: float = 0.0


last = RefreshReport()  # the most recent refresh in this process


def empty(key: str = "") -> IndexViews:
    z = np.zeros((0, 0), dtype=np.float32)
    return IndexViews(key, "", Rows([], [], [], z), Rows([], [], [], z.copy()), LexicalIndex.empty())


def build(index: Any, key: str = "") -> IndexViews:
    """The views from Chroma alone (reads every live row once, in pages)."""
    return refresh(index, empty(key or _key(index)))


@_without_gc
def refresh(index: Any, old: IndexViews) -> IndexViews:
    """``old`` brought up to the index's current live rows: reads only chunks that appeared
    (and their sentences), drops those that disappeared, replaces the sentences of chunks
    whose sentence vectors were switched in since."""
    global last
    t0 = time.perf_counter()
    report = RefreshReport()
    snap = index.snapshot()
    live = [cid for rec in snap.docs.values() for cid in rec.chunk_ids]
    live_set, pending = set(live), snap.pending
    keep = np.fromiter((cid in live_set for cid in old.chunks.ids), dtype=bool, count=len(old.chunks.ids))
    added = [cid for cid in dict.fromkeys(live) if cid not in old.pos]
    kept = {cid for cid, k in zip(old.chunks.ids, keep, strict=True) if k}
    switched = [cid for cid in kept if (cid in old.standins) != (cid in pending)]
    report.added, report.removed, report.sentences_replaced = len(added), int((~keep).sum()), len(switched)
    if not added and keep.all() and not switched:
        views = copy.copy(old)  # same rows, new version (e.g. a document's details changed)
        views.version, views.aliases = snap.version, set()
    else:
        page = index.settings.view_read_page
        full = len(added) > index.settings.view_full_scan_share * max(len(live_set), 1)
        report.full_scan = full
        new_chunks = _read_chunks(index, added, full, page, old.chunks.vectors.shape[1])
        # Sentences to (re)read: of added chunks, and of kept chunks whose pending state changed.
        texts = dict(zip(new_chunks.ids, zip(new_chunks.texts, new_chunks.metas, strict=True), strict=True))
        vecs = {cid: new_chunks.vectors[i] for i, cid in enumerate(new_chunks.ids)}
        for cid in switched:
            i = old.pos[cid]
            texts[cid] = (old.chunks.texts[i], old.chunks.metas[i])
            vecs[cid] = old.chunks.vectors[i]
        want = [*new_chunks.ids, *switched]
        new_sents = _read_sentences(
            index, want, pending, texts, vecs, full, page, old.sentences.vectors.shape[1]
        )
        replaced = set(switched)
        s_keep = np.fromiter(
            (
                str(m.get("chunk_id")) in kept and str(m.get("chunk_id")) not in replaced
                for m in old.sentences.metas
            ),
            dtype=bool,
            count=len(old.sentences.ids),
        )
        views = merge(old, keep, new_chunks, s_keep, new_sents, snap.version)
    report.seconds = time.perf_counter() - t0
    last = report
    return views


@_without_gc
def merge(old: IndexViews, keep: np.ndarray, chunks: Rows, s_keep: np.ndarray, sentences: Rows, version: str):
    """``old`` without the chunk rows ``keep`` drops and the sentence rows ``s_keep`` drops,
    plus new ``chunks`` and ``sentences`` (no Chroma involved: the benchmark times this)."""
    lexical = old.lexical.copy()
    lexical.keep(keep)
    lexical.add(chunks.ids, chunks.texts, [str(m.get("lang", "de")) for m in chunks.metas])
    base = int(s_keep.sum())
    sections, standins, kinds = _derive(sentences.metas, base)
    return IndexViews(
        old.key,
        version,
        _join(old.chunks, keep, chunks),
        _join(old.sentences, s_keep, sentences),
        lexical,
        _renumber(old.sections, s_keep, sections),  # type: ignore[arg-type]
        _renumber(old.standins, s_keep, standins),  # type: ignore[arg-type]
        np.concatenate([old.sent_kinds[s_keep], kinds]),  # type: ignore[index]
    )


def _join(old: Rows, keep: np.ndarray, new: Rows) -> Rows:
    rows = np.flatnonzero(keep)
    dim = new.vectors.shape[1] if len(new.ids) else old.vectors.shape[1]
    if len(rows) == len(old.ids):
        kept_ids, kept_texts, kept_metas, kept_vecs = old.ids, old.texts, old.metas, old.vectors
    else:
        kept_ids = [old.ids[i] for i in rows]
        kept_texts = [old.texts[i] for i in rows]
        kept_metas = [old.metas[i] for i in rows]
        kept_vecs = old.vectors[rows]
    if not len(new.ids):
        return Rows(list(kept_ids), list(kept_texts), list(kept_metas), kept_vecs.reshape(-1, dim))
    vectors = (
        np.vstack([kept_vecs.reshape(-1, dim), new.vectors.reshape(-1, dim)]) if len(rows) else new.vectors
    )
    return Rows(kept_ids + new.ids, kept_texts + new.texts, kept_metas + new.metas, vectors)


def _read_chunks(index: Any, wanted: list[str], full: bool, page: int, dim: int) -> Rows:
    """The rows of these chunks, vectors through the index (embedding cache first)."""
    if not wanted:
        return Rows([], [], [], np.zeros((0, dim), dtype=np.float32))
    include = ["documents", "metadatas"]
    if full:  # most rows are new (a first build): read everything in pages, keep what is wanted
        got = read_all(index.chunks, include, page)
        wanted_set = set(wanted)
        found = {cid: i for i, cid in enumerate(got["ids"]) if cid in wanted_set}
        missing = [cid for cid in wanted if cid not in found]
        if missing:  # a concurrent write shifted the pages: read those by id
            more = read_ids(index.chunks, missing, include, page)
            base = len(got["ids"])
            _extend(got, more, include)
            found.update({cid: base + i for i, cid in enumerate(more["ids"])})
    else:
        got = read_ids(index.chunks, wanted, include, page)
        found = {cid: i for i, cid in enumerate(got["ids"])}
    order = [found[cid] for cid in wanted if cid in found]  # live order, as the manifest names them
    ids = [got["ids"][i] for i in order]
    texts = [got["documents"][i] for i in order]
    metas = [got["metadatas"][i] for i in order]
    embedded = [index._embed_text_of(t, m) for t, m in zip(texts, metas, strict=True)]
    return Rows(ids, texts, metas, _matrix(index.vectors(index.chunks, ids, embedded), dim))


def _read_sentences(
    index: Any,
    chunk_ids: list[str],
    pending: set[str],
    chunks: dict[str, tuple[str, dict]],
    chunk_vectors: dict[str, np.ndarray],
    full: bool,
    page: int,
    dim: int,
) -> Rows:
    """Sentence rows of these chunks: stored ones, or for chunks whose sentence vectors are
    pending, the chunk's own sentences carrying the chunk vector (marked ``_standin``)."""
    from .index import sentence_rows

    stored = [cid for cid in chunk_ids if cid not in pending]
    include = ["documents", "metadatas"]
    got: dict[str, list] = {"ids": [], **{k: [] for k in include}}
    if stored and full:
        got = read_all(index.sentences, include, page)
    elif stored:
        step = max(1, page // 8)  # a few hundred chunks per filter, each read paged
        for start in range(0, len(stored), step):
            where = {"chunk_id": {"$in": stored[start : start + step]}}
            _extend(got, read_all(index.sentences, include, page, where=where), include)
    wanted = set(stored)
    rows = [i for i, m in enumerate(got["metadatas"]) if str((m or {}).get("chunk_id")) in wanted]
    if full and stored:  # pages may have shifted under a concurrent write: re-read short chunks
        per_chunk = Counter(str(got["metadatas"][i]["chunk_id"]) for i in rows)
        short = [c for c in stored if per_chunk[c] < int(chunks[c][1].get("n_sentences", 0) or 0)]
        if short:
            shorts = set(short)
            rows = [i for i in rows if str(got["metadatas"][i]["chunk_id"]) not in shorts]
            base = len(got["ids"])
            _extend(
                got, read_all(index.sentences, include, page, where={"chunk_id": {"$in": short}}), include
            )
            rows += list(range(base, len(got["ids"])))
    ids = [got["ids"][i] for i in rows]
    texts = [got["documents"][i] for i in rows]
    metas = [got["metadatas"][i] for i in rows]
    vectors = _matrix(index.vectors(index.sentences, ids, texts), dim)
    standin = [(cid, row) for cid in chunk_ids if cid in pending for row in sentence_rows(cid, *chunks[cid])]
    if standin:
        ids += [sid for _, (sid, _, _) in standin]
        texts += [text for _, (_, text, _) in standin]
        metas += [{**meta, "_standin": True} for _, (_, _, meta) in standin]
        extra = np.vstack([chunk_vectors[cid] for cid, _ in standin]).astype(np.float32)
        vectors = np.vstack([vectors.reshape(-1, extra.shape[1]), extra]) if len(vectors) else extra
    return Rows(ids, texts, metas, vectors)


# --- persistence ------------------------------------------------------------------------------


def save(index: Any, views: IndexViews) -> None:
    """Write both files atomically (temporary file, then rename); the key goes into each.
    Temporary files a killed writer left behind (older than ``STALE_TMP_SECONDS``) go."""
    text_path, array_path = _paths(index)
    text_path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in text_path.parent.glob(f"{text_path.stem}.*.tmp"):
        with contextlib.suppress(OSError):
            if time.time() - leftover.stat().st_mtime > STALE_TMP_SECONDS:
                leftover.unlink()
    lex = views.lexical
    record = {
        "key": views.key,
        "version": views.version,
        "chunks": [views.chunks.ids, views.chunks.texts, views.chunks.metas],
        "sentences": [views.sentences.ids, views.sentences.texts, views.sentences.metas],
        "vocab": lex.vocabulary(),
    }
    c_indptr, c_terms, c_counts = lex.counts  # type: ignore[misc]
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
            counts_indptr=c_indptr,
            counts_terms=c_terms,
            counts=c_counts,
        )
    tmp_text = text_path.with_name(text_path.name + suffix)
    tmp_text.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp_arrays, array_path)
    os.replace(tmp_text, text_path)


@_without_gc
def load(index: Any, key: str) -> IndexViews | None:
    """The stored views if both files are there and carry ``key`` (at whatever index version
    they were written; ``refresh`` brings them up to date); else None."""
    text_path, array_path = _paths(index)
    try:
        with np.load(array_path) as arrays:
            if str(arrays["key"]) != key:
                return None
            stored = {name: arrays[name] for name in arrays.files}
        record = json.loads(text_path.read_text(encoding="utf-8"))
        if record.get("key") != key:
            return None
        chunk_ids, chunk_texts, chunk_metas = record["chunks"]
        sent_ids, sent_texts, sent_metas = record["sentences"]
        counts = (stored["counts_indptr"], stored["counts_terms"], stored["counts"])
        lexical = LexicalIndex.from_arrays(
            chunk_ids,
            record["vocab"],
            stored["bm25_data"],
            stored["bm25_indices"],
            stored["bm25_indptr"],
            counts,
        )
        return IndexViews(
            key,
            str(record["version"]),
            Rows(chunk_ids, chunk_texts, chunk_metas, stored["chunk_vectors"]),
            Rows(sent_ids, sent_texts, sent_metas, stored["sentence_vectors"]),
            lexical,
        )
    except (OSError, ValueError, KeyError, TypeError, EOFError):  # damaged: rebuilt, never trusted
        return None


class _Saver:
    """Writes views in one background thread, the latest per index: a process that follows
    another's writes answers at once after its (fast) refresh instead of waiting for the file
    (linear in library size: seconds at 100k chunks). Pending writes finish at exit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[Any, IndexViews]] = {}
        self._thread: threading.Thread | None = None

    def submit(self, index: Any, views: IndexViews) -> None:
        with self._lock:
            self._pending[views.key] = (index, views)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="views-saver", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._thread = None
                    return
                index, views = self._pending.pop(next(iter(self._pending)))
            with contextlib.suppress(OSError):  # a read-only folder: refreshed at each start instead
                save(index, views)

    def wait(self, timeout: float | None = None) -> None:
        """Until every submitted write is done (at exit; tests that play a new process)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)


_saver = _Saver()
atexit.register(_saver.wait, 120)
wait_for_saves = _saver.wait
_lock = threading.Lock()
_recent: dict[str, IndexViews] = {}  # key -> latest views: the retriever and the store share them


def get_views(index: Any, version: str) -> IndexViews:
    """The views of ``index`` at ``version``: from memory, or the stored artefact or the
    views in memory refreshed with what changed, and stored again (at once when this process
    had none yet, as a start or ``index build``; else in the background)."""
    global last
    key = _key(index)
    views = _recent.get(key)
    if views is not None and (views.version == version or version in views.aliases):
        return views
    with _lock:
        views = _recent.get(key)
        if views is not None and (views.version == version or version in views.aliases):
            return views
        first = views is None
        loaded = False
        if views is None:
            t0 = time.perf_counter()
            views = load(index, key)
            loaded = views is not None
            if loaded and views.version == version:
                last = RefreshReport(loaded_from_disk=True, seconds=time.perf_counter() - t0)
        if views is None or views.version != version:
            views = refresh(index, views or empty(key))
            last.loaded_from_disk = loaded
            if first:
                with contextlib.suppress(OSError):  # a read-only folder: refreshed at each start
                    save(index, views)
            else:
                _saver.submit(index, views)
        if views.version != version:
            views.aliases.add(version)  # read just before the write that this refresh saw
        _recent[key] = views
        while len(_recent) > 4:  # a few indexes per process at most (tests)
            _recent.pop(next(iter(_recent)))
        return views
