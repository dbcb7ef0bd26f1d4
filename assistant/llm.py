"""The optional external chat model (OpenAI-compatible or Ollama), built from the settings."""

from __future__ import annotations

from typing import Any

from .config import Settings


def make_chat_model(settings: Settings) -> Any:
    """A LangChain chat model for ``settings.generator``; needs ``pip install -e '.[llm]'``."""
    try:
        if settings.generator == "openai":
            from langchain_openai import ChatOpenAI

            return ChatOpenAI(
                model=settings.llm_model,
                base_url=settings.llm_base_url,
                api_key=settings.llm_api_key or "not-needed",
                temperature=0,
                timeout=settings.llm_timeout,
            )
        if settings.generator == "ollama":
            from langchain_ollama import ChatOllama

            return ChatOllama(model=settings.llm_model, base_url=settings.llm_base_url, temperature=0)
    except ImportError as exc:
        raise RuntimeError(
            f"The '{settings.generator}' generator needs the optional LLM extras: pip install -e '.[llm]'"
        ) from exc
    raise ValueError(f"No external chat model for generator '{settings.generator}'.")
