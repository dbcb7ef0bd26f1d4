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
