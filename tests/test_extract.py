"""Users' files: text, structure and pages (PDF, DOCX, Markdown) and how they are cited."""

from __future__ import annotations

import pytest

from assistant.chunking import chunk_document
from assistant.citations import Citation
from assistant.corpus import CorpusError
from assistant.extract import document_from_record, document_record, extract_sections, load_user_document
from assistant.extract.layout import Line, reflow, strip_running_lines
from assistant.generate import Draft
from assistant.store import section_key
from tests.pdf_bytes import one_page_pdf

HEADER = "Leitfaden Erstgespraech - Entwurf Stand Maerz"
# Full lines of justified prose (about the same length) and a short closing line per paragraph.
INTRO = [
    "Das Erstgespraech legt den Grundstein fuer die Zusammenarbeit mit dem Unternehmen und klaert,",
    "welche Erwartungen die Geschaeftsfuehrung an die Beratung hat und welche Ziele realistisch",
    "erreichbar sind, bevor ein Pilotprojekt geplant wird.",
]
PREPARATION = [
    "Vor dem Termin sammelt die Beraterin gemeinsam mit dem Team alle verfuegbaren Informa-",
    "tionen ueber den Betrieb, seine Branche und die bisherigen Erfahrungen mit digitalen",
    "Werkzeugen, damit das Gespraech nicht bei null beginnen muss und Zeit fuer Fragen bleibt.",
    "Die Unterlagen werden vorab verschickt.",
]
APPOINTMENT = [
    "Der Termin wird schriftlich bestaetigt und dauert in der Regel neunzig Minuten, damit",
    "neben der Vorstellung des Angebots genug Raum fuer die Anliegen der Beschaeftigten",
    "und des Betriebsrats bleibt.",
]


def _pdf(path, pages: list[list[str]], outline: dict[str, int] | None = None) -> None:
    """A PDF with a running header and a "Seite n von m" footer on every page."""
    from fpdf import FPDF

    class Doc(FPDF):
        def header(self):
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, HEADER, new_x="LMARGIN", new_y="NEXT")

        def footer(self):
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, f"Seite {self.page_no()} von {{nb}}", align="C")

    pdf = Doc(format="A4")
    pdf.set_margins(15, 15, 15)
    for lines in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        for line in lines:
            if outline and line in outline:
                pdf.start_section(line, level=outline[line])
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


@pytest.fixture()
def guide_pdf(tmp_path):
    path = tmp_path / "Leitfaden Erstgespraech.pdf"
    filler = [
        f"Absatz {i}: Die Notizen aus dem Gespraech werden im Team besprochen und ausgewertet."
        for i in range(3)
    ]
    _pdf(
        path,
        [
            ["1 Einleitung", *INTRO, "", *filler],
            ["2 Vorbereitung", *PREPARATION, "", *filler],
            ["2.1 Termin", *APPOINTMENT, "", *filler],
        ],
    )
    return path


def _all_text(sections) -> str:
    return "\n".join(p.text for s in sections for p in s.paragraphs)


def test_pdf_headers_footers_and_page_numbers_are_removed_and_pages_kept(guide_pdf):
    sections = extract_sections(guide_pdf)
    text = _all_text(sections)
    assert "Entwurf" not in text and "Seite" not in text
    by_id = {s.id: s for s in sections}
    assert [by_id[i].title for i in ("1", "2", "2.1")] == ["Einleitung", "Vorbereitung", "Termin"]
    assert {p.page for p in by_id["1"].paragraphs} == {1}
    assert {p.page for p in by_id["2"].paragraphs} == {2}
    assert {p.page for p in by_id["2.1"].paragraphs} == {3}


def test_pdf_lines_are_reflowed_into_paragraphs_and_hyphenated_words_joined(guide_pdf):
    by_id = {s.id: s for s in extract_sections(guide_pdf)}
    first = by_id["2"].paragraphs[0].text
    assert first.startswith("Vor dem Termin") and first.endswith("Die Unterlagen werden vorab verschickt.")
    assert "Informationen ueber den Betrieb" in first and "Informa-" not in first
    assert "\n" not in first
    assert by_id["1"].paragraphs[0].text == " ".join(INTRO)


def test_every_chunk_of_a_pdf_keeps_its_page_and_section(guide_pdf):
    doc = load_user_document(guide_pdf, detect_lang=lambda _: "de")
    chunks = chunk_document(doc, budget=60)
    assert chunks and all(c.page_start >= 1 and c.page_end >= c.page_start for c in chunks)
    appointment = next(c for c in chunks if "schriftlich bestaetigt" in c.text)
    meta = appointment.metadata()
    assert (meta["page_start"], meta["page_end"], meta["user_section"]) == (3, 3, "2.1")
    assert meta["section"] == "" and meta["section_title"] == "Termin" and meta["kind"] == "user"
    assert doc.meta["pages"] == 3


def test_pdf_outline_gives_sections_with_heading_paths(tmp_path):
    path = tmp_path / "Notizen.pdf"
    body = INTRO + [""] + APPOINTMENT
    _pdf(path, [["Vorbereitung", *body], ["Ablauf", *body]], outline={"Vorbereitung": 0, "Ablauf": 1})
    sections = [s for s in extract_sections(path) if s.paragraphs]
    assert [s.id for s in sections] == ["Vorbereitung", "Vorbereitung › Ablauf"]
    assert [s.paragraphs[0].page for s in sections] == [1, 2]


GLUE_SENTENCE = "Der Zeitpunkt der letzten Änderung an der Datei wird gespeichert"


def _tj_pdf(path, words: list[str], gap: int = -250, space_width: int = 1000) -> None:
    """A one-page PDF as typesetters write justified lines: words in one TJ array separated by
    position offsets, no space characters, and a font whose declared space is wide (as with
    fonts that have no space glyph). pypdf glues such words ("DerZeitpunktderletzten…")."""
    line = " ".join(f"({w}) {gap}" for w in words)
    stream = ("BT /F1 11 Tf 14 TL 50 780 Td " + f"[{line}] TJ T* " * 12 + "ET").encode("cp1252")
    widths = " ".join([str(space_width)] + ["556"] * 223)
    font = (
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding "
        b"/FirstChar 32 /LastChar 255 /Widths [" + widths.encode() + b"] >>"
    )
    path.write_bytes(one_page_pdf(stream, font))


def test_words_positioned_without_space_characters_are_not_glued(tmp_path):
    path = tmp_path / "glued.pdf"
    _tj_pdf(path, GLUE_SENTENCE.split())
    text = _all_text(extract_sections(path))
    assert GLUE_SENTENCE in text
    assert "Zeitpunktder" not in text


def test_running_lines_that_differ_only_in_the_page_number_are_removed():
    pages = [
        [
            f"Handbuch Beratung {n} / 40",
            f"Inhalt der Seite {n} mit eigenem Text {'a' * n}",
            f"Kapitel 2 - {n}",
        ]
        for n in range(1, 6)
    ]
    kept = strip_running_lines(pages)
    assert all(len(lines) == 1 and lines[0].startswith("Inhalt der Seite") for lines in kept)


def test_reflow_keeps_list_items_apart_and_the_hyphen_of_compounds():
    lines = [
        Line(t, 1)
        for t in (
            "Die Beteiligten sind die Geschäftsführung, der Betriebsrat und die Debian-",
            "Entwickler im Team des Betriebs sowie externe Fachleute aus der Region.",
            "• erster Punkt",
            "• zweiter Punkt",
        )
    ]
    paragraphs = [p.text for p in reflow(lines)]
    assert paragraphs[0].endswith(
        "Debian-Entwickler im Team des Betriebs sowie externe Fachleute aus der Region."
    )
    assert paragraphs[1:] == ["• erster Punkt", "• zweiter Punkt"]


def test_docx_headings_become_sections_with_numbers_or_heading_paths(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("Leitfaden Erstgespräch", 0)
    document.add_paragraph("Dieser Leitfaden beschreibt das erste Gespräch mit einem Betrieb.")
    document.add_heading("2 Vorbereitung", 1)
    document.add_paragraph("Vor dem Termin werden Informationen über den Betrieb gesammelt.")
    document.add_heading("2.1 Termin", 2)
    document.add_paragraph("Der Termin wird schriftlich bestätigt.")
    document.add_heading("Anhang", 1)
    document.add_heading("Checkliste", 2)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Betriebsrat", "frühzeitig einbinden"
    path = tmp_path / "Leitfaden.docx"
    document.save(str(path))
    sections = extract_sections(path)
    ids = {s.id: s for s in sections if s.paragraphs}
    assert list(ids) == ["", "2", "2.1", "Anhang › Checkliste"]
    assert ids["2.1"].title == "Termin" and ids["2"].title == "Vorbereitung"
    assert ids["Anhang › Checkliste"].paragraphs[0].text == "Betriebsrat | frühzeitig einbinden"
    doc = load_user_document(path, detect_lang=lambda _: "de")
    assert [s.user_section for s in doc.sections] == ["", "2", "2.1", "Anhang › Checkliste"]
    assert all(not s.pages for s in doc.sections)


def test_markdown_headings_become_sections_and_paragraphs_are_reflowed(tmp_path):
    path = tmp_path / "notizen.md"
    path.write_text(
        "# Notizen\n\nKurze Einleitung.\n\n## 3 Ablauf\n\n"
        "Der Ablauf hat drei\nSchritte, die\naufeinander folgen.\n\n"
        "- erster Schritt\n- zweiter Schritt\n\n### 3.1 Nachbereitung\n\nDas Protokoll geht an alle.\n\n"
        "## Offene Fragen\n\nWer lädt ein?\n",
        encoding="utf-8",
    )
    sections = {s.id: s for s in extract_sections(path) if s.paragraphs}
    assert list(sections) == ["Notizen", "3", "3.1", "Notizen › Offene Fragen"]
    assert [p.text for p in sections["3"].paragraphs] == [
        "Der Ablauf hat drei Schritte, die aufeinander folgen.",
        "- erster Schritt\n- zweiter Schritt",
    ]
    assert sections["3.1"].title == "Nachbereitung"


def test_saved_record_keeps_sections_and_pages(guide_pdf):
    doc = load_user_document(guide_pdf, detect_lang=lambda _: "de")
    again = document_from_record(document_record(doc))
    assert again.sections == doc.sections and again.meta == doc.meta
    assert [c.id for c in chunk_document(again)] == [c.id for c in chunk_document(doc)]


@pytest.mark.parametrize(
    ("lang", "user_section", "title", "pages", "expected"),
    [
        (
            "de",
            "2.1",
            "Vorbereitung",
            (4, 4),
            "Leitfaden Erstgespräch, Abschnitt 2.1 „Vorbereitung“, S. 4 (eigenes Dokument)",
        ),
        (
            "en",
            "2.1",
            "Vorbereitung",
            (4, 4),
            "Leitfaden Erstgespräch, section 2.1 “Vorbereitung”, p. 4 (own document)",
        ),
        (
            "de",
            "Anhang › Checkliste",
            "Checkliste",
            (7, 8),
            "Leitfaden Erstgespräch, Abschnitt „Checkliste“, S. 7–8 (eigenes Dokument)",
        ),
        (
            "en",
            "Anhang › Checkliste",
            "Checkliste",
            (7, 8),
            "Leitfaden Erstgespräch, section “Checkliste”, pp. 7–8 (own document)",
        ),
        (
            "de",
            "2.1",
            "Vorbereitung",
            (0, 0),
            "Leitfaden Erstgespräch, Abschnitt 2.1 „Vorbereitung“ (eigenes Dokument)",
        ),
        ("en", "", "Leitfaden Erstgespräch", (3, 3), "Leitfaden Erstgespräch, p. 3 (own document)"),
    ],
)
def test_user_document_citation_names_section_and_page(lang, user_section, title, pages, expected):
    draft = Draft()
    meta = {
        "doc_id": "user-leitfaden",
        "doc_title": "Leitfaden Erstgespräch",
        "kind": "user",
        "section": "",
        "section_title": title,
        "user_section": user_section,
        "page_start": pages[0],
        "page_end": pages[1],
    }
    n = draft.cite({"id": "c1", "text": "Der Termin wird bestätigt.", "meta": meta}, 0.9)
    assert draft.citations[n - 1].label(lang) == expected


def test_user_sections_never_group_with_paper_sections():
    paper = {"doc_id": "paper", "kind": "paper", "section": "2.1", "section_title": "x"}
    user = {
        "doc_id": "user-a",
        "kind": "user",
        "section": "",
        "section_title": "Termin",
        "user_section": "2.1",
    }
    other = dict(user, doc_id="user-b")
    keys = {section_key(paper), section_key(user), section_key(other)}
    assert len(keys) == 3 and section_key(paper) == "2.1"
    assert section_key(dict(user, section="2.1")) != "2.1"  # even if a user chunk carried a paper id


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("zufall.pdf", bytes(range(256)) * 20),
        ("abgeschnitten.pdf", None),  # the first half of a valid PDF
        ("leer.pdf", b""),
        ("unecht.docx", b"PK\x03\x04 not a zip"),
    ],
)
def test_bad_files_give_a_clear_message(tmp_path, guide_pdf, name, content):
    path = tmp_path / name
    path.write_bytes(
        content if content is not None else guide_pdf.read_bytes()[: guide_pdf.stat().st_size // 2]
    )
    with pytest.raises(CorpusError) as err:
        load_user_document(path)
    assert name in str(err.value) and "Traceback" not in str(err.value)


def test_missing_file_gives_a_clear_message(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        load_user_document(tmp_path / "fehlt.pdf")


def test_sources_panel_shows_the_user_passage_under_its_label():
    from types import SimpleNamespace

    from assistant.web import sources_html

    citation = Citation(
        1,
        "c1",
        "user-leitfaden",
        "Leitfaden Erstgespräch",
        "",
        "Vorbereitung",
        "user",
        "Vor dem Termin werden Informationen gesammelt.",
        0.9,
        ["Vor dem Termin werden Informationen gesammelt."],
        user_section="2.1",
        page_start=4,
        page_end=4,
    )
    html = sources_html(SimpleNamespace(citations=[citation], language="de"), {"no_sources": "–"})
    assert "[1] Leitfaden Erstgespräch, Abschnitt 2.1 „Vorbereitung“, S. 4 (eigenes Dokument)" in html
    assert "<mark>Vor dem Termin werden Informationen gesammelt.</mark>" in html
