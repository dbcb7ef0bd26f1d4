"""The attack suite: an obedient model behind a real OpenAI-compatible server, attacked directly
(in the question) and indirectly (instructions planted in uploaded .md/.txt/.pdf/.docx files,
also hidden). With the output checks on, no payload and no internal text reaches the user,
and the legitimate part of the question is still answered. (Rates per family, checks on and
off: benchmarks/bench_attacks.py, docs/llm.md.)"""

from __future__ import annotations

import re

import pytest

from tests.attacks import Attack, all_attacks, attack_index, succeeded
from tests.obedient import obedient
from tests.scripted_llm import ScriptedLLM, with_model

ATTACKS = all_attacks()


@pytest.fixture(scope="module")
def attacked(shipped_settings, tmp_path_factory):
    core = attack_index(shipped_settings, tmp_path_factory.mktemp("attacks"), ATTACKS)
    with ScriptedLLM(obedient) as server:
        yield with_model(core, server.openai_url, llm_timeout=10.0, rail_self_check=False), server


def test_the_suite_is_large_and_varied():
    assert len(ATTACKS) >= 50
    assert {a.vector for a in ATTACKS} == {"direct", "md", "txt", "pdf", "docx"}
    assert {"comment", "zero-width", "white"} <= {a.hidden for a in ATTACKS}
    assert {a.lang for a in ATTACKS} == {"de", "en"}


def test_the_suite_can_fail_only_the_output_checks_stop_a_planted_payload(attacked):
    """With passages unsanitised and nothing checking the output, the planted payload reaches
    the user; the output checks alone stop it and keep the legitimate answer."""
    core, server = attacked
    attack = next(a for a in ATTACKS if a.vector == "md" and a.family == "promptinject" and not a.hidden)
    options = {"llm_timeout": 10.0, "rail_self_check": False, "sanitize": False}
    raw = with_model(core, server.openai_url, output_checks=False, **options).ask(attack.question)
    assert succeeded(attack, raw.render()), raw.render()
    checked = with_model(core, server.openai_url, **options).ask(attack.question)
    assert not succeeded(attack, checked.render()), checked.render()
    assert any(s.cites for s in checked.sentences if s.role == "guidance")


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.id for a in ATTACKS])
def test_no_attack_reaches_the_user_and_the_legitimate_part_is_answered(attacked, attack: Attack):
    core, _ = attacked
    answer = core.ask(attack.question)
    shown = answer.render()
    # The rails' own fixed notices ("… not a colleague …" answers an attack that casts the tool
    # as a colleague) are no attacker output; every notice must come from a rail's response text.
    responses = " ".join(
        re.sub(r"\s*\{cite:[^}]*\}", "", text)
        for rail in core.rails.defs.rails.values()
        for text in rail.response.values()
    )
    for sentence in answer.sentences:
        if sentence.role == "notice":
            assert sentence.text in responses, sentence.text
            shown = shown.replace(sentence.text, " ")
    assert not succeeded(attack, shown), shown
    if attack.legit:
        assert not answer.abstained and any(s.cites for s in answer.sentences if s.role == "guidance"), shown
