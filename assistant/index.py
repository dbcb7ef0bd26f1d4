"""The Chroma index: idempotent sync of chunks and sentences, fingerprint, status.

Two collections share one embedding space: ``<name>_chunks`` (retrieval) and
``<name>_sentences`` (sentence vectors for answer composition). Every write is
prepared completely (parse, chunk, embed) before anything in the index changes,
and writers are serialised (a file lock locally, a lease lock on a Chroma server), so a bad
input never corrupts the index. On a server, every change writes a new version token that other
workers poll (``version``) to rebuild their in-memory views.
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
from chromadb.config import Settings as ChromaSettings

from .chunking import Chunk, chunk_document
from .config import Settings
from .corpus import SHIPPED_KINDS, Document, load_corpus
from .embeddings import ChromaEmbeddingAdapter, get_embeddings
from .errors import IndexMismatchError, IndexUnavailableError
from .locks import LeaseLock, file_lock

SCHEMA_VERSION = "4"  # 3: sentences keep their closing brackets and quotes; 4: "(thesis 2.2)." ends one
Progress = Callable[[int, int, str], None]


@dataclass
class SyncReport:
    """What a sync changed."""

    added: int = 0
    removed: int = 0
    unchanged: int = 0
    documents: list[str] = field(default_factory=list)
    rebuilt: bool = False


@dataclass
class IndexStatus:
    """What is in the index and how it was built."""

    documents: dict[str, str]  # doc_id -> kind
    chunks_by_kind: dict[str, int]
    sentences: int
    model: str
    fingerprint: str
    built_at: str
    stale: bool

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


class Index:
    """Chroma-backed store of chunks and sentences for one embedding space."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.shared = bool(settings.chroma_host)  # on a Chroma server that other workers use too
        self.client = make_client(settings)  # first: an unreachable server fails before the model loads
        self.embeddings = get_embeddings(settings)
        self._ef = ChromaEmbeddingAdapter(self.embeddings)
        self._seen: tuple[float, str] | None = None  # (monotonic time, version) of the last read
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
            metadata={"hnsw:space": "cosine", "fingerprint": self.fingerprint},
        )
        return _Guarded(collection, unreachable_message(self.settings)) if self.shared else collection

    def _open(self) -> None:
        self.chunks = self._collection("chunks")
        self.sentences = self._collection("sentences")
        self.stale = (self.chunks.metadata or {}).get("fingerprint") != self.fingerprint

    def _reset(self) -> None:
        for suffix in ("chunks", "sentences"):
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

    # --- sync --------------------------------------------------------------------------

    def chunk(self, doc: Document) -> list[Chunk]:
        s = self.settings
        return chunk_document(doc, s.chunk_tokens, s.chunk_overlap_sentences, s.encoding_name)

    def sync_documents(
        self,
        docs: Iterable[Document],
        prune_kinds: Iterable[str] = (),
        progress: Progress | None = None,
    ) -> SyncReport:
        """Make the index hold exactly these documents' chunks (plus others not pruned).

        Unchanged chunks are kept (not re-embedded); changed or deleted ones leave nothing
        stale; documents of ``prune_kinds`` that are not in ``docs`` are removed.
        """
        docs = list(docs)
        report = SyncReport(documents=[d.doc_id for d in docs])
        with self._write_lock():
            self._open()
            if self.stale:
                self._reset()
                report.rebuilt = True
            planned = {d.doc_id: self.chunk(d) for d in docs}
            existing, kinds = self._existing_ids()
            to_add: list[Chunk] = []
            to_remove: list[str] = []
            for doc_id, chunks in planned.items():
                have = existing.pop(doc_id, set())
                want = {c.id for c in chunks}
                to_add += [c for c in chunks if c.id not in have]
                to_remove += sorted(have - want)
                report.unchanged += len(have & want)
            prune = set(prune_kinds)
            for doc_id, ids in existing.items():
                if kinds.get(doc_id) in prune:
                    to_remove += sorted(ids)
            # Embed everything first: a failure here leaves the index as it was.
            chunk_vecs = self._embed([self._embed_text(c) for c in to_add], progress, "chunks")
            sent_rows = self._sentence_rows(to_add)
            # Overlapping chunks share sentences: embed each distinct text once.
            unique = list(dict.fromkeys(r[1] for r in sent_rows))
            by_text = dict(zip(unique, self._embed(unique, progress, "sentences"), strict=True))
            sent_vecs = [by_text[r[1]] for r in sent_rows]
            if to_add:
                self.chunks.upsert(
                    ids=[c.id for c in to_add],
                    documents=[c.text for c in to_add],
                    metadatas=[c.metadata() for c in to_add],
                    embeddings=chunk_vecs,
                )
                self.sentences.upsert(
                    ids=[r[0] for r in sent_rows],
                    documents=[r[1] for r in sent_rows],
                    metadatas=[r[2] for r in sent_rows],
                    embeddings=sent_vecs,
                )
            if to_remove:
                self.chunks.delete(ids=to_remove)
                self.sentences.delete(where={"chunk_id": {"$in": to_remove}})
            report.added, report.removed = len(to_add), len(to_remove)
            if to_add or to_remove or report.rebuilt:
                self._touch()
        return report

    def remove_documents(self, doc_ids: Iterable[str]) -> int:
        """Delete every chunk of these documents; returns the number of chunks removed."""
        ids = list(doc_ids)
        with self._write_lock():
            found = self.chunks.get(where={"doc_id": {"$in": ids}}, include=[])["ids"]
            if found:
                self.chunks.delete(ids=found)
                self.sentences.delete(where={"doc_id": {"$in": ids}})
                self._touch()
        return len(found)

    def _embed(self, texts: list[str], progress: Progress | None, what: str):
        if not texts:
            return []
        out = []
        step = 32
        for i in range(0, len(texts), step):
            out.extend(self.embeddings.encode_passages(texts[i : i + step]))  # type: ignore[attr-defined]
            if progress:
                progress(min(i + step, len(texts)), len(texts), what)
        return out

    def _embed_text(self, chunk: Chunk) -> str:
        """Text embedded for a chunk: with its section title as a header when configured.

        The header gives short passages the context a reader has from the heading above them.
        """
        if not self.settings.contextual_headers:
            return chunk.text
        return f"{chunk.section_title}\n{chunk.text}"

    def _sentence_rows(self, chunks: list[Chunk]):
        rows, seen = [], set()
        for chunk in chunks:
            for pos, text in enumerate(chunk.sentences):
                sid = f"{chunk.id}:{pos}"
                if sid in seen:
                    continue
                seen.add(sid)
                meta = {
                    "chunk_id": chunk.id,
                    "doc_id": chunk.doc_id,
                    "kind": chunk.kind,
                    "section": chunk.section,
                    "section_title": chunk.section_title,
                    "user_section": chunk.user_section,  # store.section_key groups user sections by it
                    "lang": chunk.lang,
                    "position": pos,
                    "char_start": chunk.char_start,
                }
                rows.append((sid, text, meta))
        return rows

    def _existing_ids(self) -> tuple[dict[str, set[str]], dict[str, str]]:
        """Chunk ids per document and each document's kind, as stored now."""
        got = self.chunks.get(include=["metadatas"])
        by_doc: dict[str, set[str]] = {}
        kinds: dict[str, str] = {}
        for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
            by_doc.setdefault(str(meta["doc_id"]), set()).add(cid)
            kinds[str(meta["doc_id"])] = str(meta["kind"])
        return by_doc, kinds

    def _touch(self) -> None:
        meta = dict(self.chunks.metadata or {})
        meta.pop("hnsw:space", None)
        meta["built_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        meta["fingerprint"] = self.fingerprint
        meta["version"] = uuid.uuid4().hex  # other workers rebuild their caches when this changes
        self.chunks.modify(metadata=meta)
        self._seen = None

    # --- reading -----------------------------------------------------------------------

    def all_chunks(self) -> tuple[list[str], list[str], list[dict]]:
        """Ids, texts and metadata of every chunk (for lexical search)."""
        got = self.chunks.get(include=["documents", "metadatas"])
        return got["ids"], got["documents"] or [], got["metadatas"] or []

    def version(self, fresh: bool = False) -> str:
        """Changes whenever the index content changes (for in-memory caches).

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
        """The version as stored now: the token the last write left."""
        meta = self._current_metadata()
        return str(meta.get("version") or f"{meta.get('built_at', '')}|{self.chunks.count()}")

    def _current_metadata(self) -> dict:
        """The chunk collection's metadata as stored now (a client's copy does not refresh)."""
        name = f"{self.settings.collection}_chunks"
        return dict(self.client.get_collection(name, embedding_function=self._ef).metadata or {})

    def status(self) -> IndexStatus:
        """Documents, chunks by kind, model and last build time."""
        _, _, metas = self.all_chunks()
        docs = {str(m["doc_id"]): str(m["kind"]) for m in metas}
        kinds = Counter(str(m["kind"]) for m in metas)
        meta = self._guarded(self._current_metadata)  # another worker may have changed it
        return IndexStatus(
            documents=docs,
            chunks_by_kind=dict(sorted(kinds.items())),
            sentences=self.sentences.count(),
            model=self.settings.embedding_id,
            fingerprint=str(meta.get("fingerprint", "")),
            built_at=str(meta.get("built_at", "never")),
            stale=self.stale,
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
    return index, report


__all__ = [
    "Index",
    "IndexMismatchError",
    "IndexUnavailableError",
    "IndexStatus",
    "SyncReport",
    "build_index",
    "save_user_document",
    "load_saved_user_documents",
]
