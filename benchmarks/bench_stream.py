"""Time to the first shown (checked) sentence vs time to the first token of the model.

A scripted model on loopback (OpenAI wire protocol, SSE) writes a cited answer word by word at a
fixed pace; ``Assistant.stream`` shows each sentence once it is complete and has passed the
output checks. Measured per question from the moment the question is asked (rails and
retrieval included in every figure):

- first token: the model's first token leaves the server (what a raw token stream could show);
- first shown: the first checked sentence reaches the caller of ``Assistant.stream``;
- complete: the model's last token (what a non-streaming answer waits for at least).

Printed as medians and ratios against the first token measured in the same run.

    PYTHONPATH=. HF_HUB_OFFLINE=1 python benchmarks/bench_stream.py [--delay 0.04]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.chain import Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402
from tests.scripted_llm import Reply, ScriptedLLM, faithful_text, with_model  # noqa: E402

QUESTIONS = [
    "Wie spreche ich Datenschutz im Erstgespräch an?",
    "Wie binde ich den Betriebsrat ein?",
    "Was ist ein Erprobungsraum?",
    "How do I find out what a company needs from AI?",
    "How can we show that an AI project had an effect?",
    "Welche Rolle spielen Schulungen bei der KI-Einführung?",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=0.04, help="seconds between streamed words")
    args = parser.parse_args()
    core = Assistant(Settings())
    received: list[float] = []

    def script(messages):
        received.append(time.perf_counter())
        return Reply(faithful_text(messages, k=3), token_delay=args.delay)

    rows = []
    with ScriptedLLM(script) as server:
        model = with_model(core, server.openai_url, llm_timeout=30.0, rail_self_check=False)
        model.ask(QUESTIONS[0])  # warm-up (embedding caches, the vocabulary of the name filter)
        for question in QUESTIONS:
            n = len(received)
            shown_at = None
            t0 = time.perf_counter()
            items = []
            for item in model.stream(question):
                shown_at = shown_at or time.perf_counter()
                items.append(item)
            answer = items[-1][1]
            if answer.generation.get("fallback") or len(received) == n:
                print(f"skipped (no model answer): {question}")
                continue
            rows.append(
                (
                    server.first_token_at[-1] - t0,
                    shown_at - t0,
                    server.last_token_at[-1] - t0,
                    answer.generation.get("written", 0),
                )
            )
    floor = statistics.median(r[0] for r in rows)
    shown = statistics.median(r[1] for r in rows)
    complete = statistics.median(r[2] for r in rows)
    print(f"questions: {len(rows)}, sentences per answer (median): {statistics.median(r[3] for r in rows)}")
    print(f"word delay: {args.delay * 1000:.0f} ms")
    print(f"time to first token:           {floor * 1000:7.1f} ms")
    print(f"time to first shown sentence:  {shown * 1000:7.1f} ms")
    print(f"time to last token (complete): {complete * 1000:7.1f} ms")
    print(f"ratio first shown / first token:    {shown / floor:6.2f}")
    print(f"ratio first shown / complete reply: {shown / complete:6.2f}")


if __name__ == "__main__":
    main()
