"""Guardrails: the rail layer's facade over its parts.

- ``rail_defs.py``: the definitions in ``prompts/guardrails.yaml`` as typed objects (texts too);
- ``rail_classifier.py``: the trained model, an artefact beside the index (fitted once);
- ``input_guard.py``: injected instructions found by family and structure, and removed;
- ``intent.py``: what the request asks of the tool (its structure), and conversation intents;
- ``policy.py``: which rail wins and what the answer consists of (used by ``chain.py``);
- output rules for generated text stay here (``check_output``, ``violates_stance``, ``neutralise``).

A stance rail (decision, legal, anthropomorphism) fires for an *explicit* request to the tool:
its structure asks the tool to decide, to rule or to be a person, and the classifier (trained on
the exemplars, over the shared question embedding and character n-grams) finds it similar; or,
without such structure, only when the classifier is confident and the message is not a question
about how to act or what the sources say. Scores and nearest-exemplar similarities are kept in
the check's scores and the trace.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .citations import AnswerSentence
from .input_guard import guard, is_directive
from .intent import RequestShape, matches_any, request_shape, touches_people_decisions
from .pii import redact
from .rail_defs import (
    EXAMPLE_QUESTIONS,
    RAIL_NAMES,
    STANCE_RAILS,
    Rail,
    RailsConfigError,
    load_definitions,
    load_yaml,
)

__all__ = [
    "load_yaml",
    "ACTIONS",
    "RAIL_NAMES",
    "InputCheck",
    "Rail",
    "RailHit",
    "Rails",
    "RailsConfigError",
    "load_rails",
]

ACTIONS = {
    "decision": "decline_decision_offer_support",
    "legal": "no_legal_advice_point_to_experts",
    "anthropomorphism": "clarify_tool_not_colleague",
    "out_of_scope": "abstain_not_in_sources",
    "injection": "ignore_injected_instructions",
    "pii": "redact_personal_data",
}
_CITE_SLOT = re.compile(r"\{cite:([0-9.]+)\}")
_PLACEHOLDER = re.compile(r"\[[^\]]{1,30} entfernt\]")
_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")


@dataclass
class RailHit:
    name: str
    score: float
    action: str
    via: str = "exemplar"  # exemplar | structure | pattern | retrieval | llm

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "score": round(self.score, 4), "action": self.action}


@dataclass
class InputCheck:
    """The result of the input rails for one question."""

    question: str  # redacted, injected parts removed: what the pipeline works on
    search: str = ""  # the same without redaction placeholders: what is embedded and searched
    hits: list[RailHit] = field(default_factory=list)
    pii: list[str] = field(default_factory=list)
    stripped: bool = False  # injected parts were removed from the question
    scores: dict[str, float] = field(default_factory=dict)
    families: list[str] = field(default_factory=list)  # injection families found
    shape: RequestShape | None = None  # what the request asks of the tool
    original: str = ""  # redacted, before the guard: only for reading a message with nothing left
    # After an injection was removed: the questions left in the message, searched instead of the
    # whole rest, so that what remains of the wrapper (a persona's name, "translate and obey",
    # a pasted mail's greeting) does not steer which section is found. Empty: search ``search``.
    focus: str = ""

    def fired(self, name: str) -> bool:
        return any(h.name == name for h in self.hits)

    @property
    def names(self) -> list[str]:
        return [h.name for h in self.hits]


@dataclass(frozen=True)
class StanceTiers:
    """Where a stance template opens (``stance`` in the YAML): an explicit request from
    ``floor``; otherwise a message addressed to the tool, for its likeliest rail, from
    ``addressed``; any other message that is not about acting or the sources from ``confident``."""

    floor: float
    addressed: float
    confident: float


def stance_openings(
    probs: dict[str, float], shape: RequestShape, tiers: StanceTiers, thresholds: dict[str, float]
) -> set[str]:
    """The stance rails whose template opens the answer, from the request's structure and the
    classifier's probabilities (``probs``). The address tier opens at most one template, the
    likeliest, and none beside an explicit request; a question about how to act or what the
    sources say never opens one without explicit structure: uncertain scores never refuse."""
    explicit = any(shape.explicit(r) for r in STANCE_RAILS)
    likeliest = max(STANCE_RAILS, key=lambda r: probs.get(r, 0.0))
    opened = set()
    for name in STANCE_RAILS:
        p = probs.get(name, 0.0)
        if shape.explicit(name):
            fires = p >= tiers.floor
        elif shape.about:
            fires = False
        elif shape.addressed and not explicit and name == likeliest and p >= tiers.addressed:
            fires = True
        else:
            fires = p >= max(tiers.confident, thresholds.get(name, 0.0))
        if fires:
            opened.add(name)
    return opened


def questions_in(text: str) -> str:
    """The direct questions of a text (sentences ending in "?", each once), or "" if there are
    none or they are all of it."""
    from .sentences import sentences

    found = []
    for a, b in sentences(text):
        sentence = text[a:b].strip()
        if not sentence.rstrip(" \"'“”»«)").endswith("?"):
            continue
        found.append(sentence)
    focus = " ".join(dict.fromkeys(found))
    if _POINTS_BACK.search(focus):  # "Wie gehe ich mit so einer Haltung um?": it needs what it refers to
        return ""
    return focus if focus and focus != text.strip() else ""


# A question that points back to the text around it (a demonstrative or "such"/"so ein").
_POINTS_BACK = re.compile(
    r"\b(so\s+ein\w*|solch\w*|such|this|these|those|dies\w*|jene\w*|darauf|dazu|hierzu|hierauf|davon|"
    r"that\s+(\w+\s+)?(mail|e-?mail|message|post|text|request|situation|attitude|question|case))\b",
    re.I,
)


def load_rails(settings: Any, embeddings: Any) -> Rails:
    """The product's rails: definitions from ``prompts_dir``, the fitted model beside the index."""
    return Rails(settings.prompts_dir / "guardrails.yaml", embeddings, cache_dir=settings.index_dir)


class Rails:
    """Loads rail definitions and the trained model; runs input, retrieved-content and output checks."""

    def __init__(self, path: Path, embeddings: Any, cache_dir: Path | None = None) -> None:
        self.path = path
        self.embeddings = embeddings
        self.defs = load_definitions(path)  # typed definitions: texts, exemplars, output rules
        self.rails: dict[str, Rail] = self.defs.rails
        self._load_vectors(cache_dir)

    @property
    def labelled_ordinary(self) -> set[str]:
        """Hand-labelled negatives (YAML and development files): they set the calibration budget.

        The corpus' example questions, and the files listed under ``calibration_exclude`` (bare
        conversational follow-ups, judged in their conversation), only widen what the classifier
        knows as ordinary.
        """
        skip = {EXAMPLE_QUESTIONS, *self.defs.calibration_exclude}
        return {t for t in self.defs.ordinary if self.defs.source_of.get(t) not in skip}

    # --- the trained model (an artefact beside the index, see ``rail_classifier.py``) ------

    @property
    def input_files(self) -> list[Path]:
        """The files the model is trained from: this YAML, exemplar and question files."""
        return [self.path, *self.defs.files]

    def _load_vectors(self, cache_dir: Path | None) -> None:
        """Load the fitted model from ``cache_dir``; fit (and store) it only when its inputs changed."""
        from .rail_classifier import RailClassifier, RailModel, fingerprint

        texts = [e for r in self.rails.values() for e in r.exemplars] + self.defs.ordinary
        owners = [r.name for r in self.rails.values() for _ in r.exemplars] + ["ordinary"] * len(
            self.defs.ordinary
        )
        model_id = getattr(self.embeddings, "model_id", type(self.embeddings).__name__)
        fresh = RailClassifier(list(self.rails))
        # The training texts follow from the files and the code that reads and derives them.
        code = [Path(__file__).with_name(name) for name in ("rails.py", "rail_defs.py", "pii.py")]
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
        """The message without injected parts (hidden, encoded, quoted or direct instructions);
        the legitimate rest stays, so the real question can still be answered."""
        result = guard(text)
        return result.text, result.detected

    @staticmethod
    def search_text(text: str) -> str:
        """Text for embedding and classification: placeholders and markup tags carry no meaning."""
        return re.sub(r"\s{2,}", " ", _TAG.sub(" ", _PLACEHOLDER.sub(" ", text))).strip()

    def _shape(self, search: str, own: str) -> RequestShape:
        shape = request_shape(search)
        if own:
            # A request to be a person stays one when the guard took one of the user's own
            # sentences out (a persona set-up, a dictated signature): that rail reads them too.
            shape = shape.with_person_request_of(request_shape(self.search_text(own)))
        return shape

    def structure(self, question: str) -> tuple[str, RequestShape]:
        """The search text and request structure of a message, as ``check_input`` reads them
        (no embedding): what calibration needs to place the stance tiers."""
        check = self._read(question)
        return check.search, check.shape or request_shape("")

    def _read(self, question: str) -> InputCheck:
        """Personal data redacted, injections removed, the request's structure read."""
        redaction = redact(question)
        check = InputCheck(redaction.text, pii=redaction.found, original=redaction.text)
        if redaction.changed:
            check.hits.append(RailHit("pii", 1.0, ACTIONS["pii"], "pattern"))
        guarded = guard(redaction.text)
        check.stripped, check.families = guarded.detected, guarded.families
        if guarded.detected:
            check.hits.append(RailHit("injection", 1.0, ACTIONS["injection"], "structure"))
        check.question = guarded.text
        check.search = self.search_text(guarded.text)
        check.shape = self._shape(check.search, guarded.own)
        if guarded.detected:
            check.focus = questions_in(check.search)
        return check

    def check_input(self, question: str, vector_of) -> tuple[InputCheck, np.ndarray]:
        """Run all input rails. ``vector_of(text)`` embeds the cleaned question (reused later)."""
        check = self._read(question)
        for name, rail in self.rails.items():  # optional explicit rules from the YAML
            if not check.fired(name) and any(p.search(check.search) for p in rail.patterns):
                check.hits.append(RailHit(name, 1.0, ACTIONS[name], "pattern"))
        vector = vector_of(check.search or self.search_text(check.original))
        self._classify(vector, check)
        return check, vector

    def _classify(self, vector: np.ndarray, check: InputCheck) -> None:
        """Nearest-exemplar similarity per rail (recorded) and the classifier with the request's
        structure (decides)."""
        if not len(self._vectors):
            return
        sims = self._vectors @ vector
        for owner in ("ordinary", *self.rails):
            mask = self._owners == owner
            if mask.any():
                check.scores[f"nearest_{owner}"] = float(sims[mask].max())
        # Nothing legitimate left (the whole message was an injection): the classifier still
        # reads what was asked, so a foreign request in it is named as such.
        probs = self.classifier_scores(check.search or self.search_text(check.original), vector)
        opened = self.stance_openings(probs, check.shape or request_shape(""))
        for name, rail in self.rails.items():
            p = probs.get(name, 0.0)
            check.scores[name] = p
            if check.fired(name):
                continue
            if name in STANCE_RAILS:
                fires, via = name in opened, "structure"
            else:  # injection (a notice) and out_of_scope (a signal the policy weighs)
                fires, via = p >= rail.threshold, "exemplar"
            if fires:
                check.hits.append(RailHit(name, p, ACTIONS[name], via))

    @property
    def tiers(self) -> StanceTiers:
        d = self.defs
        return StanceTiers(d.stance_floor, d.stance_addressed, d.stance_confident)

    def stance_openings(self, probs: dict[str, float], shape: RequestShape) -> set[str]:
        """``stance_openings`` with this YAML's tiers and rail thresholds."""
        return stance_openings(probs, shape, self.tiers, {n: r.threshold for n, r in self.rails.items()})

    def classifier_scores(self, text: str, vector: np.ndarray, classifier=None) -> dict[str, float]:
        """Classifier probability per rail for a search text."""
        return (classifier or self.classifier).predict(text, vector)

    def confirm_in_context(self, hits: list[RailHit], text: str, vector: np.ndarray) -> list[RailHit]:
        """Keep a classifier hit on an elliptic follow-up only if it also holds for ``text``, the
        question resolved against the conversation (and ``vector``, its embedding). Structure and
        pattern hits and injection stay: they are about what the user wrote, not what it refers to."""
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
        return matches_any(self.defs.courtesy_patterns, text)

    def greeting_language(self, text: str) -> str | None:
        """The language of a message that is only a greeting ("Hallo!", "Good morning"), else None."""
        return next((lang for lang, p in self.defs.greeting_patterns.items() if p.match(text)), None)

    def is_social_only(self, text: str, fired: set[str]) -> bool:
        """Short social talk addressed to the tool: anthropomorphism is the only rail that fired
        (personal data aside), so there is no underlying need to search for."""
        return (
            "anthropomorphism" in fired
            and fired <= {"anthropomorphism", "pii"}
            and len(re.findall(r"\w+", text)) <= self.defs.social_only_max_words
        )

    def is_source_question(self, text: str) -> bool:
        """The question asks about the sources or how to act (content), not for a verdict."""
        return request_shape(text).about

    # --- retrieved content ---------------------------------------------------------------

    def is_instruction_like(self, text: str) -> bool:
        """True for passages that address the assistant with instructions (data, not orders)."""
        return any(p.search(text) for p in self.defs.instruction_like) or is_directive(text) is not None

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

    def response(self, name: str, lang: str, short: bool = False) -> str:
        """A rail's template; ``short``: its one-sentence form where it has one."""
        texts = (short and self.rails[name].short) or self.rails[name].response
        return texts.get(lang) or texts["de"]

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
        return check.fired("decision") or touches_people_decisions(question)

    def violates_stance(self, sentence: str) -> bool:
        """A sentence presenting AI as a colleague, team member or decision-maker."""
        d = self.defs
        return any(p.search(sentence) for p in d.forbidden) and not d.negations.search(sentence)

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
