"""The web chat's library: documents listed, uploaded (with progress), removed, and the
"search only in" filter. Plain functions over ``Index``/``ingest``; ``web.py`` wires them in.
"""

from __future__ import annotations

import html
import threading
from pathlib import Path
from typing import Any

from .corpus import SHIPPED_KINDS
from .index import DocRecord, Index
from .ingest import ingest_files, remove_user_documents
from .progress import ProgressMeter
from .retrieval import SearchScope

_sentences_lock = threading.Lock()


def library_rows(docs: list[DocRecord], ui: dict[str, Any]) -> list[list[str]]:
    """One row per document (``index.documents()``, read once by the caller): title, kind, pages,
    chunks, added, source (file name)."""
    return [
        [
            d.title,
            ui["kinds"].get(d.kind, d.kind),
            str(d.pages or "–"),
            str(len(d.chunk_ids)) + (" …" if d.pending else ""),
            d.added[:10],
            Path(d.source).name,
        ]
        for d in docs
    ]


def own_documents(docs: list[DocRecord]) -> list[DocRecord]:
    return [d for d in docs if d.kind == "user"]


def scope_choices(docs: list[DocRecord], ui: dict[str, Any]) -> list[tuple[str, str]]:
    """Choices of the search filter: all, the paper, my documents, then each own document."""
    fixed = [(ui["scope_all"], "all"), (ui["scope_paper"], "paper"), (ui["scope_mine"], "mine")]
    return fixed + [(d.title, f"doc:{d.doc_id}") for d in own_documents(docs)]


def scope_of(choice: str | None) -> SearchScope | None:
    """The retrieval filter for a choice of ``scope_choices``."""
    if not choice or choice == "all":
        return None
    if choice == "paper":
        return SearchScope(kinds=SHIPPED_KINDS)
    if choice == "mine":
        return SearchScope(kinds=("user",))
    if choice.startswith("doc:"):
        return SearchScope(doc_ids=(choice[4:],))
    return None


def complete_sentences_in_background(index: Index) -> threading.Thread | None:
    """Compute pending sentence vectors without blocking the page (one worker at a time)."""
    if not index.snapshot().pending or _sentences_lock.locked():
        return None

    def work() -> None:
        with _sentences_lock:
            try:
                index.complete_sentences()
            except Exception as exc:  # noqa: BLE001 - stays pending; the next upload or build retries
                print(f"Satzvektoren später: {exc}", flush=True)

    thread = threading.Thread(target=work, name="sentence-vectors", daemon=True)
    thread.start()
    return thread


def upload(index: Index, settings, files: list, ui: dict[str, Any], progress=None) -> str:
    """Ingest uploaded files; the documents are searchable when this returns (sentence
    vectors follow in the background). Returns the message for the page (HTML-escaped)."""
    paths = [Path(f if isinstance(f, str) else f.name) for f in (files or [])]
    if not paths:
        return ui["upload_none"]
    meter = ProgressMeter(lang=ui.get("lang", "de"))

    def report(done: int, total: int, what: str) -> None:
        meter.update(done, total, what)
        if progress is not None:
            progress((done, total), desc=meter.line())

    result = ingest_files(
        settings,
        paths,
        progress=report,
        index=index,
        sources={p: p.name for p in paths},
        complete_sentences=False,
    )
    complete_sentences_in_background(index)
    lines = [f"✅ {html.escape(Path(d.path).name)}" for d in result.documents]
    lines += [
        f"ℹ️ {html.escape(n)}: {html.escape(ui['duplicate'].format(title=t))}"
        for n, t in result.duplicates.items()
    ]
    lines += [f"⚠️ {html.escape(n)}: {html.escape(m)}" for n, m in result.errors.items()]
    if result.report.sentences_pending:
        lines.append(ui["sentences_pending"])
    return "\n\n".join(lines)


def remove(index: Index, settings, doc_id: str | None, ui: dict[str, Any], username: str | None) -> str:
    """Remove one own document; with login configured only for a logged-in user."""
    if settings.auth and not username:
        return ui["remove_denied"]
    doc = next((d for d in own_documents(index.documents()) if d.doc_id == doc_id), None)
    if doc is None:
        return ui["remove_none"]
    remove_user_documents(settings, [doc.doc_id], index=index)
    return ui["removed"].format(title=html.escape(doc.title))
