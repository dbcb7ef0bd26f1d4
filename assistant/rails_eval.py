"""Measure the input rails on a labelled set (recall per rail, false positives on ordinary
questions, latency) and calibrate exemplar thresholds on a *development* set.

Labelled sets are JSON Lines: ``{"id", "lang", "text", "labels": [rail, ...]}``; ``[]`` marks
an ordinary consultant question that must pass untouched.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .rails import RAIL_NAMES


@dataclass
class RailsReport:
    recall: dict[str, float]
    support: dict[str, int]
    false_positive_rate: float
    false_positives: list[dict[str, Any]]
    misses: list[dict[str, Any]]
    ordinary: int
    latency_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "recall": self.recall,
            "support": self.support,
            "false_positive_rate": self.false_positive_rate,
            "ordinary": self.ordinary,
            "latency_ms": self.latency_ms,
            "false_positives": self.false_positives,
            "misses": self.misses,
        }

    def table(self) -> str:
        lines = ["| rail | n | recall |", "|---|---|---|"]
        for name in RAIL_NAMES:
            if self.support.get(name):
                lines.append(f"| {name} | {self.support[name]} | {self.recall[name]:.3f} |")
        lines.append(f"| ordinary (false-positive rate) | {self.ordinary} | {self.false_positive_rate:.3f} |")
        return "\n".join(lines)


def load_labelled(path: Path) -> list[dict[str, Any]]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            assert isinstance(item["text"], str) and isinstance(item["labels"], list)
            assert all(label in RAIL_NAMES for label in item["labels"])
        except (json.JSONDecodeError, KeyError, AssertionError) as exc:
            raise ValueError(f"{path}:{n}: not a labelled rail item ({exc!r}).") from exc
        items.append(item)
    return items


def evaluate_rails(assistant, items: list[dict[str, Any]]) -> RailsReport:
    """Run every item through the full pipeline and compare the rails that fired."""
    hit = dict.fromkeys(RAIL_NAMES, 0)
    support = dict.fromkeys(RAIL_NAMES, 0)
    fps, misses, ordinary = [], [], 0
    for item in items:
        fired = {h.name for h in assistant.ask(item["text"]).rails}
        labels = set(item["labels"])
        for name in labels:
            support[name] += 1
            if name in fired:
                hit[name] += 1
            else:
                misses.append({"id": item["id"], "rail": name, "fired": sorted(fired)})
        if not labels:
            ordinary += 1
            if fired:
                fps.append({"id": item["id"], "text": item["text"], "fired": sorted(fired)})
    recall = {n: hit[n] / support[n] for n in RAIL_NAMES if support[n]}
    report = RailsReport(recall, support, len(fps) / ordinary if ordinary else 0.0, fps, misses, ordinary)
    report.latency_ms = rails_latency(assistant, [i["text"] for i in items])
    return report


def rails_latency(assistant, texts: list[str]) -> dict[str, float]:
    """Input-rail time per question: rules + exemplar similarity, with and without embedding."""
    rails, embed = assistant.rails, assistant.index.embeddings.encode_query
    vectors = {t: embed(rails.strip_hidden(t)[0] or t) for t in texts}
    without, with_embed = [], []
    for text in texts:
        start = time.perf_counter()
        rails.check_input(text, lambda _t, _v=vectors[text]: _v)
        without.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        rails.check_input(text, embed)
        with_embed.append((time.perf_counter() - start) * 1000)
    return {
        "rules_and_similarity_p50": statistics.median(without),
        "rules_and_similarity_p95": float(np.percentile(without, 95)),
        "including_embedding_p50": statistics.median(with_embed),
        "including_embedding_p95": float(np.percentile(with_embed, 95)),
    }


def calibrate(assistant, items: list[dict[str, Any]], max_fp_share: float = 0.005) -> dict[str, Any]:
    """Suggest per-rail classifier thresholds and the abstain threshold (development data only).

    The rail classifier is trained on the exemplar pool, which already contains the
    development items, so its scores are obtained by cross-validation that holds out one
    source file (one author) at a time: every exemplar is scored by a model that saw neither it
    nor anything else its author wrote. Random folds leak an author's phrasing and made the
    thresholds too permissive for questions written by someone new (the users). Per rail, the
    lowest threshold is chosen whose false positives stay within ``max_fp_share`` of the
    hand-labelled ordinary examples; the corpus' example questions train the classifier but are
    too easy to count. The budget is per rail and five classifier rails add up: 0.5 % each
    allows about 2.5 % of ordinary questions to trip one of them. The abstain threshold is the
    retrieval score below which at most ``max_fp_share`` of the ordinary development questions fall.
    """
    from .rail_classifier import RailClassifier

    rails = assistant.rails
    texts, owners, vectors = rails._texts, list(rails._owners), rails._vectors
    features = rails._model_texts  # what the classifier sees (redacted, no placeholders)
    source = [rails.defs.source_of.get(t, "?") for t in texts]
    scores = {name: np.zeros(len(texts)) for name in rails.rails}
    for held_out in sorted(set(source)):
        train = [i for i, s in enumerate(source) if s != held_out]
        test = [i for i, s in enumerate(source) if s == held_out]
        clf = RailClassifier(list(rails.rails)).fit(
            [features[i] for i in train], [owners[i] for i in train], vectors[train]
        )
        for i in test:
            for name, p in rails.classifier_scores(features[i], vectors[i], clf).items():
                scores[name][i] = p
    labels: dict[str, set[str]] = {}
    for text, owner in zip(texts, owners, strict=True):
        labels.setdefault(text, set()).add(owner)
    out: dict[str, Any] = {}
    labelled = rails.labelled_ordinary
    ordinary_idx = [i for i, t in enumerate(texts) if labels[t] == {"ordinary"} and t in labelled]
    for name in rails.rails:
        pos = [i for i, t in enumerate(texts) if name in labels[t]]
        neg_scores = np.sort(scores[name][ordinary_idx])[::-1]
        budget = rails.rails[name].budget or max_fp_share
        allowed = int(len(neg_scores) * budget)
        threshold = float(neg_scores[allowed]) + 1e-3 if len(neg_scores) > allowed else 0.5
        threshold = min(max(threshold, 0.2), 0.95)
        recall = float(np.mean(scores[name][pos] >= threshold)) if pos else 0.0
        out[name] = {
            "threshold": round(threshold, 3),
            "budget": budget,
            "cv_recall": round(recall, 3),
            "positives": len(pos),
            "ordinary": len(ordinary_idx),
        }
    thresholds = {name: out[name]["threshold"] for name in rails.rails}
    out["stance"] = _stance_tiers(
        rails, texts, labels, scores, ordinary_idx, max_fp_share, thresholds, rails.defs.stance_floor
    )
    tops = []
    for item in items:
        check, vector = rails.check_input(item["text"], assistant.index.embeddings.encode_query)
        result = assistant.retriever.search(check.question or item["text"], vector)
        tops.append((set(item["labels"]), result.evidence))
    ordinary_tops = sorted(top for labels_, top in tops if not labels_)
    oos = [top for labels_, top in tops if "out_of_scope" in labels_]
    cut = ordinary_tops[int(len(ordinary_tops) * max_fp_share)] if ordinary_tops else 0.0
    out["abstain_threshold"] = {
        "value": round(float(cut) - 0.001, 4),
        "dev_out_of_scope_below": round(sum(t < cut for t in oos) / max(len(oos), 1), 3),
        "dev_ordinary_min": round(float(ordinary_tops[0]), 4) if ordinary_tops else None,
        "dev_out_of_scope_max": round(float(max(oos)), 4) if oos else None,
    }
    return out


def _stance_tiers(
    rails,
    texts: list[str],
    labels: dict[str, set[str]],
    scores: dict[str, np.ndarray],
    ordinary_idx: list[int],
    budget: float,
    thresholds: dict[str, float] | None = None,
    floor: float = 0.0,
) -> dict[str, Any]:
    """Where the two classifier tiers of the stance rails sit (``stance.addressed`` and
    ``stance.confident`` in the YAML), from the held-out-author scores. Only messages the
    structure leaves open count: not a question about acting or the sources, no explicit
    request. Together the tiers may open at most ``budget`` of the hand-labelled ordinary
    questions with a template: half of it goes to the confident tier (any open message), the
    rest to the address tier (open messages addressed to the tool, below the confident tier).
    What opens is decided by ``rails.stance_openings``, the product's own rule."""
    from .rail_defs import STANCE_RAILS
    from .rails import StanceTiers, stance_openings

    thresholds = thresholds or {}
    shapes = [rails.structure(t)[1] for t in texts]
    top = np.max(np.vstack([scores[r] for r in STANCE_RAILS]), axis=0)
    allowed = int(len(ordinary_idx) * budget)

    def cut(candidates: list[int], n: int) -> float:
        values = np.sort(top[candidates])[::-1]
        return float(values[n]) + 1e-3 if len(values) > n else 0.2

    def opened(i: int, tiers: StanceTiers) -> set[str]:
        return stance_openings({r: float(scores[r][i]) for r in STANCE_RAILS}, shapes[i], tiers, thresholds)

    open_ = [
        i
        for i in ordinary_idx
        if not shapes[i].about and not any(shapes[i].explicit(r) for r in STANCE_RAILS)
    ]
    confident = min(max(cut(open_, allowed // 2), 0.2), 0.95)
    used = int(sum(top[i] >= confident for i in open_))
    below = [i for i in open_ if shapes[i].addressed and top[i] < confident]
    addressed = min(max(cut(below, max(allowed - used, 0)), 0.2), confident)
    tiers = StanceTiers(floor, addressed, confident)
    out: dict[str, Any] = {
        "addressed": round(addressed, 3),
        "confident": round(confident, 3),
        "ordinary_open": len(open_),
        "ordinary_opened": sum(bool(opened(i, tiers)) for i in open_),
    }
    for name in STANCE_RAILS:
        pos = [i for i, t in enumerate(texts) if name in labels[t]]
        out[f"{name}_cv_recall"] = (
            round(float(np.mean([name in opened(i, tiers) for i in pos])), 3) if pos else 0.0
        )
        out[f"{name}_structure_recall"] = (
            round(float(np.mean([shapes[i].explicit(name) for i in pos])), 3) if pos else 0.0
        )
    return out
