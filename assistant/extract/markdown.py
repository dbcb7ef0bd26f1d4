"""Markdown (and plain text) headings and blocks with markdown-it-py."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from .model import Outline, Paragraph, UserSection, split_number

_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)


def read_markdown(text: str) -> list[UserSection]:
    """Sections from ATX/Setext headings; paragraphs reflowed, lists/code/tables kept line by line."""
    text = _FRONT_MATTER.sub("", text.replace("\r\n", "\n"))
    lines = text.split("\n")
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    outline = Outline()
    sections = [UserSection("", "", ())]
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.level != 0 or token.map is None or token.type.endswith("_close"):
            i += 1
            continue
        if token.type == "heading_open":
            heading = " ".join(tokens[i + 1].content.split())
            number, title = split_number(heading)
            sections.append(UserSection(number, title, outline.enter(int(token.tag[1]), title)))
        elif token.type != "hr":
            block = lines[token.map[0] : token.map[1]]
            if token.type == "paragraph_open":
                body = " ".join(" ".join(block).split())
            else:
                body = "\n".join(ln.rstrip() for ln in block).strip("\n")
            if body.strip():
                sections[-1].paragraphs.append(Paragraph(body))
        i += 1
    return sections
