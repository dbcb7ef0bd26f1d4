"""Ingest cannot corrupt the index and does not lose work: batches, atomic versions, kill -9.

All with the hash-based fake embedder (``embedding_backend="fake-hash"``), so they run in seconds;
the fake's per-text delay makes an ingest slow enough to be killed mid-way.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.index import Index, build_index
from assistant.ingest import ingest_files
from tests.conftest import make_fake_settings

WORDS = [
    "Lager",
    "Werkstatt",
    "Kunde",
    "Auftrag",
    "Rechnung",
    "Maschine",
    "Schicht",
    "Planung",
    "Wartung",
    "Sensor",
    "Daten",
    "Qualität",
    "Prüfung",
    "Lieferant",
    "Termin",
    "Budget",
    "Schulung",
    "Team",
    "Prozess",
    "Messung",
]
_LINE = re.compile(r"^(Abschnitte|Sätze) (\d+)/(\d+)")


def handbook(path: Path, sentences: int, seed: int = 1) -> Path:
    """A German-looking document with ``sentences`` distinct sentences under headings."""
    rng = random.Random(seed)
    lines = ["# Betriebshandbuch", ""]
    for n in range(sentences):
        if n % 60 == 0:
            lines += [f"## Kapitel {n // 60 + 1}", ""]
        w = rng.sample(WORDS, 4)
        lines.append(f"Im Schritt {n} prüft das {w[0]}-Team die {w[1]} mit {w[2]} und {w[3]}.")
        if n % 10 == 9:
            lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def fake_settings(tmp_path, mini_corpus, fixture_prompts) -> Settings:
    """A fresh fake-embedder index per test (these tests write to it)."""
    return make_fake_settings(tmp_path, mini_corpus, fixture_prompts, collection="test")


def _env(settings: Settings, **extra) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(PROJECT_ROOT),
        ASSISTANT_CONFIG=str(settings.index_dir / "none.toml"),
        ASSISTANT_CORPUS_DIR=str(settings.corpus_dir),
        ASSISTANT_INDEX_DIR=str(settings.index_dir),
        ASSISTANT_DATA_DIR=str(settings.data_dir),
        ASSISTANT_COLLECTION=settings.collection,
        ASSISTANT_PROMPTS_DIR=str(settings.prompts_dir),
        ASSISTANT_EMBEDDING_BACKEND="fake-hash",
        ASSISTANT_PROGRESS_INTERVAL="0",
        ASSISTANT_EMBED_BATCH="8",
    )
    env.update({f"ASSISTANT_{k.upper()}": str(v) for k, v in extra.items()})
    return env


def _ingest_cmd(path: Path) -> list[str]:
    return [sys.executable, "-m", "assistant.cli", "ingest", str(path)]


def _kill_when(cmd, env, phase: str, share: float) -> list[tuple[str, int, int]]:
    """Run ``cmd``; kill -9 it once a progress line of ``phase`` reaches ``share`` of its total."""
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    seen: list[tuple[str, int, int]] = []
    assert proc.stderr is not None
    for line in proc.stderr:
        match = _LINE.match(line.strip())
        if not match:
            continue
        seen.append((match.group(1), int(match.group(2)), int(match.group(3))))
        if match.group(1) == phase and int(match.group(2)) >= share * int(match.group(3)):
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"the ingest ended before the kill: {seen[-3:]}"
    return seen


def _answers(settings: Settings, question: str):
    from assistant.chain import Assistant

    answer = Assistant(settings).ask(question)
    assert not answer.abstained and answer.citations, answer.text
    return answer


def test_kill_9_during_chunks_and_sentences_leaves_a_consistent_index_and_work_survives(
    fake_settings, tmp_path
):
    build_index(fake_settings)
    base = Index(fake_settings).status()
    doc = handbook(tmp_path / "handbuch.md", 1500)
    env = _env(fake_settings, fake_embedding_delay=0.003)

    # 1. Killed while chunks are being embedded and staged (some batches written).
    first = _kill_when(_ingest_cmd(doc), env, "Abschnitte", 0.4)
    killed_at = first[-1][1]
    status = Index(fake_settings).status()
    assert status.consistent, status.problems
    assert status.staged_chunks > 0  # batches were written ...
    assert status.documents == base.documents  # ... but the document is not there at all
    assert status.total_chunks == base.total_chunks and status.sentences == base.sentences
    _answers(fake_settings, "Was ist ein Erprobungsraum?")

    # 2. Re-run continues from the cache (its first step has the killed run's vectors), and is
    #    killed while the sentence vectors are computed: the document is searchable already.
    second = _kill_when(_ingest_cmd(doc), env, "Sätze", 0.3)
    chunk_steps = [s for s in second if s[0] == "Abschnitte"]
    assert chunk_steps[0][1] >= killed_at
    status = Index(fake_settings).status()
    assert status.consistent, status.problems
    user_id = next(d for d, kind in status.documents.items() if kind == "user")
    assert status.sentences_pending.get(user_id) == status.chunks_by_kind["user"]
    assert status.sentences == base.sentences  # no sentence of the document is visible yet
    answer = _answers(fake_settings, "Wer prüft im Schritt 734 die Daten?")
    assert any(c.doc_id == user_id for c in answer.citations)

    # 3. A third run completes; counts equal a clean ingest into a fresh index.
    done = subprocess.run(_ingest_cmd(doc), env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    status = Index(fake_settings).status()
    clean = fake_settings.model_copy(update={"index_dir": tmp_path / "clean", "data_dir": tmp_path / "v2"})
    build_index(clean)
    ingest_files(clean, [doc])
    expected = Index(clean).status()
    assert status.consistent and not status.sentences_pending and not status.staged_chunks
    assert status.staged_sentences == 0
    assert status.chunks_by_kind == expected.chunks_by_kind
    assert status.sentences == expected.sentences > base.sentences


def test_kill_9_at_random_moments_never_leaves_an_inconsistent_index(fake_settings, tmp_path):
    build_index(fake_settings)
    doc = handbook(tmp_path / "handbuch.md", 900, seed=2)
    env = _env(fake_settings, fake_embedding_delay=0.002, max_write_batch=24)
    rng = random.Random(7)
    for _ in range(3):
        proc = subprocess.Popen(
            _ingest_cmd(doc), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(1.0, 6.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        status = Index(fake_settings).status()
        assert status.consistent, status.problems
    done = subprocess.run(_ingest_cmd(doc), env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    status = Index(fake_settings).status()
    assert status.consistent and not status.sentences_pending and not status.staged_chunks
    assert status.chunks_by_kind.get("user", 0) > 0


def test_a_document_with_more_sentences_than_chromas_batch_limit_ingests(
    fake_settings, tmp_path, monkeypatch
):
    index = Index(fake_settings)
    limit = index.client.get_max_batch_size()
    doc = handbook(tmp_path / "gross.md", limit + 500)
    sizes: list[int] = []
    real = Index._upsert

    def spy(self, collection, ids, *rest):
        sizes.append(len(ids))
        return real(self, collection, ids, *rest)

    monkeypatch.setattr(Index, "_upsert", spy)
    calls: list[int] = []
    for name in ("chunks", "sentences"):
        collection = getattr(index, name)
        original = collection.upsert

        def counted(*args, _original=original, **kwargs):
            calls.append(len(kwargs["ids"]))
            return _original(*args, **kwargs)

        monkeypatch.setattr(collection, "upsert", counted)
    monkeypatch.setattr(Index, "_open", lambda self: None)  # keep the wrapped collections
    result = ingest_files(fake_settings, [doc], index=index)
    assert not result.errors, result.errors
    monkeypatch.undo()
    status = Index(fake_settings).status()
    assert status.consistent and status.sentences >= limit + 500
    assert max(sizes) > limit  # one write asked for more rows than Chroma takes at once ...
    assert calls and max(calls) <= limit  # ... and went to Chroma in batches within its limit


def test_write_batches_never_exceed_the_clients_limit(fake_settings):
    index = Index(fake_settings)
    limit = index.client.get_max_batch_size()
    assert index.write_batch_size() == limit
    small = Index(fake_settings.model_copy(update={"max_write_batch": 10}))
    assert small.write_batch_size() == 10
    big = Index(fake_settings.model_copy(update={"max_write_batch": limit * 3}))
    assert big.write_batch_size() == limit


def test_a_failed_write_is_a_message_and_leaves_nothing_visible(fake_settings, tmp_path, monkeypatch):
    build_index(fake_settings)
    before = Index(fake_settings).status()
    doc = handbook(tmp_path / "handbuch.md", 200)
    index = Index(fake_settings.model_copy(update={"embed_batch": 8}))  # fails at the 3rd chunk batch
    calls = {"n": 0}
    real = index.embeddings.encode_passages

    def failing(texts):
        calls["n"] += 1
        if calls["n"] > 2:
            raise RuntimeError("model crashed")
        return real(texts)

    monkeypatch.setattr(index.embeddings, "encode_passages", failing)
    result = ingest_files(fake_settings, [doc], index=index)
    assert "index" in result.errors and "again" in result.errors["index"]
    status = Index(fake_settings).status()
    assert status.consistent and status.documents == before.documents
    assert status.staged_chunks > 0  # written batches stay invisible ...
    monkeypatch.undo()
    again = ingest_files(fake_settings, [doc], index=Index(fake_settings))
    assert not again.errors
    status = Index(fake_settings).status()
    assert status.staged_chunks == 0 and status.consistent  # ... and are cleaned up at the next write
    assert status.chunks_by_kind.get("user", 0) == again.report.added
