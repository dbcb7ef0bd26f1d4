"""Load test: 20 concurrent gradio_client sessions x 5 questions against the web chat on
loopback. Reports errors (must be 0) and latency p50/p95. Bounded in count and time.

Run: .venv/bin/python benchmarks/load_web.py [--url http://127.0.0.1:7860/]
Without --url it starts the app itself on a free loopback port.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import time
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


def _start_app() -> str:
    from assistant.chain import Assistant
    from assistant.config import Settings
    from assistant.web import start

    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="load-")))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start(Assistant(settings), settings, "127.0.0.1", port)
    return f"http://127.0.0.1:{port}/"


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--questions", type=int, default=5)
    args = parser.parse_args()
    url = args.url or _start_app()
    host = url.split("//")[1].split(":")[0]
    assert host in ("127.0.0.1", "localhost"), "load tests only target loopback"
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.sessions) as pool:
        results = list(pool.map(lambda _: session(url, args.questions), range(args.sessions)))
    wall = time.perf_counter() - start
    lat = [x for r in results for x in r[0]]
    errors = sum(r[1] for r in results)
    report = {
        "sessions": args.sessions,
        "questions_each": args.questions,
        "requests": len(lat),
        "errors": errors,
        "p50_ms": round(statistics.median(lat), 1),
        "p95_ms": round(float(np.percentile(lat, 95)), 1),
        "wall_s": round(wall, 1),
        "throughput_rps": round(len(lat) / wall, 2),
    }
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "load.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
