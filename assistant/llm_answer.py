"""The external model's answer, checked sentence by sentence, with the extractive fallback.

``CheckedGenerator.generate(request, on_sentence)`` streams the model's sentences through the
output checks (``output_checks.py``) and hands each one that passes to ``on_sentence`` at once,
so a chat can show it while the model is still writing; nothing unchecked is ever handed out.
If the model fails (timeout, refused connection, HTTP error, broken or empty stream) or too few
of its sentences pass, the extractive generator answers instead, with a short notice (texts in
``prompts/llm.yaml``), and ``draft.trace`` records why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import yaml

from .citations import AnswerSentence
from .generate import Draft, GenerationRequest, LLMGenerator
from .llm import LLMUnavailable
from .output_checks import OutputChecks, clean_passage

SentenceCallback = Callable[[AnswerSentence, Draft], None]


def load_notices(prompts_dir: Path) -> dict[str, dict[str, str]]:
    """Fallback notices per kind and language."""
    return yaml.safe_load((prompts_dir / "llm.yaml").read_text(encoding="utf-8"))["fallback"]


class CheckedGenerator:
    """An ``LLMGenerator`` whose every sentence must pass ``OutputChecks``; extractive fallback."""

    def __init__(
        self,
        llm: LLMGenerator,
        checks: OutputChecks | None,
        fallback,
        notices: dict[str, dict[str, str]],
        min_kept_share: float = 0.5,
    ) -> None:
        self.llm = llm
        self.checks = checks  # None: output checks off (only for measuring what they prevent)
        self.fallback = fallback
        self.notices = notices
        self.min_kept_share = min_kept_share
        self.name = llm.name

    def generate(self, request: GenerationRequest, on_sentence: SentenceCallback | None = None) -> Draft:
        start = time.perf_counter()
        trace: dict = {"generator": self.name, "dropped": []}
        kept: list[AnswerSentence] = []
        written, checking = 0, 0.0  # checking: seconds spent in the output checks, not waiting
        try:
            draft, sentences = self.llm.stream_sentences(request)
            by_n = {c.n: c for c in draft.citations}
            references: dict[int, str] = {}
            for sentence in sentences:
                written += 1
                if written == 1:
                    trace["first_sentence_ms"] = round((time.perf_counter() - start) * 1000, 1)
                sentence.cites = [n for n in dict.fromkeys(sentence.cites) if n in by_n]
                t_check = time.perf_counter()
                reason = self._check(sentence, by_n, references, request)
                checking += time.perf_counter() - t_check
                if reason:
                    trace["dropped"].append({"reason": reason, "text": sentence.text[:160]})
                    continue
                kept.append(sentence)
                if on_sentence:
                    on_sentence(sentence, draft)
        except LLMUnavailable as exc:
            trace.update(fallback=exc.reason, detail=exc.detail, written=written)
            trace["model_ms"] = round((time.perf_counter() - start - checking) * 1000, 1)
            return self._fall_back(request, trace, "unavailable")
        trace.update(
            written=written,
            kept=len(kept),
            model_ms=round((time.perf_counter() - start - checking) * 1000, 1),
            checks_ms=round(checking * 1000, 1),
        )
        if not kept or len(kept) < self.min_kept_share * written:
            uncited = all(d["reason"] == "uncited" for d in trace["dropped"])
            trace["fallback"] = "no_citations" if uncited else "too_few_checked"
            return self._fall_back(request, trace, "unchecked")
        draft.sentences = kept
        draft.trace = trace
        return draft

    def _check(self, sentence, by_n, references, request) -> str | None:
        if self.checks is None:
            return None if sentence.cites else "uncited"
        for n in sentence.cites:
            if n not in references:  # the passage as data, whatever the input side removed
                references[n] = clean_passage(by_n[n].text, self.checks.rails.neutralise)
        passages = [references[n] for n in sentence.cites]
        langs = [by_n[n].lang for n in sentence.cites]  # stored with the chunk: not detected again
        return self.checks.check(sentence, passages, request.question, request.lang, langs)

    def _fall_back(self, request: GenerationRequest, trace: dict, kind: str) -> Draft:
        draft = self.fallback.generate(request)
        draft.notices.append(self.notices[kind][request.lang])
        draft.trace = trace
        return draft


def make_answer_generator(settings, store, rails, embeddings, client=None, output_checks: bool = True):
    """The configured answer generator: extractive, or the external model's behind the checks.

    ``client`` is the ``llm.ChatClient`` to use (the one the rail self-check shares).
    """
    from .generate import make_generator
    from .support import SupportTest

    extractive = make_generator(settings.model_copy(update={"generator": "extractive"}), store)
    if settings.generator == "extractive":
        return extractive
    checks = OutputChecks(
        rails,
        embeddings.encode_passages,
        lambda: store.index.all_chunks()[1],
        settings.prompts_dir,
        SupportTest.from_settings(settings),
        settings.leak_ngram,
    )
    return CheckedGenerator(
        make_generator(settings, store, client),
        checks if output_checks else None,
        extractive,
        load_notices(settings.prompts_dir),
        settings.llm_min_kept_share,
    )
