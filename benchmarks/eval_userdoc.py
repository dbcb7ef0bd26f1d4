"""Measurement: are questions about a consultant's own document answered from it?

Issue 14 part 4 / issue 15 part 2. A copy of the shipped index gets one user PDF ingested
(default: the Debian "Leitfaden für neue Paketbetreuer", maint-guide.de.pdf from the
``maint-guide-de`` package, a German manual nobody here wrote); then every item of a set
written by an author who saw only that document's text is asked through ``Assistant.ask``.

Items (JSON Lines): ``question``, ``lang``, ``category`` (``userdoc`` | ``out_of_scope``),
``gold_pages`` (PDF pages that answer it). Figures:
- ``answered``: userdoc items not abstained and citing the user document at all;
- ``page_hit``: userdoc items with a cited passage of the document whose pages overlap the
  gold pages (± ``--slack`` pages, default 0);
- ``rail_opening``: userdoc items whose answer opened with a stance template;
- ``out_of_scope_abstained``: out-of-scope items that got the plain "not in the sources".

Run (CPU-heavy; seed the embedding cache from an earlier ingest to skip re-embedding):
  OMP_NUM_THREADS=1 nice .venv/bin/python benchmarks/eval_userdoc.py SET.jsonl \
      --work /tmp/userdoc [--seed-cache /tmp/warm/index/embeddings.sqlite3]
Writes benchmarks/out/userdoc-<set>.json (summary and per-item rows). The shipped index is
never written to. *(Project text.)*
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
DEFAULT_PDF = Path("/tmp/debdocs/usr/share/doc/maint-guide-de/maint-guide.de.pdf")


def _row(item: dict, answer, slack: int) -> dict:
    own = [c for c in answer.citations if c.kind == "user"]
    gold = set(item.get("gold_pages") or [])
    pages = sorted({p for c in own for p in range(c.page_start, max(c.page_start, c.page_end) + 1) if p})
    hit = any(abs(p - g) <= slack for p in pages for g in gold)
    stance = any(h.name in ("decision", "legal", "anthropomorphism") for h in answer.rails) and any(
        s.role == "notice" for s in answer.sentences
    )
    return {
        "id": item["id"],
        "category": item["category"],
        "lang": item["lang"],
        "abstained": answer.abstained,
        "cites_user_doc": bool(own),
        "cited_pages": pages,
        "gold_pages": sorted(gold),
        "page_hit": hit,
        "stance_opening": stance,
        "rails": [h.name for h in answer.rails],
    }


def _share(rows: list[dict], key) -> float | None:
    return round(sum(1 for r in rows if key(r)) / len(rows), 4) if rows else None


def summarise(rows: list[dict]) -> dict:
    doc = [r for r in rows if r["category"] == "userdoc"]
    oos = [r for r in rows if r["category"] == "out_of_scope"]
    out = {
        "userdoc_n": len(doc),
        "answered": _share(doc, lambda r: not r["abstained"] and r["cites_user_doc"]),
        "abstained": _share(doc, lambda r: r["abstained"]),
        "page_hit": _share(doc, lambda r: r["page_hit"]),
        "rail_opening": _share(doc, lambda r: r["stance_opening"]),
        "out_of_scope_n": len(oos),
        "out_of_scope_abstained": _share(oos, lambda r: r["abstained"]),
    }
    for lang in ("de", "en"):
        part = [r for r in doc if r["lang"] == lang]
        out[f"answered_{lang}"] = _share(part, lambda r: not r["abstained"] and r["cites_user_doc"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("eval_set", type=Path)
    parser.add_argument("--pdf", type=Path, default=DEFAULT_PDF)
    parser.add_argument("--work", type=Path, default=Path("/tmp/userdoc"))
    parser.add_argument("--seed-cache", type=Path, help="an embeddings.sqlite3 to start from")
    parser.add_argument("--slack", type=int, default=0)
    args = parser.parse_args()

    shutil.rmtree(args.work, ignore_errors=True)
    shutil.copytree(ROOT / "index", args.work / "index")
    if args.seed_cache:
        shutil.copy2(args.seed_cache, args.work / "index" / "embeddings.sqlite3")
    os.environ["ASSISTANT_INDEX_DIR"] = str(args.work / "index")
    os.environ["ASSISTANT_DATA_DIR"] = str(args.work / "var")

    from assistant.chain import Assistant
    from assistant.config import Settings
    from assistant.ingest import ingest_files

    settings = Settings()
    assert settings.index_dir == args.work / "index"
    result = ingest_files(settings, [args.pdf])
    if result.errors:
        raise SystemExit(f"ingest failed: {result.errors}")
    lines = args.eval_set.read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    pipeline = Assistant(settings)
    start = time.perf_counter()
    rows = [_row(item, pipeline.ask(item["question"]), args.slack) for item in items]
    summary = summarise(rows) | {"seconds": round(time.perf_counter() - start, 1), "pdf": args.pdf.name}
    print(json.dumps(summary, indent=2))
    out = ROOT / "benchmarks" / "out"
    out.mkdir(exist_ok=True)
    target = out / f"userdoc-{args.eval_set.stem}.json"
    target.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
