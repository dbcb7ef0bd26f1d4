"""Load test: 20 concurrent gradio_client sessions x 5 questions against the web chat on
loopback, first against one web process (the floor), then against a cluster (a Chroma server
and two workers, sessions spread over both) in the same run. Reports errors (must be 0),
latency p50/p95 and throughput for each, and the cluster's figures as ratios of the single
process's. Bounded in count and time.

Run: .venv/bin/python benchmarks/load_web.py [--workers 2] [--url http://127.0.0.1:7860/[,URL2]]
With --url it only loads the given (already running) servers.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUESTIONS = [
    "Wie spreche ich Datenschutz im Erstgespräch an?",
    "How can I measure the impact of a consultation?",
    "Was ist ein Erprobungsraum?",
    "Can AI be a member of the team?",
    "Welche Rolle spielt der Betriebsrat?",
]
START_TIMEOUT_S = 600  # a worker's start on two loaded cores


def session(url: str, n: int) -> tuple[list[float], int]:
    from gradio_client import Client

    client = Client(url, verbose=False)
    latencies, errors = [], 0
    for i in range(n):
        start = time.perf_counter()
        try:
            text = client.predict(QUESTIONS[i % len(QUESTIONS)], api_name="/chat")
            if "[1]" not in text:
                errors += 1
        except Exception:  # any failure counts as an error
            errors += 1
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies, errors


def load(urls: list[str], sessions: int, questions: int) -> dict:
    """``sessions`` users at once, user i on ``urls[i % len(urls)]``."""
    for url in urls:
        host = url.split("//")[1].split(":")[0]
        assert host in ("127.0.0.1", "localhost"), "load tests only target loopback"
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        results = list(pool.map(lambda i: session(urls[i % len(urls)], questions), range(sessions)))
    wall = time.perf_counter() - start
    lat = [x for r in results for x in r[0]]
    return {
        "workers": len(urls),
        "requests": len(lat),
        "errors": sum(r[1] for r in results),
        "p50_ms": round(statistics.median(lat), 1),
        "p95_ms": round(float(np.percentile(lat, 95)), 1),
        "wall_s": round(wall, 1),
        "throughput_rps": round(len(lat) / wall, 2),
    }


def _single_worker(data: Path):
    """One ``assistant serve`` on the local index (the usual single-process deployment)."""
    from assistant.cluster import free_port

    port = free_port()
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    env.pop("ASSISTANT_CHROMA_HOST", None)
    log = open(data / "single.log", "wb")  # noqa: SIM115 - closed with the process below
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"single worker did not start; see {data / 'single.log'}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)

    def stop() -> None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()

    return url, stop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", help="comma-separated URLs of running servers (skips the comparison)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.url:
        report = {"given": load(args.url.split(","), args.sessions, args.questions)}
    else:
        from assistant.cluster import Cluster, free_base_port, free_port
        from assistant.config import Settings

        data = Path(tempfile.mkdtemp(prefix="load-"))
        url, stop = _single_worker(data)
        try:
            single = load([url], args.sessions, args.questions)
        finally:
            stop()
        settings = Settings()
        with Cluster(
            settings,
            workers=args.workers,
            chroma_port=free_port(),
            base_port=free_base_port(args.workers),
            data_dir=data / "cluster",
            echo=lambda line: print(line, file=sys.stderr),
        ) as cluster:
            clustered = load(cluster.urls, args.sessions, args.questions)
        report = {
            "sessions": args.sessions,
            "questions_each": args.questions,
            "cpu_cores": os.cpu_count(),
            "single": single,
            "cluster": clustered,
            "cluster_vs_single": {
                key: round(clustered[key] / single[key], 2) for key in ("p50_ms", "p95_ms", "throughput_rps")
            },
        }
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "load.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    sys.exit(1 if any(r.get("errors") for r in report.values() if isinstance(r, dict)) else 0)


if __name__ == "__main__":
    main()
