"""Shared fixtures: settings on temporary folders, the shipped index, a network guard."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

import assistant  # noqa: F401  (sets the offline environment first)
from assistant.config import PROJECT_ROOT, Settings

SEED = PROJECT_ROOT.parent / "shared" / "seeds" / "000_9bba4b6a7f7d08de.txt"


@pytest.fixture(scope="session")
def shipped_settings(tmp_path_factory) -> Settings:
    """Settings on the project's own index (built by `make index`), private data folder."""
    data = tmp_path_factory.mktemp("data")
    return Settings(data_dir=data)


@pytest.fixture(scope="session")
def assistant_core(shipped_settings):
    from assistant.chain import Assistant

    return Assistant(shipped_settings)


@pytest.fixture()
def mini_corpus(tmp_path) -> Path:
    """A small corpus (paper excerpt + one method note) for tests that write an index."""
    src = PROJECT_ROOT / "corpus"
    dst = tmp_path / "corpus"
    (dst / "paper").mkdir(parents=True)
    (dst / "methods").mkdir()
    paper = (src / "paper" / "zukunftsthesen-2024.md").read_text(encoding="utf-8")
    cut = paper.index("\n## 2 ")
    (dst / "paper" / "paper.md").write_text(paper[:cut] + "\n", encoding="utf-8")
    shutil.copy(src / "methods" / "erprobungsraum.md", dst / "methods" / "erprobungsraum.md")
    return dst


@pytest.fixture()
def temp_settings(tmp_path, mini_corpus) -> Settings:
    return Settings(
        corpus_dir=mini_corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "var", collection="test"
    )


class NetworkAttempt(AssertionError):
    pass


@pytest.fixture()
def no_network(monkeypatch):
    """Every non-loopback socket connection fails (and is recorded)."""
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (
            host.startswith("127.") or host in ("localhost", "::1") or self.family == socket.AF_UNIX
        ):
            return real_connect(self, address)
        attempts.append(address)
        raise NetworkAttempt(f"network access attempted: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return attempts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def web_app(shipped_settings, assistant_core):
    """The web chat running on a free loopback port for API and browser tests."""
    from assistant.web import start

    port = _free_port()
    demo = start(assistant_core, shipped_settings, "127.0.0.1", port)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


# --- fakes: a tiny corpus, a small rail exemplar set and a hashed-vector index -------------
# For unit tests of the plumbing (chunking, index sync, retrieval, rails, generation, web) in
# seconds: no model is loaded (``embedding_backend="fake-hash"``). Quality stays with the
# real-model tests (marked ``model``), which share the shipped index.


def _until(text: str, marker: str = "\n## 2 ") -> str:
    """The start of a corpus file, up to (not including) the section ``marker`` opens."""
    return text[: text.index(marker)] + "\n" if marker in text else text


@pytest.fixture(scope="session")
def fixture_corpus(tmp_path_factory) -> Path:
    """The shipped corpus cut to its introduction and thesis 1 (paper, translation, digests,
    example questions) plus one method note: every kind, a few dozen chunks, text verbatim."""
    src = PROJECT_ROOT / "corpus"
    dst = tmp_path_factory.mktemp("fixture-corpus")
    for rel in (
        "paper/zukunftsthesen-2024.md",
        "translations/paper-en.md",
        "digests/digests-de.md",
        "digests/digests-en.md",
        "questions/questions-de.md",
        "questions/questions-en.md",
    ):
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        (dst / rel).write_text(_until((src / rel).read_text(encoding="utf-8")), encoding="utf-8")
    (dst / "methods").mkdir()
    shutil.copy(src / "methods" / "erprobungsraum.md", dst / "methods" / "erprobungsraum.md")
    return dst


@pytest.fixture(scope="session")
def fixture_prompts(tmp_path_factory) -> Path:
    """The shipped prompts with the rails trained on the YAML's own exemplars only (no
    development files, no example-question files): same patterns and templates, a small set."""
    import yaml

    dst = tmp_path_factory.mktemp("fixture-prompts")
    for path in (PROJECT_ROOT / "prompts").iterdir():
        if path.is_file():
            shutil.copy(path, dst / path.name)
    rails = yaml.safe_load((dst / "guardrails.yaml").read_text(encoding="utf-8"))
    rails.pop("exemplar_files", None)
    rails.pop("ordinary_question_files", None)
    (dst / "guardrails.yaml").write_text(yaml.safe_dump(rails, allow_unicode=True), encoding="utf-8")
    return dst


def make_fake_settings(root: Path, corpus: Path, prompts: Path, **overrides) -> Settings:
    """Settings for a temporary index of ``corpus`` under ``root`` with the hashed fake embedder.

    Hashed bag-of-words cosines are far lower than a real model's, so the abstain threshold is
    set on their scale: a question sharing a few words with a section is answered.
    """
    values = {
        "embedding_backend": "fake-hash",
        "corpus_dir": corpus,
        "prompts_dir": prompts,
        "index_dir": root / "index",
        "data_dir": root / "var",
        "collection": "fake",
        "abstain_threshold": 0.2,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture(scope="module")
def fake_settings(tmp_path_factory, fixture_corpus, fixture_prompts) -> Settings:
    """Fake-embedder settings on a fresh temporary index per test module."""
    return make_fake_settings(tmp_path_factory.mktemp("fake"), fixture_corpus, fixture_prompts)


@pytest.fixture(scope="module")
def fake_index(fake_settings):
    """The fixture corpus indexed with hashed vectors (about a second)."""
    from assistant.index import build_index

    index, _ = build_index(fake_settings)
    return index


@pytest.fixture(scope="session")
def fake_rail_model(tmp_path_factory, fixture_prompts) -> Path:
    """The small rail set's model, fitted once per session on hashed vectors (a folder holding
    the artefact); every fake index gets a copy instead of fitting again."""
    from assistant.embeddings import HashEmbeddings
    from assistant.rails import Rails

    folder = tmp_path_factory.mktemp("fake-rail-model")
    Rails(fixture_prompts / "guardrails.yaml", HashEmbeddings(), cache_dir=folder)
    return folder


@pytest.fixture(scope="module")
def fake_assistant(fake_settings, fake_index, fake_rail_model):
    """The whole pipeline on the fake index and the small rail set (no model anywhere)."""
    from assistant.chain import Assistant

    for artefact in fake_rail_model.iterdir():
        shutil.copy(artefact, fake_settings.index_dir / artefact.name)
    return Assistant(fake_settings, fake_index)


@pytest.fixture()
def fake_temp_settings(tmp_path, mini_corpus) -> Settings:
    """Like ``temp_settings`` (a fresh index of the small corpus for each test), with the fake
    embedder: for tests of index writes that do not need a real model."""
    return Settings(
        corpus_dir=mini_corpus,
        index_dir=tmp_path / "index",
        data_dir=tmp_path / "var",
        collection="test",
        embedding_backend="fake-hash",
    )


@pytest.fixture(scope="session")
def shipped_rail_model(assistant_core, shipped_settings) -> list[Path]:
    """The files of the shipped rail model (fitted once, beside the shipped index). A test that
    builds its own real-model index copies them beside it instead of embedding and fitting again."""
    from assistant.rail_classifier import ARTEFACT

    return sorted(shipped_settings.index_dir.glob(f"{ARTEFACT}.*"))


# Tests that load the real embedding model (quality, offline guard, browser, rails on the
# labelled sets) are marked ``model``: ``pytest -m "not model"`` runs the fast suite on fakes.
_MODEL_FIXTURES = {"assistant_core", "shipped_settings", "web_app", "temp_settings", "shipped_rail_model"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)
