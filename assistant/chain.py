"""The answer pipeline: validate → input rails → condense → retrieve → generate → output rails → Answer.

A plain Python core (``Assistant.ask`` / ``Assistant.stream``) that the CLI, the web app and the
eval harness all call; ``Assistant.as_runnable()`` exposes it as a LangChain runnable.
"""

from __future__ import annotations

import contextlib
import copy
import queue
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from .citations import AnswerSentence, Citation
from .config import QuestionTuning, Settings, get_settings
from .generate import Draft, GenerationRequest
from .index import Index, build_index
from .intent import is_followup, request_shape, requested_sentences, topic_of
from .language import detect_language
from .language import preload as preload_language_profiles
from .llm import make_client
from .llm_answer import make_answer_generator
from .pii import redact
from .policy import Signals, decide
from .rail_check import make_self_check
from .rails import ACTIONS, RailHit, Rails, load_rails
from .retrieval import HybridRetriever, RetrievalResult, SearchScope
from .scope import preload as preload_word_frequencies
from .trace import TraceLog

SOURCES_HEADING = {"de": "Quellen", "en": "Sources"}


class UserInputError(ValueError):
    """The question cannot be processed as given; the message tells the user what to do."""


@dataclass
class Answer:
    """Everything a consultant (or a test) needs to see about one answer."""

    question: str  # PII-redacted
    language: str
    sentences: list[AnswerSentence]
    citations: list[Citation]
    retrieval: RetrievalResult | None
    rails: list[RailHit]
    abstained: bool
    timings_ms: dict[str, float]
    retrieval_query: str = ""
    notices: list[str] = field(default_factory=list)
    rail_scores: dict[str, float] = field(default_factory=dict)  # classifier and nearest-exemplar
    rail_review: dict[str, Any] | None = None  # the optional LLM self-check, when it was asked
    generation: dict[str, Any] = field(default_factory=dict)  # external model: drops, fallback reason
    injection_families: list[str] = field(default_factory=list)  # what the input guard removed, by family

    @property
    def text(self) -> str:
        """Answer body with inline ``[n]`` citations (no source list)."""
        return " ".join(s.render() for s in self.sentences)

    def sources(self) -> list[str]:
        return [f"[{c.n}] {c.label(self.language)}" for c in self.citations]

    def render(self) -> str:
        """Notices, body and the numbered source list, as shown in the CLI and the chat."""
        parts = [f"ℹ️ {n}" for n in self.notices] + [self.text]
        if self.citations:
            parts.append(f"{SOURCES_HEADING[self.language]}:\n" + "\n".join(self.sources()))
        return "\n\n".join(p for p in parts if p)

    def retrieved(self) -> list[dict[str, Any]]:
        out = []
        if self.retrieval:
            for section in self.retrieval.sections:
                for chunk in section.chunks:
                    out.append(
                        {
                            "section": section.section,
                            "doc_id": chunk.meta["doc_id"],
                            "kind": chunk.meta["kind"],
                            "score": round(section.score, 4),
                        }
                    )
        return out

    def to_json(self) -> dict[str, Any]:
        """The documented ``assistant ask --json`` schema (see README)."""
        return {
            "question": self.question,
            "language": self.language,
            "answer": self.text,
            "citations": [c.to_json() for c in self.citations],
            "retrieved": self.retrieved(),
            "rails": [h.to_json() for h in self.rails],
            "abstained": self.abstained,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "notices": self.notices,
            "retrieval_query": self.retrieval_query,
        }


def condense(
    question: str, history: list[dict[str, str]] | None, tuning: QuestionTuning | None = None
) -> str:
    """Resolve an elliptic follow-up against the conversation (the retrieval query): the last
    user turn that stands on its own, with the follow-ups asked since."""
    tuning = tuning or QuestionTuning()
    if not history or not is_followup(question, tuning):
        return question
    previous = [m["content"] for m in history if m.get("role") == "user" and m.get("content")]
    context: list[str] = []
    for turn in reversed(previous[-tuning.max_context_turns :]):
        context.insert(0, Rails.search_text(redact(turn).text))
        if not is_followup(turn, tuning):
            break
    return " ".join([*context, question]) if context else question


class Assistant:
    """The product's core: one instance per process, safe to call from several threads."""

    def __init__(self, settings: Settings | None = None, index: Index | None = None) -> None:
        preload_language_profiles()  # overlaps with loading the model below
        self.settings = settings or get_settings()
        preload_word_frequencies(self.settings.cache_dir)
        if index is None:
            index = Index(self.settings)
            if index.shared:
                index.ensure_servable()  # a worker never rebuilds the team's index
            elif index.stale or index.is_empty():
                index, _ = build_index(self.settings)
        self.index = index
        self.retriever = HybridRetriever.from_index(index)
        self.store = self.retriever.store
        self.rails = load_rails(self.settings, index.embeddings)
        # One client of the external model (if configured) serves the answers and the rail self-check.
        self.llm_client = make_client(self.settings)
        self.generator = make_answer_generator(
            self.settings, self.store, self.rails, index.embeddings, self.llm_client
        )
        self.self_check = make_self_check(self.settings, self.rails, self.llm_client)
        self.trace = TraceLog(self.settings.trace_path)  # shared by every worker (see docs/deployment.md)
        self._untraced: list[str] = []  # warm-up questions not to trace (see ``untraced``)

    def warm_up(self, questions: list[str] | None = None) -> None:
        """Do now what the first question would otherwise do lazily: load the search views
        and the sentence store, the language profiles, and run the whole pipeline once per
        question (not traced), so the first real answer is as fast as the tenth."""
        self.retriever.warm()
        questions = questions or self.settings.warm_up_questions
        with self.untraced(questions):
            for question in questions:
                self._run(question, None)

    @contextmanager
    def untraced(self, questions: list[str] | None = None) -> Iterator[None]:
        """Answers to these start-up questions (default: the warm-up questions) are not written
        to the trace log while inside. Only those questions: a user's question answered at the
        same time (a worker is reachable before its warm-up request is done) is traced."""
        added = list(questions or self.settings.warm_up_questions)
        self._untraced.extend(added)
        try:
            yield
        finally:
            for question in added:
                self._untraced.remove(question)

    # --- public API ------------------------------------------------------------------------

    def ask(
        self, question: str, history: list[dict[str, str]] | None = None, scope: SearchScope | None = None
    ) -> Answer:
        """Answer one question (with optional chat history), fully processed and checked;
        ``scope`` limits the search to some documents (library filter)."""
        return self._run(question, history, scope=scope)

    def stream(
        self, question: str, history: list[dict[str, str]] | None = None, scope: SearchScope | None = None
    ) -> Iterator[tuple[str, Answer | None]]:
        """Yield the rendered answer growing sentence by sentence; the last item carries the Answer.

        With an external model, each sentence is yielded as soon as it is complete and has
        passed the output checks, while the model is still writing; nothing unchecked is shown.
        The final item (notices, body, sources) replaces what was shown before.
        """
        events: queue.Queue = queue.Queue()

        def run() -> None:
            try:
                events.put(("done", self._run(question, history, events.put, scope)))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                events.put(("error", exc))

        threading.Thread(target=run, daemon=True).start()
        streamed = False
        while True:
            kind, item = events.get()
            if kind == "error":
                raise item
            if kind == "done":
                if not streamed:  # not a streaming generator: release the checked sentences one by one
                    head = "\n\n".join(f"ℹ️ {n}" for n in item.notices)
                    for i in range(1, len(item.sentences)):
                        body = " ".join(s.render() for s in item.sentences[:i])
                        yield "\n\n".join(p for p in (head, body) if p), None
                yield item.render(), item
                return
            streamed = True
            yield item, None

    def as_runnable(self):
        """The pipeline as a LangChain runnable: ``{"question", "history"}`` → ``Answer``."""
        from langchain_core.runnables import RunnableLambda

        return RunnableLambda(lambda x: self.ask(x["question"], x.get("history")))

    # --- pipeline ----------------------------------------------------------------------------

    def _run(
        self,
        question: str,
        history: list[dict[str, str]] | None,
        emit=None,
        scope: SearchScope | None = None,
    ) -> Answer:
        """The pipeline; ``emit(("partial", text))`` receives the checked answer so far while an
        external model is still writing (``stream``); ``scope`` limits the search."""
        t0 = time.perf_counter()
        question = self._validate(question)
        courtesy = self._courtesy(question, t0)
        if courtesy is not None:
            return courtesy
        embed = self.index.embeddings.encode_query
        check, rails_vector = self.rails.check_input(question, embed)
        review = self.self_check.review(check) if self.self_check else None
        t_rails = time.perf_counter()
        lang = detect_language(check.question or question)
        notices = [self.rails.defs.pii_notice[lang]] if check.pii else []
        asked = check.focus or check.search  # what is searched: the questions, if a wrapper was removed
        query = condense(asked, history, self.settings.questions)  # redacted, without placeholders
        standalone = query == asked  # not a follow-up resolved against the conversation
        vector = rails_vector if standalone and not check.focus else embed(query)
        # What is searched: the question without "laut Papier", "what does the paper say about".
        topic = topic_of(query)
        retrieval = (
            self.retriever.search(topic, vector if topic == query else embed(topic), scope=scope)
            if query.strip()
            else RetrievalResult(query, [])
        )
        t_retrieve = time.perf_counter()

        hits = list(check.hits)
        if not standalone:  # an elliptic follow-up is judged with its context
            hits = self.rails.confirm_in_context(hits, query, vector)
        names = {h.name for h in hits}
        shape = check.shape or request_shape(check.search)
        top = retrieval.evidence
        st = self.settings
        held = retrieval.held  # share of the question's distinctive terms the index holds
        # A request whose distinctive terms the index does not hold, which the classifier also
        # leans towards calling foreign: out of scope, however well its generic words match.
        stance = frozenset(names & {"decision", "legal", "anthropomorphism"})
        unheld = (
            held is not None
            and held < st.scope_unheld_share
            and check.scores.get("out_of_scope", 0.0) >= st.scope_unheld_min_score
            and not stance  # an explicit request to the tool is answered by its template
        )
        # strong evidence: a good search score and the question's distinctive terms indexed
        # (in the paper, the notes or the user's own documents)
        strong = (
            top >= st.abstain_threshold + st.scope_strong_margin
            and (
                held is None
                or held >= st.scope_strong_coverage
                # the best match is the user's own document (the classifier knows only the paper)
                or (held >= st.scope_unheld_share and _user_document_leads(retrieval))
            )
            # a text to produce on other material, or a figure: evidence for the topic is not
            # evidence that the index holds them
            and not ((shape.task or shape.figure) and not shape.sources)
        )
        signals = Signals(
            stance=stance,
            injection=any(h.name == "injection" and h.via != "exemplar" for h in hits),
            injection_signal=any(h.name == "injection" and h.via == "exemplar" for h in hits),
            user_document=_user_document_leads(retrieval),
            foreign=("out_of_scope" in names or unheld) and not shape.sources,
            figure_unheld=shape.figure
            and not shape.sources
            and not _states_figure(retrieval, st.top_sections),
            confident=top >= st.abstain_threshold,
            strong=strong,
            has_query=bool(query.strip()),
            social_only=standalone and self.rails.is_social_only(check.question, names),
            people_topic=self.rails.needs_reminder(check.question, check),
        )
        plan = decide(signals)
        # The rails the answer shows: templates shown, personal data, and why it abstained.
        hits = [h for h in hits if h.name in plan.templates or h.name == "pii"]
        if plan.abstain and (plan.abstain_text or signals.foreign):
            oos = next((h for h in check.hits if h.name == "out_of_scope"), None)
            hits.append(oos or RailHit("out_of_scope", top, ACTIONS["out_of_scope"], "retrieval"))

        sentences: list[AnswerSentence] = []
        draft = Draft()
        generation: dict[str, Any] = {}
        slots: dict[str, int] = {}
        for name in plan.templates:
            template = self.rails.response(name, lang, short=plan.short)
            slots.update(self._cite_sections(Rails.cite_slots(template), vector, draft, lang))
            sentences += Rails.fill(template, slots)
        if plan.capabilities:
            sentences.append(AnswerSentence(self.rails.defs.capabilities[lang], [], "notice"))
        elif plan.answer:
            requested = requested_sentences(check.question)
            request = GenerationRequest(
                check.question,
                lang,
                vector,
                retrieval,
                min(requested or self.settings.max_answer_sentences, self.settings.max_answer_sentences),
                exclude=self.rails.is_instruction_like,
                sanitize=self.rails.neutralise,
                exact_length=requested is not None,
            )
            generated = self._generate(request, draft, sentences, notices, emit)
            sentences += generated.sentences
            notices += generated.notices
            generation = generated.trace
        elif plan.abstain_text:
            sentences += Rails.fill(self.rails.response("out_of_scope", lang), {})
        if plan.reminder:
            cites = self._cite_sections(self.rails.defs.reminder_cite[:1], vector, draft, lang)
            text = " ".join(self.rails.defs.reminder[lang].split())
            sentences.append(AnswerSentence(text, list(cites.values()), "reminder"))
        abstained = plan.abstain
        sentences = self.rails.check_output(sentences, {c.n for c in draft.citations})
        sentences, citations = _renumber(sentences, draft.citations)
        t_end = time.perf_counter()
        answer = Answer(
            question=check.question if not check.stripped else redact(question).text,
            language=lang,
            sentences=sentences,
            citations=citations,
            retrieval=retrieval,
            rails=hits,
            abstained=abstained,
            timings_ms={
                "rails": (t_rails - t0) * 1000,
                "retrieve": (t_retrieve - t_rails) * 1000,
                "generate": (t_end - t_retrieve) * 1000,
                "total": (t_end - t0) * 1000,
            },
            retrieval_query=topic,
            notices=notices,
            rail_scores={k: round(v, 4) for k, v in check.scores.items()},
            rail_review=asdict(review) if review and review.asked else None,
            generation=generation,
            injection_families=list(check.families),
        )
        self._trace(answer)
        return answer

    def _courtesy(self, question: str, t0: float) -> Answer | None:
        """Thanks, an acknowledgement or a greeting alone get a short reply from the YAML, without
        search."""
        greeting = self.rails.greeting_language(question)
        if greeting is not None:
            lang = greeting
            replies = [self.rails.defs.greeting_reply[lang], self.rails.defs.capabilities[lang]]
        elif self.rails.is_courtesy(question):
            lang = detect_language(question)
            replies = [self.rails.defs.courtesy_reply[lang]]
        else:
            return None
        answer = Answer(
            question=question,
            language=lang,
            sentences=[AnswerSentence(reply, [], "notice") for reply in replies],
            citations=[],
            retrieval=None,
            rails=[],
            abstained=False,
            timings_ms={"total": (time.perf_counter() - t0) * 1000},
        )
        self._trace(answer)
        return answer

    def _validate(self, question: Any) -> str:
        if not isinstance(question, str) or not question.strip():
            raise UserInputError("Bitte geben Sie eine Frage ein. / Please enter a question.")
        question = question.replace("\x00", "").strip()
        limit = self.settings.questions.max_chars
        if len(question) > limit:
            raise UserInputError(
                f"Die Frage ist zu lang ({len(question)} Zeichen, höchstens {limit}). "
                f"Bitte kürzen. / The question is too long (max {limit} characters)."
            )
        return question

    def _cite_sections(self, sections: list[str], vector, draft: Draft, lang: str) -> dict[str, int]:
        """Cite the paper sections a template stands on: in English, through our translation
        where there is one, so the cited passage can be read in the answer's language."""
        numbers = {}
        for section in sections:
            found = (self.store.best_chunk(section, "translation", vector) if lang == "en" else None) or (
                self.store.best_chunk(section, "paper", vector)
            )
            if found is not None:
                numbers[section] = draft.cite(*found)
        return numbers

    def _generate(self, request: GenerationRequest, draft: Draft, before, notices, emit) -> Draft:
        """The generator's draft, its citations moved into ``draft``; with ``emit``, the checked
        answer so far (after ``before``) is emitted as each sentence passes the checks."""
        on_sentence = None
        if emit is not None:
            shown: list[AnswerSentence] = []

            def on_sentence(sentence: AnswerSentence, partial: Draft) -> None:
                shown.append(sentence)
                emit(("partial", _render_partial(before, shown, partial, draft, notices)))

        generated = self.generator.generate(request, on_sentence)
        generated.sentences = self._merge(generated, draft)
        return generated

    @staticmethod
    def _merge(generated: Draft, draft: Draft) -> list[AnswerSentence]:
        """Move the generator's citations into ``draft`` (shared numbering)."""
        mapping = {}
        for c in generated.citations:
            chunk = {
                "id": c.chunk_id,
                "text": c.text,
                "meta": {
                    "doc_id": c.doc_id,
                    "doc_title": c.doc_title,
                    "section": c.section,
                    "section_title": c.title,
                    "kind": c.kind,
                    "user_section": c.user_section,
                    "page_start": c.page_start,
                    "page_end": c.page_end,
                    "lang": c.lang,
                },
            }
            n = draft.cite(chunk, c.score)
            for h in c.highlights:
                draft.cite(chunk, c.score, h)
            mapping[c.n] = n
        for s in generated.sentences:
            s.cites = [mapping[n] for n in s.cites if n in mapping]
        return generated.sentences

    def _trace(self, answer: Answer) -> None:
        if answer.question in self._untraced:
            return
        record = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "question": redact(answer.question).text,
            "language": answer.language,
            "rails": [h.to_json() for h in answer.rails],
            "rail_scores": answer.rail_scores,
            "rail_review": answer.rail_review,
            "sections": [
                s.section or s.key for s in (answer.retrieval.sections[:4] if answer.retrieval else [])
            ],
            "cited": [c.section for c in answer.citations],
            "abstained": answer.abstained,
            "timings_ms": {k: round(v, 1) for k, v in answer.timings_ms.items()},
        }
        if answer.generation:
            record["generation"] = answer.generation
        if answer.injection_families:
            record["injection_families"] = answer.injection_families
        with contextlib.suppress(OSError):  # tracing must never break answering
            self.trace.write(record)


# A stated quantity: a number with a unit of money, share or rate ("12 %", "3.000 Euro", "€ 80",
# "40 percent"). Section numbers and years carry no unit and do not count.
_QUANTITY = re.compile(
    r"(\d[\d.,]*\s*(%|prozent\b|percent\b|euro\b|eur\b|€|\$|dollar|mio\b|million|milliard|billion)"
    r"|(€|\$|eur)\s*\d)",
    re.I,
)


def _states_figure(retrieval: RetrievalResult, sections: int) -> bool:
    """Some matched passage of the best sections states a quantity, so a question asking for a
    figure (price, share, rate) may be answered; without one the sources do not hold it."""
    return any(_QUANTITY.search(c.text) for s in retrieval.sections[:sections] for c in s.chunks)


def _user_document_leads(retrieval: RetrievalResult) -> bool:
    """The best-matching section comes from a document the users added to the index."""
    return bool(retrieval.sections) and "user" in retrieval.sections[0].kinds


def _renumber(sentences: list[AnswerSentence], citations: list[Citation]):
    """Number citations by first appearance and drop the ones no sentence uses."""
    by_n = {c.n: c for c in citations}
    order: dict[int, int] = {}
    for s in sentences:
        for n in s.cites:
            if n in by_n and n not in order:
                order[n] = len(order) + 1
    for s in sentences:
        s.cites = sorted({order[n] for n in s.cites if n in order})
    kept = []
    for old, new in sorted(order.items(), key=lambda kv: kv[1]):
        c = by_n[old]
        c.n = new
        kept.append(c)
    return sentences, kept


def _render_partial(before, shown, partial: Draft, draft: Draft, notices: list[str]) -> str:
    """The answer so far as the chat shows it, numbered as the final answer will be."""
    merged, generated = copy.deepcopy(draft), copy.deepcopy(partial)
    generated.sentences = copy.deepcopy(shown)
    sentences, _ = _renumber(copy.deepcopy(before) + Assistant._merge(generated, merged), merged.citations)
    body = " ".join(s.render() for s in sentences)
    return "\n\n".join(p for p in [*(f"ℹ️ {n}" for n in notices), body] if p)
