"""Chroma reads in pages (one ``get()`` of more than ~32k rows fails): with a read page far
smaller than the index, every read asks for at most one page, and status, the library list,
removal and search still see every row. Fake embedder, no model."""

from __future__ import annotations

import numpy as np
from chromadb.api.models.Collection import Collection

from assistant import views
from assistant.index import Index, build_index
from assistant.ingest import ingest_files
from assistant.retrieval import HybridRetriever
from tests.conftest import make_fake_settings

PAGE = 8
WORDS = ["Paket", "Server", "Netzwerk", "Drucker", "Benutzer", "Passwort", "Sicherung", "Archiv", "Konto"]


def _count(index: Index, collection, where: dict) -> int:
    return len(views.read_all(collection, [], PAGE, where=where)["ids"])


def test_every_read_is_paged_and_status_list_removal_and_search_see_all_rows(
    tmp_path, mini_corpus, fixture_prompts, monkeypatch
):
    sizes: list[int] = []
    real_get = Collection.get

    def one_page_at_most(self, ids=None, where=None, limit=None, offset=None, **kwargs):
        asked = len(ids) if ids is not None else limit
        assert asked is not None and asked <= PAGE, f"unpaged get() on {self.name}: {asked} rows"
        got = real_get(self, ids=ids, where=where, limit=limit, offset=offset, **kwargs)
        sizes.append(len(got["ids"]))
        return got

    monkeypatch.setattr(Collection, "get", one_page_at_most)
    settings = make_fake_settings(
        tmp_path, mini_corpus, fixture_prompts, collection="paged", view_read_page=PAGE
    )
    build_index(settings)
    rng = np.random.default_rng(5)
    big = tmp_path / "handbuch.md"
    big.write_text(
        "# Handbuch\n\n"
        + "\n".join(
            f"## Teil {s}\n\n" + " ".join(" ".join(rng.choice(WORDS, 10)) + "." for _ in range(30)) + "\n"
            for s in range(8)
        )
        + "\n## Schluss\n\nDer Quastenflosser bewacht das Archiv.\n",
        encoding="utf-8",
    )
    small = []
    for n in range(10):
        path = tmp_path / f"notiz-{n}.md"
        path.write_text(
            f"# Notiz {n}\n\n## Inhalt\n\nDas Stichwort lautet Zauberwort{n}.\n", encoding="utf-8"
        )
        small.append(path)
    ingest_files(settings, [big, *small])

    index = Index(settings)
    docs = index.documents()
    status = index.status()
    assert len(docs) == index.docs.count() > PAGE  # the manifest itself spans pages
    assert status.consistent and not status.problems and not status.sentences_pending
    assert status.total_chunks == sum(len(d.chunk_ids) for d in docs) == index.chunks.count() > 5 * PAGE
    assert status.sentences == index.sentences.count() > 20 * PAGE
    assert max(sizes) == PAGE  # full pages were read

    retriever = HybridRetriever.from_index(index)
    for n in (0, 9):
        found = retriever.search(f"Zauberwort{n}").sections[0].chunks[0]
        assert f"Zauberwort{n}" in found.text
    assert "Quastenflosser" in retriever.search("Quastenflosser").sections[0].chunks[0].text

    handbuch = next(d for d in docs if d.source.endswith("handbuch.md"))
    assert len(handbuch.chunk_ids) > 3 * PAGE
    assert index.remove_documents([handbuch.doc_id]) == len(handbuch.chunk_ids)
    assert _count(index, index.chunks, {"doc_id": handbuch.doc_id}) == 0
    assert _count(index, index.sentences, {"doc_id": handbuch.doc_id}) == 0
    after = index.status()
    assert after.consistent and after.total_chunks == status.total_chunks - len(handbuch.chunk_ids)
    assert not retriever.search("Quastenflosser").sections or all(
        "Quastenflosser" not in c.text for s in retriever.search("Quastenflosser").sections for c in s.chunks
    )
