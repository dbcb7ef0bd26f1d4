"""Page text to running text: running headers/footers and page numbers out, hyphens joined,
lines reflowed into paragraphs. Pure functions over lines, so they are tested without PDFs."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .model import Paragraph

# PDFium reports a hyphen at a line end as U+FFFE (U+0002 from some producers) and drops the
# line break after it; restoring "-\n" keeps the page's lines for the header and reflow rules.
_LINE_END_HYPHEN = re.compile(r"[\ufffe\u0002][ \t]*(?:\r?\n)?")
_CONJUNCTIONS = {"und", "oder", "bzw", "bzw.", "sowie", "bis", "and", "or", "to"}
_HARD_HYPHEN = re.compile(r"[^\W\d_]-$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•▪◦–]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+\S")
_TOC_LEADER = re.compile(r"(?:\.\s*){5,}\s*[\divxlc]+\s*$", re.I)
_PAGE_NUMBER_LINE = re.compile(
    r"^\W*(?:seite|page|s\.|p\.)?\s*[\divxlc]{1,6}\s*(?:(?:/|von|of|-)\s*\d{1,5})?\W*$", re.I
)
_LEADING_INT = re.compile(r"^\s*(\d{1,5})(?![.,]?\d)\b")
_TRAILING_INT = re.compile(r"\b(\d{1,5})(?:\s*(?:/|von|of)\s*\d{1,5})?\s*$")


def restore_line_breaks(text: str) -> str:
    """PDFium's line-end hyphen marks back to ``-`` + line break; invisible soft hyphens out."""
    return _LINE_END_HYPHEN.sub("-\n", text).replace("\u00ad", "")


_ROMAN = r"(?=[ivx])x{0,3}(?:ix|iv|v?i{0,3})"  # i … xxxix: front-matter page numbers
_OUTER_ROMAN = re.compile(rf"(?:^{_ROMAN}\b|\b{_ROMAN}$)", re.I)


def _key(line: str) -> str:
    """A line with its numbers blanked (roman ones at either end too): running headers differ
    only in the page number."""
    return _OUTER_ROMAN.sub("#", re.sub(r"\d+", "#", " ".join(line.split()))).casefold()


@dataclass(frozen=True)
class RunningLines:
    """How running headers/footers are recognised (values come from ``Settings``)."""

    zone: int = 3  # lines at the top and at the bottom of a page that can be headers/footers
    min_pages: int = 3  # a line must repeat on this many pages (fewer when the document is shorter)
    page_number_share: float = 0.3  # share of pages that must agree on the page-number offset


def strip_running_lines(pages: list[list[str]], rules: RunningLines = RunningLines()) -> list[list[str]]:
    """The pages without their running headers/footers, page numbers and TOC leader lines."""
    drop = running_lines(pages, rules)
    return [[ln for j, ln in enumerate(lines) if j not in d] for lines, d in zip(pages, drop, strict=True)]


def running_lines(pages: list[list[str]], rules: RunningLines = RunningLines()) -> list[set[int]]:
    """Per page, the indices of lines that are not running text.

    Those are lines in the top/bottom zone repeating (numbers aside) on several pages, outer
    lines that are or carry the page number, and table-of-contents lines with dot leaders.
    """
    n = len(pages)
    zones = [_zone(len(lines), rules.zone) for lines in pages]
    counts: Counter[str] = Counter()
    for lines, zone in zip(pages, zones, strict=True):
        counts.update({_key(lines[i]) for i in zone})
    need = max(2, min(rules.min_pages, n))
    offset = _page_number_offset(pages, rules.page_number_share) if n > 1 else None
    drop: list[set[int]] = []
    for i, (lines, zone) in enumerate(zip(pages, zones, strict=True)):
        out = set()
        for j, line in enumerate(lines):
            outer = j in (0, len(lines) - 1)
            running = n > 1 and j in zone and counts[_key(line)] >= need and bool(line.strip())
            numbered = (
                n > 1
                and outer
                and (
                    _PAGE_NUMBER_LINE.match(line) is not None
                    or (offset is not None and str(i + offset) in _outer_ints(line))
                )
            )
            if running or numbered or _TOC_LEADER.search(line):
                out.add(j)
        drop.append(out)
    return drop


def _zone(n_lines: int, size: int) -> set[int]:
    return set(range(min(size, n_lines))) | set(range(max(0, n_lines - size), n_lines))


def _outer_ints(line: str) -> set[str]:
    return {m.group(1) for m in (_LEADING_INT.search(line), _TRAILING_INT.search(line)) if m}


def _page_number_offset(pages: list[list[str]], share: float) -> int | None:
    """The printed page number minus the page index, if most pages print one in an outer line."""
    votes: Counter[int] = Counter()
    for i, lines in enumerate(pages):
        outer = {lines[0], lines[-1]} if lines else set()
        votes.update({int(x) - i for line in outer for x in _outer_ints(line)})
    if not votes:
        return None
    offset, count = votes.most_common(1)[0]
    return offset if count >= max(2, share * len(pages)) else None


@dataclass(frozen=True)
class Line:
    text: str
    page: int


def full_line_length(lines: list[Line]) -> int:
    """Length of a full line of running text (90th percentile of the longer lines)."""
    lengths = sorted(len(ln.text.strip()) for ln in lines if len(ln.text.strip()) >= 20)
    return lengths[int(0.9 * (len(lengths) - 1))] if lengths else 80


def reflow(lines: list[Line], short_ratio: float = 0.75, full: int | None = None) -> list[Paragraph]:
    """Join lines into paragraphs.

    A paragraph ends at an empty line, before a list item, and after a line clearly shorter
    than the document's full lines (``short_ratio`` of them): justified prose fills its lines.
    A line ending in a hyphen continues; before a lowercase word the hyphen is a word break.
    """
    full = full or full_line_length(lines)
    paragraphs: list[Paragraph] = []
    current: list[str] = []
    first = last = 0

    def close() -> None:
        if current:
            paragraphs.append(Paragraph(" ".join(current).strip(), first, last))
            current.clear()

    for line in lines:
        text = raw = " ".join(line.text.split())
        if not text:
            close()
            continue
        if current and _LIST_ITEM.match(text):
            close()
        if current and _HARD_HYPHEN.search(current[-1]) and _first_word(text) not in _CONJUNCTIONS:
            # A word broken at the line end: "Informa-" + "tionen" joins, "Debian-" + "Entwickler"
            # keeps its hyphen.
            current[-1] = (current[-1][:-1] if text[0].islower() else current[-1]) + text
        elif current:
            current.append(text)
        else:
            current.append(text)
            first = line.page
        last = line.page
        if len(raw) < short_ratio * full and not _HARD_HYPHEN.search(raw):
            close()
    close()
    return [p for p in paragraphs if p.text]


def _first_word(text: str) -> str:
    return text.split(" ", 1)[0].lower().rstrip(",;")
