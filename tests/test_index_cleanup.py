"""The clean-up at the start of every write: it reads only the rows of documents a killed write
left behind (the journal names them), and scans everything only for collections no scan has
covered yet. Fake embedder, no model; a crash is an exception no ``except Exception`` catches.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from chromadb.api.models.Collection import Collection

from assistant.config import Settings
from assistant.index import Index, build_index
from assistant.ingest import ingest_files
from tests.conftest import make_fake_settings


class Killed(BaseException):
    """Stands for a kill -9: nothing after the point it is raised at runs."""


@pytest.fixture()
def settings(tmp_path, mini_corpus, fixture_prompts) -> Settings:
    return make_fake_settings(tmp_path, mini_corpus, fixture_prompts, collection="clean")


def _note(folder: Path, n: int, extra: str = "") -> Path:
    path = folder / f"notiz-{n}.md"
    path.write_text(
        f"# Notiz {n}\n\n## Inhalt\n\nDas Stichwort lautet Zauberwort{n}. Im Lager {n} prüft das Team "
        f"die Wartung der Maschine.{extra}\n\n## Schluss\n\nDer Termin {n} steht im Kalender.\n",
        encoding="utf-8",
    )
    return path


def _library(settings: Settings, folder: Path, n: int = 3) -> Index:
    build_index(settings)
    result = ingest_files(settings, [_note(folder, i) for i in range(n)])
    assert not result.errors, result.errors
    return Index(settings)


def _row_ids(index: Index) -> set[str]:
    return set(index.chunks.get(include=[])["ids"]) | set(index.sentences.get(include=[])["ids"])


def _spy_reads(monkeypatch) -> list[str]:
    """Every row id any Chroma ``get()`` returns from now on."""
    seen: list[str] = []
    real_get = Collection.get

    def spy(self, *args, **kwargs):
        got = real_get(self, *args, **kwargs)
        seen.extend(got["ids"])
        return got

    monkeypatch.setattr(Collection, "get", spy)
    return seen


def _count_full_scans(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = Index.full_cleanup

    def counted(self):
        calls.append(1)
        return real(self)

    monkeypatch.setattr(Index, "full_cleanup", counted)
    return calls


def test_an_ordinary_write_reads_no_row_of_the_other_documents(settings, tmp_path, monkeypatch):
    index = _library(settings, tmp_path)
    existing = _row_ids(index)
    assert len(existing) > 20
    reads = _spy_reads(monkeypatch)
    result = ingest_files(settings, [_note(tmp_path, 7)])
    assert not result.errors and result.report.added > 0
    assert reads  # the write did read (its own rows, the manifest) ...
    assert not set(reads) & existing  # ... but no chunk or sentence row of another document
    status = Index(settings).status()
    assert status.consistent and not status.staged_chunks and not status.staged_sentences


@pytest.mark.parametrize("crash", ["before_switch", "after_switch", "during_removal"])
def test_a_write_killed_midway_leaves_no_orphans_after_the_next_write(settings, tmp_path, monkeypatch, crash):
    index = _library(settings, tmp_path)
    base = index.status()
    if crash == "before_switch":  # staged rows of a new document, never switched in
        monkeypatch.setattr(Index, "_switch", _raise)
        run = lambda: ingest_files(settings, [_note(tmp_path, 8)])  # noqa: E731
    elif crash == "after_switch":  # a new version is live; the old one's rows are not yet deleted
        monkeypatch.setattr(Index, "_delete_chunks", _raise)
        run = lambda: ingest_files(settings, [_note(tmp_path, 1, " Ein neuer Satz.")])  # noqa: E731
    else:  # the manifest row is gone; the rows are not
        monkeypatch.setattr(Index, "_delete_chunks", _raise)
        doc_id = next(d for d, kind in base.documents.items() if kind == "user")
        run = lambda: Index(settings).remove_documents([doc_id])  # noqa: E731
    with pytest.raises(Killed):
        run()
    monkeypatch.undo()
    left = Index(settings).status()
    assert left.consistent, left.problems
    assert left.staged_chunks > 0  # rows no live document names ...
    assert crash == "before_switch" or left.staged_sentences > 0

    scans = _count_full_scans(monkeypatch)
    again = ingest_files(settings, [_note(tmp_path, 9)])
    assert not again.errors, again.errors
    status = Index(settings).status()
    assert status.consistent, status.problems
    assert status.staged_chunks == 0 and status.staged_sentences == 0  # ... are gone
    assert not scans  # found through the journal, without reading every row
    stored = set(Index(settings).chunks.get(include=[])["ids"])
    assert stored == {cid for rec in Index(settings).documents() for cid in rec.chunk_ids}


def _raise(*_args, **_kwargs):
    raise Killed


@pytest.mark.parametrize("journal", ["missing", "unreadable"])
def test_without_a_usable_journal_the_next_write_scans_everything_once(
    settings, tmp_path, monkeypatch, journal
):
    index = _library(settings, tmp_path)
    vector = index.embeddings.encode_passages(["Ein verwaister Abschnitt."])[0]
    # A row no document names, left by a writer that kept no journal (an older version).
    index.chunks.upsert(
        ids=["ghost"],
        documents=["Ein verwaister Abschnitt."],
        metadatas=[{"doc_id": "ghost"}],
        embeddings=[vector],
    )
    if journal == "missing":
        index.client.delete_collection(f"{settings.collection}_journal")
    else:
        index.journal.upsert(ids=["doc:?"], documents=[""], metadatas=[{"since": "?"}], embeddings=[[1.0]])
    assert Index(settings).status().staged_chunks == 1

    scans = _count_full_scans(monkeypatch)
    assert not ingest_files(settings, [_note(tmp_path, 8)]).errors
    status = Index(settings).status()
    assert status.consistent and status.staged_chunks == 0
    assert len(scans) == 1
    assert not ingest_files(settings, [_note(tmp_path, 9)]).errors
    assert len(scans) == 1  # the scan is recorded: the write after it reads the journal only
