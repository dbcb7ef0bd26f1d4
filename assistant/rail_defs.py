"""Rail definitions: ``prompts/guardrails.yaml`` read into typed objects (texts included).

Everything a newcomer changes about the rails' wording, exemplars, thresholds or training files
is in the YAML; this module only reads and checks it, and names the problem when it is wrong.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

RAIL_NAMES = ("decision", "legal", "anthropomorphism", "out_of_scope", "injection", "pii")
STANCE_RAILS = ("decision", "legal", "anthropomorphism")
EXAMPLE_QUESTIONS = "example-questions"  # source tag of the corpus' example questions


# libyaml's parser where installed: the same safe constructors, a tenth of the start-up time.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` with the C parser when PyYAML has it."""
    return yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)


class RailsConfigError(ValueError):
    """``guardrails.yaml`` is missing or malformed; the message names the problem."""


@dataclass
class Rail:
    """One rail: what it is for, its training exemplars, its template and its threshold."""

    name: str
    patterns: list[re.Pattern[str]]  # optional explicit rules (none ship: structure decides)
    exemplars: list[str]
    cite: list[str]
    response: dict[str, str]
    threshold: float
    short: dict[str, str] = field(default_factory=dict)  # one sentence, when stance templates stack
    budget: float | None = None  # per-rail false-positive budget for calibration, if not the default
    description: str = ""


@dataclass
class RailDefinitions:
    """All of ``guardrails.yaml``: rails, training data, fixed texts and output rules."""

    path: Path
    raw: dict[str, Any]
    rails: dict[str, Rail]
    ordinary: list[str]
    source_of: dict[str, str]  # exemplar text → file (author) it comes from
    calibration_exclude: set[str]
    pii_notice: dict[str, str]
    courtesy_patterns: list[re.Pattern[str]]
    courtesy_reply: dict[str, str]
    greeting_patterns: dict[str, re.Pattern[str]]
    greeting_reply: dict[str, str]
    capabilities: dict[str, str]
    social_only_max_words: int
    reminder: dict[str, str]
    reminder_cite: list[str]
    forbidden: list[re.Pattern[str]]
    negations: re.Pattern[str]
    instruction_like: list[re.Pattern[str]]
    stance_floor: float  # an explicit request fires its rail from this classifier probability
    stance_confident: float  # without explicit structure, only a probability this high fires
    stance_addressed: float  # a message addressed to the tool, not about acting: from this probability
    files: list[Path] = field(default_factory=list)  # training files (fingerprinted with the model)


def load_definitions(path: Path) -> RailDefinitions:
    """Read and check the YAML and the exemplar files it names."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RailsConfigError(f"Guardrail file {path} not found.") from exc
    except yaml.YAMLError as exc:
        raise RailsConfigError(f"{path} is not valid YAML: {exc}") from exc
    rails: dict[str, Rail] = {}
    for name, spec in (raw.get("rails") or {}).items():
        if name not in RAIL_NAMES:
            raise RailsConfigError(f"{path}: unknown rail '{name}' (known: {RAIL_NAMES}).")
        try:
            rails[name] = Rail(
                name=name,
                patterns=[re.compile(p, re.I) for p in spec.get("patterns", [])],
                exemplars=[
                    *spec.get("exemplars", {}).get("de", []),
                    *spec.get("exemplars", {}).get("en", []),
                ],
                cite=[str(c) for c in spec.get("cite", [])],
                response={k: v.strip() for k, v in spec["response"].items()},
                short={k: v.strip() for k, v in spec.get("short", {}).items()},
                threshold=float(spec.get("threshold", 0.5)),
                budget=float(spec["calibration_budget"]) if "calibration_budget" in spec else None,
                description=str(spec.get("description", "")),
            )
        except (KeyError, re.error, TypeError, AttributeError) as exc:
            raise RailsConfigError(f"{path}: rail '{name}' is malformed ({exc}).") from exc
    ordinary = [*raw.get("ordinary", {}).get("de", []), *raw.get("ordinary", {}).get("en", [])]
    source_of: dict[str, str] = {}
    for text in [*ordinary, *(e for r in rails.values() for e in r.exemplars)]:
        source_of.setdefault(text, path.name)
    files = []
    for name in raw.get("exemplar_files", []):
        file = (path.parent / name).resolve()
        files.append(file)
        _read_labelled(file, path, rails, ordinary, source_of)
    for name in raw.get("ordinary_question_files", []):
        file = (path.parent / name).resolve()
        files.append(file)
        for text in _bullet_questions(file, path):
            source_of.setdefault(text, EXAMPLE_QUESTIONS)
            ordinary.append(text)
    try:
        courtesy = raw.get("courtesy", {})
        greeting = courtesy.get("greeting", {})
        reminder = raw["people_decide_reminder"]
        out = raw.get("output", {})
        hidden = raw.get("hidden_instructions", {})
        stance = raw.get("stance", {})
        return RailDefinitions(
            path=path,
            raw=raw,
            rails=rails,
            ordinary=ordinary,
            source_of=source_of,
            calibration_exclude=set(raw.get("calibration_exclude", [])),
            pii_notice=raw["pii"]["notice"],
            courtesy_patterns=[re.compile(p, re.I) for p in courtesy.get("patterns", [])],
            courtesy_reply=courtesy.get("response", {}),
            greeting_patterns={lang: re.compile(p, re.I) for lang, p in greeting.get("patterns", {}).items()},
            greeting_reply=greeting.get("response", {}),
            capabilities=raw.get("capabilities", {}),
            social_only_max_words=int(raw.get("social_only_max_words", 0)),
            reminder={k: reminder[k].strip() for k in ("de", "en")},
            reminder_cite=[str(c) for c in reminder.get("cite", ["3.3"])],
            forbidden=[re.compile(p, re.I) for p in out.get("forbidden_claims", [])],
            negations=re.compile(out.get("negation", r"\b(nicht|kein\w*|not|no|never|nie)\b"), re.I),
            instruction_like=[re.compile(p, re.I) for p in hidden.get("instruction_like", [])],
            stance_floor=float(stance.get("structure_floor", 0.1)),
            stance_confident=float(stance.get("confident", 0.8)),
            stance_addressed=float(stance.get("addressed", stance.get("confident", 0.8))),
            files=files,
        )
    except (KeyError, re.error, TypeError, AttributeError, ValueError) as exc:
        raise RailsConfigError(f"{path}: malformed entry ({exc}).") from exc


_ORDINARY_CATEGORIES = {"retrieval", "pii"}  # eval categories that are answered as usual


def _read_labelled(
    file: Path, yaml_path: Path, rails: dict[str, Rail], ordinary: list[str], source_of: dict[str, str]
) -> None:
    """Labelled development items (JSON Lines) extend the exemplar pools; unlabelled ones are
    ordinary (negative) exemplars. Only development sets belong here, never a test set.

    Two schemas: rail items (``text``, ``labels``) and eval items (``question``, ``category``),
    so that an eval set, once read, trains the classifier as it is. An eval item's category is
    its label when it names a rail; answerable questions (``retrieval``, ``pii``) are ordinary;
    follow-ups (read with their conversation) and other categories are not training text."""
    if not file.is_file():
        raise RailsConfigError(f"{yaml_path}: exemplar file {file.name} not found.")
    for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if "text" in item:
                text, labels = item["text"], item["labels"]
            else:
                text, category = item["question"], item["category"]
                if item.get("history") or category not in {*rails, *_ORDINARY_CATEGORIES}:
                    continue
                labels = [] if category in _ORDINARY_CATEGORIES else [category]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise RailsConfigError(f"{file}:{n}: not a labelled rail item or eval item ({exc}).") from exc
        source_of.setdefault(text, file.name)
        for label in labels:
            if label in rails:
                rails[label].exemplars.append(text)
        if not labels:
            ordinary.append(text)


def _bullet_questions(file: Path, yaml_path: Path) -> list[str]:
    """Ordinary consultant questions from the corpus' example-question files (Markdown bullets)."""
    if not file.is_file():
        raise RailsConfigError(f"{yaml_path}: ordinary question file {file.name} not found.")
    return [
        line[2:].strip()
        for line in file.read_text(encoding="utf-8").splitlines()
        if line.startswith("- ") and line[2:].strip()
    ]
