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
