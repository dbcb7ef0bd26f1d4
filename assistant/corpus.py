"""Documents and their sections: the shipped corpus (paper, translation, digests, notes) and users' files."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

Kind = Literal["paper", "translation", "digest", "method", "question", "user"]
KINDS: tuple[str, ...] = ("paper", "translation", "digest", "method", "question", "user")
# Kinds that are sources a consultant can cite; "question" documents only help the search.
CITABLE_KINDS: tuple[str, ...] = ("paper", "translation", "digest", "method", "user")
SHIPPED_KINDS: tuple[str, ...] = ("paper", "translation", "digest", "method", "question")
USER_SUFFIXES = (".md", ".markdown", ".txt", ".pdf", ".docx")

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_SECTION_HEADING = re.compile(r"^##[ \t]+(\d+(?:\.\d+)?)[ \t]+(.+?)[ \t]*$", re.M)
_LANG_HEADING = re.compile(r"^##[ \t]+(de|en)[ \t]*$", re.M)
_ANY_HEADING = re.compile(r"^(#{1,3})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)


class CorpusError(ValueError):
    """A corpus or user document cannot be read; the message says what to fix."""


@dataclass(frozen=True)
class Section:
    """One citable unit: a paper section (``5.1``), its digest, a method note part or a user heading."""

    id: str  # paper section id ("0", "5", "5.1"); "" for user documents
    title: str
    text: str
    lang: str
    start: int  # character offset of ``text`` in the source file
    editorial_title: bool = False


@dataclass
class Document:
    """A source document with metadata and ordered sections."""

    doc_id: str
    kind: str
    title: str
    lang: str
    path: str
    sections: list[Section]
    meta: dict[str, Any] = field(default_factory=dict)


def _split_front_matter(raw: str, path: Path) -> tuple[dict[str, Any], int]:
    match = _FRONT_MATTER.match(raw)
    if not match:
        return {}, 0
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise CorpusError(f"{path}: the front matter is not valid YAML ({exc}).") from exc
    if not isinstance(meta, dict):
        raise CorpusError(f"{path}: the front matter must be a YAML mapping.")
    return meta, match.end()


def _sections_between(raw: str, headings: list[re.Match[str]], end: int | None = None):
    for i, heading in enumerate(headings):
        stop = headings[i + 1].start() if i + 1 < len(headings) else (end or len(raw))
        body = raw[heading.end() : stop]
        lead = len(body) - len(body.lstrip())
        yield heading, body.strip(), heading.end() + lead


def parse_markdown(path: Path, raw: str | None = None) -> Document:
    """Parse a corpus Markdown file (front matter + ``## <id> <title>`` or ``## de``/``## en``)."""
    raw = path.read_text(encoding="utf-8") if raw is None else raw
    meta, body_start = _split_front_matter(raw, path)
    kind = meta.get("kind")
    if kind not in SHIPPED_KINDS:
        raise CorpusError(f"{path}: front matter needs 'kind' of {', '.join(SHIPPED_KINDS)}.")
    doc_id = str(meta.get("doc_id") or path.stem)
    title = str(meta.get("title") or doc_id)
    editorial = {str(s) for s in meta.get("editorial_titles", [])}
    sections: list[Section] = []
    if kind == "method":
        paper_sections = [str(s) for s in meta.get("sections", [])]
        if not paper_sections:
            raise CorpusError(f"{path}: a method note must list the paper 'sections' it draws on.")
        heads = list(_LANG_HEADING.finditer(raw, body_start))
        for head, text, start in _sections_between(raw, heads):
            lang = head.group(1)
            sec_title = str(meta.get("title_en") if lang == "en" else title) or title
            sections.append(Section(paper_sections[0], sec_title, text, lang, start, True))
        meta["sections"] = paper_sections
    else:
        heads = list(_SECTION_HEADING.finditer(raw, body_start))
        lang = str(meta.get("lang", "de"))
        for head, text, start in _sections_between(raw, heads):
            sid = head.group(1)
            own_title = sid in editorial or kind in ("translation", "digest", "question")
            sections.append(Section(sid, head.group(2), text, lang, start, own_title))
    if not sections:
        raise CorpusError(f"{path}: no sections found (expected '## <id> <title>' headings).")
    return Document(doc_id, kind, title, str(meta.get("lang", "de")), str(path), sections, meta)


def load_corpus(corpus_dir: Path) -> list[Document]:
    """Load every shipped document below ``corpus_dir`` (paper, translation, digests, notes, questions)."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"Corpus folder {corpus_dir} does not exist; set ASSISTANT_CORPUS_DIR.")
    docs = [
        parse_markdown(p)
        for p in sorted(corpus_dir.rglob("*.md"))
        if p.name.lower() != "readme.md" and "user" not in p.relative_to(corpus_dir).parts
    ]
    ids = [d.doc_id for d in docs]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise CorpusError(f"Duplicate doc_id in {corpus_dir}: {', '.join(dupes)}.")
    return docs


# --- users' own documents -------------------------------------------------------------


def _extract_text(path: Path) -> str:
    suffix = path.suffix.lower()
    try:
        if suffix in (".md", ".markdown", ".txt"):
            data = path.read_bytes()
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                return data.decode("cp1252")
        if suffix == ".pdf":
            from pypdf import PdfReader

            reader = PdfReader(str(path))
            return "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)
        if suffix == ".docx":
            import docx

            lines = []
            for para in docx.Document(str(path)).paragraphs:
                style = (para.style.name or "").lower() if para.style is not None else ""
                text = para.text.strip()
                if not text:
                    continue
                lines.append(f"## {text}" if style.startswith("heading") else text)
            return "\n\n".join(lines)
    except CorpusError:
        raise
    except Exception as exc:  # broken PDFs/DOCX raise many different types
        raise CorpusError(f"{path.name}: the file could not be read ({exc}).") from exc
    raise CorpusError(
        f"{path.name}: unsupported file type '{suffix}'. Use one of {', '.join(USER_SUFFIXES)}."
    )


def user_doc_id(path: Path) -> str:
    """Stable id for a user's file: its name plus a short hash of the name."""
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:40] or "doc"
    return f"user-{slug}-{hashlib.sha1(path.name.encode()).hexdigest()[:6]}"


def load_user_document(path: Path, detect_lang=None) -> Document:
    """Read a user's .md/.txt/.pdf/.docx into a Document of kind ``user``.

    Raises CorpusError with an actionable message for missing, unsupported or empty files.
    """
    if not path.is_file():
        raise CorpusError(f"{path}: file not found.")
    if path.suffix.lower() not in USER_SUFFIXES:
        raise CorpusError(f"{path.name}: unsupported file type. Use one of {', '.join(USER_SUFFIXES)}.")
    text = _extract_text(path).replace("\r\n", "\n").replace("\x00", "")
    if len(text.strip()) < 20:
        raise CorpusError(f"{path.name}: the file has no readable text (is it empty or scanned?).")
    return user_document_from_text(path.name, text, detect_lang, doc_id=user_doc_id(path))


def user_document_from_text(name: str, text: str, detect_lang=None, doc_id: str | None = None):
    """Build a user Document from already extracted text (Markdown headings become sections)."""
    from .language import detect_language

    detect = detect_lang or detect_language
    heads = list(_ANY_HEADING.finditer(text))
    title = Path(name).stem
    sections: list[Section] = []
    if heads and heads[0].start() > 0 and text[: heads[0].start()].strip():
        lead = text[: heads[0].start()]
        sections.append(Section("", title, lead.strip(), detect(lead), len(lead) - len(lead.lstrip())))
    for head, body, start in _sections_between(text, heads):
        if body:
            sections.append(Section("", head.group(2).strip(), body, detect(body), start))
    if not heads:
        sections.append(Section("", title, text.strip(), detect(text), len(text) - len(text.lstrip())))
    if not sections:
        raise CorpusError(f"{name}: the file has headings but no text under them.")
    return Document(
        doc_id or user_doc_id(Path(name)),
        "user",
        title,
        sections[0].lang,
        name,
        sections,
        {"title": title},
    )
