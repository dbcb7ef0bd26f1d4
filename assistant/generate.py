"""Answer generation behind one small interface.

- ``ExtractiveGenerator`` (default, offline, model-free): query-focused sentence selection with
  MMR from the top sections, in the question's language, every sentence cited.
- ``LLMGenerator``: any LangChain chat model (OpenAI-compatible or Ollama) over the same
  numbered passages; its citations are validated by the output rails afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from .citations import AnswerSentence, Citation
from .config import AnswerTuning, Settings
from .corpus import CITABLE_KINDS
from .intent import SUMMARY_REQUEST, named_sections
from .retrieval import RetrievalResult, SectionHit
from .scope import query_terms, term_support
from .store import SentenceStore, section_key


@dataclass
class GenerationRequest:
    question: str
    lang: str
    query_vector: np.ndarray
    retrieval: RetrievalResult
    max_sentences: int = Settings.model_fields["max_answer_sentences"].default
    exclude: Any = None  # callable(text) -> bool: sentences never to use (instruction-like)
    sanitize: Any = None  # callable(text) -> text: neutralise instructions before a model sees them
    exact_length: bool = False  # the user asked for this many sentences: nothing is added


@dataclass
class Draft:
    sentences: list[AnswerSentence] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # shown above the answer (e.g. a fallback)
    trace: dict[str, Any] = field(default_factory=dict)  # how it was generated (for the trace log)

    def cite(self, chunk: dict, score: float, highlight: str | None = None) -> int:
        """Citation number for a chunk, adding it on first use."""
        for c in self.citations:
            if c.chunk_id == chunk["id"]:
                if highlight and highlight not in c.highlights:
                    c.highlights.append(highlight)
                return c.n
        meta = chunk["meta"]
        c = Citation(
            n=len(self.citations) + 1,
            chunk_id=chunk["id"],
            doc_id=str(meta["doc_id"]),
            doc_title=str(meta.get("doc_title", "")),
            section=str(meta.get("section", "")),
            title=str(meta.get("section_title", "")),
            kind=str(meta["kind"]),
            text=chunk["text"],
            score=score,
            highlights=[highlight] if highlight else [],
            user_section=str(meta.get("user_section", "")),
            page_start=int(meta.get("page_start", 0) or 0),
            page_end=int(meta.get("page_end", 0) or 0),
            lang=str(meta.get("lang", "")),
        )
        self.citations.append(c)
        return c.n


class Generator(Protocol):
    name: str

    def generate(self, request: GenerationRequest, on_sentence: Any = None) -> Draft:
        """A cited draft; ``on_sentence(sentence, draft)`` is called for each sentence as soon as
        it is final (streaming generators only; the others return the whole draft)."""
        ...


_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+\.)\s")
# Sentences opening with a pronoun lean on the sentence before them; alone they read oddly.
_DANGLING = re.compile(
    r"^(Sie|Diese[rsm]?|Dies|Das|Es|Hier|Dabei|Dazu|Dementsprechend|Deshalb|Daher|Somit|Folglich|Allerdings|"
    r"Zudem|Außerdem|Noch einmal|They|This|These|It|Here|Therefore|However|Also|Moreover)\b"
)


def _usable(text: str, min_words: int) -> bool:
    """A sentence that can stand alone in an answer: a statement, not a question or list stub."""
    words = re.findall(r"\w+", text)
    stripped = text.rstrip('“”"»« )')
    return len(words) >= min_words and not stripped.endswith((":", "?")) and not _LIST_ITEM.match(text)


# "Fasse These 6 zusammen", "Give me an overview of section 2.3": a summary of a named section
# is answered with that section's digest (the project's own summary), in its own order.


def _unwrap(text: str) -> str:
    """A sentence the paper put in brackets stands alone in an answer without them."""
    if text.startswith("(") and text.endswith(")") and text.count("(") == 1 and text.count(")") == 1:
        return text[1:-1]
    return text


class ExtractiveGenerator:
    """Composes a short cited answer from the most relevant sentences (MMR, no model needed)."""

    name = "extractive"

    def __init__(self, store: SentenceStore, settings: Settings) -> None:
        self.store = store
        self.mmr_lambda = settings.mmr_lambda
        self.section_window = settings.answer_section_window  # sections this close to the best are used
        self.candidate_sections = settings.answer_candidate_sections
        self.max_sections = settings.answer_max_sections  # sections an answer cites at most
        self.restatement_cut = settings.answer_restatement_cut
        self.distinctive_zipf = settings.scope_distinctive_zipf
        self.tuning = settings.answers  # measured constants; see ``AnswerTuning`` for their sources

    def _usable(self, text: str) -> bool:
        return _usable(text, self.tuning.min_sentence_words)

    def _candidates(self, request: GenerationRequest, sections: list[SectionHit], lang: str):
        t = self.tuning
        rows = []
        query = request.retrieval.query or request.question
        terms = query_terms(query, lang, self.distinctive_zipf) if t.term_support else {}
        for rank, section in enumerate(sections):
            for row in self.store.for_section(section.key):
                meta = row["meta"]
                if meta["kind"] not in CITABLE_KINDS or meta["lang"] != lang or not self._usable(row["text"]):
                    continue
                if request.exclude and request.exclude(row["text"]):
                    continue
                rel = float(row["vec"] @ request.query_vector)
                rel += t.kind_bonus.get(meta["kind"], 0.0)
                dangling = t.dangling_penalty if _DANGLING.match(row["text"]) else 0.0
                rel -= t.section_rank_penalty * rank + dangling
                if terms:
                    rel += t.term_support * term_support(terms, row["text"], lang)
                rows.append((rel, row))
        return rows

    def _summary(self, request: GenerationRequest) -> Draft | None:
        """The digest of the sections a summary request names, in order; None if not such a request."""
        named = named_sections(request.question)
        if not named or not SUMMARY_REQUEST.search(request.question):
            return None
        draft = Draft()
        for section in named[: self.tuning.summary_max_sections]:
            rows = [
                r
                for r in self.store.for_section(section)
                if r["meta"]["kind"] == "digest" and r["meta"]["lang"] == request.lang
            ]
            for row in sorted(rows, key=lambda r: (r["meta"]["char_start"], r["meta"]["position"])):
                if len(draft.sentences) >= request.max_sentences:
                    break
                rel = float(row["vec"] @ request.query_vector)
                n = draft.cite(self.store.chunk(row["meta"]["chunk_id"]), rel, row["text"])
                draft.sentences.append(AnswerSentence(row["text"], [n], "guidance"))
        return draft if draft.sentences else None

    def generate(self, request: GenerationRequest, on_sentence: Any = None) -> Draft:
        top = request.retrieval.sections
        if not top:
            return Draft()
        summary = self._summary(request)
        if summary is not None:
            return summary
        draft = Draft()
        best = top[0].score
        sections = [s for s in top[: self.candidate_sections] if s.score >= best - self.section_window]
        lang = request.lang
        cands = self._candidates(request, sections, lang)
        quote_foreign = False
        if not cands:  # e.g. an English question about a German-only user document
            other = "de" if lang == "en" else "en"
            cands, quote_foreign = self._candidates(request, sections, other), True
        if not cands:
            return draft
        chosen = self._mmr(cands, request.max_sentences)
        for rel, row in chosen:
            chunk = self.store.chunk(row["meta"]["chunk_id"])
            n = draft.cite(chunk, rel, row["text"])
            text = f"„{_unwrap(row['text'])}“" if quote_foreign else _unwrap(row["text"])
            draft.sentences.append(AnswerSentence(text, [n], "quote" if quote_foreign else "guidance"))
        if lang == "en" and not quote_foreign and not request.exact_length:
            translated = next((row for _, row in chosen if row["meta"]["kind"] == "translation"), None)
            lead = section_key(chosen[0][1]["meta"])  # the quote comes from a section the answer cites
            self._add_german_quote(request, next(s for s in sections if s.key == lead), draft, translated)
        return draft

    def _mmr(self, cands, k: int):
        cands = sorted(cands, key=lambda c: c[0], reverse=True)
        floor = cands[0][0] - self.tuning.keep_within
        pool = [c for c in cands if c[0] >= floor]
        chosen: list[tuple[float, dict]] = []
        while pool and len(chosen) < k:

            def mmr(c):
                redundancy = max((float(c[1]["vec"] @ s[1]["vec"]) for s in chosen), default=0.0)
                return self.mmr_lambda * c[0] - (1 - self.mmr_lambda) * redundancy

            pick = max(pool, key=mmr)
            pool.remove(pick)
            if any(self._restates(pick[1], s[1]) for s in chosen):
                continue
            used = {section_key(c[1]["meta"]) for c in chosen}
            if len(used) >= self.max_sections and section_key(pick[1]["meta"]) not in used:
                continue
            chosen.append(pick)
        return chosen

    def _restates(self, a: dict, b: dict) -> bool:
        """Whether two sentences say the same thing: near-identical, or a digest sentence
        and the source sentence it summarises (digests restate the paper by design)."""
        sim = float(a["vec"] @ b["vec"])
        kinds = {a["meta"]["kind"], b["meta"]["kind"]}
        if "digest" in kinds and kinds & {"paper", "translation"}:
            return sim > self.restatement_cut
        return sim > self.tuning.duplicate_cut

    def _quotable(self, section_key: str, request: GenerationRequest) -> list[dict]:
        """Paper sentences of a section short and self-contained enough to quote."""
        return [
            r
            for r in self.store.for_section(section_key)
            if r["meta"]["kind"] == "paper"
            and self._usable(r["text"])
            and len(r["text"].split()) <= self.tuning.quote_max_words
            and not (request.exclude and request.exclude(r["text"]))
        ]

    def _original_of(self, translated: dict, request: GenerationRequest) -> dict | None:
        """The German sentence a translated sentence renders: our translation goes sentence by
        sentence, so the original is the nearest paper sentence of the same section."""
        rows = self._quotable(str(translated["meta"]["section"]), request)
        if not rows:
            return None
        sim, row = max(((float(r["vec"] @ translated["vec"]), r) for r in rows), key=lambda x: x[0])
        return row if sim >= self.tuning.original_min else None

    def _closest_to_question(self, section: SectionHit, request: GenerationRequest) -> dict | None:
        """The top section's quotable sentence closest to the question, if it is close enough."""
        rows = self._quotable(section.key, request)
        if not rows:
            return None
        rel, row = max(((float(r["vec"] @ request.query_vector), r) for r in rows), key=lambda x: x[0])
        return row if rel >= section.dense - self.tuning.quote_within else None

    def _add_german_quote(
        self, request: GenerationRequest, section: SectionHit, draft: Draft, translated: dict | None
    ) -> None:
        """Add a short sentence of the German paper: the original of the answer's first translated
        sentence where there is one, else the top section's sentence closest to the question."""
        original = self._original_of(translated, request) if translated is not None else None
        row = original or self._closest_to_question(section, request)
        if row is None:
            return
        rel = float(row["vec"] @ request.query_vector)
        n = draft.cite(self.store.chunk(row["meta"]["chunk_id"]), rel, row["text"])
        draft.sentences.append(AnswerSentence(f"In the paper's own words: „{row['text']}“", [n], "quote"))


class LLMGenerator:
    """A chat model answering from numbered passages (prompt in ``prompts/answer.md``), through
    the product's one client (``llm.ChatClient``: deadline, failures as ``LLMUnavailable``)."""

    def __init__(
        self,
        client: Any,
        prompt_text: str,
        store: SentenceStore,
        name: str = "llm",
        tuning: AnswerTuning | None = None,
    ) -> None:
        from langchain_core.prompts import ChatPromptTemplate

        system, _, human = prompt_text.partition("\n---\n")
        self.prompt = ChatPromptTemplate.from_messages([("system", system), ("human", human)])
        self.client = client
        self.store = store
        self.name = name
        self.tuning = tuning or AnswerTuning()

    def _context(self, request: GenerationRequest) -> tuple[Draft, str]:
        draft, lines = Draft(), []
        t = self.tuning
        for section in request.retrieval.sections[: t.llm_context_sections]:
            citable = [c for c in section.chunks if c.meta["kind"] in CITABLE_KINDS]
            for chunk in citable[: t.llm_chunks_per_section]:
                text = request.sanitize(chunk.text) if request.sanitize else chunk.text
                n = draft.cite({"id": chunk.id, "text": chunk.text, "meta": chunk.meta}, section.score)
                lines.append(f"[{n}] ({chunk.meta.get('section') or chunk.meta['doc_title']}) {text}")
        return draft, "\n\n".join(lines)

    def stream_text(self, request: GenerationRequest) -> tuple[Draft, Iterator[str]]:
        """The numbered passages and the model's reply as it is written."""
        draft, context = self._context(request)
        language = "Deutsch" if request.lang == "de" else "English"
        prompt = self.prompt.invoke({"question": request.question, "context": context, "language": language})
        return draft, self.client.stream(prompt)

    def stream_sentences(self, request: GenerationRequest) -> tuple[Draft, Iterator[AnswerSentence]]:
        """The passages and the reply's sentences, each as soon as it is complete."""
        draft, pieces = self.stream_text(request)
        return draft, complete_sentences(pieces)

    def generate(self, request: GenerationRequest, on_sentence: Any = None) -> Draft:
        draft, sentences = self.stream_sentences(request)
        draft.sentences = list(sentences)
        return draft


# "… wichtig. [2]" → "… wichtig [2].": a marker after the full stop belongs to that sentence
# (same length, so offsets stay valid).
_MARKER_AFTER_STOP = re.compile(r"([.!?])(\s*)((?:\[\d+\])+)")


def _protected(text: str) -> str:
    text = _MARKER_AFTER_STOP.sub(r"\2\3\1", text)
    # "[2]." would read as an ordinal number to the splitter; protect the markers first.
    return re.sub(r"\[(\d+)\]", r"⟦c\1⟧", text)


def _cited(piece: str) -> AnswerSentence | None:
    cites = [int(n) for n in re.findall(r"⟦c(\d+)⟧", piece)]
    clean = re.sub(r"\s*⟦c\d+⟧", "", piece).strip()
    return AnswerSentence(clean, cites) if clean else None


def complete_sentences(pieces: Iterator[str]) -> Iterator[AnswerSentence]:
    """Sentences with their ``[n]`` markers from streamed text, each yielded once the text after
    it has begun (so its trailing markers are in), the last one when the stream ends."""
    from .sentences import sentences as split

    raw, done = "", 0
    for piece in pieces:
        raw += piece
        text = _protected(raw)
        spans = split(text)
        if len(spans) < 2:
            continue
        tail = re.sub(r"⟦c\d+⟧|\[\d*$", "", text[spans[-1][0] :])
        complete = spans[:-1] if re.search(r"[^\W\d_]", tail) else spans[:-2]
        for start, end in complete[done:]:
            sentence = _cited(text[start:end])
            if sentence:
                yield sentence
        done = max(done, len(complete))
    text = _protected(raw.strip())
    for start, end in split(text)[done:]:
        sentence = _cited(text[start:end])
        if sentence:
            yield sentence


def parse_cited_text(text: str) -> list[AnswerSentence]:
    """Split model output into sentences and their ``[n]`` markers."""
    return list(complete_sentences(iter([text])))


def make_generator(settings: Settings, store: SentenceStore, client: Any = None) -> Generator:
    """The configured generator: extractive, or the external model's (``client``: the
    ``llm.ChatClient`` to answer with, built from the settings if not given)."""
    if settings.generator == "extractive":
        return ExtractiveGenerator(store, settings)
    from .llm import make_client

    prompt = (settings.prompts_dir / "answer.md").read_text(encoding="utf-8")
    client = client or make_client(settings)
    return LLMGenerator(client, prompt, store, name=settings.generator, tuning=settings.answers)
