"""Scope from what the index holds (assistant/scope.py): the share of a question's distinctive
terms found in the index vocabulary, on a vocabulary built from a few indexed sentences."""

import pytest

from assistant.lexical import analyse
from assistant.scope import distinctive_terms, held_share

INDEXED = [
    "Ein Erprobungsraum hilft kleinen Betrieben, KI-Anwendungen ohne Risiko auszuprobieren.",
    "Der Betriebsrat sollte früh in die Einführung eingebunden werden.",
    "Beschäftigte lernen im Workshop, wie Chatbots Anfragen beantworten.",
]
VOCAB = {t for text in INDEXED for t in analyse(text, ("de", "en"))}


def test_common_words_are_not_distinctive():
    words = {w for w, _ in distinctive_terms("Wie kann ich in meiner Firma etwas lernen?", 5.0)}
    assert not words & {"firma", "lernen", "kann", "meiner"}


@pytest.mark.parametrize(
    ("question", "low"),
    [
        # a foreign task: its distinctive words are nowhere in the index, its generic words are
        ("Welcher Spanischkurs eignet sich, um schnell Vokabeln zu lernen?", True),
        ("Give me a sourdough recipe with rye flour.", True),
        # indexed content, asked in other words
        ("Wie richte ich einen Erprobungsraum ein, und wann binde ich den Betriebsrat ein?", False),
        # inflected forms the stemmer leaves apart ("beantworten" indexed, "beantwortet" asked)
        ("Welche Chatbots beantwortet ein Erprobungsraum?", False),
    ],
)
def test_held_share_separates_foreign_tasks_from_indexed_content(question, low):
    share = held_share(question, VOCAB, 5.0)
    assert share is not None
    assert (share < 0.34) is low, share


def test_no_distinctive_term_gives_no_signal():
    assert held_share("Was kann ich tun?", VOCAB, 5.0) is None


def test_a_figure_counts_as_stated_only_with_a_unit_of_money_share_or_rate():
    """Section numbers and years are no figures; "12 %" or "3.000 Euro" in a matched passage are."""
    from assistant.chain import _states_figure
    from assistant.retrieval import ChunkHit, RetrievalResult, SectionHit

    def result(*texts: str) -> RetrievalResult:
        chunks = [ChunkHit(f"c{i}", t, {"kind": "paper"}) for i, t in enumerate(texts)]
        return RetrievalResult("q", [SectionHit("5.1", "5.1", "T", 0.5, 0.5, chunks)])

    assert not _states_figure(result("These 5.1 aus dem Jahr 2024: KMU brauchen Beratung."), 4)
    assert _states_figure(result("Rund 12 % der Betriebe nutzen KI."), 4)
    assert _states_figure(result("Ein Workshop kostet 3.000 Euro."), 4)
    assert _states_figure(result("about $40 an hour"), 4)
    assert not _states_figure(result("Kein Betrag.", "Rund 12 % der Betriebe"), 0)
