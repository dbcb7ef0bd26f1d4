"""The support test takes a passage's language from the index where it is stored and detects
only the sentence's (and a passage's without a stored one). No model: fake index, scripted LLM."""

from __future__ import annotations

import pytest

from assistant import language
from assistant.output_checks import clean_passage
from assistant.support import SupportTest
from tests.scripted_llm import ScriptedLLM, faithful, with_model

TEST = SupportTest(min_overlap=0.6, min_similarity=0.8, min_similarity_cross=0.7)
SENTENCE = "Der Betriebsrat wird bei der Einführung neuer Werkzeuge frühzeitig beteiligt."
GERMAN = "Bei der Einführung neuer Werkzeuge wird der Betriebsrat frühzeitig beteiligt und informiert."
ENGLISH = "The works council is involved early when new tools are introduced in the company."


@pytest.fixture()
def detected(monkeypatch) -> list[str]:
    """Every text the support test runs language detection on."""
    calls: list[str] = []
    real = language.detect_language

    def counted(text: str, default: str = "de") -> str:
        calls.append(text)
        return real(text, default)

    monkeypatch.setattr(language, "detect_language", counted)
    return calls


def test_a_passage_whose_language_is_stored_is_not_detected_again(detected):
    assert TEST.supported(SENTENCE, [GERMAN, ENGLISH], [0.1, 0.75], ["de", "en"])
    assert detected and set(detected) == {SENTENCE}
    detected.clear()
    assert not TEST.by_overlap(SENTENCE, [ENGLISH], ["en"])
    assert set(detected) == {SENTENCE}


def test_a_passage_without_a_stored_language_is_detected(detected):
    TEST.supported(SENTENCE, [GERMAN, ENGLISH], [0.1, 0.75], ["", "en"])
    assert GERMAN in detected and ENGLISH not in detected


@pytest.mark.parametrize(
    ("passages", "sims"),
    [([GERMAN], [0.1]), ([ENGLISH], [0.75]), ([ENGLISH], [0.65]), ([ENGLISH, GERMAN], [0.75, 0.1])],
)
def test_stored_languages_decide_as_detection_does(passages, sims):
    stored = [language.detect_language(p) for p in passages]
    assert TEST.supported(SENTENCE, passages, sims, stored) == TEST.supported(SENTENCE, passages, sims)
    assert TEST.by_overlap(SENTENCE, passages, stored) == TEST.by_overlap(SENTENCE, passages)


def test_the_output_checks_take_the_cited_chunks_stored_language(fake_assistant, detected):
    with ScriptedLLM(faithful) as server:
        core = with_model(fake_assistant, server.openai_url)
        detected.clear()
        answer = core.ask("Was ist ein Erprobungsraum?")
    assert answer.generation["kept"] == answer.generation["written"] > 0
    assert answer.citations and all(c.lang in {"de", "en"} for c in answer.citations)
    shown = {clean_passage(c.text, fake_assistant.rails.neutralise) for c in answer.citations}
    assert detected  # the support test ran ...
    assert not shown & set(detected)  # ... and detected no cited passage's language
