"""Guardrails: input rails (decision, legal, anthropomorphism, out_of_scope, injection, pii),
retrieved-content neutralisation and output rails. Definitions live in ``prompts/guardrails.yaml``.

Detection is offline and fast: high-precision patterns, plus a classifier trained on the
exemplars (``rail_classifier.py``) over the same multilingual embedding the retriever uses (the
question is embedded once for both). A rail fires on a pattern, or when the classifier's
probability reaches the rail's calibrated ``threshold``. The nearest-exemplar similarities are
kept in the check's scores and written to the trace log.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .citations import AnswerSentence
from .pii import redact

RAIL_NAMES = ("decision", "legal", "anthropomorphism", "out_of_scope", "injection", "pii")
ACTIONS = {
    "decision": "decline_decision_offer_support",
    "legal": "no_legal_advice_point_to_experts",
    "anthropomorphism": "clarify_tool_not_colleague",
    "out_of_scope": "abstain_not_in_sources",
    "injection": "ignore_injected_instructions",
    "pii": "redact_personal_data",
}
_CITE_SLOT = re.compile(r"\{cite:([0-9.]+)\}")
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_PLACEHOLDER = re.compile(r"\[[^\]]{1,30} entfernt\]")
_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")
EXAMPLE_QUESTIONS = "example-questions"  # source tag of the corpus' example questions


# libyaml's parser where installed: the same safe constructors, a tenth of the start-up time.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` with the C parser when PyYAML has it."""
    return yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)


class RailsConfigError(ValueError):
    """``guardrails.yaml`` is missing or malformed; the message names the problem."""


@dataclass
class RailHit:
    name: str
    score: float
    action: str
    via: str = "exemplar"  # exemplar | pattern | retrieval | llm

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "score": round(self.score, 4), "action": self.action}


@dataclass
class InputCheck:
    """The result of the input rails for one question."""

    question: str  # redacted, hidden instructions removed: what the pipeline works on
    search: str = ""  # the same without redaction placeholders: what is embedded and searched
    hits: list[RailHit] = field(default_factory=list)
    pii: list[str] = field(default_factory=list)
    stripped: bool = False  # injected parts were removed from the question
    scores: dict[str, float] = field(default_factory=dict)

    def fired(self, name: str) -> bool:
        return any(h.name == name for h in self.hits)

    @property
    def names(self) -> list[str]:
        return [h.name for h in self.hits]


@dataclass
class Rail:
    name: str
    patterns: list[re.Pattern[str]]
    exemplars: list[str]
    cite: list[str]
    response: dict[str, str]
    threshold: float
    budget: float | None = None  # per-rail false-positive budget for calibration, if not the default
    description: str = ""


def load_rails(settings: Any, embeddings: Any) -> Rails:
    """The product's rails: definitions from ``prompts_dir``, the fitted model beside the index."""
    return Rails(settings.prompts_dir / "guardrails.yaml", embeddings, cache_dir=settings.index_dir)


class Rails:
    """Loads rail definitions and runs input, retrieved-content and output checks."""

    def __init__(self, path: Path, embeddings: Any, cache_dir: Path | None = None) -> None:
        self.path = path
        self.embeddings = embeddings
        try:
            raw = load_yaml(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise RailsConfigError(f"Guardrail file {path} not found.") from exc
        except yaml.YAMLError as exc:
            raise RailsConfigError(f"{path} is not valid YAML: {exc}") from exc
        self.raw = raw
        self.rails: dict[str, Rail] = {}
        for name, spec in (raw.get("rails") or {}).items():
            if name not in RAIL_NAMES:
                raise RailsConfigError(f"{path}: unknown rail '{name}' (known: {RAIL_NAMES}).")
            try:
                self.rails[name] = Rail(
                    name=name,
                    patterns=[re.compile(p, re.I) for p in spec.get("patterns", [])],
                    exemplars=[
                        *spec.get("exemplars", {}).get("de", []),
                        *spec.get("exemplars", {}).get("en", []),
                    ],
                    cite=[str(c) for c in spec.get("cite", [])],
                    response={k: v.strip() for k, v in spec["response"].items()},
                    threshold=float(spec.get("threshold", 0.5)),
                    budget=float(spec["calibration_budget"]) if "calibration_budget" in spec else None,
                    description=str(spec.get("description", "")),
                )
            except (KeyError, re.error, TypeError) as exc:
                raise RailsConfigError(f"{path}: rail '{name}' is malformed ({exc}).") from exc
        self.ordinary = [*raw.get("ordinary", {}).get("de", []), *raw.get("ordinary", {}).get("en", [])]
        # Which file (author) each exemplar comes from: calibration holds out one source at a time.
        self.source_of: dict[str, str] = {}
        for text in [*self.ordinary, *(e for r in self.rails.values() for e in r.exemplars)]:
            self.source_of.setdefault(text, path.name)
        self._extend_from_files(raw.get("exemplar_files", []))
        questions = self._bullet_questions(raw.get("ordinary_question_files", []))
        for text in questions:
            self.source_of.setdefault(text, EXAMPLE_QUESTIONS)
        self.ordinary.extend(questions)
        self.pii_notice = raw["pii"]["notice"]
        self.calibration_exclude = set(raw.get("calibration_exclude", []))
        courtesy = raw.get("courtesy", {})
        self.courtesy_patterns = [re.compile(p, re.I) for p in courtesy.get("patterns", [])]
        self.courtesy_reply = courtesy.get("response", {})
        greeting = courtesy.get("greeting", {})
        self.greeting_patterns = {
            lang: re.compile(p, re.I) for lang, p in greeting.get("patterns", {}).items()
        }
        self.greeting_reply = greeting.get("response", {})
        self.capabilities = raw.get("capabilities", {})
        self.social_only_max_words = int(raw.get("social_only_max_words", 0))
        reminder = raw["people_decide_reminder"]
        self.reminder = {k: reminder[k].strip() for k in ("de", "en")}
        self.reminder_topics = [re.compile(p, re.I) for p in reminder.get("topics", [])]
        self.reminder_cite = [str(c) for c in reminder.get("cite", ["3.3"])]
        out = raw.get("output", {})
        self.forbidden = [re.compile(p, re.I) for p in out.get("forbidden_claims", [])]
        self.negations = re.compile(out.get("negation", r"\b(nicht|kein\w*|not|no|never|nie)\b"), re.I)
        source = raw.get("source_question", {})
        self.source_patterns = [re.compile(p, re.I) for p in source.get("patterns", [])]
        self.source_exempt = set(source.get("classifier_exempt", []))
        hidden = raw.get("hidden_instructions", {})
        self.hidden = [re.compile(p, re.I | re.S) for p in hidden.get("strip", [])]
        self.instruction_like = [re.compile(p, re.I) for p in hidden.get("instruction_like", [])]
        self._load_vectors(cache_dir)

    def _extend_from_files(self, files: list[str]) -> None:
        """Add labelled development items (JSON Lines) to the exemplar pools.

        Items labelled with rails become exemplars of those rails; unlabelled ones become
        ordinary (negative) exemplars. Only development sets belong here, never a test set.
        """
        import json

        for name in files:
            path = (self.path.parent / name).resolve()
            if not path.is_file():
                raise RailsConfigError(f"{self.path}: exemplar file {name} not found.")
            for line in path.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                item = json.loads(line)
                self.source_of.setdefault(item["text"], path.name)
                labels = [x for x in item["labels"] if x in self.rails]
                for label in labels:
                    self.rails[label].exemplars.append(item["text"])
                if not item["labels"]:
                    self.ordinary.append(item["text"])

    @property
    def labelled_ordinary(self) -> set[str]:
        """Hand-labelled negatives (YAML and development files): they set the calibration budget.

        The corpus' example questions, and the files listed under ``calibration_exclude`` (bare
        conversational follow-ups, judged in their conversation), only widen what the classifier
        knows as ordinary.
        """
        skip = {EXAMPLE_QUESTIONS, *self.calibration_exclude}
        return {t for t in self.ordinary if self.source_of.get(t) not in skip}

    def _bullet_questions(self, files: list[str]) -> list[str]:
        """Ordinary consultant questions from the corpus' example-question files (Markdown bullets)."""
        out = []
        for name in files:
            path = (self.path.parent / name).resolve()
            if not path.is_file():
                raise RailsConfigError(f"{self.path}: ordinary question file {name} not found.")
            out += [
                line[2:].strip()
                for line in path.read_text(encoding="utf-8").splitlines()
                if line.startswith("- ") and line[2:].strip()
            ]
        return out

    # --- the trained model (an artefact beside the index, see ``rail_classifier.py``) ------

    @property
    def input_files(self) -> list[Path]:
        """The files the model is trained from: this YAML, exemplar and question files."""
        names = [*self.raw.get("exemplar_files", []), *self.raw.get("ordinary_question_files", [])]
        return [self.path, *((self.path.parent / n).resolve() for n in names)]

    def _load_vectors(self, cache_dir: Path | None) -> None:
        """Load the fitted model from ``cache_dir``; fit (and store) it only when its inputs changed."""
        from .rail_classifier import RailClassifier, RailModel, fingerprint

        texts = [e for r in self.rails.values() for e in r.exemplars] + self.ordinary
        owners = [r.name for r in self.rails.values() for _ in r.exemplars] + ["ordinary"] * len(
            self.ordinary
        )
        model_id = getattr(self.embeddings, "model_id", type(self.embeddings).__name__)
        fresh = RailClassifier(list(self.rails))
        # The training texts follow from the files and the code deriving them (this module, pii.py).
        code = [Path(__file__), Path(__file__).with_name("pii.py")]
        digest = fingerprint([*self.input_files, *code], model_id, fresh.params)
        stored = RailModel.load(cache_dir) if cache_dir else None
        if stored is not None and stored.fingerprint == digest and stored.owners == owners:
            model = stored
        else:
            if stored is not None:
                old = stored.fingerprint[:8]
                print(f"Rail model: inputs changed ({old} → {digest[:8]}), re-fitting.", file=sys.stderr)
            elif cache_dir:
                print(f"Rail model: none stored in {cache_dir}, fitting once.", file=sys.stderr)
            # Exemplars are seen exactly as questions are at run time: redacted, placeholders dropped.
            model_texts = [self.search_text(redact(t).text) for t in texts]
            reuse = stored if stored is not None and stored.model_id == model_id else None
            vectors = self._embed(model_texts, reuse)
            fitted = fresh.fit(model_texts, owners, vectors)
            model = RailModel(fitted, model_texts, owners, vectors, digest, model_id)
            if cache_dir:
                model.save(cache_dir)
        self._model_texts = model.texts
        self.model = model
        self.classifier = model.classifier
        self._vectors = np.asarray(model.vectors, dtype=np.float32)
        self._owners = np.array(owners)
        self._texts = texts

    def _embed(self, texts: list[str], previous: Any) -> np.ndarray:
        """Exemplar vectors; those of a previous artefact (same model) are reused, not re-embedded."""
        known = dict(zip(previous.texts, previous.vectors, strict=True)) if previous is not None else {}
        todo = sorted({t for t in texts if t not in known})
        if todo:
            new = (
                self.embeddings.encode_query_batch(todo)
                if hasattr(self.embeddings, "encode_query_batch")
                else np.vstack([self.embeddings.encode_query(t) for t in todo])
            )
            known.update(zip(todo, np.asarray(new), strict=True))
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.vstack([known[t] for t in texts]).astype(np.float32)

    # --- input rails ---------------------------------------------------------------------

    def strip_hidden(self, text: str) -> tuple[str, bool]:
        """Remove hidden or embedded instructions; keep the legitimate rest of the message.

        HTML comments go entirely; otherwise every sentence that carries an instruction to
        the assistant (a fake admin note, an override, a quoted "note to the AI") is dropped
        and the other sentences stay, so the real question can still be answered.
        """
        from .sentences import sentences

        out = _COMMENT.sub(" ", text)
        removed = out != text
        parts, last = [], 0
        for start, end in sentences(out):
            piece = out[start:end]
            if any(p.search(piece) for p in self.hidden) or self._injection_pattern(piece):
                parts.append(out[last:start])
                last, removed = end, True
        parts.append(out[last:])
        # Only what was dropped counts: text between sentences (closing quotes) stays as it was.
        return re.sub(r"\s{2,}", " ", "".join(parts)).strip(), removed

    def _injection_pattern(self, text: str) -> bool:
        rail = self.rails.get("injection")
        return bool(rail) and any(p.search(text) for p in rail.patterns)

    @staticmethod
    def search_text(text: str) -> str:
        """Text for embedding and classification: placeholders and markup tags carry no meaning."""
        return re.sub(r"\s{2,}", " ", _TAG.sub(" ", _PLACEHOLDER.sub(" ", text))).strip()

    def check_input(self, question: str, vector_of) -> tuple[InputCheck, np.ndarray]:
        """Run all input rails. ``vector_of(text)`` embeds the cleaned question (reused later)."""
        redaction = redact(question)
        check = InputCheck(redaction.text, pii=redaction.found)
        if redaction.changed:
            check.hits.append(RailHit("pii", 1.0, ACTIONS["pii"], "pattern"))
        cleaned, stripped = self.strip_hidden(redaction.text)
        check.stripped = stripped
        for name, rail in self.rails.items():
            target = redaction.text if name == "injection" else cleaned
            if any(p.search(target) for p in rail.patterns):
                check.hits.append(RailHit(name, 1.0, ACTIONS[name], "pattern"))
        if stripped and not check.fired("injection"):
            check.hits.append(RailHit("injection", 1.0, ACTIONS["injection"], "pattern"))
        check.question = cleaned
        check.search = self.search_text(cleaned)
        vector = vector_of(check.search or self.search_text(redaction.text))
        self._exemplar_rails(vector, check)
        return check, vector

    def _exemplar_rails(self, vector: np.ndarray, check: InputCheck) -> None:
        """Nearest-exemplar similarity per rail (recorded) and the exemplar classifier (decides)."""
        if not len(self._vectors):
            return
        sims = self._vectors @ vector
        for owner in ("ordinary", *self.rails):
            mask = self._owners == owner
            if mask.any():
                check.scores[f"nearest_{owner}"] = float(sims[mask].max())
        probs = self.classifier_scores(check.search, vector)
        for name, rail in self.rails.items():
            check.scores[name] = probs.get(name, 0.0)
            if not check.fired(name) and probs.get(name, 0.0) >= rail.threshold:
                check.hits.append(RailHit(name, probs[name], ACTIONS[name]))

    def classifier_scores(self, text: str, vector: np.ndarray, classifier=None) -> dict[str, float]:
        """Classifier probability per rail for a search text; for a question about what the
        guidance says, the rails it asks content of (``source_question``) score 0."""
        probs = (classifier or self.classifier).predict(text, vector)
        if self.is_source_question(text):
            probs = {k: 0.0 if k in self.source_exempt else v for k, v in probs.items()}
        return probs

    def confirm_in_context(self, hits: list[RailHit], text: str, vector: np.ndarray) -> list[RailHit]:
        """Keep a classifier hit on an elliptic follow-up only if it also holds for ``text``, the
        question resolved against the conversation (and ``vector``, its embedding). Pattern hits
        and injection stay: they are about what the user wrote, not what it refers to."""
        probs: dict[str, float] | None = None
        kept = []
        for hit in hits:
            if hit.via == "exemplar" and hit.name != "injection":
                probs = probs if probs is not None else self.classifier_scores(text, vector)
                if probs.get(hit.name, 0.0) < self.rails[hit.name].threshold:
                    continue
            kept.append(hit)
        return kept

    def is_courtesy(self, text: str) -> bool:
        """The message is only thanks or an acknowledgement (``courtesy_reply`` answers it)."""
        return any(p.match(text) for p in self.courtesy_patterns)

    def greeting_language(self, text: str) -> str | None:
        """The language of a message that is only a greeting ("Hallo!", "Good morning"), else None."""
        return next((lang for lang, p in self.greeting_patterns.items() if p.match(text)), None)

    def is_social_only(self, text: str, fired: set[str]) -> bool:
        """Short social talk addressed to the tool: anthropomorphism is the only rail that fired
        (personal data aside), so there is no underlying need to search for."""
        return (
            "anthropomorphism" in fired
            and fired <= {"anthropomorphism", "pii"}
            and len(re.findall(r"\w+", text)) <= self.social_only_max_words
        )

    def is_source_question(self, text: str) -> bool:
        """The question asks what the guidance says (content), not for a verdict or a decision."""
        return any(p.search(text) for p in self.source_patterns)

    # --- retrieved content ---------------------------------------------------------------

    def is_instruction_like(self, text: str) -> bool:
        """True for passages that address the assistant with instructions (data, not orders)."""
        patterns = (
            self.instruction_like + self.rails["injection"].patterns
            if "injection" in self.rails
            else self.instruction_like
        )
        return any(p.search(text) for p in patterns)

    def neutralise(self, text: str) -> str:
        """Replace instruction-like sentences of retrieved text before it reaches a model."""
        from .sentences import sentences

        out, last = [], 0
        for start, end in sentences(text):
            if self.is_instruction_like(text[start:end]):
                out.append(text[last:start] + "[instruction-like text removed]")
                last = end
        out.append(text[last:])
        return "".join(out)

    # --- responses and output rails ------------------------------------------------------

    def response(self, name: str, lang: str) -> str:
        return self.rails[name].response.get(lang) or self.rails[name].response["de"]

    @staticmethod
    def cite_slots(template: str) -> list[str]:
        return _CITE_SLOT.findall(template)

    @staticmethod
    def fill(template: str, numbers: dict[str, int]) -> list[AnswerSentence]:
        """Template text to sentences; ``{cite:X}`` becomes that sentence's citation."""
        from .sentences import sentences

        text = " ".join(template.split())
        out = []
        for start, end in sentences(text):
            piece = text[start:end]
            cites = [numbers[s] for s in _CITE_SLOT.findall(piece) if s in numbers]
            clean = re.sub(r"\s*\{cite:[0-9.]+\}", "", piece).strip()
            out.append(AnswerSentence(clean, cites, "notice"))
        return out

    def needs_reminder(self, question: str, check: InputCheck) -> bool:
        return check.fired("decision") or any(p.search(question) for p in self.reminder_topics)

    def violates_stance(self, sentence: str) -> bool:
        """A sentence presenting AI as a colleague, team member or decision-maker."""
        return any(p.search(sentence) for p in self.forbidden) and not self.negations.search(sentence)

    def check_output(self, sentences: list[AnswerSentence], valid: set[int]) -> list[AnswerSentence]:
        """Drop invalid citation numbers, uncited guidance and stance violations."""
        kept = []
        for sentence in sentences:
            sentence.cites = [n for n in sentence.cites if n in valid]
            if sentence.role == "guidance" and not sentence.cites:
                continue
            if self.violates_stance(sentence.text):
                continue
            kept.append(sentence)
        return kept
