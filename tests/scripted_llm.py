"""A scripted chat model behind real wire protocols on loopback (tests and benchmarks).

Speaks the OpenAI Chat Completions API (``POST /v1/chat/completions``: SSE ``data:`` chunks
ending in ``data: [DONE]``, or one JSON object) and the Ollama chat API (``POST /api/chat``:
NDJSON lines, or one object). Each request is answered by the script: a ``Reply`` or a
function of the request's messages returning one. Replies can be slow, fail with an HTTP
status, or break the stream, so every failure mode a client meets can be produced for real.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse


@dataclass
class Reply:
    """One scripted reply."""

    text: str = ""
    status: int = 200  # anything else: an error response of the protocol's shape
    first_delay: float = 0.0  # seconds before the first byte of the body
    token_delay: float = 0.0  # seconds between streamed pieces
    malformed: bool = False  # the stream breaks off with a line that is not valid JSON


Script = Reply | Callable[[list[dict[str, Any]]], Reply]


def pieces(text: str) -> list[str]:
    """The text as a model streams it: word by word, whitespace attached."""
    return re.findall(r"\s*\S+", text) or [text]


class ScriptedLLM:
    """The server; use as a context manager. ``requests`` records every request body."""

    def __init__(self, script: Script | None = None, model: str = "scripted") -> None:
        self.script: Script = script if script is not None else Reply("")
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.first_token_at: list[float] = []  # perf_counter() when each reply's first piece was sent
        self.last_token_at: list[float] = []  # ... and its last piece
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        config = uvicorn.Config(self._app(), log_level="error", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def ollama_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ScriptedLLM:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("scripted LLM server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._sock.close()

    def _reply(self, body: dict[str, Any]) -> Reply:
        self.requests.append(body)
        messages = body.get("messages", [])
        return self.script(messages) if callable(self.script) else self.script

    # --- the two protocols ---------------------------------------------------------------

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def openai_chat(request: Request):
            body = await request.json()
            reply = self._reply(body)
            if reply.status != 200:
                await asyncio.sleep(reply.first_delay)
                error = {"message": f"scripted error {reply.status}", "type": "server_error", "code": None}
                return JSONResponse({"error": error}, status_code=reply.status)
            if body.get("stream"):
                return StreamingResponse(self._openai_sse(reply), media_type="text/event-stream")
            await asyncio.sleep(reply.first_delay)
            return JSONResponse(self._openai_object(reply.text))

        @app.post("/api/chat")
        async def ollama_chat(request: Request):
            body = await request.json()
            reply = self._reply(body)
            if reply.status != 200:
                await asyncio.sleep(reply.first_delay)
                return JSONResponse({"error": f"scripted error {reply.status}"}, status_code=reply.status)
            if body.get("stream", True):
                return StreamingResponse(self._ollama_ndjson(reply), media_type="application/x-ndjson")
            await asyncio.sleep(reply.first_delay)
            return JSONResponse(self._ollama_line(reply.text, done=True))

        return app

    def _openai_chunk(self, delta: dict[str, Any], finish: str | None = None) -> str:
        chunk = {
            "id": "chatcmpl-scripted",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(chunk)}\n\n"

    def _openai_object(self, text: str) -> dict[str, Any]:
        return {
            "id": "chatcmpl-scripted",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    async def _openai_sse(self, reply: Reply):
        await asyncio.sleep(reply.first_delay)
        yield self._openai_chunk({"role": "assistant", "content": ""})
        for i, piece in enumerate(pieces(reply.text) if reply.text else []):
            if i:
                await asyncio.sleep(reply.token_delay)
            else:
                self.first_token_at.append(time.perf_counter())
            yield self._openai_chunk({"content": piece})
        self.last_token_at.append(time.perf_counter())
        if reply.malformed:
            yield "data: {not json\n\n"
            return
        yield self._openai_chunk({}, "stop")
        yield "data: [DONE]\n\n"

    def _ollama_line(self, text: str, done: bool) -> dict[str, Any]:
        line: dict[str, Any] = {
            "model": self.model,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "message": {"role": "assistant", "content": text},
            "done": done,
        }
        if done:
            line.update(done_reason="stop", total_duration=1, eval_count=1, prompt_eval_count=1)
        return line

    async def _ollama_ndjson(self, reply: Reply):
        await asyncio.sleep(reply.first_delay)
        for i, piece in enumerate(pieces(reply.text) if reply.text else []):
            if i:
                await asyncio.sleep(reply.token_delay)
            else:
                self.first_token_at.append(time.perf_counter())
            yield json.dumps(self._ollama_line(piece, done=False)) + "\n"
        self.last_token_at.append(time.perf_counter())
        if reply.malformed:
            yield "{not json\n"
            return
        yield json.dumps(self._ollama_line("", done=True)) + "\n"


def free_port() -> int:
    """A loopback port nothing listens on (for 'connection refused')."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def user_text(messages: list[dict[str, Any]]) -> str:
    """The human message's text of a request (both protocols send plain strings here)."""
    return "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")


def system_text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")


# --- scripts and wiring shared by tests and benchmarks ----------------------------------------

_PASSAGE = re.compile(r"^\[(\d+)\] \([^)]*\) (.*?)(?=\n\n\[\d+\] \(|\n\nQuestion:|\Z)", re.S | re.M)


def passages(messages: list[dict[str, Any]]) -> dict[int, str]:
    """The numbered passages of an answer request, as the model was given them."""
    return {int(n): text.strip() for n, text in _PASSAGE.findall(user_text(messages))}


def question_of(messages: list[dict[str, Any]]) -> str:
    text = user_text(messages)
    return text.rsplit("Question:", 1)[-1].strip() if "Question:" in text else text


def first_sentences(text: str, k: int = 1) -> list[str]:
    """The first ``k`` statements of a passage (at least six words, no heading or question)."""
    from assistant.sentences import sentences

    out = []
    for start, end in sentences(text):
        piece = text[start:end].strip()
        if len(piece.split()) >= 6 and piece.endswith(".") and "[" not in piece and not piece.startswith("#"):
            out.append(piece)
        if len(out) == k:
            break
    return out


def faithful_text(messages: list[dict[str, Any]], k: int = 2) -> str:
    """What a well-behaved model writes: a statement from each of the first passages, cited."""
    found = passages(messages)
    out = []
    for n in sorted(found)[:k]:
        out += [f"{s[:-1]} [{n}]." for s in first_sentences(found[n])]
    return " ".join(out)


def faithful(messages: list[dict[str, Any]]) -> Reply:
    return Reply(faithful_text(messages))


class _NoSanitising:
    """The rails, except that retrieved passages reach the model unchanged (for measuring what
    the output checks do on their own)."""

    def __init__(self, rails: Any) -> None:
        self._rails = rails

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rails, name)

    @staticmethod
    def neutralise(text: str) -> str:
        return text


def with_model(
    core: Any,
    url: str,
    generator: str = "openai",
    output_checks: bool = True,
    sanitize: bool = True,
    **settings: Any,
):
    """A copy of an ``Assistant`` that answers through the model at ``url`` (index, rails and
    store shared; only the generator, its client and the rail self-check are new). With
    ``sanitize=False`` instruction-like passage sentences are no longer removed before the model
    sees them (the output checks still read passages as data)."""
    import copy

    from assistant.llm import make_client
    from assistant.llm_answer import make_answer_generator
    from assistant.rail_check import make_self_check

    updates = {"generator": generator, "llm_base_url": url, "llm_model": "scripted", "llm_timeout": 2.0}
    config = core.settings.model_copy(update=updates | settings)
    clone = copy.copy(core)
    clone.settings = config
    clone.llm_client = make_client(config)
    clone.generator = make_answer_generator(
        config, core.store, core.rails, core.index.embeddings, clone.llm_client, output_checks
    )
    clone.self_check = make_self_check(config, core.rails, clone.llm_client)
    if not sanitize:
        clone.rails = _NoSanitising(core.rails)
    return clone
