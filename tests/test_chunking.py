from assistant.chunking import chunk_document
from assistant.config import PROJECT_ROOT
from assistant.corpus import Document, Section, parse_markdown
from assistant.tokens import count_tokens

PAPER = PROJECT_ROOT / "corpus" / "paper" / "zukunftsthesen-2024.md"


def test_chunks_stay_inside_their_section_and_respect_the_budget():
    doc = parse_markdown(PAPER)
    raw = PAPER.read_text(encoding="utf-8")
    spans = {s.id: (s.start, s.start + len(s.text)) for s in doc.sections}
    for budget in (60, 120, 200):
        chunks = chunk_document(doc, budget=budget, overlap=1)
        assert {c.section for c in chunks} == set(spans)
        for c in chunks:
            start, end = spans[c.section]
            assert start <= c.char_start < c.char_end <= end
            assert raw[c.char_start : c.char_end] == c.text
            assert c.tokens == count_tokens(c.text) <= budget


def test_chunk_ids_are_deterministic_and_carry_metadata():
    doc = parse_markdown(PAPER)
    first = [c.id for c in chunk_document(doc)]
    second = [c.id for c in chunk_document(parse_markdown(PAPER))]
    assert first == second and len(set(first)) == len(first)
    meta = chunk_document(doc)[0].metadata()
    for key in (
        "doc_id",
        "doc_title",
        "kind",
        "section",
        "section_title",
        "lang",
        "source",
        "char_start",
        "char_end",
        "tokens",
    ):
        assert key in meta


def test_overlap_is_in_whole_sentences():
    text = " ".join(f"Satz Nummer {i} beschreibt einen Schritt der Einführung." for i in range(40))
    doc = Document("d", "paper", "T", "de", "x.md", [Section("1", "T", text, "de", 0)])
    chunks = chunk_document(doc, budget=60, overlap=1)
    assert len(chunks) > 3
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert a.sentences[-1] == b.sentences[0]  # the last sentence is carried over, whole


def test_one_overlong_sentence_is_cut_to_the_budget():
    text = " ".join(f"Wort{i}" for i in range(500)) + " Ende."
    doc = Document("d", "user", "T", "de", "x.md", [Section("", "T", text, "de", 0)])
    chunks = chunk_document(doc, budget=100, overlap=0)
    assert len(chunks) >= 5 and all(c.tokens <= 100 for c in chunks)


def test_a_sentence_keeps_its_closing_bracket_and_quote():
    from assistant.sentences import sentences

    text = (
        "Datenschutz ist kein guter Türöffner. (Ein Fokus auf Technik ist oft interessanter.) "
        "Er sagte „Ja.“ Dann ging er, z. B. nach Hause. Das steht in These 2.2 (Abschnitt 2.2). "
        "Danach folgt These 2.3."
    )
    got = [text[a:b] for a, b in sentences(text)]
    assert got == [
        "Datenschutz ist kein guter Türöffner.",
        "(Ein Fokus auf Technik ist oft interessanter.)",
        "Er sagte „Ja.“",
        "Dann ging er, z. B. nach Hause.",
        "Das steht in These 2.2 (Abschnitt 2.2).",
        "Danach folgt These 2.3.",
    ]
