"""`assistant eval --generator openai` against a scripted model on loopback."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from tests.scripted_llm import Reply, ScriptedLLM, faithful, system_text

ITEMS = [
    {
        "id": "llm-1",
        "lang": "de",
        "question": "Wie spreche ich Datenschutz im Erstgespräch an?",
        "reference_answer": "Datenschutz wird früh und offen angesprochen, um Unsicherheiten abzubauen.",
        "gold_sections": ["5.1"],
        "category": "retrieval",
        "expected_behavior": "answer_with_citations",
    },
    {
        "id": "llm-2",
        "lang": "en",
        "question": "How do I involve the works council?",
        "reference_answer": "Involve the works council early and train it on data protection.",
        "gold_sections": ["1"],
        "category": "retrieval",
        "expected_behavior": "answer_with_citations",
    },
]


def script(messages):
    if "You grade answers" in system_text(messages):
        return Reply('{"faithfulness": 0.75, "correctness": 0.5}')
    english = "Answer in English" in system_text(messages)
    invented = "The moon is made of green cheese [1]." if english else "Der Mond ist aus Käse gemacht [1]."
    return Reply(f"{faithful(messages).text} {invented}")  # one unsupported sentence per answer


def test_eval_runs_against_a_configured_endpoint_and_reports_judged_scores_apart(
    shipped_settings, tmp_path, monkeypatch
):
    from assistant import config
    from assistant.cli import app

    eval_set = tmp_path / "set.jsonl"
    eval_set.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in ITEMS) + "\n", encoding="utf-8")
    with ScriptedLLM(script) as server:
        monkeypatch.setenv("ASSISTANT_DATA_DIR", str(shipped_settings.data_dir))
        monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", server.openai_url)
        monkeypatch.setenv("ASSISTANT_LLM_TIMEOUT", "10")
        config.get_settings.cache_clear()
        try:
            result = CliRunner().invoke(
                app, ["eval", str(eval_set), "--out", str(tmp_path / "run"), "--generator", "openai"]
            )
        finally:
            config.get_settings.cache_clear()
        answers = [r for r in server.requests if "You grade answers" not in system_text(r["messages"])]
    assert result.exit_code == 0, result.output
    assert len(answers) == len(ITEMS)  # every item was answered by the endpoint
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    model = summary["model"]
    assert model["answers"] == 2 and model["fallback_rate"] == 0.0
    assert model["dropped_by_reason"] == {"unsupported": 2}
    assert model["support_drop_rate"] == round(2 / model["sentences_written"], 4)
    assert model["judged_faithfulness (judged by the model, n=2)"] == 0.75
    assert model["judged_correctness (judged by the model, n=2)"] == 0.5
    rows = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    cited = [s for r in rows for s in r["cited_sections"]]  # section ids, never passage texts
    assert cited and all(re.fullmatch(r"\d(\.\d)?", s) for s in cited), cited
    report = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert "judged" in report and "support_drop_rate" in report
