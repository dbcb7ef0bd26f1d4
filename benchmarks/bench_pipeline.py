"""Benchmark: index build time, retrieval and `ask` latency (p50/p95 over 50 warm queries) and
peak memory, for the product pipeline and the naive LangChain-tutorial baseline, in one process.

Run: .venv/bin/python benchmarks/bench_pipeline.py   (writes benchmarks/out/pipeline.json)
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.config import Settings  # noqa: E402

QUESTIONS = [
    "Wie spreche ich Datenschutz im Erstgespräch an?",
    "How do I approach data protection in a first meeting?",
    "Was ist ein Erprobungsraum?",
    "How can I measure the impact of a consultation?",
    "Welche Rolle spielt der Betriebsrat?",
    "Can AI be a member of the team?",
    "Wie gehe ich mit Ängsten der Mitarbeitenden um?",
    "What do solo self-employed people need?",
    "Welche kreativen Methoden gibt es?",
    "Should ethics come up in the first meeting?",
]


def _pct(values, q):
    return float(np.percentile(values, q))


def measure(build, load, retrieve, ask, n=50):
    """Build (timed), load (timed), 50 warm retrieval and ask calls; memory as RSS growth."""
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    built = build()
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pipeline = load(built)
    load_s = time.perf_counter() - t0
    for q in QUESTIONS:  # warm-up
        ask(pipeline, q)
    r_lat, a_lat = [], []
    for i in range(n):
        q = QUESTIONS[i % len(QUESTIONS)]
        t = time.perf_counter()
        retrieve(pipeline, q)
        r_lat.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        ask(pipeline, q)
        a_lat.append((time.perf_counter() - t) * 1000)
    return {
        "build_s": round(build_s, 2),
        "load_s": round(load_s, 2),
        "retrieve_p50_ms": round(statistics.median(r_lat), 1),
        "retrieve_p95_ms": round(_pct(r_lat, 95), 1),
        "ask_p50_ms": round(statistics.median(a_lat), 1),
        "ask_p95_ms": round(_pct(a_lat, 95), 1),
        "peak_rss_growth_mb": round(_rss_mb() - rss0, 1),
    }


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    from assistant.chain import Assistant
    from assistant.index import build_index
    from assistant.naive import NaivePipeline

    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    settings = Settings(index_dir=tmp / "index", data_dir=tmp / "var", collection="bench")

    def build_product():
        index, _ = build_index(settings)  # from scratch: empty index folder
        return index

    product = measure(
        build_product,
        lambda index: Assistant(settings, index=index),  # includes embedding the rail exemplars once
        lambda p, q: p.retriever.search(q),
        lambda p, q: p.ask(q),
    )
    naive = measure(
        lambda: NaivePipeline(settings),
        lambda p: p,
        lambda p, q: p.collection.query(
            query_embeddings=[p.embeddings.encode_query(q).tolist()], n_results=4
        ),
        lambda p, q: p.ask(q),
    )
    ratios = {k: round(product[k] / naive[k], 2) for k in product if naive[k]}
    result = {
        "product": product,
        "naive": naive,
        "ratio_product_over_naive": ratios,
        "max_rss_mb": round(_rss_mb(), 1),
        "targets": {"retrieve_p50_ms": 30, "ask_p50_ms": 150, "build_s": 60},
    }
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "pipeline.json").write_text(json.dumps(result, indent=2))
    print("| metric | product | naive | product/naive |\n|---|---|---|---|")
    for k in product:
        print(f"| {k} | {product[k]} | {naive[k]} | {ratios.get(k, '–')} |")
    print(f"\nmax RSS of the process: {result['max_rss_mb']} MB")


if __name__ == "__main__":
    main()
