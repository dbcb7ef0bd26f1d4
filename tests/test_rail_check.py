"""The optional LLM self-check for the input rails, with a scripted fake model (no network)."""

from __future__ import annotations

import pytest
from langchain_core.runnables import RunnableLambda

from assistant.config import PROJECT_ROOT, Settings
from assistant.llm import ChatClient
from assistant.rail_check import LLMSelfCheck, make_self_check
from assistant.rails import ACTIONS, InputCheck, RailHit

PROMPT = (PROJECT_ROOT / "prompts" / "rail_check.md").read_text(encoding="utf-8")


class ScriptedModel:
    """Stands in for a chat model: records every prompt, answers from a script."""

    def __init__(self, reply: str | Exception) -> None:
        self.reply = reply
        self.prompts: list[str] = []

    def runnable(self) -> RunnableLambda:
        def call(prompt_value):
            self.prompts.append(prompt_value.to_string())
            if isinstance(self.reply, Exception):
                raise self.reply
            return self.reply

        return RunnableLambda(call)


def _check(rails, scores: dict[str, float], hits: list[RailHit] = ()) -> InputCheck:
    check = InputCheck("Frage", search="Frage", hits=list(hits))
    check.scores = {name: 0.0 for name in rails.rails} | scores
    return check


def _self_check(rails, reply) -> tuple[LLMSelfCheck, ScriptedModel]:
    model = ScriptedModel(reply)
    return LLMSelfCheck(ChatClient(model.runnable(), timeout=5.0), PROMPT, rails, margin=1.0), model


def test_only_scores_near_a_threshold_are_uncertain(assistant_core):
    rails = assistant_core.rails
    legal = rails.rails["legal"].threshold
    check = _check(rails, {"legal": legal * 0.8, "decision": 0.999})
    self_check, model = _self_check(rails, '{"rails": []}')
    assert self_check.uncertain(check) == ["legal"]
    far = _check(rails, {})  # every score 0
    self_check.review(far)
    assert model.prompts == []  # confident scores never cost a model call


def test_the_model_decides_uncertain_rails_but_never_overrules_a_pattern(assistant_core):
    rails = assistant_core.rails
    legal = rails.rails["legal"].threshold
    decision = rails.rails["decision"].threshold
    check = _check(
        rails,
        {"legal": legal * 0.9, "decision": decision + 0.02, "injection": rails.rails["injection"].threshold},
        [
            RailHit("decision", decision + 0.02, ACTIONS["decision"]),  # classifier, uncertain
            RailHit("injection", 1.0, ACTIONS["injection"], "pattern"),
        ],
    )
    self_check, model = _self_check(rails, 'Sure: {"rails": ["legal"]}')
    result = self_check.review(check)
    assert set(result.asked) == {"legal", "decision"}
    assert result.verdict == ["legal"]
    assert {(h.name, h.via) for h in check.hits} == {("legal", "llm"), ("injection", "pattern")}
    assert len(model.prompts) == 1 and "- legal:" in model.prompts[0]


@pytest.mark.parametrize("reply", [ConnectionError("refused"), "I cannot help with that.", '{"rails": "x"}'])
def test_a_failing_or_unusable_model_leaves_the_classifier_decision(assistant_core, reply):
    rails = assistant_core.rails
    decision = rails.rails["decision"].threshold
    hit = RailHit("decision", decision + 0.05, ACTIONS["decision"])
    check = _check(rails, {"decision": decision + 0.05}, [hit])
    self_check, _ = _self_check(rails, reply)
    result = self_check.review(check)
    assert result.verdict is None and result.error
    assert check.hits == [hit]


def test_the_model_only_sees_the_redacted_question_and_the_trace_records_its_verdict(
    assistant_core, monkeypatch
):
    rails = assistant_core.rails
    self_check, model = _self_check(rails, '{"rails": ["legal"]}')
    self_check.margin = 100.0  # every rail uncertain: the model is asked for sure
    monkeypatch.setattr(assistant_core, "self_check", self_check)
    answer = assistant_core.ask(
        "Ist unser KI-Tool rechtlich sauber? Schreiben Sie an anna.schmidt@example.com, Tel. 0171 2345678."
    )
    assert len(model.prompts) == 1
    assert "anna.schmidt@example.com" not in model.prompts[0] and "2345678" not in model.prompts[0]
    assert {"legal", "pii"} <= {h.name for h in answer.rails}
    assert answer.rail_review and answer.rail_review["verdict"] == ["legal"]
    # decision was asked about too, and the model's "no" holds
    assert "decision" in answer.rail_review["asked"]
    assert not any(h.name == "decision" for h in answer.rails)


def test_the_self_check_exists_only_with_an_llm_backend(assistant_core):
    model = ScriptedModel('{"rails": []}').runnable()
    assert make_self_check(Settings(), assistant_core.rails, None) is None
    assert (
        make_self_check(Settings(generator="openai", rail_self_check=False), assistant_core.rails, model)
        is None
    )
    assert isinstance(
        make_self_check(Settings(generator="openai"), assistant_core.rails, model), LLMSelfCheck
    )
