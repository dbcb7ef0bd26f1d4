"""Hybrid retrieval: dense + BM25 over the in-memory search views (``views.py``), fused by
reciprocal rank fusion, grouped by section.

``HybridRetriever.as_langchain()`` gives the same search as a LangChain retriever; LangChain
is imported only then, so a one-shot ``assistant ask`` does not pay for it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .config import Settings
from .index import Index
from .intent import named_sections
from .scope import held_share, query_terms, term_support
from .store import SentenceStore, section_key
from .views import IndexViews, get_views


@dataclass
class ChunkHit:
    id: str
    text: str
    meta: dict[str, Any]
    dense: float = 0.0  # cosine similarity to the query
    lexical: float = 0.0  # BM25 score
    rrf: float = 0.0


@dataclass
class SectionHit:
    """A citable section with the chunks that matched it, best first."""

    key: str  # paper section id, or "<doc_id>#<title>" for a user document
    section: str  # paper section id ("" for user documents)
    title: str
    score: float
    dense: float
    chunks: list[ChunkHit] = field(default_factory=list)
    bonus: float = 0.0  # part of ``score`` that comes from the question naming the section
    lift: float = 0.0  # part of ``score`` that comes from the question's distinctive words
    rerank: float | None = None  # the cross-encoder's score, when one is configured (own scale)

    @property
    def order(self) -> float:
        """What the sections are ranked by: the reranker's score if there is one (plus any
        naming bonus), else the search score."""
        return self.score if self.rerank is None else self.rerank + self.bonus

    @property
    def kinds(self) -> list[str]:
        return sorted({c.meta["kind"] for c in self.chunks})


@dataclass
class RetrievalResult:
    query: str
    sections: list[SectionHit]
    held: float | None = None  # weighted share of its distinctive terms in the index (scope.py)

    @property
    def evidence(self) -> float:
        """The best section score from the search itself (without naming bonuses or the lift of
        shared words): how well the sources cover the question, which decides whether to abstain."""
        return max((s.score - s.bonus - s.lift for s in self.sections), default=0.0)

    @property
    def best_dense(self) -> float:
        return max((s.dense for s in self.sections), default=0.0)

    def ranked_section_ids(self) -> list[str]:
        """Section ids in rank order, de-duplicated; a user document's section takes its rank
        under its key (``<doc_id>#…``), so a foreign document ranked above the paper counts."""
        seen: list[str] = []
        for s in self.sections:
            sid = s.section or (s.key if "#" in s.key else "")
            if sid and sid not in seen:
                seen.append(sid)
        return seen


@dataclass(frozen=True)
class SearchScope:
    """Where to search: some kinds of documents, or some documents (None = no limit)."""

    kinds: tuple[str, ...] | None = None
    doc_ids: tuple[str, ...] | None = None

    def admits(self, meta: dict) -> bool:
        if self.kinds is not None and str(meta.get("kind")) not in self.kinds:
            return False
        return self.doc_ids is None or str(meta.get("doc_id")) in self.doc_ids

    @property
    def includes_paper(self) -> bool:
        """Whether the paper's sections (which a question can name) are searched."""
        return self.doc_ids is None and (self.kinds is None or "paper" in self.kinds)


class HybridRetriever:
    """Dense + lexical retrieval with section-level re-scoring.

    ``settings`` supplies k_dense, k_lexical, rrf_k, top_sections, sentence_weight, the
    reranker and the ``retrieval`` tuning group; ``store`` (a SentenceStore) enables
    sentence-level section re-scoring. Construction does no work; ``warm()`` loads the
    in-memory views, else the first search does.
    """

    def __init__(self, index: Any, settings: Settings, store: SentenceStore | None = None) -> None:
        self.index = index
        self.settings = settings
        self.store = store
        self._cache: IndexViews | None = None
        self._lock = threading.Lock()
        self._reranker: Any = None

    @classmethod
    def from_index(cls, index: Index) -> HybridRetriever:
        return cls(index, index.settings, SentenceStore(index))

    def warm(self) -> None:
        """Load everything the first search would (views, sentence store, reranker)."""
        self.cache()
        if self.settings.reranker_model:
            self._load_reranker()

    def cache(self, fresh: bool = False) -> IndexViews:
        """The search views, refreshed incrementally (with the sentence store) when the index
        has changed; ``fresh`` reads the version now instead of trusting a recent read.

        Dense search is a matrix product over these vectors: it sees exactly the live chunks
        (never rows staged by a write in progress) and can be limited to a scope.
        """
        version = self.index.version(fresh=fresh)
        views = self._cache
        if views is None or (views.version != version and version not in views.aliases):
            views = get_views(self.index, version)
            with self._lock:
                self._cache = views
        if self.store is not None:
            self.store.refresh(version)
        return views

    def search(
        self,
        query: str,
        query_vector: np.ndarray | None = None,
        top: int | None = None,
        scope: SearchScope | None = None,
    ) -> RetrievalResult:
        """Ranked sections for ``query`` (its vector may be passed in to avoid re-embedding),
        optionally only from the documents ``scope`` admits."""
        cache = self.cache()
        if not cache.chunks.ids:
            return RetrievalResult(query, [])
        s = self.settings
        qv = query_vector if query_vector is not None else self.index.embeddings.encode_query(query)
        if self.index.shared and self._unseen_write(cache, qv):  # another worker wrote since our look
            cache = self.cache(fresh=True)
        mask = cache.mask(scope)
        dense_ids = cache.dense(qv, s.k_dense, mask)
        lexical = cache.lexical.search(query, s.k_lexical, mask)
        hits: dict[str, ChunkHit] = {}
        for rank, cid in enumerate(dense_ids):
            hit = hits.setdefault(cid, self._hit(cache, cid, qv))
            hit.rrf += 1.0 / (s.rrf_k + rank + 1)
        for rank, (cid, score) in enumerate(lexical):
            hit = hits.setdefault(cid, self._hit(cache, cid, qv))
            hit.lexical = score
            hit.rrf += 1.0 / (s.rrf_k + rank + 1)
        sections = self._group(hits.values())
        if self.store is not None:
            if s.pending_sentence_budget:  # documents whose sentence vectors are still coming
                top_chunks = [c.id for sec in sections[: s.top_sections * 2] for c in sec.chunks]
                self.store.sharpen(top_chunks, s.pending_sentence_budget)
            sections = self._rescore_by_sentences(sections, qv, query)
        if s.reranker_model:
            sections = self._rerank(query, sections)
        if scope is None or scope.includes_paper:
            sections = self._favour_named(query, sections, qv)
        result = RetrievalResult(query, sections[: top or s.top_sections * 2])
        result.held = held_share(query, cache.lexical.vocab, self.settings.scope_distinctive_zipf)
        return result

    def _unseen_write(self, cache: IndexViews, qv: np.ndarray) -> bool:
        """On a shared index: does the server know close chunks this process has not loaded?

        (One query; the version is otherwise trusted for ``index_version_ttl``. A staged chunk
        of a write in progress triggers a reload that changes nothing: readers see live rows.)
        """
        n = min(self.settings.k_dense, max(len(cache.chunks.ids), 1))
        found = self.index.chunks.query(query_embeddings=[qv.tolist()], n_results=n, include=["distances"])
        return any(cid not in cache.pos for cid in found["ids"][0])

    def _favour_named(self, query: str, sections: list[SectionHit], qv: np.ndarray) -> list[SectionHit]:
        """Lift the sections a question names ("Fasse These 5 zusammen", "section 2.3").

        A named thesis lifts itself and its subsections, keeping their order, so "laut These 1"
        still finds the subsection that answers; a named subsection lifts only itself. A named
        section that the search did not find at all is added from the store.
        """
        named = named_sections(query)
        if not named or self.store is None:
            return sections

        def is_named(sid: str) -> bool:
            return any(sid == n or ("." not in n and sid.startswith(n + ".")) for n in named)

        for n in named:
            if not any(is_named(s.section) for s in sections):
                found = self.store.best_chunk(n, "paper", qv)
                if found is not None:
                    chunk, sim = found
                    meta = chunk["meta"]
                    hit = ChunkHit(chunk["id"], chunk["text"], meta, dense=sim)
                    title = str(meta.get("section_title", ""))
                    sections.append(SectionHit(n, n, title, sim, sim, [hit]))
        lift = self.settings.retrieval.named_section_bonus
        for section in sections:
            if section.section and is_named(section.section):
                section.score += lift
                section.bonus += lift
        return sorted(sections, key=lambda s: s.order, reverse=True)

    @staticmethod
    def _hit(cache: IndexViews, cid: str, qv: np.ndarray) -> ChunkHit:
        i = cache.pos[cid]
        chunks = cache.chunks
        return ChunkHit(cid, chunks.texts[i], chunks.metas[i], float(chunks.vectors[i] @ qv))

    def _weighted(self, hit: ChunkHit) -> float:
        return hit.dense + self.settings.retrieval.kind_offsets.get(str(hit.meta.get("kind")), 0.0)

    def _group(self, hits) -> list[SectionHit]:
        groups: dict[str, SectionHit] = {}
        for hit in hits:
            key = section_key(hit.meta)
            group = groups.get(key)
            if group is None:
                group = groups[key] = SectionHit(
                    key,
                    str(hit.meta.get("section", "")),
                    str(hit.meta.get("section_title", "")),
                    0.0,
                    0.0,
                )
            group.chunks.append(hit)
        if not groups:
            return []
        max_rrf = max(sum(c.rrf for c in g.chunks) for g in groups.values())
        share = self.settings.retrieval.fused_share
        for group in groups.values():
            group.chunks.sort(key=lambda c: (self._weighted(c), c.rrf), reverse=True)
            group.dense = self._weighted(group.chunks[0])
            # Section-level re-score: the best chunk's similarity, plus how much of the fused
            # evidence (dense and lexical, across paper, digest and notes) points here.
            group.score = group.dense + share * sum(c.rrf for c in group.chunks) / max_rrf
        return sorted(groups.values(), key=lambda g: g.score, reverse=True)

    def _rescore_by_sentences(
        self, sections: list[SectionHit], qv: np.ndarray, query: str = ""
    ) -> list[SectionHit]:
        """Blend each section's fused score with its single best-matching sentence.

        A chunk vector averages several statements; the best sentence shows whether the
        section states the asked-for point at all. Method notes are left out here: they
        restate general practice and would otherwise lift any section they are attached to.
        """
        weight = self.settings.sentence_weight
        lift = self.settings.retrieval.term_support
        support = _support_of(query, lift, self.settings.scope_distinctive_zipf) if lift else None
        for section in sections:
            found = self.store.best_match(section.key, qv, support)
            if found is None:
                continue
            best, cosine = found
            section.score = (1 - weight) * section.score + weight * best
            section.lift = weight * (best - cosine)  # a ranking device, not evidence of coverage
        return sorted(sections, key=lambda s: s.score, reverse=True)

    def _rerank(self, query: str, sections: list[SectionHit]) -> list[SectionHit]:
        """Order by the cross-encoder; ``score`` (the search's, which abstaining reads) is kept."""
        self._load_reranker()
        pairs = [(query, s.chunks[0].text) for s in sections]
        scores = self._reranker.predict(pairs) if pairs else []
        for section, score in zip(sections, scores, strict=True):
            section.rerank = float(score)
        return sorted(sections, key=lambda s: s.order, reverse=True)

    def _load_reranker(self) -> None:
        if self._reranker is None:
            from sentence_transformers import CrossEncoder

            self._reranker = CrossEncoder(self.settings.reranker_model, device="cpu")

    def passages(self, query: str) -> list[tuple[str, dict[str, Any]]]:
        """(text, metadata) of the chunks of the top sections, best section first."""
        result = self.search(query)
        out = []
        for rank, section in enumerate(result.sections[: self.settings.top_sections]):
            for chunk in section.chunks:
                out.append(
                    (chunk.text, dict(chunk.meta, id=chunk.id, score=section.score, section_rank=rank))
                )
        return out

    def as_langchain(self):
        """This search as a LangChain ``BaseRetriever`` (``.invoke(query)`` → Documents)."""
        from .lc_retriever import LangChainRetriever

        return LangChainRetriever(hybrid=self)

    def invoke(self, query: str):
        """LangChain's entry point, for convenience: ``as_langchain().invoke(query)``."""
        return self.as_langchain().invoke(query)


def _support_of(query: str, lift: float, max_zipf: float):
    """``support(text, lang)``: ``lift`` times the weighted share of the query's distinctive
    words a sentence contains (its own language's stems); None when the query has none, so the
    sentences are not read at all."""
    terms = {lang: query_terms(query, lang, max_zipf) for lang in ("de", "en")}
    if not any(terms.values()):
        return None

    def support(text: str, lang: str) -> float:
        t = terms.get(lang)
        return lift * term_support(t, text, lang) if t else 0.0

    return support
