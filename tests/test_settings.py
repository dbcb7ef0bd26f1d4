"""Configuration in one place: nested tuning groups, flat env names, the reranker's own score."""

from __future__ import annotations

from assistant.config import Settings
from assistant.retrieval import ChunkHit, HybridRetriever, RetrievalResult, SectionHit


def test_flat_and_nested_environment_names_both_work(monkeypatch):
    monkeypatch.setenv("ASSISTANT_PORT", "9999")
    monkeypatch.setenv("ASSISTANT_ABSTAIN_THRESHOLD", "0.5")
    monkeypatch.setenv("ASSISTANT_GENERATOR", "openai")
    monkeypatch.setenv("ASSISTANT_RETRIEVAL__FUSED_SHARE", "0.07")
    monkeypatch.setenv("ASSISTANT_ANSWERS__KEEP_WITHIN", "0.1")
    monkeypatch.setenv("ASSISTANT_QUESTIONS__MAX_CHARS", "100")
    s = Settings()
    assert (s.port, s.abstain_threshold, s.generator) == (9999, 0.5, "openai")
    assert (s.retrieval.fused_share, s.answers.keep_within, s.questions.max_chars) == (0.07, 0.1, 100)
    assert s.answers.duplicate_cut == 0.95  # values not set keep their default


class _Reverse:
    """A stand-in cross-encoder whose scores (own scale, here in the tens) reverse the order."""

    def predict(self, pairs):
        return [10.0 * i for i in range(len(pairs))]


def test_a_reranker_orders_sections_but_the_abstain_evidence_keeps_the_search_scale():
    retriever = HybridRetriever(None, Settings(reranker_model="stand-in"))
    retriever._reranker = _Reverse()
    sections = [
        SectionHit(k, k, k, score, score, [ChunkHit(k, f"text {k}", {"kind": "paper"})])
        for k, score in (("1.1", 0.9), ("2.1", 0.85), ("3.1", 0.8))
    ]
    ranked = retriever._rerank("frage", sections)
    assert [s.key for s in ranked] == ["3.1", "2.1", "1.1"]
    assert [s.rerank for s in ranked] == [20.0, 10.0, 0.0]
    assert RetrievalResult("frage", ranked).evidence == 0.9  # the search's best, not 20.0
