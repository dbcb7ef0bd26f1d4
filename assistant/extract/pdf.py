"""PDF text, pages and sections with pypdfium2 (chosen by measurement: docs/extraction.md).

Sections come from the outline (bookmarks) where the PDF has one, else from numbered headings
("2.1 Vorbereitung") that follow each other in order. Every paragraph keeps its page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .layout import Line, RunningLines, full_line_length, reflow, restore_line_breaks, running_lines
from .model import Outline, Paragraph, UserSection, split_number

_CHAPTER_LINE = re.compile(r"^\s*(?:kapitel|chapter|teil|part)\s+(\d{1,3})\s*$", re.I)


@dataclass(frozen=True)
class _Heading:
    page: int  # 0-based page index
    line: int  # index of the heading's first line on that page
    span: int  # lines the heading occupies (0: from the outline only, not found in the text)
    level: int
    number: str
    title: str


def read_pages(path: Path) -> tuple[list[list[str]], list[tuple[int, str, int]]]:
    """Lines of every page (soft hyphens joined) and the outline as (level, title, page index)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            textpage.close()
            page.close()
            text = restore_line_breaks(text).replace("\r\n", "\n").replace("\r", "\n")
            pages.append(text.split("\n"))
        outline = []
        for item in pdf.get_toc():
            dest = item.get_dest()
            index = dest.get_index() if dest is not None else None
            title = " ".join((item.get_title() or "").split())
            if index is not None and title:
                outline.append((item.level + 1, title, index))
    finally:
        pdf.close()
    return pages, outline


def read_pdf(path: Path, rules: RunningLines, short_ratio: float) -> list[UserSection]:
    """Sections of a PDF with the page of every paragraph."""
    pages, outline = read_pages(path)
    drop = running_lines(pages, rules)
    headings = _outline_headings(pages, drop, outline) if outline else _numbered_headings(pages, drop)
    return _sections(pages, drop, headings, short_ratio)


def _norm(text: str) -> str:
    return re.sub(r"\W+", "", text.casefold())


def _outline_headings(
    pages: list[list[str]], drop: list[set[int]], outline: list[tuple[int, str, int]]
) -> list[_Heading]:
    """Place each bookmark on its line in the text (taking the numbering printed there)."""
    headings: list[_Heading] = []
    cursor = (0, 0)
    for level, raw_title, index in outline:
        own_number, title = split_number(raw_title)
        target = _norm(title)
        index = min(max(index, cursor[0]), len(pages) - 1)
        found = _find_line(pages, drop, target, cursor, (index, index + 1)) if target else None
        if found is None:
            line = cursor[1] if index == cursor[0] else 0
            headings.append(_Heading(index, line, 0, level, own_number, title))
            cursor = (index, line)
            continue
        page, line, span, number = found
        if not number and line > 0 and (chapter := _CHAPTER_LINE.match(pages[page][line - 1])):
            number, line, span = chapter.group(1), line - 1, span + 1
        headings.append(_Heading(page, line, span, level, number or own_number, title))
        cursor = (page, line + span)
    return headings


def _find_line(pages, drop, target: str, cursor: tuple[int, int], candidates: tuple[int, int]):
    for page in candidates:
        if page >= len(pages) or page < cursor[0]:
            continue
        lines = pages[page]
        for j in range(cursor[1] if page == cursor[0] else 0, len(lines)):
            if j in drop[page]:
                continue
            for span in (1, 2):
                number, rest = split_number(" ".join(lines[j : j + span]))
                if _norm(rest) == target:
                    return page, j, span, number
    return None


def _numbered_headings(pages: list[list[str]], drop: list[set[int]]) -> list[_Heading]:
    """Short numbered lines whose numbers continue the previous heading's (1, 1.1, 1.2, 2 …)."""
    headings: list[_Heading] = []
    previous: tuple[int, ...] | None = None
    for p, lines in enumerate(pages):
        for j, line in enumerate(lines):
            if j in drop[p]:
                continue
            number, title = split_number(line)
            if not number or not _looks_like_heading(title):
                continue
            parts = tuple(int(x) for x in number.split("."))
            if _follows(previous, parts):
                headings.append(_Heading(p, j, 1, len(parts), number, title))
                previous = parts
    return headings


def _looks_like_heading(title: str) -> bool:
    return title[0].isupper() and len(title.split()) <= 12 and not title.endswith((".", ",", ";", ":"))


def _follows(previous: tuple[int, ...] | None, parts: tuple[int, ...]) -> bool:
    if previous is None:
        return all(x in (0, 1) for x in parts[1:])
    for k in range(len(previous)):
        if (
            len(parts) > k
            and parts[:k] == previous[:k]
            and parts[k] == previous[k] + 1
            and all(x == 1 for x in parts[k + 1 :])
        ):
            return True
    return (
        parts[: len(previous)] == previous
        and len(parts) > len(previous)
        and all(x == 1 for x in parts[len(previous) :])
    )


def _sections(
    pages: list[list[str]], drop: list[set[int]], headings: list[_Heading], short_ratio: float
) -> list[UserSection]:
    at: dict[tuple[int, int], list[_Heading]] = {}
    for h in headings:
        at.setdefault((h.page, h.line), []).append(h)
    outline = Outline()
    sections = [UserSection("", "", ())]
    lines: list[Line] = []
    full = full_line_length(
        [Line(t, 0) for p, page in enumerate(pages) for j, t in enumerate(page) if j not in drop[p]]
    )

    def close() -> None:
        sections[-1].paragraphs.extend(reflow(lines, short_ratio, full))
        lines.clear()

    for p, page_lines in enumerate(pages):
        skip_until = -1
        for j, text in enumerate([*page_lines, ""]):
            for h in at.get((p, j), []):
                close()
                sections.append(UserSection(h.number, h.title, outline.enter(h.level, h.title)))
                skip_until = max(skip_until, j + h.span)
            if j < skip_until or j == len(page_lines) or j in drop[p]:
                continue
            lines.append(Line(text, p + 1))
    close()
    return sections


__all__ = ["read_pdf", "read_pages", "Paragraph"]
