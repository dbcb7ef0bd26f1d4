"""Citation data and how sources are labelled for people (German first, English equally)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KIND_LABELS = {
    "de": {
        "paper": "Papier",
        "translation": "Arbeitsübersetzung",
        "digest": "Zusammenfassung",
        "question": "Beispielfrage",
        "method": "Methodennotiz",
        "user": "eigenes Dokument",
    },
    "en": {
        "paper": "paper",
        "translation": "our translation",
        "digest": "digest",
        "method": "method note",
        "question": "example question",
        "user": "own document",
    },
}
SECTION_WORD = {"de": ("Einleitung", "These"), "en": ("Introduction", "Thesis")}
# Users' documents: "Abschnitt 2.1 „Vorbereitung“, S. 4" / "section 2.1 "Preparation", p. 4".
USER_WORDS = {
    "de": {"section": "Abschnitt", "page": "S.", "pages": "S.", "quote": "„{}“"},
    "en": {"section": "section", "page": "p.", "pages": "pp.", "quote": "\u201c{}\u201d"},
}
_SECTION_NUMBER = re.compile(r"^\d+(?:\.\d+)*$")
# Thesis intros carry their number in the title ("These 4: Ethik …"); the label says it once.
_NUMBERED_TITLE = re.compile(
    rf"^(?:{'|'.join(w for words in SECTION_WORD.values() for w in words)})\b\s*[\d.]*\s*[:–-]?\s*"
)


@dataclass
class Citation:
    """One numbered source of an answer."""

    n: int
    chunk_id: str
    doc_id: str
    doc_title: str
    section: str
    title: str
    kind: str
    text: str
    score: float
    highlights: list[str] = field(default_factory=list)
    user_section: str = ""  # a user document's own section id: numbering ("2.1") or heading path
    page_start: int = 0  # 1-based pages of the passage in a PDF; 0 without pages
    page_end: int = 0
    lang: str = ""  # the passage's language as stored with its chunk ("" where unknown)

    def label(self, lang: str = "de") -> str:
        """``These 5.1 – <title> (Papier)``; for user documents
        ``<doc>, Abschnitt 2.1 „<heading>“, S. 4 (eigenes Dokument)``."""
        kind = KIND_LABELS.get(lang, KIND_LABELS["de"]).get(self.kind, self.kind)
        if self.kind == "user" and (self.user_section or self.page_start):
            return f"{self._user_location(lang)} ({kind})"
        if not self.section:
            head = self.doc_title if self.title == self.doc_title else f"{self.doc_title} – {self.title}"
            return f"{head} ({kind})"
        intro, thesis = SECTION_WORD.get(lang, SECTION_WORD["de"])
        where = intro if self.section == "0" else f"{thesis} {self.section}"
        title = _NUMBERED_TITLE.sub("", self.title)
        return f"{where} – {title} ({kind})" if title else f"{where} ({kind})"

    def _user_location(self, lang: str) -> str:
        words = USER_WORDS.get(lang, USER_WORDS["de"])
        parts = [self.doc_title]
        if self.user_section and self.title != self.doc_title:
            number = self.user_section if _SECTION_NUMBER.match(self.user_section) else ""
            quoted = words["quote"].format(self.title)
            parts.append(" ".join(x for x in (words["section"], number, quoted) if x))
        if self.page_start:
            end = max(self.page_end, self.page_start)
            pages = (
                f"{words['page']} {self.page_start}"
                if end == self.page_start
                else (f"{words['pages']} {self.page_start}–{end}")
            )
            parts.append(pages)
        return ", ".join(parts)

    def to_json(self) -> dict:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "section": self.section,
            "title": self.title,
            "kind": self.kind,
            "text": self.text,
            "score": round(self.score, 4),
            "user_section": self.user_section,
            "page_start": self.page_start,
            "page_end": self.page_end,
        }


@dataclass
class AnswerSentence:
    """A sentence of the answer with the citation numbers that support it."""

    text: str
    cites: list[int] = field(default_factory=list)
    role: str = "guidance"  # guidance | notice | quote | reminder

    def render(self) -> str:
        marks = "".join(f" [{n}]" for n in self.cites)
        return f"{self.text}{marks}"
