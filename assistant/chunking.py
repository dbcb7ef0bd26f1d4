"""Structure-aware chunking: never across a section, paragraph then sentence, tiktoken budget."""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass, field

from .config import Settings
from .corpus import Document, Section
from .sentences import paragraphs, sentences
from .tokens import count_tokens


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage with everything needed to cite it."""

    id: str
    text: str
    doc_id: str
    doc_title: str
    kind: str
    section: str
    section_title: str
    lang: str
    source: str
    char_start: int
    char_end: int
    tokens: int
    sentences: tuple[str, ...] = field(default=(), compare=False)
    user_section: str = ""  # a user document's own section id ("2.1" or heading path)
    page_start: int = 0  # 1-based pages of a PDF passage; 0 where the source has no pages
    page_end: int = 0

    def metadata(self) -> dict[str, str | int | bool]:
        """Flat metadata as stored in Chroma."""
        return {
            "user_section": self.user_section,
            "page_start": self.page_start,
            "page_end": self.page_end,
            "doc_id": self.doc_id,
            "doc_title": self.doc_title,
            "kind": self.kind,
            "section": self.section,
            "section_title": self.section_title,
            "lang": self.lang,
            "source": self.source,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "tokens": self.tokens,
        }


def chunk_id(doc_id: str, section: str, text: str) -> str:
    """Deterministic id: hash of document, section and text."""
    return hashlib.sha1(f"{doc_id}\x1f{section}\x1f{text}".encode()).hexdigest()[:24]


def _units(text: str, budget: int, encoding: str) -> list[tuple[int, int, bool]]:
    """Sentence spans of a section, flagged True where a paragraph ends after them."""
    units: list[tuple[int, int, bool]] = []
    for p_start, p_end in paragraphs(text):
        spans = sentences(text, p_start, p_end)
        for i, (s, e) in enumerate(spans):
            # A single sentence above budget is cut at word boundaries (rare; keeps the budget true).
            if count_tokens(text[s:e], encoding) > budget:
                units.extend(_split_long(text, s, e, budget, encoding, i == len(spans) - 1))
            else:
                units.append((s, e, i == len(spans) - 1))
    return units


def _split_long(text, start, end, budget, encoding, para_end):
    pieces, cur = [], start
    words = [(m.start(), m.end()) for m in __import__("re").finditer(r"\S+", text[start:end])]
    piece_start = None
    for ws, we in words:
        ws, we = ws + start, we + start
        if piece_start is None:
            piece_start = ws
        if count_tokens(text[piece_start:we], encoding) > budget and cur > piece_start:
            pieces.append((piece_start, cur, False))
            piece_start = ws
        cur = we
    if piece_start is not None:
        pieces.append((piece_start, cur, para_end))
    return pieces


def page_range(section: Section, start: int, end: int) -> tuple[int, int]:
    """First and last page of the paragraphs that ``section.text[start:end]`` touches."""
    if not section.pages:
        return 0, 0
    offsets = [p[0] for p in section.pages]
    first = max(bisect.bisect_right(offsets, start) - 1, 0)
    last = max(bisect.bisect_left(offsets, end) - 1, first)
    return section.pages[first][1], max(p[2] for p in section.pages[first : last + 1])


# Defaults are the configured ones (``Settings``); the index always passes its settings.
_BUDGET = Settings.model_fields["chunk_tokens"].default
_OVERLAP = Settings.model_fields["chunk_overlap_sentences"].default
_ENCODING = Settings.model_fields["encoding_name"].default


def chunk_section(
    doc: Document,
    section: Section,
    budget: int = _BUDGET,
    overlap: int = _OVERLAP,
    encoding: str = _ENCODING,
) -> list[Chunk]:
    """Chunks of one section: whole paragraphs while they fit, else sentences; overlap in sentences."""
    text = section.text
    units = _units(text, budget, encoding)
    groups: list[list[tuple[int, int, bool]]] = []
    current: list[tuple[int, int, bool]] = []

    def tokens_of(group):
        return count_tokens(text[group[0][0] : group[-1][1]], encoding) if group else 0

    for unit in units:
        if current and tokens_of([*current, unit]) > budget:
            # Prefer to close the chunk at the last paragraph end inside it.
            cut = max((i for i, u in enumerate(current) if u[2]), default=len(current) - 1)
            if cut < len(current) - 1 and tokens_of(current[: cut + 1]) >= budget // 2:
                groups.append(current[: cut + 1])
                rest = current[cut + 1 :]
            else:
                groups.append(current)
                rest = []
            carry = groups[-1][-overlap:] if overlap else []
            while carry and tokens_of([*carry, *rest, unit]) > budget:
                carry = carry[1:]
            current = [*carry, *rest] if not rest or tokens_of([*carry, *rest]) else rest
            if tokens_of([*current, unit]) > budget:
                if current:
                    groups.append(current)
                current = []
        current.append(unit)
    if current:
        groups.append(current)

    chunks = []
    for group in groups:
        s, e = group[0][0], group[-1][1]
        body = text[s:e]
        page_start, page_end = page_range(section, s, e)
        where = f"{section.id}|{section.title}|{section.lang}"
        if section.user_section or page_start:  # users' documents only: paper ids stay as they are
            where += f"|{section.user_section}|{page_start}-{page_end}"
        chunks.append(
            Chunk(
                id=chunk_id(doc.doc_id, where, body),
                text=body,
                doc_id=doc.doc_id,
                doc_title=doc.title,
                kind=doc.kind,
                section=section.id,
                section_title=section.title,
                lang=section.lang,
                source=doc.path,
                char_start=section.start + s,
                char_end=section.start + e,
                tokens=count_tokens(body, encoding),
                sentences=tuple(text[a:b] for a, b, _ in group),
                user_section=section.user_section,
                page_start=page_start,
                page_end=page_end,
            )
        )
    return chunks


def chunk_document(
    doc: Document, budget: int = _BUDGET, overlap: int = _OVERLAP, encoding: str = _ENCODING
) -> list[Chunk]:
    """All chunks of a document, in order, de-duplicated by id."""
    seen: set[str] = set()
    out: list[Chunk] = []
    for section in doc.sections:
        for chunk in chunk_section(doc, section, budget, overlap, encoding):
            if chunk.id not in seen:
                seen.add(chunk.id)
                out.append(chunk)
    return out
