"""The external model over real HTTP (OpenAI Chat Completions and Ollama chat on loopback):
streaming, citation parsing, the output checks, and every failure mode's fallback."""

from __future__ import annotations

import json
import time

import pytest
import yaml

from assistant.config import PROJECT_ROOT
from tests.scripted_llm import (
    Reply,
    ScriptedLLM,
    faithful,
    faithful_text,
    first_sentences,
    free_port,
    passages,
    system_text,
    with_model,
)

QUESTION = "Wie spreche ich Datenschutz im Erstgespräch an?"
NOTICES = yaml.safe_load((PROJECT_ROOT / "prompts" / "llm.yaml").read_text(encoding="utf-8"))["fallback"]
PROTOCOLS = ["openai", "ollama"]


def _url(server: ScriptedLLM, protocol: str) -> str:
    return server.openai_url if protocol == "openai" else server.ollama_url


@pytest.fixture(params=PROTOCOLS)
def protocol(request) -> str:
    return request.param


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_faithful_model_is_answered_through_the_wire_and_its_citations_parsed(assistant_core, protocol):
    with ScriptedLLM(faithful) as server:
        core = with_model(assistant_core, _url(server, protocol), protocol)
        answer = core.ask(QUESTION)
    body = server.requests[-1]
    assert body["stream"] is True and body["model"] == "scripted"
    sent = passages(body["messages"])
    expected = faithful_text(body["messages"])
    assert answer.text.replace(" [1]", "").replace(" [2]", "") == expected.replace(" [1]", "").replace(
        " [2]", ""
    )
    assert [c.text for c in answer.citations] == [sent[1], sent[2]] or [c.n for c in answer.citations] == [
        1,
        2,
    ]
    assert all(s.cites for s in answer.sentences)
    assert "fallback" not in answer.generation and answer.generation["kept"] == answer.generation["written"]
    assert answer.notices == []


def test_sentences_are_shown_as_they_pass_while_the_model_is_still_writing(assistant_core):
    def script(messages):
        found = passages(messages)
        good = [f"{s[:-1]} [{n}]." for n in (1, 2) for s in first_sentences(found[n])]
        bad = "Besuchen Sie unbedingt http://gewinnspiel.example/preis für alle Details [1]."
        return Reply(" ".join([good[0], bad, good[1]]), token_delay=0.03)

    with ScriptedLLM(script) as server:
        core = with_model(assistant_core, server.openai_url, llm_timeout=10.0)
        shown = []
        for partial, answer in core.stream(QUESTION):
            shown.append((time.perf_counter(), partial, answer))
    final = shown[-1][2]
    partials = [(t, p) for t, p, a in shown if a is None]
    assert partials, "nothing was shown before the answer was complete"
    # the first sentence appears while the model is still writing
    assert partials[0][0] < server.last_token_at[-1]
    assert all("gewinnspiel" not in p for _, p in partials) and "gewinnspiel" not in final.render()
    # every partial is a prefix of the final body: nothing shown is taken back
    assert all(final.text.startswith(p.split("\n\n")[-1]) for _, p in partials)
    assert [d["reason"] for d in final.generation["dropped"]] == ["foreign_url"]


def test_a_supported_paraphrase_is_kept_and_an_unsupported_cited_sentence_dropped(assistant_core):
    store = assistant_core.store

    def script(messages):
        found = passages(messages)
        # the project's digest sentence closest to passage 1: a paraphrase written by people
        vec = assistant_core.index.embeddings.encode_passages([found[1]])[0]
        digests = [
            r for key in store.section_keys() for r in store.for_section(key) if r["meta"]["kind"] == "digest"
        ]
        digests = [r for r in digests if r["meta"]["lang"] == "de"]
        paraphrase = max(digests, key=lambda r: float(r["vec"] @ vec))["text"]
        script.paraphrase = paraphrase
        invented = (
            "Datenschutz spielt im Erstgespräch keine Rolle, entscheidend ist allein der Lizenzpreis [1]."
        )
        return Reply(f"{paraphrase[:-1]} [1]. {invented}")

    with ScriptedLLM(script) as server:
        core = with_model(assistant_core, server.openai_url)
        answer = core.ask(QUESTION)
    assert [s.text for s in answer.sentences if s.role == "guidance"] == [script.paraphrase]
    assert [d["reason"] for d in answer.generation["dropped"]] == ["unsupported"]


def _leak(messages) -> str:
    line = next(x for x in system_text(messages).splitlines() if len(x.split()) > 10)
    return f"{line.strip(' -')} [1]."


FILTERED = {
    "foreign_url": lambda m: (
        "Alle Details zum Datenschutz finden Sie unter www.gewinnspiel-example.com/datenschutz [1]."
    ),
    "foreign_email": lambda m: "Fragen zum Datenschutz beantwortet gern datenschutz@vendor-example.com [1].",
    "foreign_phone": lambda m: "Zum Datenschutz im Erstgespräch rufen Sie einfach +49 171 2345678 an [1].",
    "foreign_name": lambda m: (
        "Für den Datenschutz im Erstgespräch empfehlen wir die Firma Acmesoft Datentechnik [1]."
    ),
    "leak": _leak,
    "language": lambda m: (
        "From now on I answer in English: data protection matters in every first meeting [1]."
    ),
    "stance": lambda m: "Ich bin Ihr Kollege und entscheide über den Datenschutz im Erstgespräch [1].",
    "uncited": lambda m: "Datenschutz sollte im Erstgespräch früh angesprochen werden.",
}


@pytest.mark.parametrize("reason", sorted(FILTERED))
def test_each_output_filter_drops_its_sentence_and_keeps_the_rest(assistant_core, reason):
    with ScriptedLLM(lambda m: Reply(f"{faithful_text(m)} {FILTERED[reason](m)}")) as server:
        core = with_model(assistant_core, server.openai_url)
        answer = core.ask(QUESTION)
        bad = FILTERED[reason](server.requests[-1]["messages"])
    assert [d["reason"] for d in answer.generation["dropped"]] == [reason]
    assert bad.split(" [")[0] not in answer.render()
    assert answer.generation["kept"] == 2 and "fallback" not in answer.generation


FAILURES = {
    "timeout": (Reply("Zu spät [1].", first_delay=4.0), "timeout"),
    "slow_drip": (Reply(" ".join(["Wort"] * 60) + " [1].", token_delay=0.1), "timeout"),
    "http_500": (Reply(status=500), "http_5xx"),
    "http_503": (Reply(status=503), "http_5xx"),
    "http_401": (Reply(status=401), "http_4xx"),
    "http_404": (Reply(status=404), "http_4xx"),
    "malformed": (Reply("Datenschutz ist wichtig", malformed=True), "malformed"),
    "empty": (Reply(""), "empty"),
    "never_cites": (
        Reply("Datenschutz ist wichtig. Sprechen Sie ihn früh an. Das hilft allen."),
        "no_citations",
    ),
    "all_unsupported": (
        Reply("Der Mond ist aus Käse gemacht [1]. Katzen regieren die Welt [2]."),
        "too_few_checked",
    ),
}


def _assert_fallback(answer, reason: str, timeout: float, lang: str = "de") -> None:
    """Fallback answer with its notice; a failing model costs at most the timeout, and the answer
    is there within the timeout + 1 s of the end of retrieval (rails and search take as long as
    without a model)."""
    kind = "unchecked" if reason in ("no_citations", "too_few_checked") else "unavailable"
    assert answer.generation["fallback"] == reason
    assert answer.notices == [NOTICES[kind][lang]]
    assert answer.sentences and all(s.cites for s in answer.sentences if s.role == "guidance")
    assert answer.citations and not answer.abstained
    assert answer.generation["model_ms"] < (timeout + 0.2) * 1000
    if kind == "unavailable":  # the checks' own time is not the model's
        assert answer.timings_ms["generate"] < (timeout + 1.0) * 1000


@pytest.mark.parametrize("mode", sorted(FAILURES))
def test_every_failure_mode_falls_back_to_the_extractive_answer_in_time(assistant_core, protocol, mode):
    reply, reason = FAILURES[mode]
    with ScriptedLLM(reply) as server:
        core = with_model(assistant_core, _url(server, protocol), protocol, rail_self_check=False)
        answer = core.ask(QUESTION)
    _assert_fallback(answer, reason, core.settings.llm_timeout)
    trace = [json.loads(x) for x in core.settings.trace_path.read_text(encoding="utf-8").splitlines()]
    assert trace[-1]["generation"]["fallback"] == reason


def test_connection_refused_falls_back(assistant_core, protocol):
    base = f"http://127.0.0.1:{free_port()}"
    core = with_model(assistant_core, base + ("/v1" if protocol == "openai" else ""), protocol)
    answer = core.ask("How do I raise data protection in a first meeting?")
    _assert_fallback(answer, "connection", core.settings.llm_timeout, "en")


def test_the_rail_self_check_shares_the_client_and_a_dead_model_costs_one_timeout(assistant_core):
    with ScriptedLLM(Reply("{}", first_delay=5.0)) as server:
        core = with_model(assistant_core, server.openai_url, rail_self_check_margin=100.0)
        start = time.perf_counter()
        answer = core.ask(QUESTION)
        elapsed = time.perf_counter() - start
    assert elapsed - answer.timings_ms["total"] / 1000 < 0.5  # the timings cover the whole wait
    assert answer.rail_review and answer.rail_review["verdict"] is None
    assert answer.rail_review["error"].startswith("timeout")
    _assert_fallback(answer, "timeout", core.settings.llm_timeout)
    # one timeout in all: the self-check's; the answer did not wait for the dead endpoint again
    assert "not asked again" in answer.generation["detail"]
    assert len(server.requests) == 1  # the answer did not wait for the dead endpoint again


def test_cli_ask_with_a_failing_endpoint_prints_the_fallback_not_a_traceback(shipped_settings, monkeypatch):
    from typer.testing import CliRunner

    from assistant import config
    from assistant.cli import app

    with ScriptedLLM(Reply(status=500)) as server:
        monkeypatch.setenv("ASSISTANT_DATA_DIR", str(shipped_settings.data_dir))
        monkeypatch.setenv("ASSISTANT_GENERATOR", "openai")
        monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", server.openai_url)
        config.get_settings.cache_clear()
        try:
            result = CliRunner().invoke(app, ["ask", QUESTION])
        finally:
            config.get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())
    assert NOTICES["unavailable"]["de"] in shown and "Traceback" not in shown
    assert "[1]" in result.output and len(server.requests) >= 1
