"""The answer policy as a table: facts about one message → what the answer consists of."""

import pytest

from assistant.policy import Plan, Signals, decide

D, L, A = "decision", "legal", "anthropomorphism"

CASES = [
    # (what was found, expected plan)
    ("ordinary question, evidence", Signals(), Plan(answer=True)),
    ("ordinary question, no evidence", Signals(confident=False), Plan(abstain=True, abstain_text=True)),
    (
        "explicit decision request: template, then the need is answered, closing line",
        Signals(stance=frozenset({D}), people_topic=True),
        Plan(templates=(D,), answer=True, reminder=True),
    ),
    (
        "explicit request answered even on weak evidence (the template offers support)",
        Signals(stance=frozenset({L}), confident=False),
        Plan(templates=(L,), answer=True),
    ),
    (
        "a question about decisions on people: plain answer, one closing line",
        Signals(people_topic=True),
        Plan(answer=True, reminder=True),
    ),
    (
        "several stance rails: fixed order, each in its one-sentence form",
        Signals(stance=frozenset({L, D, A})),
        Plan(templates=(A, D, L), answer=True, reminder=True, short=True),
    ),
    (
        "talk to the tool as a person and a decision request: two short openings, then the answer",
        Signals(stance=frozenset({A, D}), confident=False),
        Plan(templates=(A, D), answer=True, reminder=True, short=True),
    ),
    (
        "a legal verdict and a decision asked together: two short openings",
        Signals(stance=frozenset({L, D}), injection=True),
        Plan(templates=("injection", D, L), answer=True, reminder=True, short=True),
    ),
    (
        "explicit request on a foreign topic: the template holds, then 'not in the sources'",
        Signals(stance=frozenset({D}), foreign=True, confident=True),
        Plan(templates=(D,), abstain=True, abstain_text=True),
    ),
    (
        "foreign request without strong evidence: abstain",
        Signals(foreign=True, confident=True),
        Plan(abstain=True, abstain_text=True),
    ),
    (
        "foreign signal cannot veto strong lexical and dense evidence",
        Signals(foreign=True, confident=True, strong=True),
        Plan(answer=True),
    ),
    (
        "injection around a real question: notice, then the answer",
        Signals(injection=True),
        Plan(templates=("injection",), answer=True),
    ),
    (
        "injection alone (nothing legitimate left): notice only, no out-of-scope text",
        Signals(injection=True, has_query=False),
        Plan(templates=("injection",), abstain=True),
    ),
    (
        "injection and a foreign request: notice and the out-of-scope text",
        Signals(injection=True, foreign=True),
        Plan(templates=("injection",), abstain=True, abstain_text=True),
    ),
    (
        "the injection classifier alone, strong evidence from a user's own document: no notice",
        Signals(injection_signal=True, confident=True, strong=True, user_document=True),
        Plan(answer=True),
    ),
    (
        "the injection classifier alone, strong evidence from the paper: notice, then the answer",
        Signals(injection_signal=True, confident=True, strong=True),
        Plan(templates=("injection",), answer=True),
    ),
    (
        "the injection classifier alone, without strong evidence: notice, then the answer",
        Signals(injection_signal=True, confident=True, user_document=True),
        Plan(templates=("injection",), answer=True),
    ),
    (
        "the injection classifier alone beside an explicit request: notice and template",
        Signals(stance=frozenset({A}), injection_signal=True, confident=True),
        Plan(templates=("injection", A), answer=True),
    ),
    (
        "the input guard found an injection beside an explicit request: notice and template",
        Signals(stance=frozenset({A}), injection=True),
        Plan(templates=("injection", A), answer=True),
    ),
    (
        "the input guard found an injection: notice even on strong evidence",
        Signals(injection=True, strong=True),
        Plan(templates=("injection",), answer=True),
    ),
    (
        "a figure asked for that no matched passage states: 'not in the sources'",
        Signals(figure_unheld=True, confident=True),
        Plan(abstain=True, abstain_text=True),
    ),
    (
        "social talk to the tool: clarification and examples, no search",
        Signals(stance=frozenset({A}), social_only=True),
        Plan(templates=(A,), capabilities=True),
    ),
    (
        "the tool as a person on a foreign topic: clarification and examples, not 'not in sources'",
        Signals(stance=frozenset({A, D}), foreign=True),
        Plan(templates=(A,), capabilities=True, abstain=True),
    ),
    (
        "personal opinion with a real topic: tool clarification, then the answer",
        Signals(stance=frozenset({A})),
        Plan(templates=(A,), answer=True),
    ),
]


@pytest.mark.parametrize(("case", "signals", "plan"), CASES, ids=[c[0] for c in CASES])
def test_policy_table(case, signals, plan):
    assert decide(signals) == plan


def test_without_an_explicit_request_nothing_opens_with_a_refusal():
    """Whatever else holds, no stance template opens an answer unless one was explicitly requested."""
    for foreign in (False, True):
        for confident in (False, True):
            for people in (False, True):
                plan = decide(Signals(foreign=foreign, confident=confident, people_topic=people))
                assert not set(plan.templates) & {D, L, A}
