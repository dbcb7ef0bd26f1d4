"""Measurement: do the paper's retrieval figures hold when large foreign documents are added?

Runs ``evals/full.jsonl`` through the pipeline's retrieval on a copy of the shipped index (paper
alone), then ingests real German PDFs nobody here wrote (the Debian reference and developers'
reference, ≥ 1,500 chunks) into that copy and runs the set again. A user document's section
takes a rank under its own key, so a foreign passage ranked above the paper counts as a miss.
Goal (issue 14): hit@3 drops by at most 0.02.

Run (CPU-heavy: embeds ~1,900 chunks and their sentences; once, with nice):
  nice .venv/bin/python benchmarks/mixed_corpus.py --work /tmp/mixed [--seed-cache FILE] [PDF ...]
Writes benchmarks/out/mixed_corpus.json. The shipped index is never written to.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEBDOCS = Path("/tmp/debdocs/usr/share")
DEFAULT_PDFS = [
    DEBDOCS / "debian-reference/debian-reference.de.pdf",
    DEBDOCS / "developers-reference/de/developers-reference.pdf",
]
KEYS = ("hit@1", "hit@3", "mrr")


def _figures(settings, items) -> dict[str, float]:
    """hit@1/hit@3/MRR of the pipeline's retrieval, as the eval harness scores them.

    The question goes through the same steps as ``Assistant.ask`` up to retrieval (input
    rails, redaction, follow-up condensing); the answer itself is not composed, which keeps
    this affordable on a shared machine. Items without gold sections are skipped, as there.
    """
    from assistant.chain import Assistant, condense
    from assistant.evals import retrieval_metrics

    start = time.perf_counter()
    pipeline = Assistant(settings)
    embed = pipeline.index.embeddings.encode_query
    rows = []
    for item in items:
        if not item.get("gold_sections"):
            continue
        check, vector = pipeline.rails.check_input(pipeline._validate(item["question"]), embed)
        query = condense(check.search, item.get("history"))
        if query != check.search:
            vector = embed(query)
        ranked = pipeline.retriever.search(query, vector).ranked_section_ids() if query.strip() else []
        rows.append(retrieval_metrics(ranked, item["gold_sections"]))
    out = {k: round(sum(r[k] for r in rows) / len(rows), 4) for k in KEYS}
    out.update(n=len(rows), seconds=round(time.perf_counter() - start, 1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdfs", nargs="*", type=Path, default=DEFAULT_PDFS)
    parser.add_argument("--work", type=Path, default=Path("/tmp/mixed-corpus"))
    parser.add_argument("--eval-set", type=Path, default=ROOT / "evals/full.jsonl")
    parser.add_argument("--seed-cache", type=Path, help="a warm embeddings.sqlite3")
    args = parser.parse_args()

    shutil.rmtree(args.work, ignore_errors=True)
    shutil.copytree(ROOT / "index", args.work / "index")
    if args.seed_cache:  # vectors are keyed by model id and text hash: a warm cache is safe to reuse
        shutil.copy2(args.seed_cache, args.work / "index" / "embeddings.sqlite3")
    os.environ["ASSISTANT_INDEX_DIR"] = str(args.work / "index")
    os.environ["ASSISTANT_DATA_DIR"] = str(args.work / "var")

    from assistant.config import Settings
    from assistant.evals import load_eval_set
    from assistant.index import Index
    from assistant.ingest import ingest_files

    settings = Settings()
    assert settings.index_dir == args.work / "index"
    items = load_eval_set(args.eval_set)
    alone = _figures(settings, items)
    print("paper alone:", alone, flush=True)

    start = time.perf_counter()
    result = ingest_files(settings, args.pdfs)
    if result.errors:
        raise SystemExit(f"ingest failed: {result.errors}")
    ingest_seconds = time.perf_counter() - start
    status = Index(settings).status()
    added = status.chunks_by_kind.get("user", 0)
    print(f"added {added} chunks of {len(args.pdfs)} PDFs in {ingest_seconds:.0f} s", flush=True)

    mixed = _figures(settings, items)
    print("with foreign documents:", mixed, flush=True)
    delta = {k: round(mixed[k] - alone[k], 4) for k in KEYS}
    report = {
        "eval_set": args.eval_set.name,
        "items": len(items),
        "pdfs": [p.name for p in args.pdfs],
        "user_chunks": added,
        "ingest_seconds": round(ingest_seconds, 1),
        "paper_alone": alone,
        "mixed": mixed,
        "delta": delta,
        "goal_hit3_drop_at_most_0.02": delta["hit@3"] >= -0.02,
    }
    print(json.dumps(report, indent=2))
    out = ROOT / "benchmarks" / "out"
    out.mkdir(exist_ok=True)
    (out / "mixed_corpus.json").write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
