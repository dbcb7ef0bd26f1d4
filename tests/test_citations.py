import pytest

from assistant.citations import Citation


def _label(title: str, section: str, lang: str, kind: str) -> str:
    return Citation(1, "c", "paper", "Paper", section, title, kind, "text", 0.9).label(lang)


@pytest.mark.parametrize(
    ("title", "section", "lang", "kind", "expected"),
    [
        ("These 4: Ethik menschzentriert", "4", "en", "paper", "Thesis 4 – Ethik menschzentriert (paper)"),
        ("Thesis 4: Ethics, human-centred", "4", "en", "digest", "Thesis 4 – Ethics, human-centred (digest)"),
        ("These 4: Ethik", "4", "de", "digest", "These 4 – Ethik (Zusammenfassung)"),
        ("Im Erstgespräch", "5.1", "de", "digest", "These 5.1 – Im Erstgespräch (Zusammenfassung)"),
        ("Einleitung", "0", "en", "digest", "Introduction (digest)"),
    ],
)
def test_a_section_is_named_once_in_the_readers_language(title, section, lang, kind, expected):
    assert _label(title, section, lang, kind) == expected


def test_user_documents_are_labelled_by_document_and_heading():
    c = Citation(1, "c", "u1", "Leitfaden", "", "Pilot", "user", "text", 0.5)
    assert c.label("de") == "Leitfaden – Pilot (eigenes Dokument)"
