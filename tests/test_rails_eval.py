"""Calibration of the stance rails' classifier tiers (``rails_eval._stance_tiers``) on fakes."""

import numpy as np

from assistant.intent import RequestShape
from assistant.rails_eval import _stance_tiers

OPEN = RequestShape(
    about=False, sources=False, decision=False, legal=False, anthropomorphism=False, task=False
)


class _Rails:
    """Only what the calibration reads: the structure of each text."""

    def __init__(self, shapes: dict[str, RequestShape]) -> None:
        self.shapes = shapes

    def structure(self, text: str) -> tuple[str, RequestShape]:
        return text, self.shapes[text]


def _setup():
    shapes, labels, rows = {}, {}, []
    # 400 ordinary questions: 300 open and addressed, 100 about acting (never opened by a tier)
    for i in range(400):
        text = f"ordinary {i}"
        about = i >= 300
        shapes[text] = RequestShape(**{**OPEN.__dict__, "about": about, "addressed": not about})
        labels[text] = {"ordinary"}
        rows.append((text, 0.05 + 0.9 * i / 400 if not about else 0.99))
    # legal requests: one explicit by structure, the rest left to the classifier
    for i, p in enumerate((0.1, 0.5, 0.9, 0.95)):
        text = f"legal {i}"
        shapes[text] = RequestShape(**{**OPEN.__dict__, "legal": i == 0, "addressed": True})
        labels[text] = {"legal"}
        rows.append((text, p))
    texts = [t for t, _ in rows]
    legal = np.array([p for _, p in rows])
    scores = {"legal": legal, "decision": np.zeros(len(texts)), "anthropomorphism": np.zeros(len(texts))}
    ordinary_idx = [i for i, t in enumerate(texts) if labels[t] == {"ordinary"}]
    return _Rails(shapes), texts, labels, scores, ordinary_idx


def test_the_two_tiers_together_open_at_most_the_budget_of_ordinary_questions():
    rails, texts, labels, scores, ordinary = _setup()
    tiers = _stance_tiers(rails, texts, labels, scores, ordinary, budget=0.01)  # 4 of 400 allowed
    assert tiers["ordinary_open"] == 300  # the questions about acting are never candidates
    assert 0 < tiers["ordinary_opened"] <= 4
    top = scores["legal"][ordinary[:300]]
    assert int((top >= tiers["confident"]).sum()) <= 2  # half the budget to the confident tier
    assert 0.2 <= tiers["addressed"] <= tiers["confident"] <= 0.95
    # the explicit request counts by structure; 0.9 and 0.95 clear the tiers; 0.1 does not
    assert tiers["legal_structure_recall"] == 0.25
    assert tiers["legal_cv_recall"] == 0.75


def test_a_tighter_budget_raises_the_tiers():
    rails, texts, labels, scores, ordinary = _setup()
    loose = _stance_tiers(rails, texts, labels, scores, ordinary, budget=0.05)
    tight = _stance_tiers(rails, texts, labels, scores, ordinary, budget=0.005)
    assert tight["confident"] > loose["confident"] and tight["addressed"] >= loose["addressed"]
    assert tight["ordinary_opened"] < loose["ordinary_opened"]
