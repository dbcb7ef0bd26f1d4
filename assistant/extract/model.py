"""What extraction returns: a user's document as ordered sections of paragraphs (with pages)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# "2.1 Vorbereitung", "3. Ablauf", "2.1.4 Details": a heading's own numbering.
_NUMBERED = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,3}){0,5})\.?\s+(\S.*?)\s*$")
PATH_SEPARATOR = " › "


@dataclass
class Paragraph:
    """One paragraph of running text; ``page``/``last_page`` are 1-based (0: no pages, e.g. DOCX)."""

    text: str
    page: int = 0
    last_page: int = 0


@dataclass
class UserSection:
    """A heading and the paragraphs under it (up to the next heading)."""

    number: str  # "2.1" where the heading is numbered, else ""
    title: str  # the heading without its number
    path: tuple[str, ...]  # titles from the top heading down to this one
    paragraphs: list[Paragraph] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The numbering where there is one, else the heading path."""
        return self.number or PATH_SEPARATOR.join(self.path)


def split_number(heading: str) -> tuple[str, str]:
    """``"2.1 Vorbereitung"`` -> ``("2.1", "Vorbereitung")``; unnumbered headings keep their text."""
    match = _NUMBERED.match(heading)
    if match and re.search(r"[^\W\d_]", match.group(2)):
        return match.group(1), match.group(2)
    return "", heading.strip()


class Outline:
    """Builds heading paths from heading levels (1 = top)."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def enter(self, level: int, title: str) -> tuple[str, ...]:
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, title))
        return tuple(t for _, t in self._stack)
