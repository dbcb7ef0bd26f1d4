"""The web chat through its public API (gradio_client) and its helpers."""

import re

from gradio_client import Client

from assistant.web import answer_markdown, escape_md, parse_auth, sources_html


def test_chat_endpoint_answers_with_citations(web_app):
    client = Client(web_app, verbose=False)
    text = client.predict("Wie spreche ich Datenschutz im Erstgespräch an?", api_name="/chat")
    assert re.search(r"\[1\]", text) and "Quellen:" in text and "These 5.1" in text


def test_chat_endpoint_returns_the_guardrail_response(web_app):
    client = Client(web_app, verbose=False)
    text = client.predict("Entscheide du: Welchen Mitarbeiter sollen wir entlassen?", api_name="/chat")
    assert "Verantwortlichen" in text and "Betriebsrat" in text


def test_markup_is_shown_as_text(assistant_core):
    assert "<script>" not in escape_md("<script>alert(1)</script>")
    answer = assistant_core.ask("Was ist ein Erprobungsraum? <b>fett</b>")
    html = sources_html(answer, {"no_sources": "–"})
    assert "<b>" not in answer_markdown(answer)
    assert "id='src-1'" in html and "<mark>" in html
    assert "(#src-1)" in answer_markdown(answer)


def test_auth_parsing(tmp_path):
    assert parse_auth(None) is None
    assert parse_auth("a:b,c:d") == [("a", "b"), ("c", "d")]
    f = tmp_path / "users"
    f.write_text("anna:geheim\n")
    assert parse_auth(str(f)) == [("anna", "geheim")]
