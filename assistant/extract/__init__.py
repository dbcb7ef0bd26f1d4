"""Users' own files (PDF, DOCX, Markdown, text) as Documents of kind ``user``.

Each format module returns ``UserSection``s (heading number or path, title, paragraphs with
pages); this module turns them into the corpus ``Document`` the chunker and the index use, and
saves/loads them so a rebuild of the index does not need the original file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import Settings, get_settings
from ..corpus import USER_SUFFIXES, CorpusError, Document, Section
from .layout import RunningLines
from .model import UserSection

__all__ = [
    "document_from_record",
    "document_record",
    "extract_sections",
    "load_user_document",
    "user_doc_id",
    "user_document_from_text",
]


def extract_sections(path: Path, settings: Settings | None = None) -> list[UserSection]:
    """The file's sections; raises CorpusError with an actionable message if it cannot be read."""
    settings = settings or get_settings()
    suffix = path.suffix.lower()
    try:
        if suffix in (".md", ".markdown", ".txt"):
            from .markdown import read_markdown

            return read_markdown(_decode(path.read_bytes()))
        if suffix == ".pdf":
            from .pdf import read_pdf

            rules = RunningLines(
                settings.extract_header_zone_lines,
                settings.extract_header_min_pages,
                settings.extract_page_number_share,
            )
            return read_pdf(path, rules, settings.extract_short_line_ratio)
        if suffix == ".docx":
            from .docx import read_docx

            return read_docx(path)
    except CorpusError:
        raise
    except Exception as exc:  # broken PDFs/DOCX raise many different types
        raise CorpusError(
            f"{path.name}: the file could not be read ({exc}). Is it damaged or password-protected? "
            "Save it again (e.g. export as PDF) and retry."
        ) from exc
    raise CorpusError(
        f"{path.name}: unsupported file type '{suffix}'. Use one of {', '.join(USER_SUFFIXES)}."
    )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def user_doc_id(path: Path) -> str:
    """Stable id for a user's file: its name plus a short hash of the name."""
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:40] or "doc"
    return f"user-{slug}-{hashlib.sha1(path.name.encode()).hexdigest()[:6]}"


def load_user_document(
    path: Path, detect_lang: Callable[[str], str] | None = None, settings: Settings | None = None
) -> Document:
    """Read a user's .md/.txt/.pdf/.docx into a Document of kind ``user``.

    Raises CorpusError with an actionable message for missing, unsupported or empty files.
    """
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"{path}: file not found. Check the path and try again.")
    if path.suffix.lower() not in USER_SUFFIXES:
        raise CorpusError(f"{path.name}: unsupported file type. Use one of {', '.join(USER_SUFFIXES)}.")
    settings = settings or get_settings()
    sections = extract_sections(path, settings)
    text = "".join(p.text for s in sections for p in s.paragraphs)
    if len(text.strip()) < 20:
        raise CorpusError(
            f"{path.name}: the file has no readable text (is it empty or a scan without a text layer?)."
        )
    return build_document(
        path.name, user_doc_id(path), sections, detect_lang, settings.extract_lang_min_chars
    )


def build_document(
    name: str,
    doc_id: str,
    sections: list[UserSection],
    detect_lang: Callable[[str], str] | None = None,
    lang_min_chars: int = 200,
) -> Document:
    """A ``user`` Document from extracted sections (empty sections are left out)."""
    from ..language import detect_language

    detect = detect_lang or detect_language
    title = Path(name).stem
    whole = "\n\n".join(p.text for s in sections for p in s.paragraphs)
    doc_lang = detect(whole[:5000])
    out: list[Section] = []
    offset = 0
    for s in sections:
        if not s.paragraphs:
            continue
        parts, pages, pos = [], [], 0
        for p in s.paragraphs:
            if p.page:
                pages.append((pos, p.page, p.last_page or p.page))
            parts.append(p.text)
            pos += len(p.text) + 2
        text = "\n\n".join(parts)
        # Language detection is unreliable on a few words: short sections take the document's.
        lang = detect(text) if len(text) >= lang_min_chars else doc_lang
        out.append(Section("", s.title or title, text, lang, offset, False, s.id, tuple(pages)))
        offset += len(text) + 2
    if not out:
        raise CorpusError(f"{name}: the file has headings but no text under them.")
    pages_total = max((p[2] for s in out for p in s.pages), default=0)
    return Document(doc_id, "user", title, doc_lang, name, out, {"title": title, "pages": pages_total})


def user_document_from_text(name: str, text: str, detect_lang=None, doc_id: str | None = None) -> Document:
    """A user Document from Markdown or plain text (headings become sections)."""
    from .markdown import read_markdown

    return build_document(name, doc_id or user_doc_id(Path(name)), read_markdown(text), detect_lang)


def document_record(doc: Document) -> dict[str, Any]:
    """JSON-ready copy of a user Document (sections, pages) for rebuilding the index later."""
    return {
        "doc_id": doc.doc_id,
        "name": doc.path,
        "title": doc.title,
        "lang": doc.lang,
        "meta": doc.meta,
        "sections": [
            {
                "id": s.user_section,
                "title": s.title,
                "text": s.text,
                "lang": s.lang,
                "start": s.start,
                "pages": [list(p) for p in s.pages],
            }
            for s in doc.sections
        ],
    }


def document_from_record(record: dict[str, Any]) -> Document:
    """The Document saved by ``document_record`` (older records hold only Markdown text)."""
    if "sections" not in record:
        return user_document_from_text(record["name"], record["text"], doc_id=record["doc_id"])
    sections = [
        Section(
            "", s["title"], s["text"], s["lang"], s["start"], False, s["id"], tuple(map(tuple, s["pages"]))
        )
        for s in record["sections"]
    ]
    return Document(
        record["doc_id"], "user", record["title"], record["lang"], record["name"], sections, record["meta"]
    )
