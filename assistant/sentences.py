"""Sentence and paragraph splitting with character offsets (German abbreviations aware)."""

from __future__ import annotations

import re

# Abbreviations after which a period does not end a sentence (German and English).
_ABBREVIATIONS = {
    "z",
    "b",
    "bspw",
    "bzw",
    "ca",
    "d",
    "h",
    "dr",
    "ggf",
    "u",
    "a",
    "ä",
    "o",
    "usw",
    "vgl",
    "etc",
    "evtl",
    "inkl",
    "insb",
    "ggü",
    "nr",
    "s",
    "sog",
    "e",
    "g",
    "i",
    "mr",
    "mrs",
    "ms",
    "prof",
    "vs",
    "eg",
    "ie",
    "abs",
    "art",
    "st",
    "str",
    "tel",
    "dipl",
    "ing",
    "mio",
    "mrd",
}
# A sentence ends after its punctuation *and* any closing quotes or brackets: "(… oft
# interessanter.)" keeps its ")" (group 1 ends the sentence, the whitespace separates).
_CLOSERS = '"“”»«’)]'
_BOUNDARY = re.compile(rf"(?<=[.!?…])([{re.escape(_CLOSERS)}]*)\s+(?=[\"„“»«(\[]?[A-ZÄÖÜ0-9])")
_PARAGRAPH = re.compile(r"\n[ \t]*\n+")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Spans of paragraphs (blank-line separated); list items stay in their paragraph."""
    spans, pos = [], 0
    for match in _PARAGRAPH.finditer(text):
        if text[pos : match.start()].strip():
            spans.append(_trim(text, pos, match.start()))
        pos = match.end()
    if text[pos:].strip():
        spans.append(_trim(text, pos, len(text)))
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of sentences inside ``text[start:end]``; list lines count as sentences."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line_start, line_end in _lines(text, start, end):
        cursor = line_start
        for match in _BOUNDARY.finditer(text, line_start, line_end):
            words = re.findall(r"[\wÄÖÜäöüß]+", text[cursor : match.start()])
            last = words[-1].lower() if words else ""
            closed = match.start() >= 2 and text[match.start() - 2] in _CLOSERS  # "(These 2.2)."
            abbreviated = last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()) or last.isdigit()
            if abbreviated and not closed:
                continue
            spans.append(_trim(text, cursor, match.end(1)))
            cursor = match.end()
        if text[cursor:line_end].strip():
            spans.append(_trim(text, cursor, line_end))
    return [s for s in spans if s[1] > s[0]]


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split list blocks into one line per item; plain prose stays one block."""
    block = text[start:end]
    if not re.search(r"^\s*(?:[-*•]|\d+\.)\s", block, re.M):
        return [(start, end)]
    out, pos = [], start
    for line in block.split("\n"):
        if line.strip():
            out.append(_trim(text, pos, pos + len(line)))
        pos += len(line) + 1
    return out
