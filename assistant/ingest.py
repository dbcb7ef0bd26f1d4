"""Adding and removing users' own documents (kind ``user``): the library.

A file is read and checked before anything is written; the same content added again
(under any name) is recognised by its hash and not indexed twice; a changed file under the
same name replaces only the chunks that changed (see ``Index.sync_documents``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings
from .corpus import CorpusError, Document
from .extract import load_user_document
from .index import DocRecord, Index, Progress, SyncReport, save_user_document, user_docs_dir


@dataclass
class IngestResult:
    documents: list[Document] = field(default_factory=list)
    report: SyncReport = field(default_factory=SyncReport)
    errors: dict[str, str] = field(default_factory=dict)  # file name -> actionable message
    duplicates: dict[str, str] = field(default_factory=dict)  # file name -> title already present


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def page_count(doc: Document) -> int:
    """Pages of a paged source (PDF), 0 otherwise."""
    if doc.meta and doc.meta.get("pages"):
        return int(doc.meta["pages"])
    last = [p[2] for s in doc.sections for p in getattr(s, "pages", ()) or ()]
    return max(last, default=0)


def ingest_files(
    settings: Settings,
    paths: list[Path],
    progress: Progress | None = None,
    index: Index | None = None,
    sources: dict[Path, str] | None = None,
    complete_sentences: bool = True,
) -> IngestResult:
    """Read, chunk and embed the files, switching each document into the index when complete.

    Unreadable or empty files and duplicates are reported and skipped; they never touch the
    index. Each document is searchable once its chunks are in; its sentence vectors follow
    (here, unless ``complete_sentences`` is False: then ``Index.complete_sentences`` later).
    ``sources`` names the original file where ``paths`` are temporary copies (web uploads).
    """
    result = IngestResult()
    index = index or Index(settings)
    known = {rec.content_hash: rec for rec in index.documents() if rec.content_hash}
    details: dict[str, dict] = {}
    for path in map(Path, paths):
        source = (sources or {}).get(path) or str(path.resolve())
        try:
            doc = load_user_document(path, settings=settings)
            digest = file_hash(path)
        except CorpusError as exc:
            result.errors[path.name] = str(exc)
            continue
        except OSError as exc:
            result.errors[path.name] = f"{path.name}: the file could not be read ({exc.strerror})."
            continue
        same: DocRecord | None = known.get(digest)
        if same is not None and same.doc_id != doc.doc_id:
            result.duplicates[path.name] = same.title or same.doc_id
            continue
        known[digest] = DocRecord(doc.doc_id, doc.kind, doc.title)
        result.documents.append(doc)
        details[doc.doc_id] = {"source": source, "content_hash": digest, "pages": page_count(doc)}
    if not result.documents:
        return result
    for doc in result.documents:  # keep a copy first, so a model change can always rebuild them
        save_user_document(settings, doc)
    try:
        result.report = index.sync_documents(
            result.documents, progress=progress, details=details, defer_sentences=True
        )
        if complete_sentences:
            index.complete_sentences(progress)
            result.report.sentences_pending = len(index.snapshot().pending)
    except Exception as exc:  # Chroma and model errors come in many types
        result.errors["index"] = (
            f"Writing to the index failed ({type(exc).__name__}: {exc}). Documents already "
            "switched in stay complete, the others are not visible. Run the same command again: "
            "vectors computed so far are cached and not computed twice."
        )
    return result


def find_documents(index: Index, names: list[str]) -> tuple[list[DocRecord], list[str]]:
    """Library entries by doc_id, file name, source path or title; and names not found."""
    found, missing = [], []
    docs = index.documents()
    for name in names:
        match = [
            r for r in docs if name in (r.doc_id, r.title, r.source, Path(r.source).name) and r not in found
        ]
        found += match
        if not match:
            missing.append(name)
    return found, missing


def remove_user_documents(settings: Settings, doc_ids: list[str], index: Index | None = None) -> int:
    """Remove users' documents from the index and from the saved copies."""
    index = index or Index(settings)
    removed = index.remove_documents(doc_ids)
    for doc_id in doc_ids:
        (user_docs_dir(settings) / f"{doc_id}.json").unlink(missing_ok=True)
    return removed
