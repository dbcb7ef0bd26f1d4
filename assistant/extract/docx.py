"""DOCX paragraphs, tables and headings (Word's heading styles) with python-docx."""

from __future__ import annotations

import re
from pathlib import Path

from .model import Outline, Paragraph, UserSection, split_number

# Built-in heading styles; German Word files name them "Überschrift 1" …
_HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titre|título)\s*(\d)$", re.I)


def read_docx(path: Path) -> list[UserSection]:
    """Sections from Word headings; numbered headings ("2.1 …") keep their number as id."""
    import docx
    from docx.table import Table

    document = docx.Document(str(path))
    outline = Outline()
    sections = [UserSection("", "", ())]
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            rows = [" | ".join(c.text.strip() for c in row.cells) for row in block.rows]
            text = "\n".join(r for r in rows if r.strip(" |"))
            if text:
                sections[-1].paragraphs.append(Paragraph(text))
            continue
        text = " ".join(block.text.split())
        if not text:
            continue
        style = block.style.name if block.style is not None else ""
        level = _heading_level(style or "")
        if level:
            number, title = split_number(text)
            sections.append(UserSection(number, title, outline.enter(level, title)))
        else:
            sections[-1].paragraphs.append(Paragraph(text))
    return sections


def _heading_level(style: str) -> int:
    match = _HEADING_STYLE.match(style.strip())
    return int(match.group(1)) if match else 0
