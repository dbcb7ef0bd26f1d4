"""The optional external chat model (OpenAI-compatible or Ollama) behind one small client.

``make_chat_model`` builds the LangChain chat model users configure; ``ChatClient`` is the only
way the product talks to it: streamed text with a hard deadline (``llm_timeout`` for the whole
reply, not per read), every failure turned into ``LLMUnavailable`` with a short reason for the
trace, and a short pause after a dead endpoint so one question never waits for it twice.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

from .config import Settings

# Reasons recorded in the trace (``generation.fallback``); README/docs/llm.md list them.
REASONS = ("timeout", "connection", "http_4xx", "http_5xx", "malformed", "empty", "unsupported")


class LLMUnavailable(RuntimeError):
    """The external model gave no usable reply; ``reason`` is one of ``REASONS``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail[:200]


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
                max_retries=0,  # the deadline is ours; a retry would double the wait
            )
        if settings.generator == "ollama":
            from langchain_ollama import ChatOllama

            return ChatOllama(
                model=settings.llm_model,
                base_url=settings.llm_base_url,
                temperature=0,
                client_kwargs={"timeout": settings.llm_timeout},
            )
    except ImportError as exc:
        raise RuntimeError(
            f"The '{settings.generator}' generator needs the LLM client libraries: pip install -e '.[llm]'"
        ) from exc
    raise ValueError(f"No external chat model for generator '{settings.generator}'.")


def classify(exc: BaseException) -> str:
    """The reason code for an exception raised by an OpenAI or Ollama client."""
    if isinstance(exc, LLMUnavailable):
        return exc.reason
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(status, int) and status >= 400:
        return "http_5xx" if status >= 500 else "http_4xx"
    names = {c.__name__ for c in type(exc).__mro__}
    if names & {"TimeoutError", "APITimeoutError", "TimeoutException", "ReadTimeout", "ConnectTimeout"}:
        return "timeout"
    if names & {"ConnectionError", "APIConnectionError", "ConnectError", "RemoteProtocolError"}:
        return "connection"
    return "malformed"


_END = object()


class ChatClient:
    """Streams a chat model's reply under one deadline; failures become ``LLMUnavailable``."""

    def __init__(self, model: Any, timeout: float, retry_after: float = 30.0) -> None:
        self.model = model
        self.timeout = timeout
        self.retry_after = retry_after  # after a timeout or refused connection, skip the model this long
        self._down: tuple[float, str] | None = None
        self._lock = threading.Lock()

    def stream(self, messages: Any) -> Iterator[str]:
        """Text pieces as the model writes them; raises ``LLMUnavailable`` (also mid-stream)."""
        with self._lock:
            if self._down and time.monotonic() < self._down[0]:
                raise LLMUnavailable(self._down[1], "endpoint failed moments ago; not asked again yet")
        deadline = time.monotonic() + self.timeout
        pieces: queue.Queue = queue.Queue()
        stop = threading.Event()
        worker = threading.Thread(target=self._pump, args=(messages, pieces, stop), daemon=True)
        worker.start()
        got_text = False
        try:
            while True:
                try:
                    item = pieces.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    self._mark_down("timeout")
                    raise LLMUnavailable("timeout", f"no complete reply within {self.timeout:g} s") from None
                if item is _END:
                    break
                if isinstance(item, BaseException):
                    reason = classify(item)
                    if reason in ("timeout", "connection"):
                        self._mark_down(reason)
                    raise LLMUnavailable(reason, f"{type(item).__name__}: {item}") from item
                if item:
                    got_text = True
                    yield item
        finally:
            stop.set()
        if not got_text:
            raise LLMUnavailable("empty", "the model returned no text")

    def complete(self, messages: Any) -> str:
        """The whole reply as one string (same deadline and failure handling as ``stream``)."""
        return "".join(self.stream(messages))

    def _pump(self, messages: Any, pieces: queue.Queue, stop: threading.Event) -> None:
        try:
            for chunk in self.model.stream(messages):
                if stop.is_set():
                    return
                content = getattr(chunk, "content", chunk)  # a message chunk, or text from a runnable
                if isinstance(content, list):  # content blocks
                    content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
                pieces.put(content)
            pieces.put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which classifies it
            pieces.put(exc)

    def _mark_down(self, reason: str) -> None:
        with self._lock:
            self._down = (time.monotonic() + self.retry_after, reason)


def make_client(settings: Settings, model: Any = None) -> ChatClient | None:
    """The configured model's client (``model`` overrides the one built from the settings)."""
    if settings.generator == "extractive" and model is None:
        return None
    model = model if model is not None else make_chat_model(settings)
    return ChatClient(model, settings.llm_timeout, settings.llm_retry_after)
