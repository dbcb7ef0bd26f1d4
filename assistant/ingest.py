"""Adding and removing users' own documents (kind ``user``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings
from .corpus import CorpusError, Document
from .extract import load_user_document
from .index import Index, Progress, SyncReport, save_user_document, user_docs_dir


@dataclass
class IngestResult:
    documents: list[Document] = field(default_factory=list)
    report: SyncReport = field(default_factory=SyncReport)
    errors: dict[str, str] = field(default_factory=dict)  # file name -> actionable message


def ingest_files(
    settings: Settings, paths: list[Path], progress: Progress | None = None, index: Index | None = None
) -> IngestResult:
    """Read, chunk and embed the files, then write them to the index in one step.

    Unreadable or empty files are reported and skipped; they never touch the index.
    """
    result = IngestResult()
    for path in paths:
        try:
            doc = load_user_document(Path(path), settings=settings)
        except CorpusError as exc:
            result.errors[Path(path).name] = str(exc)
            continue
        result.documents.append(doc)
    if not result.documents:
        return result
    index = index or Index(settings)
    result.report = index.sync_documents(result.documents, progress=progress)
    for doc in result.documents:  # keep a copy so a model change can rebuild them
        save_user_document(settings, doc)
    return result


def remove_user_documents(settings: Settings, doc_ids: list[str], index: Index | None = None) -> int:
    """Remove users' documents from the index and from the saved copies."""
    index = index or Index(settings)
    removed = index.remove_documents(doc_ids)
    for doc_id in doc_ids:
        (user_docs_dir(settings) / f"{doc_id}.json").unlink(missing_ok=True)
    return removed
