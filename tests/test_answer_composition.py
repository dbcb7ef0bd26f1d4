"""Answer composition of the extractive generator on a fake sentence store: which sentences
compete, how the question's distinctive words count, how many sections an answer cites."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.config import Settings
from assistant.generate import ExtractiveGenerator, GenerationRequest
from assistant.retrieval import RetrievalResult, SectionHit
from assistant.scope import query_terms, term_support

DIM = 8


def _unit(*weights: float) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[: len(weights)] = weights
    return v / np.linalg.norm(v)


class FakeStore:
    """Sentences by section; each sentence is its own chunk."""

    def __init__(self, sections: dict[str, list[tuple[str, np.ndarray]]]) -> None:
        self.rows: dict[str, list[dict]] = {}
        self.chunks: dict[str, dict] = {}
        for key, sentences in sections.items():
            for i, (text, vec) in enumerate(sentences):
                cid = f"{key}-{i}"
                meta = {"kind": "paper", "lang": "de", "section": key, "doc_id": "paper", "chunk_id": cid}
                self.rows.setdefault(key, []).append({"id": cid, "text": text, "meta": meta, "vec": vec})
                self.chunks[cid] = {"id": cid, "text": text, "meta": meta}

    def for_section(self, key: str) -> list[dict]:
        return self.rows.get(key, [])

    def chunk(self, chunk_id: str) -> dict:
        return self.chunks[chunk_id]


QUERY = _unit(1.0)
# Cosines to the query: 0.90 (rank-1 section, without the asked-for word) and 0.88 (rank-2
# section, naming it): the embedding alone prefers the first.
CLOSE = _unit(0.90, np.sqrt(1 - 0.90**2))
NAMES_IT = _unit(0.88, 0, np.sqrt(1 - 0.88**2))


def _answer(store: FakeStore, question: str, **tuning) -> list[str]:
    settings = Settings(**tuning)
    sections = [SectionHit(key, key, key, 0.9 - 0.005 * i, 0.9) for i, key in enumerate(store.rows)]
    request = GenerationRequest(question, "de", QUERY, RetrievalResult(question, sections), max_sentences=1)
    draft = ExtractiveGenerator(store, settings).generate(request)
    return [s.text for s in draft.sentences]


def test_query_terms_are_the_rare_words_without_the_sources_own_name():
    terms = query_terms("Was sagt das Papier zur Entzauberung der Mathematik?", "de", 5.0)
    assert any(t.startswith("entzauber") for t in terms)
    assert not any(t.startswith("papi") for t in terms)
    assert not any(t in ("was", "sagt", "der") for t in terms)


def test_term_support_is_the_weighted_share_of_terms_a_sentence_holds():
    terms = query_terms("Entzauberung der Mathematik", "de", 5.0)
    assert term_support(terms, "Die Entzauberung der Mathematik beginnt früh.", "de") == pytest.approx(1.0)
    assert term_support(terms, "Ein Satz über etwas anderes.", "de") == 0.0
    assert 0.0 < term_support(terms, "Mathematik allein genügt nicht.", "de") < 1.0


def test_the_sentence_naming_the_asked_point_wins_over_a_slightly_closer_one():
    store = FakeStore(
        {
            "1.1": [("Beratung beginnt mit einem offenen Gespräch im Betrieb.", CLOSE)],
            "1.2": [("Die Entzauberung der Mathematik nimmt Beschäftigten die Angst.", NAMES_IT)],
        }
    )
    question = "Was meint das Papier mit Entzauberung der Mathematik?"
    with_words = _answer(store, question)
    cosine_only = _answer(store, question, answers={"term_support": 0.0})
    assert "Entzauberung" in with_words[0]
    assert "Entzauberung" not in cosine_only[0]


def _apart(n: int) -> np.ndarray:
    """Cosine 0.9 to the query, 0.81 to each other: distinct points, none restating another."""
    v = np.zeros(DIM, dtype=np.float32)
    v[0], v[n] = 0.9, np.sqrt(1 - 0.81)
    return v


def test_an_answer_cites_at_most_the_configured_number_of_sections():
    store = FakeStore(
        {
            key: [(f"Ein eigener Satz {n} zum Thema aus Abschnitt {key}.", _apart(n))]
            for n, key in enumerate(["1.1", "1.2", "1.3", "2.1"], start=1)
        }
    )
    settings = Settings()
    sections = [SectionHit(k, k, k, 0.9 - 0.001 * i, 0.9) for i, k in enumerate(store.rows)]
    request = GenerationRequest("Thema?", "de", QUERY, RetrievalResult("Thema?", sections), max_sentences=4)
    for limit in (1, 2, 3):
        gen = ExtractiveGenerator(store, settings.model_copy(update={"answer_max_sections": limit}))
        draft = gen.generate(request)
        cited = {c.section for c in draft.citations}
        assert len(cited) == limit
