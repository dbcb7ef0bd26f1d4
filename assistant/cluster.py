"""``assistant cluster``: a Chroma server and N web workers on this machine, started and
stopped as one.

Every child runs in its own session (so Ctrl-C reaches only this supervisor, which then stops
the workers before the server they read from) and is told by the kernel to exit if the
supervisor dies (``PR_SET_PDEATHSIG``), so even a ``kill -9`` of the supervisor leaves no
orphans. Logs go to ``<data>/logs``; the feedback store, trace log and users' documents are
shared by all workers through ``<data>``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .corpus import SHIPPED_KINDS
from .embeddings import ChromaEmbeddingAdapter
from .index import index_fingerprint, make_client
from .locks import LeaseLock

STOP_GRACE_S = 10.0  # a child gets this long after SIGTERM before SIGKILL
COPY_BATCH = 500  # rows per request when seeding the server from the local index
_PR_SET_PDEATHSIG = 1


class ClusterError(RuntimeError):
    """A part of the cluster could not start; the message says which and where its log is."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def free_base_port(count: int, host: str = "127.0.0.1", tries: int = 50) -> int:
    """A port from which ``count`` consecutive ports are free (for tests and benchmarks)."""
    for _ in range(tries):
        base = free_port(host)
        if not any(port_in_use(host, base + i) for i in range(1, count)):
            return base
    raise ClusterError(f"No {count} consecutive free ports found on {host}.")


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError):  # not Linux: Ctrl-C and SIGTERM still stop every child
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    proc: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class _NoEmbeddings:
    """Seeding copies stored vectors; nothing may be embedded (least of all by Chroma's default)."""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id  # recorded in the collection's configuration, as the build does

    def encode_passages(self, texts):
        raise RuntimeError("seeding never embeds")


def server_index_state(shared: Settings) -> str:
    """``current``, ``missing`` (no or an empty index) or ``stale`` (built with other settings)."""
    ef = ChromaEmbeddingAdapter(_NoEmbeddings(shared.embedding_id))  # type: ignore[arg-type]
    server = make_client(shared)
    name = f"{shared.collection}_chunks"
    if name not in {c.name for c in server.list_collections()}:
        return "missing"
    chunks = server.get_collection(name, embedding_function=ef)
    if not chunks.count():
        return "missing"
    return "current" if (chunks.metadata or {}).get("fingerprint") == index_fingerprint(shared) else "stale"


def _ef_for(suffix: str, ef):
    """The manifest holds no vectors of ours (as ``Index._open`` opens it)."""
    return None if suffix == "docs" else ef


def seed_from_local(local: Settings, shared: Settings) -> int:
    """Copy the shipped corpus from a current local index into a *missing* server index, so a new
    cluster does not re-embed what ``make index`` already embedded. Returns chunks copied (0 when
    the server already has an index or the local one is missing or stale)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    if server_index_state(shared) != "missing":
        return 0
    ef = ChromaEmbeddingAdapter(_NoEmbeddings(shared.embedding_id))  # type: ignore[arg-type]
    # chunks and sentences, and the manifest naming the live documents: without it every
    # reader sees an empty library and the next write's clean-up removes the copied rows
    names = {s: f"{shared.collection}_{s}" for s in ("chunks", "sentences", "docs")}
    server = make_client(shared)
    local_dir = local.index_dir
    if not (local_dir / "chroma.sqlite3").is_file():
        return 0
    source = chromadb.PersistentClient(
        path=str(local_dir), settings=ChromaSettings(anonymized_telemetry=False)
    )
    try:
        src = {
            s: source.get_collection(f"{local.collection}_{s}", embedding_function=_ef_for(s, ef))
            for s in names
        }
    except Exception:  # noqa: BLE001 - no usable local index: the build embeds everything
        return 0
    meta = dict(src["chunks"].metadata or {})
    if meta.get("fingerprint") != index_fingerprint(shared):
        return 0
    lock = LeaseLock(
        server, f"{shared.collection}_writelock", shared.index_lock_lease, shared.index_lock_wait
    )
    copied = 0
    with lock.hold():
        for suffix, name in names.items():
            if name in {c.name for c in server.list_collections()}:
                server.delete_collection(name)
            if suffix == "docs":  # as ``Index._open`` creates it: no vectors of ours
                dst = server.create_collection(name, embedding_function=None)
            else:
                meta_out = dict(src[suffix].metadata or {}, **{"hnsw:space": "cosine"})
                if suffix == "chunks":
                    meta_out["version"] = uuid.uuid4().hex
                dst = server.create_collection(name, metadata=meta_out, embedding_function=ef)
            where = {"kind": {"$in": sorted(SHIPPED_KINDS)}}  # never a local user's own documents
            total = src[suffix].count()
            for offset in range(0, total, COPY_BATCH):
                got = src[suffix].get(
                    where=where,
                    include=["embeddings", "documents", "metadatas"],
                    limit=COPY_BATCH,
                    offset=offset,
                )
                if got["ids"]:
                    dst.add(
                        ids=got["ids"],
                        embeddings=got["embeddings"],
                        documents=got["documents"],
                        metadatas=got["metadatas"],
                    )
                    copied += len(got["ids"]) if suffix == "chunks" else 0
    return copied


class Cluster:
    """Chroma on loopback plus ``workers`` web workers on consecutive ports from ``base_port``."""

    def __init__(
        self,
        settings: Settings,
        workers: int | None = None,
        host: str | None = None,
        chroma_port: int | None = None,
        base_port: int | None = None,
        data_dir: Path | None = None,
        build: bool = False,
        echo: Callable[[str], None] = print,
    ) -> None:
        self.settings = settings
        self.workers = workers or settings.cluster_workers
        self.host = host or settings.host
        self.chroma_host = "127.0.0.1"
        self.chroma_port = chroma_port or settings.chroma_port
        self.base_port = base_port or settings.port
        self.data_dir = (data_dir or settings.cluster_path).resolve()
        self.build = build
        self.echo = echo
        self.children: list[Child] = []
        self.urls: list[str] = []

    # --- configuration shared by every child ----------------------------------------------

    @property
    def chroma_url(self) -> str:
        return f"http://{self.chroma_host}:{self.chroma_port}"

    def env(self) -> dict[str, str]:
        """Environment of the build and the workers: the server index and the shared data folder."""
        env = dict(os.environ)
        env.update(
            ASSISTANT_CHROMA_HOST=self.chroma_host,
            ASSISTANT_CHROMA_PORT=str(self.chroma_port),
            ASSISTANT_DATA_DIR=str(self.data_dir),
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            GRADIO_ANALYTICS_ENABLED="False",
            ANONYMIZED_TELEMETRY="False",
        )
        return env

    def shared_settings(self) -> Settings:
        return self.settings.model_copy(
            update={
                "chroma_host": self.chroma_host,
                "chroma_port": self.chroma_port,
                "data_dir": self.data_dir,
            }
        )

    # --- children -------------------------------------------------------------------------

    def _spawn(self, name: str, cmd: list[str]) -> Child:
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = logs / f"{name}.log"
        with open(log, "ab") as handle:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                env=self.env(),
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads run yet in this process
            )
        child = Child(name, proc, log)
        self.children.append(child)
        return child

    def _wait_http(self, child: Child, url: str) -> None:
        deadline = time.monotonic() + self.settings.cluster_start_timeout
        while time.monotonic() < deadline:
            if not child.alive():
                raise ClusterError(f"{child.name} exited during start-up (log {child.log}):\n{child.tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URL we built
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise ClusterError(
            f"{child.name} did not answer at {url} within {self.settings.cluster_start_timeout:.0f} s "
            f"(log {child.log}):\n{child.tail()}"
        )

    def _check_ports(self) -> None:
        wanted = [(self.chroma_host, self.chroma_port, "--chroma-port")]
        wanted += [("127.0.0.1", self.base_port + i, "--base-port") for i in range(self.workers)]
        for host, port, option in wanted:
            if port_in_use(host, port):
                raise ClusterError(
                    f"Port {port} is already in use (another cluster or server?). Stop it, or choose "
                    f"another with {option}."
                )

    def start(self) -> list[str]:
        """Start Chroma, make sure the index is there and current, start the workers; their URLs."""
        chroma = shutil.which("chroma", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
        if chroma is None:
            raise ClusterError("The `chroma` command was not found (it ships with the chromadb package).")
        self._check_ports()
        db = self.data_dir / "chroma"
        self.echo(f"Chroma:   {self.chroma_url}  (data {db})")
        server = self._spawn(
            "chroma",
            [chroma, "run", "--path", str(db), "--host", self.chroma_host, "--port", str(self.chroma_port)],
        )
        self._wait_http(server, f"{self.chroma_url}/api/v2/heartbeat")
        copied = seed_from_local(self.settings, self.shared_settings())
        state = server_index_state(self.shared_settings())
        if copied:
            self.echo(f"Index:    {copied} chunks copied from the local index {self.settings.index_dir}")
        elif state == "current":
            self.echo("Index:    current (after corpus changes: `assistant index build` with this server)")
        if state != "current" or self.build:
            self.echo(f"Index:    {state}; building (`assistant index build`, minutes on 2 cores) …")
            build = self._spawn("index-build", [sys.executable, "-m", "assistant.cli", "index", "build"])
            if build.proc.wait() != 0:
                raise ClusterError(f"Building the index failed (log {build.log}):\n{build.tail()}")
            self.echo(f"Index:    {build.tail(1)}")
        probe = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        # The first worker alone: whatever it fits once and stores beside the index (rail model)
        # the others then load instead of fitting it N times at once.
        for group in ([0], range(1, self.workers)):
            started = []
            for i in group:
                port = self.base_port + i
                cmd = [sys.executable, "-m", "assistant.cli", "serve", "--host", self.host]
                cmd += ["--port", str(port)]
                started.append((self._spawn(f"worker-{i + 1}", cmd), port))
            for child, port in started:
                self._wait_http(child, f"http://{probe}:{port}/")
                url = f"http://{self.host}:{port}/"
                self.urls.append(url)
                self.echo(f"Worker {child.name.split('-')[1]}: {url}")
        self.echo(
            f"Shared:   {self.data_dir} (feedback.sqlite3, trace.jsonl, user_docs; logs in logs/)\n"
            "Strg+C / Ctrl-C stops everything."
        )
        return self.urls

    def stop(self) -> None:
        """Stop workers and builds first, the server last: SIGTERM, then SIGKILL after a grace period."""
        for child in sorted(self.children, key=lambda c: c.name == "chroma"):
            if child.alive():
                try:
                    os.killpg(child.proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
                try:
                    child.proc.wait(timeout=STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    os.killpg(child.proc.pid, signal.SIGKILL)
                    child.proc.wait()
        self.children.clear()

    def watch(self, poll_s: float = 0.5) -> str | None:
        """Block until a child exits on its own (returns its name and log tail) — or a signal."""
        while True:
            for child in self.children:
                if not child.alive():
                    code = child.proc.returncode
                    return f"{child.name} exited with code {code} (log {child.log}):\n{child.tail()}"
            time.sleep(poll_s)

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class _Stop(Exception):
    pass


def _raise_stop(signum, frame) -> None:
    raise _Stop


def run(cluster: Cluster) -> int:
    """Start everything, wait for Ctrl-C / SIGTERM (or a child failing), stop everything."""
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        cluster.start()
        failure = cluster.watch()
        cluster.echo(f"Stopping everything: {failure}")
        code = 1
    except _Stop:
        cluster.echo("Stopping …")
    except ClusterError as exc:
        cluster.echo(f"Fehler / Error: {exc}")
        code = 2
    finally:
        for sig in previous:  # a second Ctrl-C must not interrupt the clean stop
            signal.signal(sig, signal.SIG_IGN)
        cluster.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    cluster.echo("All stopped.")
    return code
