"""Search views and BM25 refreshed incrementally: a change reads only what changed and gives
exactly what a fresh build gives; the stored copy is used by the next process (which reads
only the change since) and a damaged one is rebuilt, never trusted. Fake embedder, no model."""

from __future__ import annotations

import os
import time

import bm25s
import numpy as np
import pytest

from assistant import views
from assistant.index import build_index
from assistant.ingest import ingest_files
from assistant.lexical import LexicalIndex, analyse
from assistant.retrieval import HybridRetriever

WORDS = [
    "Paket",
    "Server",
    "Netzwerk",
    "Drucker",
    "Benutzer",
    "Passwort",
    "Sicherung",
    "Fehlerbericht",
    "Mailingliste",
    "Betreuer",
    "Übersetzung",
    "Archiv",
    "Distribution",
    "Migration",
    "Werkzeug",
    "Richtlinie",
    "Vorlage",
    "Konto",
    "Schlüssel",
    "Upload",
]


def _text(rng: np.random.Generator, n: int) -> str:
    return " ".join(rng.choice(WORDS, n)) + "."


def _document(rng: np.random.Generator, title: str, sections: int) -> str:
    parts = [f"# {title}\n"]
    for s in range(sections):
        parts.append(f"## Teil {s + 1}\n\n" + " ".join(_text(rng, 9) for _ in range(40)) + "\n")
    return "\n".join(parts)


def test_bm25_after_adds_and_removals_equals_bm25s_on_what_is_left_to_the_last_bit():
    rng = np.random.default_rng(1)
    texts = [_text(rng, int(rng.integers(1, 40))) for _ in range(90)]
    ids = [f"c{i:03d}" for i in range(90)]
    grown = LexicalIndex.build(ids[:60], texts[:60], ["de"] * 60)
    grown.add(ids[60:], texts[60:], ["de"] * 30)
    keep = np.array([i % 7 != 3 for i in range(90)])
    grown.keep(keep)
    left = [i for i in range(90) if keep[i]]
    fresh = LexicalIndex.build([ids[i] for i in left], [texts[i] for i in left], ["de"] * len(left))
    reference = bm25s.BM25()
    reference.index([analyse(texts[i]) or ["_"] for i in left], show_progress=False)
    for query in ("Drucker im Netzwerk", "Passwort des Benutzers Konto", "Sicherung Archiv Archiv Upload"):
        tokens = [t for t in analyse(query, ("de", "en")) if t in grown.vocab]
        assert tokens
        assert np.array_equal(grown.scores(tokens), reference.get_scores(tokens))
        found = grown.search(query, 10)
        assert found and found == fresh.search(query, 10)
        assert not {cid for cid, _ in found} & {ids[i] for i in range(90) if not keep[i]}


def _contents(v: views.IndexViews) -> dict:
    chunks, sents = v.chunks, v.sentences
    return {
        "chunks": {cid: (chunks.texts[i], chunks.vectors[i].tolist()) for i, cid in enumerate(chunks.ids)},
        "sentences": {
            sid: (sents.texts[i], bool(sents.metas[i].get("_standin")), sents.vectors[i].tolist())
            for i, sid in enumerate(sents.ids)
        },
        "sections": {k: sorted(sents.ids[i] for i in rows) for k, rows in v.sections.items()},
        "bm25": [v.lexical.search(q, 10) for q in ("Drucker Netzwerk", "Erprobungsraum", "Passwort Konto")],
    }


@pytest.fixture()
def small_pages(fake_temp_settings):
    """A small read page, so every read goes through several pages; a refresh reads by id
    unless nearly everything is new (the small corpus is smaller than the added documents)."""
    return fake_temp_settings.model_copy(update={"view_read_page": 50, "view_full_scan_share": 0.9})


def test_a_new_removed_or_completed_document_updates_only_its_rows(small_pages, tmp_path, monkeypatch):
    index, _ = build_index(small_pages)
    first = views.get_views(index, index.version())
    assert views.last.full_scan and views.last.added == len(first.chunks.ids) > 0
    rng = np.random.default_rng(3)
    handbuch, leitfaden = tmp_path / "handbuch.md", tmp_path / "leitfaden.md"
    handbuch.write_text(_document(rng, "Handbuch", 6), encoding="utf-8")
    leitfaden.write_text(_document(rng, "Leitfaden", 3), encoding="utf-8")
    ingest_files(small_pages, [handbuch], index=index)
    added = views.get_views(index, index.version())
    n_new = len(added.chunks.ids) - len(first.chunks.ids)
    assert n_new > 0 and (views.last.added, views.last.removed, views.last.full_scan) == (n_new, 0, False)
    assert not added.standins

    # A document whose sentence vectors are pending: its sentences stand in, then are replaced.
    ingest_files(small_pages, [leitfaden], index=index, complete_sentences=False)
    pending = views.get_views(index, index.version())
    n_pending = len(pending.chunks.ids) - len(added.chunks.ids)
    assert n_pending > 0 and views.last.added == n_pending and len(pending.standins) == n_pending
    assert _contents(pending) == _contents(views.build(index))
    index.complete_sentences()
    completed = views.get_views(index, index.version())
    assert (views.last.added, views.last.removed, views.last.sentences_replaced) == (0, 0, n_pending)
    assert not completed.standins
    assert _contents(completed) == _contents(views.build(index))

    # Removal drops exactly the document's rows; no row is read.
    doc_id = next(r.doc_id for r in index.documents() if r.source.endswith("handbuch.md"))
    index.remove_documents([doc_id])
    reads = []
    monkeypatch.setattr(views, "read_ids", lambda *a, **k: reads.append(a))
    removed = views.get_views(index, index.version())
    assert (views.last.added, views.last.removed, reads) == (0, n_new, [])
    monkeypatch.undo()
    assert _contents(removed) == _contents(views.build(index))
    assert not any(m["doc_id"] == doc_id for m in removed.sentences.metas)


def test_the_next_process_loads_the_stored_views_and_reads_only_the_change(fake_temp_settings, tmp_path):
    index, _ = build_index(fake_temp_settings)
    views.get_views(index, index.version())
    doc = tmp_path / "notizen.md"
    doc.write_text(
        "# Notizen\n\n## Pilot\n\nDas Pilotprojekt Zauberwürfel startet im Lager.\n", encoding="utf-8"
    )
    ingest_files(fake_temp_settings, [doc], index=index)
    views._recent.clear()  # a new process
    later = views.get_views(index, index.version())
    assert views.last.loaded_from_disk and (views.last.added, views.last.removed) == (1, 0)
    assert _contents(later) == _contents(views.build(index))
    views._recent.clear()
    retriever = HybridRetriever.from_index(index)
    assert retriever.search("Zauberwürfel Pilotprojekt").sections[0].chunks[0].meta["kind"] == "user"
    assert views.last.loaded_from_disk and views.last.added == 0  # the stored copy, nothing read

    # A process that already holds views stores a refresh in the background (done by its exit).
    other = tmp_path / "andere.md"
    other.write_text("# Andere\n\n## Lager\n\nDer Gabelstapler parkt im Lager.\n", encoding="utf-8")
    ingest_files(fake_temp_settings, [other], index=index)
    assert retriever.search("Gabelstapler").sections[0].chunks[0].meta["kind"] == "user"
    assert views.last.added == 1 and not views.last.loaded_from_disk
    views.wait_for_saves()
    views._recent.clear()
    assert len(views.get_views(index, index.version()).chunks.ids) == len(later.chunks.ids) + 1
    assert views.last.loaded_from_disk and views.last.added == 0


def test_a_damaged_stored_copy_is_rebuilt_from_the_index(fake_temp_settings):
    index, _ = build_index(fake_temp_settings)
    json_path, npz_path = views._paths(index)
    leftover = json_path.with_name(json_path.name + ".4242.1.tmp")  # a killed writer's
    leftover.write_text("{", encoding="utf-8")
    os.utime(leftover, (time.time() - 2 * views.STALE_TMP_SECONDS,) * 2)
    built = views.get_views(index, index.version())
    assert not leftover.exists() and json_path.is_file()
    npz_path.write_bytes(b"not an npz file")
    views._recent.clear()
    again = views.get_views(index, index.version())
    assert not views.last.loaded_from_disk and views.last.added == len(built.chunks.ids)
    assert _contents(again) == _contents(built)
