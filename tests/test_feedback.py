import csv
import io
import json

from assistant.feedback import FeedbackStore


def test_feedback_is_stored_redacted_and_exported(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    row = store.add(1, "Frage von anna@example.org", "Antwort [1]", language="de", rails=["pii"])
    store.set_comment(row, "Sehr hilfreich, ruf an: 0171 2345678")
    store.add(-1, "Zweite Frage", "Antwort")
    rows = [json.loads(x) for x in store.export("jsonl").splitlines()]
    assert [r["rating"] for r in rows] == [1, -1]
    assert "anna@example.org" not in rows[0]["question"] and "0171 2345678" not in rows[0]["comment"]
    assert store.get(row) == rows[0] and store.get(999) is None
    parsed = list(csv.DictReader(io.StringIO(store.export("csv"))))
    assert len(parsed) == 2 and parsed[0]["language"] == "de"
