"""Documents and their sections: the shipped corpus (paper, translation, digests, notes) and users' files."""

from __future__ import annotations

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


class CorpusError(ValueError):
    """A corpus or user document cannot be read; the message says what to fix."""


@dataclass(frozen=True)
class Section:
    """One citable unit: a paper section (``5.1``), its digest, a method note part or a user heading."""

    id: str  # paper section id ("0", "5", "5.1"); "" for user documents (never mixed with the paper's)
    title: str
    text: str
    lang: str
    start: int  # character offset of ``text`` in the source file
    editorial_title: bool = False
    # Users' documents: their own section id (numbering "2.1", else the heading path) and the
    # pages of each paragraph as (offset in ``text``, first page, last page), 1-based.
    user_section: str = ""
    pages: tuple[tuple[int, int, int], ...] = ()


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


# --- users' own documents (extraction lives in ``assistant.extract``) ---------------------


def load_user_document(path: Path, detect_lang=None) -> Document:
    """Read a user's .md/.txt/.pdf/.docx into a Document of kind ``user`` (see ``assistant.extract``)."""
    from .extract import load_user_document as load

    return load(path, detect_lang)
