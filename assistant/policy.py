"""The answer policy: which rail wins, which templates open the answer, whether to answer from
the sources, abstain, add the closing line about decisions on people, or offer examples.

One pure function over plain facts (``Signals`` → ``Plan``), so the whole policy can be read
in one screen and tested as a table (tests/test_policy.py).
"""

from __future__ import annotations

from dataclasses import dataclass

STANCE_ORDER = ("anthropomorphism", "decision", "legal")  # order of the opening templates


@dataclass(frozen=True)
class Signals:
    """What the input guard, the rails and the search found for one message."""

    stance: frozenset[str] = frozenset()  # stance rails explicitly requested (structure + similarity)
    injection: bool = False  # injected instructions were found by the input guard (and removed)
    # the injection classifier alone leans that way (nothing structural found): a signal that
    # does not count on strong evidence from a user's own document (see ``decide``)
    injection_signal: bool = False
    user_document: bool = False  # the best match is a document the users added
    foreign: bool = False  # clearly foreign: the classifier says so, or the index lacks its distinctive terms
    figure_unheld: bool = False  # a figure (price, share, rate) is asked and no matched passage states one
    confident: bool = True  # the search found evidence above the abstain threshold
    strong: bool = False  # lexical and dense evidence both strong: the index holds this
    has_query: bool = True  # something legitimate is left to search for
    social_only: bool = False  # short social talk to the tool, nothing to search for
    people_topic: bool = False  # the question concerns decisions about people


@dataclass(frozen=True)
class Plan:
    """What the answer consists of, in order: templates, then answer or abstention, then extras."""

    templates: tuple[str, ...] = ()  # rail templates that open the answer
    answer: bool = False  # generate from the retrieved sources
    abstain: bool = False  # say plainly that the sources do not cover it
    abstain_text: bool = False  # show the out-of-scope text (not after an extraction attempt alone)
    capabilities: bool = False  # offer examples of what to ask
    reminder: bool = False  # one closing line: decisions about people stay with people
    short: bool = False  # stance templates in their one-sentence form (more than one opens)


def decide(s: Signals) -> Plan:
    """The policy.

    - A stance template opens the answer only for an explicit request (``s.stance``); then the
      underlying need is still answered from the sources.
    - Injected instructions get a one-line notice; the legitimate rest is answered as usual.
      The classifier's guess alone (``injection_signal``) gives no notice on strong evidence
      from a user's own document: the classifier learnt from paper-style questions, and a
      technical question about a user's manual is not an attack because its wording differs.
    - Scope is decided by the evidence in the index: below the abstain threshold the answer
      abstains; a foreign signal (the out-of-scope classifier, or distinctive terms the index
      does not hold) can veto only when the evidence is not strong, and then "not in the
      sources" is said plainly, after the template of an explicit request if there was one.
    - Short social talk to the tool, or talk to it as a person about something foreign, gets
      the clarification and examples of what to ask, no search.
    - Two or three stance templates open in their one-sentence forms: one short opening, not
      a lecture (paper 4.1).
    - An answer touching decisions about people (or following the decision template) ends with
      one closing line: people decide, with employees and the works council.
    """
    out_of_scope = (s.foreign or s.figure_unheld) and not s.strong
    injection = s.injection or (s.injection_signal and not (s.strong and s.user_document))
    stance = tuple(r for r in STANCE_ORDER if r in s.stance)
    templates = (("injection",) if injection else ()) + stance
    if s.social_only or (out_of_scope and "anthropomorphism" in s.stance):
        # Talk to the tool as a person gets the clarification and examples of what to ask,
        # never "not in my sources"; about something foreign, nothing is answered from the sources.
        person = ("injection",) * injection + ("anthropomorphism",) * ("anthropomorphism" in s.stance)
        return Plan(templates=person, capabilities=True, abstain=out_of_scope)
    # An explicit request about something foreign keeps its template (the stance holds whatever
    # the topic) and then says plainly that the sources do not cover it.
    in_scope = (s.confident or s.strong or bool(stance)) and not out_of_scope
    answer = s.has_query and in_scope
    abstain = not answer
    return Plan(
        templates=templates,
        answer=answer,
        abstain=abstain,
        abstain_text=abstain and (out_of_scope or not injection),
        reminder=answer and (s.people_topic or "decision" in stance),
        short=len(stance) > 1,
    )
