"""The Chroma index: atomic document versions of chunks and sentences, fingerprint, status.

Three collections share one store: ``<name>_chunks`` (retrieval), ``<name>_sentences``
(sentence vectors for answer composition) and ``<name>_docs``, the manifest: one row per
document naming the chunk ids of its live version. Readers see only chunks the manifest
names, so a write stages its rows first (invisible), then switches the document over with a
single-row manifest write, then deletes what the old version no longer uses. A kill -9 at
any moment therefore leaves every document in its old or its new version; staged rows that
were never switched are removed at the next write. Before it stages or deletes anything, a
write records the documents it touches in ``<name>_journal`` and clears them when done, so
the next write's clean-up reads only the rows of documents a killed write left behind (a
full scan only for collections no scan has vouched for yet). Vectors go through a persistent cache
(``embed_cache.py``), so a re-run after a crash does not embed again. Writers are
serialised (a file lock locally, a lease lock on a Chroma server); on a server, other
workers poll ``version`` (derived from the manifest) to rebuild their in-memory views.

A document becomes searchable as soon as its chunks are switched in; its sentence vectors
follow (``complete_sentences``) and are switched in per document. Until then the answer
layer uses the chunk's own sentences with the chunk vector (``active_sentences``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import chromadb
import httpx
import numpy as np
from chromadb.config import Settings as ChromaSettings

from .chunking import Chunk, chunk_document
from .config import Settings
from .corpus import SHIPPED_KINDS, Document, load_corpus
from .embed_cache import EmbeddingCache, embed_with_cache
from .embeddings import ChromaEmbeddingAdapter, get_embeddings
from .errors import IndexMismatchError, IndexUnavailableError
from .locks import LeaseLock, file_lock

SCHEMA_VERSION = "4"  # 3: sentences keep their closing brackets and quotes; 4: "(thesis 2.2)." ends one
MANIFEST_FORMAT = "1"  # chunk collections carrying this key are read through the manifest
_SCANNED = "scan"  # journal row: a full clean-up covered the collections whose ids it names
_JOURNALED = "doc:"  # journal rows ``doc:<doc_id>``: a write touching this document has not finished
Progress = Callable[[int, int, str], None]


@dataclass
class SyncReport:
    """What a sync changed."""

    added: int = 0
    removed: int = 0
    unchanged: int = 0
    documents: list[str] = field(default_factory=list)
    rebuilt: bool = False
    sentences_pending: int = 0  # chunks searchable whose sentence vectors are still to come


@dataclass
class DocRecord:
    """A document's live version as the manifest names it, with its library details."""

    doc_id: str
    kind: str
    title: str = ""
    source: str = ""
    pages: int = 0
    added: str = ""
    updated: str = ""
    content_hash: str = ""
    chunk_ids: list[str] = field(default_factory=list)
    pending: set[str] = field(default_factory=set)  # chunks whose sentences are not switched in
    stamp: str = ""

    def row(self) -> tuple[str, str, dict]:
        body = json.dumps({"chunks": self.chunk_ids, "pending": sorted(self.pending)})
        meta = {
            "kind": self.kind,
            "title": self.title,
            "source": self.source,
            "pages": self.pages,
            "added": self.added,
            "updated": self.updated,
            "content_hash": self.content_hash,
            "chunks": len(self.chunk_ids),
            "pending": len(self.pending),
            "stamp": self.stamp,
        }
        return self.doc_id, body, meta

    @classmethod
    def from_row(cls, doc_id: str, body: str, meta: dict) -> DocRecord:
        parsed = json.loads(body or "{}")
        return cls(
            doc_id=doc_id,
            kind=str(meta.get("kind", "")),
            title=str(meta.get("title", "")),
            source=str(meta.get("source", "")),
            pages=int(meta.get("pages", 0) or 0),
            added=str(meta.get("added", "")),
            updated=str(meta.get("updated", "")),
            content_hash=str(meta.get("content_hash", "")),
            chunk_ids=list(parsed.get("chunks", [])),
            pending=set(parsed.get("pending", [])),
            stamp=str(meta.get("stamp", "")),
        )


@dataclass
class Snapshot:
    """The live documents at one moment; everything a reader may see."""

    docs: dict[str, DocRecord]
    version: str

    @property
    def active(self) -> set[str]:
        return {cid for rec in self.docs.values() for cid in rec.chunk_ids}

    @property
    def pending(self) -> set[str]:
        return {cid for rec in self.docs.values() for cid in rec.pending}


@dataclass
class IndexStatus:
    """What is in the index, how it was built and whether it is consistent."""

    documents: dict[str, str]  # doc_id -> kind
    chunks_by_kind: dict[str, int]
    sentences: int
    model: str
    fingerprint: str
    built_at: str
    stale: bool
    consistent: bool = True
    problems: list[str] = field(default_factory=list)  # what is wrong, per document
    staged_chunks: int = 0  # written but never switched in: invisible, removed at the next write
    staged_sentences: int = 0
    sentences_pending: dict[str, int] = field(default_factory=dict)  # doc_id -> chunks

    @property
    def total_chunks(self) -> int:
        return sum(self.chunks_by_kind.values())


_TRANSPORT_ERRORS = (httpx.TransportError, ConnectionError)


def unreachable_message(settings: Settings) -> str:
    where = f"{settings.chroma_host}:{settings.chroma_port}"
    return (
        f"Cannot reach Chroma at {where} — start it with `chroma run --path <folder> --host "
        f"{settings.chroma_host} --port {settings.chroma_port}` (or `assistant cluster`), or unset "
        f"ASSISTANT_CHROMA_HOST to use the local index. / Chroma unter {where} ist nicht erreichbar."
    )


def make_client(settings: Settings):
    """A Chroma client: HTTP to ``ASSISTANT_CHROMA_HOST`` if set, else the local folder."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        except (ValueError, *_TRANSPORT_ERRORS) as exc:  # chromadb says ValueError("Could not connect…")
            raise IndexUnavailableError(unreachable_message(settings)) from exc
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)


class _Guarded:
    """A remote collection whose network failures surface as ``IndexUnavailableError``."""

    def __init__(self, collection, message: str) -> None:
        self._collection = collection
        self._message = message

    def __getattr__(self, name: str):
        attr = getattr(self._collection, name)
        if not callable(attr):
            return attr

        @functools.wraps(attr)
        def call(*args, **kwargs):
            try:
                return attr(*args, **kwargs)
            except _TRANSPORT_ERRORS as exc:
                raise IndexUnavailableError(self._message) from exc

        return call


def check_fingerprint(stored: str, expected: str, where: str) -> None:
    """Refuse to serve a shared index that this process would read wrongly."""
    if not stored:
        raise IndexMismatchError(
            f"The index at {where} is empty. Build it once with `assistant index build` (same "
            "ASSISTANT_CHROMA_HOST/PORT), or start everything with `assistant cluster`."
        )
    if stored == expected:
        return
    have, want = json.loads(stored), json.loads(expected)
    if have.get("embedding") != want.get("embedding"):
        raise IndexMismatchError(
            f"The index at {where} was built with the embedding model {have.get('embedding')!r}, but "
            f"this worker uses {want.get('embedding')!r}: its questions would be compared with vectors "
            "of another model. Start the worker with the index's model (ASSISTANT_EMBEDDING_BACKEND / "
            "ASSISTANT_EMBEDDING_MODEL), or rebuild the shared index for everyone with "
            "`assistant index build`."
        )
    raise IndexMismatchError(
        f"The index at {where} was built with other settings ({stored}; this worker: {expected}). "
        "Rebuild it for everyone with `assistant index build`, or start the worker with the same settings."
    )


def index_fingerprint(settings: Settings) -> str:
    """What the stored vectors and chunks depend on; an index with another one is stale."""
    s = settings
    return json.dumps(
        {
            "schema": SCHEMA_VERSION,
            "embedding": s.embedding_id,
            "encoding": s.encoding_name,
            "chunk_tokens": s.chunk_tokens,
            "overlap": s.chunk_overlap_sentences,
            "headers": s.contextual_headers,
        },
        sort_keys=True,
    )


def sentence_id(doc_id: str, section: str, lang: str, text: str) -> str:
    return hashlib.sha1(f"{doc_id}\x1f{section}\x1f{lang}\x1f{text}".encode()).hexdigest()[:24]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def sentence_spans(chunk: Chunk) -> str:
    """Where the chunk's sentences lie in its text, as stored metadata ``"a:b,c:d"``."""
    spans, cursor = [], 0
    for sentence in chunk.sentences:
        at = chunk.text.find(sentence, cursor)
        if at < 0:  # cannot happen for chunks cut from their section; keep the text whole then
            return f"0:{len(chunk.text)}"
        spans.append(f"{at}:{at + len(sentence)}")
        cursor = at + len(sentence)
    return ",".join(spans) or f"0:{len(chunk.text)}"


def split_sentences(text: str, meta: dict) -> list[str]:
    """A stored chunk's sentences, cut where chunking cut them."""
    spans = str(meta.get("sentence_spans") or f"0:{len(text)}")
    out = []
    for span in spans.split(","):
        a, b = (int(x) for x in span.split(":"))
        out.append(text[a:b])
    return out


# Chunk fields a sentence row does not repeat (everything else, e.g. pages, is copied).
_CHUNK_ONLY = ("sentence_spans", "n_sentences", "tokens", "char_end", "source")


def sentence_rows(chunk_id: str, text: str, meta: dict) -> list[tuple[str, str, dict]]:
    """The sentence rows of a stored chunk: ``(id, text, metadata)``."""
    rows = []
    for pos, sentence in enumerate(split_sentences(text, meta)):
        row_meta = {k: v for k, v in meta.items() if k not in _CHUNK_ONLY}
        row_meta.update(chunk_id=chunk_id, position=pos)
        rows.append((f"{chunk_id}:{pos}", sentence, row_meta))
    return rows


class Index:
    """Chroma-backed store of chunks and sentences for one embedding space."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.shared = bool(settings.chroma_host)  # on a Chroma server that other workers use too
        self.client = make_client(settings)  # first: an unreachable server fails before the model loads
        self.embeddings = get_embeddings(settings)
        self._ef = ChromaEmbeddingAdapter(self.embeddings)
        self._seen: tuple[float, str] | None = None  # (monotonic time, version) of the last read
        self._cache: EmbeddingCache | None = None
        self._guarded(self._open)

    @property
    def where(self) -> str:
        s = self.settings
        return f"{s.chroma_host}:{s.chroma_port}" if self.shared else str(s.index_dir)

    def _guarded(self, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except _TRANSPORT_ERRORS as exc:
            raise IndexUnavailableError(unreachable_message(self.settings)) from exc

    # --- collections and fingerprint ---------------------------------------------------

    @property
    def fingerprint(self) -> str:
        return index_fingerprint(self.settings)

    def _collection(self, suffix: str):
        collection = self.client.get_or_create_collection(
            f"{self.settings.collection}_{suffix}",
            embedding_function=self._ef,
            metadata={"hnsw:space": "cosine", "fingerprint": self.fingerprint, "manifest": MANIFEST_FORMAT},
        )
        return _Guarded(collection, unreachable_message(self.settings)) if self.shared else collection

    def _open(self) -> None:
        self.chunks = self._collection("chunks")
        self.sentences = self._collection("sentences")
        # The manifest holds no vectors of ours: a one-dimensional placeholder per row.
        docs = self.client.get_or_create_collection(
            f"{self.settings.collection}_docs", embedding_function=None
        )
        self.docs = _Guarded(docs, unreachable_message(self.settings)) if self.shared else docs
        journal = self.client.get_or_create_collection(
            f"{self.settings.collection}_journal", embedding_function=None
        )
        self.journal = _Guarded(journal, unreachable_message(self.settings)) if self.shared else journal
        meta = self.chunks.metadata or {}
        self.stale = meta.get("fingerprint") != self.fingerprint
        # Indexes built before the manifest existed: every row is live until adopted.
        self.legacy = "manifest" not in meta and self.chunks.count() > 0

    def _reset(self) -> None:
        for suffix in ("chunks", "sentences", "docs", "journal"):
            name = f"{self.settings.collection}_{suffix}"
            if name in {c.name for c in self.client.list_collections()}:
                self.client.delete_collection(name)
        self._open()

    def ensure_servable(self) -> None:
        """A worker on a shared index never rebuilds it: it refuses to serve an index that is
        empty or built with another model or schema, and says what to do."""
        if self.shared:
            meta = self.chunks.metadata or {}
            stored = str(meta.get("fingerprint", "")) if self.chunks.count() else ""
            check_fingerprint(stored, self.fingerprint, self.where)

    @contextmanager
    def _write_lock(self):
        """Serialise writers: a file lock beside a local index, a lease lock on a Chroma server."""
        s = self.settings
        if not self.shared:
            with file_lock(s.index_dir / ".write.lock"):
                yield
            return
        client = _Guarded(self.client, unreachable_message(s))
        lock = LeaseLock(client, f"{s.collection}_writelock", s.index_lock_lease, s.index_lock_wait)
        with lock.hold():
            yield

    @property
    def embedding_cache(self) -> EmbeddingCache | None:
        if self._cache is None and self.settings.embedding_cache:
            path = self.settings.index_dir / "embeddings.sqlite3"
            self._cache = EmbeddingCache(path, self.settings.embedding_id)
        return self._cache

    # --- the manifest ------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The live documents (one manifest read; legacy indexes: every stored chunk)."""
        if self.legacy:
            got = self._read_all(self.chunks, ["metadatas"])
            docs: dict[str, DocRecord] = {}
            for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
                doc_id = str(meta["doc_id"])
                rec = docs.setdefault(
                    doc_id,
                    DocRecord(
                        doc_id, str(meta["kind"]), str(meta.get("doc_title", "")), str(meta.get("source", ""))
                    ),
                )
                rec.chunk_ids.append(cid)
            meta = self._current_metadata()
            version = meta.get("version") or f"{meta.get('built_at', '')}|{self.chunks.count()}"
            return Snapshot(docs, str(version))
        got = self._read_all(self.docs, ["documents", "metadatas"])
        docs = {
            did: DocRecord.from_row(did, body, meta or {})
            for did, body, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False
            )
        }
        stamps = "|".join(sorted(f"{d}:{docs[d].stamp}" for d in docs))
        return Snapshot(docs, hashlib.sha1(stamps.encode()).hexdigest()[:16])

    def version(self, fresh: bool = False) -> str:
        """Changes whenever the live content changes (for in-memory caches).

        A shared index is asked at most every ``index_version_ttl`` seconds (one small request);
        this process's own writes are seen at once. ``fresh`` forces a read.
        """
        ttl = self.settings.index_version_ttl if self.shared else 0.0
        now = time.monotonic()
        if not fresh and self._seen is not None and now - self._seen[0] < ttl:
            return self._seen[1]
        version = self._guarded(self._read_version)
        self._seen = (now, version)
        return version

    def _read_version(self) -> str:
        """The version as stored now: the manifest's stamps (only metadata is read)."""
        if self.legacy:
            meta = self._current_metadata()
            return str(meta.get("version") or f"{meta.get('built_at', '')}|{self.chunks.count()}")
        got = self._read_all(self.docs, ["metadatas"])
        metas = got["metadatas"] or []
        stamps = sorted(f"{d}:{(m or {}).get('stamp', '')}" for d, m in zip(got["ids"], metas, strict=False))
        return hashlib.sha1("|".join(stamps).encode()).hexdigest()[:16]

    def _current_metadata(self) -> dict:
        """The chunk collection's metadata as stored now (a client's copy does not refresh)."""
        name = f"{self.settings.collection}_chunks"
        return dict(self.client.get_collection(name, embedding_function=self._ef).metadata or {})

    def is_empty(self) -> bool:
        return not self.snapshot().docs

    def documents(self) -> list[DocRecord]:
        """The library: every live document, oldest first."""
        return sorted(self.snapshot().docs.values(), key=lambda r: (r.added, r.doc_id))

    def _switch(self, rec: DocRecord) -> None:
        """Make ``rec`` the live version of its document: one single-row write."""
        rec.stamp = str(time.time_ns())
        doc_id, body, meta = rec.row()
        self.docs.upsert(ids=[doc_id], documents=[body], metadatas=[meta], embeddings=[[1.0]])
        self._seen = None

    def _adopt_legacy(self) -> None:
        """Give a pre-manifest index its manifest (idempotent; readers switch when it is complete)."""
        if not self.legacy:
            return
        for rec in self.snapshot().docs.values():
            rec.added = rec.updated = _now()
            self._switch(rec)
        self._touch()
        self.legacy = False

    def _read_all(self, collection, include: list[str], where: dict | None = None) -> dict:
        """Every row of a collection (matching ``where``), read in pages of ``view_read_page``
        rows (one Chroma ``get()`` of more than ~32k rows fails; docs/scale.md)."""
        from .views import read_all

        return read_all(collection, include, self.settings.view_read_page, where=where)

    def _read_ids(self, collection, ids: list[str], include: list[str]) -> dict:
        """These rows, at most ``view_read_page`` ids per read."""
        from .views import read_ids

        return read_ids(collection, ids, include, self.settings.view_read_page)

    # --- batched writes ----------------------------------------------------------------

    def write_batch_size(self) -> int:
        """Rows per Chroma call: the client's limit, or a smaller configured one."""
        limit = int(self.client.get_max_batch_size())
        wanted = self.settings.max_write_batch
        return max(1, min(limit, wanted)) if wanted else limit

    def _upsert(self, collection, ids, documents, metadatas, embeddings) -> None:
        step = self.write_batch_size()
        for i in range(0, len(ids), step):
            collection.upsert(
                ids=ids[i : i + step],
                documents=documents[i : i + step],
                metadatas=metadatas[i : i + step],
                embeddings=[np.asarray(v, dtype=np.float32) for v in embeddings[i : i + step]],
            )

    def _delete_chunks(self, chunk_ids: Iterable[str]) -> None:
        ids = sorted(chunk_ids)
        step = self.write_batch_size()
        # A few hundred chunks' sentences per filtered delete (it reads the matching rows first).
        sub = max(1, min(step, self.settings.view_read_page // 8))
        for i in range(0, len(ids), step):
            part = ids[i : i + step]
            self.chunks.delete(ids=part)
            for j in range(0, len(part), sub):
                self.sentences.delete(where={"chunk_id": {"$in": part[j : j + sub]}})

    # --- the journal and clean-up ----------------------------------------------------------

    def _journal(self, doc_ids: Iterable[str]) -> list[str]:
        """Record that a write is about to stage or delete rows of these documents (one upsert,
        before anything else is written); returns them for ``_unjournal``."""
        ids = sorted(set(doc_ids))
        step = self.write_batch_size()
        for i in range(0, len(ids), step):
            part = ids[i : i + step]
            self.journal.upsert(
                ids=[_JOURNALED + d for d in part],
                documents=part,
                metadatas=[{"doc_id": d, "since": _now()} for d in part],
                embeddings=[[1.0]] * len(part),
            )
        return ids

    def _unjournal(self, doc_ids: Iterable[str]) -> None:
        """The write on these documents is complete: every row of theirs is named or deleted."""
        ids = [_JOURNALED + d for d in sorted(set(doc_ids))]
        step = self.write_batch_size()
        for i in range(0, len(ids), step):
            self.journal.delete(ids=ids[i : i + step])

    def _scan_stamp(self) -> dict[str, str]:
        """The collections a full clean-up covers; recreated collections need another one."""
        return {s: str(getattr(self, s).id) for s in ("chunks", "sentences", "docs")}

    def cleanup(self) -> tuple[int, int]:
        """Remove rows no live document names (staged, never switched; or replaced).

        Only documents the journal names are looked at (writes a kill -9 interrupted); a full
        scan runs instead when no full scan has covered these collections yet (a new, legacy or
        copied index, or a journal that cannot be read). Returns (chunks, sentences) removed.
        """
        got = self._read_all(self.journal, ["metadatas"])
        entries = dict(zip(got["ids"], got["metadatas"] or [], strict=False))
        scanned = entries.pop(_SCANNED, None)
        dirty = {str((m or {}).get("doc_id", "")) for m in entries.values()}
        if scanned != self._scan_stamp() or "" in dirty:
            removed = self.full_cleanup()
            self.journal.upsert(
                ids=[_SCANNED], documents=[""], metadatas=[self._scan_stamp()], embeddings=[[1.0]]
            )
        else:
            removed = self._cleanup_documents(sorted(dirty))
        if entries:
            step = self.write_batch_size()
            ids = sorted(entries)
            for i in range(0, len(ids), step):
                self.journal.delete(ids=ids[i : i + step])
        return removed

    def _cleanup_documents(self, doc_ids: list[str]) -> tuple[int, int]:
        """Remove the rows of these documents that no live document names."""
        if not doc_ids:
            return 0, 0
        active = self.snapshot().active
        staged: list[str] = []
        orphans: list[str] = []
        sub = max(1, self.settings.view_read_page // 8)  # doc ids per filtered read
        for i in range(0, len(doc_ids), sub):
            where = {"doc_id": {"$in": doc_ids[i : i + sub]}}
            staged += [cid for cid in self._read_all(self.chunks, [], where)["ids"] if cid not in active]
            got = self._read_all(self.sentences, ["metadatas"], where)
            orphans += [
                sid
                for sid, meta in zip(got["ids"], got["metadatas"] or [], strict=False)
                if str((meta or {}).get("chunk_id")) not in active
            ]
        return self._delete_rows(staged, orphans)

    def full_cleanup(self) -> tuple[int, int]:
        """Remove every row no live document names, reading every row id of both collections."""
        active = self.snapshot().active
        staged = [cid for cid in self._read_all(self.chunks, [])["ids"] if cid not in active]
        got = self._read_all(self.sentences, ["metadatas"])
        orphans = [
            sid
            for sid, meta in zip(got["ids"], got["metadatas"] or [], strict=False)
            if str((meta or {}).get("chunk_id")) not in active
        ]
        return self._delete_rows(staged, orphans)

    def _delete_rows(self, chunk_ids: list[str], sentence_ids: list[str]) -> tuple[int, int]:
        step = self.write_batch_size()
        for i in range(0, len(chunk_ids), step):
            self.chunks.delete(ids=chunk_ids[i : i + step])
        for i in range(0, len(sentence_ids), step):
            self.sentences.delete(ids=sentence_ids[i : i + step])
        return len(chunk_ids), len(sentence_ids)

    def _prepare(self) -> bool:
        """Start of every write (under the lock): rebuild if stale, adopt, clean up. True if rebuilt."""
        self._open()
        rebuilt = False
        if self.stale:
            self._reset()
            rebuilt = True
        self._adopt_legacy()
        self.cleanup()
        return rebuilt

    # --- sync --------------------------------------------------------------------------

    def chunk(self, doc: Document) -> list[Chunk]:
        s = self.settings
        return chunk_document(doc, s.chunk_tokens, s.chunk_overlap_sentences, s.encoding_name)

    def sync_documents(
        self,
        docs: Iterable[Document],
        prune_kinds: Iterable[str] = (),
        progress: Progress | None = None,
        details: dict[str, dict] | None = None,
        defer_sentences: bool | None = None,
    ) -> SyncReport:
        """Make the index hold exactly these documents' chunks (plus others not pruned).

        Per document: new chunks are embedded (through the cache) and staged in batches, then
        the document switches to its new version in one manifest write, then rows the old
        version alone used are deleted. Unchanged chunks are kept, not re-embedded; documents
        of ``prune_kinds`` that are not in ``docs`` are removed. ``details`` gives library
        fields per doc_id (``source``, ``pages``, ``content_hash``). Sentence vectors follow
        at once unless deferred (then call ``complete_sentences``).
        """
        docs = list(docs)
        details = details or {}
        report = SyncReport(documents=[d.doc_id for d in docs])
        with self._write_lock():
            report.rebuilt = self._prepare()
            live = self.snapshot().docs
            planned = {d.doc_id: (d, self.chunk(d)) for d in docs}
            fresh, dropped = {}, {}
            for doc_id, (_, chunks) in planned.items():
                have = set(live[doc_id].chunk_ids) if doc_id in live else set()
                fresh[doc_id] = [c for c in chunks if c.id not in have]
                dropped[doc_id] = have - {c.id for c in chunks}
            prune = set(prune_kinds)
            pruned = [d for d, rec in live.items() if d not in planned and rec.kind in prune]
            touched = self._journal([d for d in planned if fresh[d] or dropped[d]] + pruned)
            total, done = sum(len(v) for v in fresh.values()), 0
            for doc_id, (doc, chunks) in planned.items():
                old = live.get(doc_id)
                have = set(old.chunk_ids) if old else set()
                want = [c.id for c in chunks]
                report.unchanged += len(have & set(want))
                info = details.get(doc_id, {})
                same_info = all(getattr(old, k, None) == v for k, v in info.items())
                if old and old.chunk_ids == want and not fresh[doc_id] and same_info:
                    continue
                done = self._stage_chunks(fresh[doc_id], progress, done, total)
                rec = DocRecord(
                    doc_id=doc_id,
                    kind=doc.kind,
                    title=doc.title,
                    source=str(info.get("source", old.source if old else doc.path)),
                    pages=int(info.get("pages", doc.meta.get("pages", 0) if doc.meta else 0) or 0),
                    added=old.added if old and old.added else _now(),
                    updated=_now(),
                    content_hash=str(info.get("content_hash", old.content_hash if old else "")),
                    chunk_ids=want,
                    pending=((old.pending if old else set()) & set(want)) | {c.id for c in fresh[doc_id]},
                )
                self._switch(rec)
                self._delete_chunks(have - set(want))
                report.added += len(fresh[doc_id])
                report.removed += len(have - set(want))
            for doc_id in pruned:
                rec = live[doc_id]
                self.docs.delete(ids=[doc_id])
                self._seen = None
                self._delete_chunks(rec.chunk_ids)
                report.removed += len(rec.chunk_ids)
            if report.added or report.removed or report.rebuilt:
                self._touch()
            self._unjournal(touched)
        defer = self.settings.defer_sentences if defer_sentences is None else defer_sentences
        if not defer:
            self.complete_sentences(progress)
        report.sentences_pending = len(self.snapshot().pending)
        return report

    def _stage_chunks(self, chunks: list[Chunk], progress: Progress | None, done: int, total: int) -> int:
        """Embed and write chunks under no live document yet (invisible to readers)."""
        if not chunks:
            return done
        texts = [self._embed_text(c) for c in chunks]

        def write(count: int, positions: list[int], vectors: np.ndarray) -> None:
            part = [chunks[i] for i in positions]
            self._upsert(
                self.chunks,
                [c.id for c in part],
                [c.text for c in part],
                [self._chunk_meta(c) for c in part],
                list(vectors),
            )
            if progress:
                progress(done + count, total, "chunks")

        embed_with_cache(
            texts, self.embeddings.encode_passages, self.embedding_cache, self.settings.embed_batch, write
        )
        return done + len(chunks)

    @staticmethod
    def _chunk_meta(chunk: Chunk) -> dict:
        return {
            **chunk.metadata(),
            "n_sentences": len(chunk.sentences),
            "sentence_spans": sentence_spans(chunk),
        }

    def complete_sentences(self, progress: Progress | None = None) -> int:
        """Embed and switch in the sentence vectors of every document that still lacks them.

        Per document: rows are written (invisible while the chunk is pending), then one
        manifest write marks them live. Returns the number of sentence rows written.
        """
        written = 0
        with self._write_lock():
            self._open()
            if self.stale or self.legacy:
                return 0
            todo = [rec for rec in self.snapshot().docs.values() if rec.pending]
            rows_by_doc = {}
            for rec in todo:
                got = self._read_ids(self.chunks, sorted(rec.pending), ["documents", "metadatas"])
                rows_by_doc[rec.doc_id] = [
                    row
                    for cid, text, meta in zip(
                        got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False
                    )
                    for row in sentence_rows(cid, text, meta)
                ]
            total = sum(len({r[1] for r in rows}) for rows in rows_by_doc.values())
            done = 0
            for rec in todo:
                rows = rows_by_doc[rec.doc_id]
                unique = list(dict.fromkeys(r[1] for r in rows))

                def tick(count: int, _pos, _vecs, base: int = done) -> None:
                    if progress:
                        progress(base + count, total, "sentences")

                vecs = embed_with_cache(
                    unique,
                    self.embeddings.encode_passages,
                    self.embedding_cache,
                    self.settings.embed_batch,
                    tick,
                )
                by_text = dict(zip(unique, vecs, strict=True)) if unique else {}
                self._upsert(
                    self.sentences,
                    [r[0] for r in rows],
                    [r[1] for r in rows],
                    [r[2] for r in rows],
                    [by_text[r[1]] for r in rows],
                )
                rec.pending = set()
                self._switch(rec)
                done += len(unique)
                written += len(rows)
        return written

    def remove_documents(self, doc_ids: Iterable[str]) -> int:
        """Delete these documents (manifest first, then their rows); returns chunks removed."""
        ids = list(doc_ids)
        removed = 0
        with self._write_lock():
            self._open()
            self._adopt_legacy()
            live = self.snapshot().docs
            touched = self._journal(d for d in ids if d in live)
            for doc_id in touched:
                rec = live[doc_id]
                self.docs.delete(ids=[doc_id])
                self._seen = None
                self._delete_chunks(rec.chunk_ids)
                removed += len(rec.chunk_ids)
            if removed:
                self._touch()
            self._unjournal(touched)
        return removed

    def _embed_text(self, chunk: Chunk) -> str:
        """Text embedded for a chunk: with its section title as a header when configured.

        The header gives short passages the context a reader has from the heading above them.
        """
        return self._embed_text_of(chunk.text, {"section_title": chunk.section_title})

    def _touch(self) -> None:
        meta = dict(self.chunks.metadata or {})
        meta.pop("hnsw:space", None)
        meta["built_at"] = _now()
        meta["fingerprint"] = self.fingerprint
        meta["manifest"] = MANIFEST_FORMAT
        meta["version"] = uuid.uuid4().hex  # legacy readers rebuild their caches when this changes
        self.chunks.modify(metadata=meta)
        self._seen = None

    # --- reading (live rows only) --------------------------------------------------------

    def active_chunks(
        self, snap: Snapshot | None = None, embeddings: bool = False
    ) -> tuple[list[str], list[str], list[dict], np.ndarray | None]:
        """Ids, texts, metadata (and vectors) of every live chunk."""
        snap = snap or self.snapshot()
        active = snap.active
        got = self._read_all(self.chunks, ["documents", "metadatas"])
        keep = [i for i, cid in enumerate(got["ids"]) if cid in active]
        ids = [got["ids"][i] for i in keep]
        texts = [(got["documents"] or [])[i] for i in keep]
        metas = [(got["metadatas"] or [])[i] for i in keep]
        vecs = None
        if embeddings:
            embedded = [self._embed_text_of(t, m) for t, m in zip(texts, metas, strict=True)]
            vecs = self.vectors(self.chunks, ids, embedded)
        return ids, texts, metas, vecs

    def vectors(self, collection, ids: list[str], texts: list[str]) -> np.ndarray:
        """Stored vectors of these rows: from the embedding cache (SQLite, crash-safe), else
        from Chroma, else computed again.

        Reading through the cache keeps answers working even when a kill -9 hit Chroma
        while it persisted its vector segment (its ``get(include=embeddings)`` can then fail
        with "Error finding id" while documents and metadata are intact).
        """
        if not ids:
            return np.zeros((0, 1), dtype=np.float32)
        cache = self.embedding_cache
        found = cache.get_many(texts) if cache else {}
        missing = [i for i in range(len(ids)) if i not in found]
        if missing:
            try:
                step = min(self.write_batch_size(), self.settings.view_read_page)
                for start in range(0, len(missing), step):
                    part = missing[start : start + step]
                    got = collection.get(ids=[ids[i] for i in part], include=["embeddings"])
                    by_id = dict(zip(got["ids"], got["embeddings"], strict=False))
                    hit = [i for i in part if ids[i] in by_id]
                    vecs = [np.asarray(by_id[ids[i]], dtype=np.float32) for i in hit]
                    found.update(zip(hit, vecs, strict=True))
                    if cache and hit:  # next time from the cache
                        cache.put_many([texts[i] for i in hit], np.vstack(vecs))
            except Exception:  # noqa: BLE001 - a damaged vector segment: compute them again below
                pass
            again = [i for i in missing if i not in found]
            if again:
                fresh = self.embeddings.encode_passages([texts[i] for i in again])
                if cache:
                    cache.put_many([texts[i] for i in again], fresh)
                found.update(zip(again, fresh, strict=True))
        return np.vstack([found[i] for i in range(len(ids))]).astype(np.float32)

    def _embed_text_of(self, text: str, meta: dict) -> str:
        """What was embedded for a stored chunk (see ``_embed_text``)."""
        if not self.settings.contextual_headers:
            return text
        return f"{meta.get('section_title', '')}\n{text}"

    def all_chunks(self) -> tuple[list[str], list[str], list[dict]]:
        """Ids, texts and metadata of every live chunk (for lexical search)."""
        ids, texts, metas, _ = self.active_chunks()
        return ids, texts, metas

    def active_sentences(self, snap: Snapshot | None = None) -> list[dict]:
        """Sentence rows of live chunks: stored vectors, or for chunks whose sentences are
        still pending, the chunk's own sentences carrying the chunk vector."""
        snap = snap or self.snapshot()
        active, pending = snap.active, snap.pending
        got = self._read_all(self.sentences, ["documents", "metadatas"])
        live = [
            (sid, text, meta)
            for sid, text, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False
            )
            if str(meta.get("chunk_id")) in active and str(meta.get("chunk_id")) not in pending
        ]
        vecs = self.vectors(self.sentences, [r[0] for r in live], [r[1] for r in live])
        rows = [
            {"id": sid, "text": text, "meta": meta, "vec": vec}
            for (sid, text, meta), vec in zip(live, vecs, strict=False)
        ]
        if pending:
            chunks = self._read_ids(self.chunks, sorted(pending), ["documents", "metadatas"])
            cids, texts, metas = chunks["ids"], chunks["documents"] or [], chunks["metadatas"] or []
            embedded = [self._embed_text_of(t, m) for t, m in zip(texts, metas, strict=True)]
            chunk_vecs = self.vectors(self.chunks, cids, embedded)
            for cid, text, meta, vector in zip(cids, texts, metas, chunk_vecs, strict=False):
                for sid, sentence, smeta in sentence_rows(cid, text, meta):
                    rows.append({"id": sid, "text": sentence, "meta": smeta, "vec": vector, "standin": True})
        return rows

    def status(self) -> IndexStatus:
        """Documents, chunks by kind, model, last build time and a consistency check."""
        snap = self.snapshot()
        got = self._read_all(self.chunks, ["metadatas"])
        stored = dict(zip(got["ids"], got["metadatas"] or [], strict=False))
        sent = self._read_all(self.sentences, ["metadatas"])
        per_chunk = Counter(str((m or {}).get("chunk_id")) for m in sent["metadatas"] or [])
        active, pending = snap.active, snap.pending
        problems: list[str] = []
        kinds: Counter[str] = Counter()
        sentences = 0
        for rec in snap.docs.values():
            missing = [cid for cid in rec.chunk_ids if cid not in stored]
            if missing:
                problems.append(f"{rec.doc_id}: {len(missing)} of {len(rec.chunk_ids)} chunks missing")
            kinds[rec.kind] += len(rec.chunk_ids) - len(missing)
            expected = actual = 0
            for cid in rec.chunk_ids:
                if cid in rec.pending or cid not in stored:
                    continue
                n = int(stored[cid].get("n_sentences", 0) or 0)
                expected += n or (1 if per_chunk[cid] == 0 else per_chunk[cid])
                actual += per_chunk[cid]
            sentences += actual
            if expected != actual:
                problems.append(f"{rec.doc_id}: {actual} sentences stored, {expected} expected")
        meta = self._guarded(self._current_metadata)  # another worker may have changed it
        return IndexStatus(
            documents={d: r.kind for d, r in snap.docs.items()},
            chunks_by_kind=dict(sorted(kinds.items())),
            sentences=sentences,
            model=self.settings.embedding_id,
            fingerprint=str(meta.get("fingerprint", "")),
            built_at=str(meta.get("built_at", "never")),
            stale=self.stale,
            consistent=not problems,
            problems=problems,
            staged_chunks=sum(1 for cid in stored if cid not in active),
            staged_sentences=sum(n for cid, n in per_chunk.items() if cid not in active or cid in pending),
            sentences_pending={r.doc_id: len(r.pending) for r in snap.docs.values() if r.pending},
        )


# --- corpus-level operations ------------------------------------------------------------


def user_docs_dir(settings: Settings) -> Path:
    """Where extracted copies of users' documents are kept (so a rebuild can re-read them)."""
    return settings.data_dir / "user_docs"


def load_saved_user_documents(settings: Settings) -> list[Document]:
    from .extract import document_from_record

    folder = user_docs_dir(settings)
    docs = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        docs.append(document_from_record(json.loads(path.read_text(encoding="utf-8"))))
    return docs


def save_user_document(settings: Settings, doc: Document) -> None:
    """Keep the extracted sections (with pages) so a rebuild does not need the original file."""
    from .extract import document_record

    folder = user_docs_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    record = document_record(doc)
    tmp = folder / f"{doc.doc_id}.json.tmp"
    tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    tmp.replace(folder / f"{doc.doc_id}.json")


def build_index(settings: Settings, progress: Progress | None = None) -> tuple[Index, SyncReport]:
    """Sync the shipped corpus (and saved user documents after a rebuild) into the index."""
    index = Index(settings)
    rebuilding = index.stale
    corpus = load_corpus(settings.corpus_dir)
    report = index.sync_documents(corpus, prune_kinds=SHIPPED_KINDS, progress=progress)
    if rebuilding:
        saved = load_saved_user_documents(settings)
        if saved:
            index.sync_documents(saved, progress=progress)
    index.complete_sentences(progress)  # also those a killed ingest left pending
    return index, report


__all__ = [
    "DocRecord",
    "Index",
    "IndexMismatchError",
    "IndexUnavailableError",
    "IndexStatus",
    "SyncReport",
    "build_index",
    "save_user_document",
    "load_saved_user_documents",
]
