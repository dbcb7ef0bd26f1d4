"""Start-up does no work twice and leaves none to the first request (fakes only; the timings
themselves are measured by benchmarks/bench_startup.py)."""

from __future__ import annotations

import json
import os
import sys
import urllib.request

import pytest

from assistant.cluster import free_port
from assistant.config import Settings
from assistant.embeddings import ChromaEmbeddingAdapter, get_embeddings


def test_chroma_and_the_pipeline_share_one_embedding_model():
    """Chroma rebuilds the collection's embedding function from its stored config; that must
    be the model the pipeline already loaded, not a second copy."""
    settings = Settings(embedding_backend="fake-hash")
    ours = get_embeddings(settings)
    config = ChromaEmbeddingAdapter(ours).get_config()
    assert ChromaEmbeddingAdapter.build_from_config(config)._embeddings is ours
    assert get_embeddings(settings.model_copy(update={"embedding_model": "other-name"})) is ours


def _chat(port: int, question: str) -> str:
    url = f"http://127.0.0.1:{port}/gradio_api/call/chat"
    body = json.dumps({"data": [question, []]}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        event = json.loads(response.read())["event_id"]
    with urllib.request.urlopen(f"{url}/{event}", timeout=60) as response:
        return response.read().decode()


def test_the_server_picks_a_headless_plot_backend_so_requests_import_no_pyplot(
    fake_assistant, fake_settings, monkeypatch
):
    """Gradio asks matplotlib for its backend around every request: the first request would
    import matplotlib, and without a backend chosen pyplot too (a third of a second)."""
    from assistant.web import start

    monkeypatch.delenv("MPLBACKEND", raising=False)
    pyplot_before = "matplotlib.pyplot" in sys.modules  # another test may have imported it
    port = free_port()
    demo = start(fake_assistant, fake_settings, "127.0.0.1", port)
    try:
        assert "matplotlib" in sys.modules  # imported at start, not by the first request
        assert "event: complete" in _chat(port, "Was ist ein Erprobungsraum?")
        assert os.environ["MPLBACKEND"] == "agg"
        if not pyplot_before:
            assert "matplotlib.pyplot" not in sys.modules
    finally:
        demo.close()


def test_a_chosen_plot_backend_is_kept(fake_assistant, fake_settings, monkeypatch):
    from assistant import web

    class Stop(Exception):
        pass

    def stop(*_args, **_kwargs):
        raise Stop

    monkeypatch.setenv("MPLBACKEND", "pdf")
    monkeypatch.setattr(web, "build_app", stop)  # only the start-up preamble runs
    with pytest.raises(Stop):
        web.start(fake_assistant, fake_settings, "127.0.0.1", 0)
    assert os.environ["MPLBACKEND"] == "pdf"


def test_the_first_page_shows_the_status_read_during_start_up(fake_assistant, fake_settings, monkeypatch):
    """`assistant serve` reads the index status beside Gradio's import; building the page then
    reads it no second time (and shows what was read)."""
    from assistant.web import build_app

    status = fake_assistant.index.status()

    def refuse():
        raise AssertionError("index status read again while building the page")

    monkeypatch.setattr(fake_assistant.index, "status", refuse)
    demo = build_app(fake_assistant, fake_settings, status)
    shown = next(b.value for b in demo.blocks.values() if getattr(b, "elem_id", None) == "index-status")
    assert str(len(status.documents)) in shown and str(status.total_chunks) in shown


def test_start_up_pauses_the_collector_then_freezes_its_objects_and_resumes():
    import gc

    from assistant.startup import collector_paused

    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    try:
        with collector_paused():
            assert not gc.isenabled()
            kept = [[i] for i in range(1000)]  # tracked objects made during the start
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + len(kept)
    finally:
        gc.unfreeze()  # leave the test process as it was


def test_a_failing_start_still_resumes_the_collector():
    import gc

    from assistant.startup import collector_paused

    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("start-up failed")
    assert gc.isenabled()
    gc.unfreeze()


@pytest.fixture(scope="session")
def zipf_table_path(tmp_path_factory):
    """The word-frequency table, built once for the session (a few seconds)."""
    from assistant.wordfreq_table import build, table_path

    path = table_path(tmp_path_factory.mktemp("wordfreq"))
    build(path)
    return path


def test_the_frequency_table_gives_wordfreqs_own_zipf_values(zipf_table_path):
    """Word by word equal to wordfreq: the corpus' words, compounds, ß, unknown words."""
    import random
    import re

    from wordfreq import get_frequency_dict, zipf_frequency

    from assistant.config import PROJECT_ROOT
    from assistant.wordfreq_table import ZipfTable

    table = ZipfTable.open(zipf_table_path)
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((PROJECT_ROOT / "corpus").rglob("*.md")))
    words = sorted(set(re.findall(r"[a-zäöüß]+(?:-[a-zäöüß]+)*", text.lower())))
    rng = random.Random(12)
    listed = [w for lang in ("de", "en") for w in rng.sample(sorted(get_frequency_dict(lang)), 3000)]
    words += listed + [f"{a}-{b}" for a, b in zip(listed[:500], listed[-500:], strict=True)]
    words += ["straße", "großartig", "ki-einführung", "xqzvw", "qqq-einführung", "übermäßig"]
    checked = 0
    for word in words:
        value = table.zipf(word)
        if value is None:  # wordfreq answers these itself
            continue
        assert value == max(zipf_frequency(word, "de"), zipf_frequency(word, "en")), word
        checked += 1
    assert checked >= 0.95 * len(words)
    assert table.zipf("covid19") is None and table.zipf("don't") is None


def test_a_start_with_the_table_loads_no_word_lists(zipf_table_path, tmp_path, monkeypatch):
    """Scope judged from the table alone (wordfreq not even imported), as wordfreq judges it."""
    import subprocess

    from assistant import scope

    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / zipf_table_path.name).write_bytes(zipf_table_path.read_bytes())
    question = "Wie plane ich einen Sauerteig-Kurs mit Erprobungsraum?"
    vocabulary = {"kurs", "erprobungsraum"}
    code = (
        "import sys; from pathlib import Path; from assistant import scope\n"
        f"scope.preload(Path({str(cache)!r}))\n"
        f"share = scope.held_share({question!r}, {vocabulary!r}, 5.0)\n"
        "print(round(share, 6), 'wordfreq' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    share, imported = out.stdout.split()
    monkeypatch.setattr(scope, "_TABLE", [None])  # this process: wordfreq itself
    scope.zipf.cache_clear()
    try:
        expected = scope.held_share(question, vocabulary, 5.0)
    finally:
        scope.zipf.cache_clear()
    assert imported == "False"
    assert float(share) == round(expected, 6) and 0.0 < expected < 1.0
