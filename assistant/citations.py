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

    def label(self, lang: str = "de") -> str:
        """``These 5.1 – <title> (Papier)`` or, for user documents, ``<doc> – <heading>``."""
        kind = KIND_LABELS.get(lang, KIND_LABELS["de"]).get(self.kind, self.kind)
        if not self.section:
            head = self.doc_title if self.title == self.doc_title else f"{self.doc_title} – {self.title}"
            return f"{head} ({kind})"
        intro, thesis = SECTION_WORD.get(lang, SECTION_WORD["de"])
        where = intro if self.section == "0" else f"{thesis} {self.section}"
        title = _NUMBERED_TITLE.sub("", self.title)
        return f"{where} – {title} ({kind})" if title else f"{where} ({kind})"

    def to_json(self) -> dict:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "section": self.section,
            "title": self.title,
            "kind": self.kind,
            "text": self.text,
            "score": round(self.score, 4),
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
