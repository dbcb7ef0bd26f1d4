"""The library: list, remove, duplicates, changed files, search filter, progress, web panel."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from assistant import web_library as library
from assistant.config import Settings
from assistant.index import Index, build_index
from assistant.ingest import ingest_files
from assistant.progress import PlainReporter, ProgressMeter
from assistant.retrieval import HybridRetriever, SearchScope
from assistant.web import load_ui_text
from tests.conftest import make_fake_settings

GUIDE = (
    "# Leitfaden Erstgespräch\n\n## Vorbereitung\n\nVor dem Erstgespräch liest die Beraterin den "
    "Jahresbericht des Betriebs. Sie notiert drei Fragen zur Lagerlogistik.\n\n## Ablauf\n\n"
    "Das Gespräch beginnt mit einer Vorstellungsrunde der Geschäftsführung. Danach beschreibt der "
    "Betrieb seine Wertschöpfungskette vom Wareneingang bis zum Versand.\n"
)


@pytest.fixture()
def fake_settings(tmp_path, mini_corpus, fixture_prompts) -> Settings:
    """A fresh fake-embedder index per test (these tests write to it)."""
    settings = make_fake_settings(tmp_path, mini_corpus, fixture_prompts, collection="test")
    build_index(settings)
    return settings


def _cli(settings: Settings, monkeypatch, *args: str):
    from assistant import config
    from assistant.cli import app

    for key in ("corpus_dir", "index_dir", "data_dir", "collection", "embedding_backend", "prompts_dir"):
        monkeypatch.setenv(f"ASSISTANT_{key.upper()}", str(getattr(settings, key)))
    config.get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        config.get_settings.cache_clear()


def test_docs_list_and_remove(fake_settings, tmp_path, monkeypatch):
    path = tmp_path / "leitfaden.md"
    path.write_text(GUIDE, encoding="utf-8")
    assert not ingest_files(fake_settings, [path]).errors
    listed = _cli(fake_settings, monkeypatch, "docs", "list", "--json")
    assert listed.exit_code == 0, listed.output
    import json

    rows = {r["doc_id"]: r for r in json.loads(listed.stdout)}
    mine = next(r for r in rows.values() if r["kind"] == "user")
    assert mine["title"] == "leitfaden"  # the extractor's title for a Markdown file: its name
    assert mine["source"] == str(path.resolve()) and mine["chunks"] >= 1 and mine["added"]
    assert {r["kind"] for r in rows.values()} >= {"paper", "method", "user"}

    missing = _cli(fake_settings, monkeypatch, "docs", "remove", "gibt-es-nicht.pdf")
    assert missing.exit_code == 2 and "Nicht gefunden" in missing.output and "Traceback" not in missing.output
    shipped = _cli(fake_settings, monkeypatch, "docs", "remove", "zukunftsthesen-2024")
    assert shipped.exit_code == 2 and "mitgelieferten" in shipped.output
    removed = _cli(fake_settings, monkeypatch, "docs", "remove", "leitfaden.md")
    assert removed.exit_code == 0, removed.output
    status = Index(fake_settings).status()
    assert "user" not in status.chunks_by_kind and status.consistent
    assert not (fake_settings.data_dir / "user_docs" / f"{mine['doc_id']}.json").exists()


def test_the_same_content_is_recognised_and_not_indexed_twice(fake_settings, tmp_path):
    first, copy = tmp_path / "leitfaden.md", tmp_path / "kopie-leitfaden.md"
    first.write_text(GUIDE, encoding="utf-8")
    copy.write_text(GUIDE, encoding="utf-8")
    assert not ingest_files(fake_settings, [first]).errors
    before = Index(fake_settings).status()
    again = ingest_files(fake_settings, [copy])
    assert copy.name in again.duplicates and not again.documents
    both = ingest_files(fake_settings, [first, copy])  # in one call, too
    assert copy.name in both.duplicates and both.report.added == 0
    after = Index(fake_settings).status()
    assert after.chunks_by_kind == before.chunks_by_kind and len(after.documents) == len(before.documents)


def test_a_changed_file_replaces_only_what_changed(fake_settings, tmp_path):
    path = tmp_path / "handbuch.md"
    sections = [
        f"## Kapitel {n}\n\nIm Kapitel {n} prüft das Team die Anlage {n} gründlich. "
        f"Die Wartung {n} erfolgt monatlich durch die Werkstatt.\n"
        for n in range(1, 9)
    ]
    path.write_text("# Handbuch\n\n" + "\n".join(sections), encoding="utf-8")
    first = ingest_files(fake_settings, [path])
    ids_before = set(next(d for d in Index(fake_settings).documents() if d.kind == "user").chunk_ids)
    sections[3] = "## Kapitel 4\n\nKapitel 4 ist jetzt ganz anders formuliert und neu.\n"
    path.write_text("# Handbuch\n\n" + "\n".join(sections), encoding="utf-8")
    second = ingest_files(fake_settings, [path])
    assert not second.duplicates and second.documents
    assert second.report.added == 1 and second.report.removed == 1
    assert second.report.unchanged == first.report.added - 1
    rec = next(d for d in Index(fake_settings).documents() if d.kind == "user")
    assert len(set(rec.chunk_ids) & ids_before) == len(ids_before) - 1
    assert Index(fake_settings).status().consistent


def test_search_filter_limits_retrieval_to_the_chosen_documents(fake_settings, tmp_path):
    path = tmp_path / "leitfaden.md"
    path.write_text(GUIDE, encoding="utf-8")
    doc_id = ingest_files(fake_settings, [path]).documents[0].doc_id
    retriever = HybridRetriever.from_index(Index(fake_settings))
    question = "Wie bereite ich das Erstgespräch und den Erprobungsraum vor?"
    everything = {c.meta["doc_id"] for s in retriever.search(question).sections for c in s.chunks}
    assert doc_id in everything and len(everything) > 1
    mine = retriever.search(question, scope=library.scope_of("mine"))
    assert mine.sections and {c.meta["kind"] for s in mine.sections for c in s.chunks} == {"user"}
    one = retriever.search(question, scope=library.scope_of(f"doc:{doc_id}"))
    assert {c.meta["doc_id"] for s in one.sections for c in s.chunks} == {doc_id}
    paper = retriever.search(question, scope=library.scope_of("paper"))
    assert paper.sections and doc_id not in {c.meta["doc_id"] for s in paper.sections for c in s.chunks}
    assert library.scope_of("all") is None and SearchScope(kinds=("user",)).admits({"kind": "user"})


def test_a_document_is_answerable_while_its_sentence_vectors_are_pending(fake_settings, tmp_path):
    path = tmp_path / "leitfaden.md"
    path.write_text(GUIDE, encoding="utf-8")
    result = ingest_files(fake_settings, [path], complete_sentences=False)
    index = Index(fake_settings)
    status = index.status()
    assert result.report.sentences_pending >= 1 and status.sentences_pending and status.consistent
    rows = [r for r in index.active_sentences() if r["meta"]["kind"] == "user"]
    # The chunk's own sentences stand in, each exactly as in the document.
    assert rows and all(r["text"] in GUIDE for r in rows)
    assert {r["text"] for r in rows} >= {"Sie notiert drei Fragen zur Lagerlogistik."}
    # A question gives the sentences of the chunks it retrieves their own vectors at once.
    retriever = HybridRetriever.from_index(index)
    found = retriever.search("Welche Fragen notiert die Beraterin zur Lagerlogistik?")
    user_keys = [s.key for s in found.sections if s.chunks[0].meta["kind"] == "user"]
    assert user_keys
    own = [r for key in user_keys for r in retriever.store.for_section(key) if not r.get("standin")]
    assert own and all(np.allclose(r["vec"], index.embeddings.encode_passages([r["text"]])[0]) for r in own)
    index.complete_sentences()
    done = Index(fake_settings)
    assert not done.status().sentences_pending
    stored = {r["text"] for r in done.active_sentences() if r["meta"]["kind"] == "user"}
    assert stored == {r["text"] for r in rows}


def test_progress_shows_done_rate_and_time_left_in_plain_lines():
    now = [0.0]
    lines: list[str] = []
    report = PlainReporter(lines.append, interval=5.0, lang="de", clock=lambda: now[0])
    for done in range(0, 101, 10):
        report(done, 100, "chunks")
        now[0] += 1.0  # 10 chunks per second
    assert lines[0].startswith("Abschnitte 0/100")
    assert any("10.0/s" in line and "noch" in line for line in lines)
    assert len(lines) <= 4 and lines[-1].startswith("Abschnitte 100/100 (100 %)")
    meter = ProgressMeter(lang="en", clock=lambda: now[0])
    meter.update(0, 50, "sentences")
    now[0] += 2.0
    meter.update(20, 50, "sentences")
    assert meter.rate == pytest.approx(10.0) and meter.eta == pytest.approx(3.0)
    assert meter.line() == "sentences 20/50 (40 %) · 10.0/s · ETA 3 s"


def test_web_library_upload_list_and_remove_behind_login(fake_settings, tmp_path):
    ui = load_ui_text(fake_settings)["de"]
    path = tmp_path / "leitfaden.md"
    path.write_text(GUIDE, encoding="utf-8")
    index = Index(fake_settings)
    seen: list[str] = []
    message = library.upload(index, fake_settings, [str(path)], ui, lambda v, desc: seen.append(desc))
    assert "✅ leitfaden.md" in message and seen and "/" in seen[-1]
    thread = library.complete_sentences_in_background(index)
    if thread:
        thread.join(60)
    rows = library.library_rows(index.documents(), ui)
    mine = [r for r in rows if r[1] == ui["kinds"]["user"]]
    assert mine and mine[0][5] == "leitfaden.md"
    doc_id = library.own_documents(index.documents())[0].doc_id
    assert ("leitfaden", f"doc:{doc_id}") in library.scope_choices(index.documents(), ui)
    duplicate = library.upload(index, fake_settings, [str(path)], ui)
    assert "✅" in duplicate  # same file, same name: an unchanged re-ingest, not a duplicate
    locked = fake_settings.model_copy(update={"auth": "anna:geheim"})
    assert library.remove(index, locked, doc_id, ui, username=None) == ui["remove_denied"]
    assert library.own_documents(index.documents())
    assert "entfernt" in library.remove(index, locked, doc_id, ui, username="anna")
    assert not library.own_documents(index.documents()) and index.status().consistent
