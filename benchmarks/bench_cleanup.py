"""Benchmark: what the clean-up at the start of every write costs when one small document is
added to a library of N chunks, before (a full scan of every chunk id and every sentence row's
metadata) and after (the journal: only rows of documents a killed write left behind).

Per level a synthetic library (fake-hash vectors, German-looking text, ~5 sentences a chunk) is
built once under ``benchmarks/out/cleanup/<n>`` and reused. Each repetition adds one new small
document three ways, in rotating order, and removes it again (untimed):

- ``floor``: the write with the clean-up switched off (prepare, stage, switch, sentence vectors):
  what any write costs; the ratios are against it, measured in the same run;
- ``after``: the write as shipped (``Index.cleanup``, journal);
- ``before``: the write with the old full scan (``Index.full_cleanup``) as its clean-up.

Then, per repetition, a write is killed between staging and switch (in-process) and the clean-up
that removes its rows is timed: through the journal (after) and by the full scan (before).

Run: nice env OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python benchmarks/bench_cleanup.py \
         [--levels 2000,10000] [--reps 5]
Writes benchmarks/out/cleanup-results.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
LEVEL_FORMAT = 1  # bump when the synthetic library changes
DOC_SECTIONS = 10  # sections per library document (~5 chunks each)
WORDS = re.findall(
    r"\S+",
    """Lager Werkstatt Kunde Auftrag Rechnung Maschine Schicht Planung Wartung Sensor Daten Qualität
    Prüfung Lieferant Termin Budget Schulung Team Prozess Messung Anlage Kosten Risiko Ergebnis
    Bericht Kennzahl Ablauf Einsatz Werkzeug Modell Fehler Nutzen Pilot Betrieb Beschäftigte""",
)


def _settings(root: Path):
    from assistant.config import Settings

    return Settings(
        index_dir=root,
        data_dir=root / "var",
        collection="bench",
        embedding_backend="fake-hash",
        progress_interval=0,
    )


def _document(name: str, sections: int, seed: int):
    """A user document of ``sections`` sections with distinct German-looking sentences."""
    from assistant.extract import user_document_from_text

    rng = random.Random(seed)
    parts = [f"# {name}", ""]
    for s in range(sections):
        parts += [f"## Teil {s + 1}", ""]
        for n in range(24):
            w = rng.sample(WORDS, 5)
            step = f"{seed}-{s}-{n}"
            parts.append(f"Im Schritt {step} prüft das {w[0]}-Team {w[1]}, {w[2]} und {w[3]} beim {w[4]}.")
        parts.append("")
    return user_document_from_text(f"{name}.md", "\n".join(parts), detect_lang=lambda _text: "de")


def _library(n: int):
    """An index of at least ``n`` chunks (built once, then reused)."""
    from assistant.index import Index

    root = OUT / "cleanup" / str(n)
    marker = root / "bench-level.json"
    settings = _settings(root)
    if marker.is_file() and json.loads(marker.read_text())["format"] == LEVEL_FORMAT:
        return Index(settings)
    index = Index(settings)
    start, seed = time.perf_counter(), 0
    while index.chunks.count() < n:
        batch = [_document(f"bibliothek-{seed + i}", DOC_SECTIONS, seed + i) for i in range(10)]
        seed += len(batch)
        index.sync_documents(batch, defer_sentences=False)
        have = f"{index.chunks.count()} chunks, {index.sentences.count()} sentences"
        print(f"  building {n}: {have}", flush=True)
    marker.write_text(json.dumps({"format": LEVEL_FORMAT}))
    print(f"  built in {time.perf_counter() - start:.0f} s", flush=True)
    return index


def _timed_write(index, doc, mode: str) -> tuple[float, float]:
    """Seconds of the whole write and of its clean-up alone."""
    real = {"floor": lambda: (0, 0), "after": index.cleanup, "before": index.full_cleanup}[mode]
    spent = [0.0]

    def cleanup() -> tuple[int, int]:
        t = time.perf_counter()
        try:
            return real()
        finally:
            spent[0] += time.perf_counter() - t

    index.cleanup = cleanup  # the instance attribute is what ``_prepare`` calls
    try:
        start = time.perf_counter()
        index.sync_documents([doc], defer_sentences=False)  # an upload: chunks, then sentences
        total = time.perf_counter() - start
    finally:
        del index.cleanup
    index.remove_documents([doc.doc_id])
    return total, spent[0]


class _Killed(BaseException):
    """Stands for a kill -9 between staging and the switch."""


def _killed_write(index, doc) -> None:
    """Stage ``doc``'s chunks and stop before its switch (the journal names it)."""

    def kill(_rec) -> None:
        raise _Killed

    index._switch = kill
    try:
        index.sync_documents([doc], defer_sentences=True)
    except _Killed:
        pass
    finally:
        del index._switch


def _timed_recovery(index, doc, mode: str) -> float:
    """Seconds of the clean-up that removes a killed write's staged rows."""
    _killed_write(index, doc)
    start = time.perf_counter()
    removed = (index.cleanup if mode == "after" else index.full_cleanup)()
    spent = time.perf_counter() - start
    assert removed[0] > 0, "the killed write staged nothing"
    index.cleanup()  # clears the journal row after the full scan (untimed)
    return spent


def measure(n: int, reps: int) -> dict:
    index = _library(n)
    chunks, sentences = index.chunks.count(), index.sentences.count()
    warm = _document("aufwaermen", 1, 10**6)  # warm-up (and the first write's scan of a new journal)
    index.sync_documents([warm], defer_sentences=False)
    index.remove_documents([warm.doc_id])
    modes = ["floor", "after", "before"]
    times: dict[str, list[float]] = {m: [] for m in modes}
    cleanups: dict[str, list[float]] = {m: [] for m in modes}
    for rep in range(reps):
        for k, mode in enumerate(modes[rep % 3 :] + modes[: rep % 3]):
            doc = _document(f"neu-{rep}-{k}", 1, 10**7 + rep * 10 + k)
            total, clean = _timed_write(index, doc, mode)
            times[mode].append(total)
            cleanups[mode].append(clean)
    recovery: dict[str, list[float]] = {"after": [], "before": []}
    for rep in range(reps):
        for k, mode in enumerate(["after", "before"] if rep % 2 else ["before", "after"]):
            doc = _document(f"tot-{rep}-{k}", 1, 10**8 + rep * 10 + k)
            recovery[mode].append(_timed_recovery(index, doc, mode))
    status = index.status()
    assert status.consistent and not status.staged_chunks, status.problems
    med = {m: statistics.median(v) for m, v in times.items()}
    clean = {m: statistics.median(v) for m, v in cleanups.items()}
    return {
        "chunks": chunks,
        "sentences": sentences,
        "new_doc_chunks": len(index.chunk(_document("neu", 1, 0))),
        "write_s": {m: round(v, 4) for m, v in med.items()},
        "cleanup_s": {m: round(v, 4) for m in modes for v in [clean[m]]},
        "before_over_floor": round(med["before"] / med["floor"], 2),
        "after_over_floor": round(med["after"] / med["floor"], 2),
        "before_over_after": round(med["before"] / med["after"], 2),
        "recovery_cleanup_s": {m: round(statistics.median(v), 4) for m, v in recovery.items()},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="2000,10000")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    results = {}
    for n in (int(x) for x in args.levels.split(",")):
        print(f"level {n} chunks", flush=True)
        r = results[n] = measure(n, args.reps)
        w, c, rc = r["write_s"], r["cleanup_s"], r["recovery_cleanup_s"]
        ms = {m: f"{v * 1000:.0f} ms" for m, v in w.items()}
        print(
            f"  {r['chunks']} chunks, {r['sentences']} sentence rows; new document: "
            f"{r['new_doc_chunks']} chunks\n"
            f"  write (median of {args.reps}): floor {ms['floor']}, after {ms['after']}, "
            f"before {ms['before']}\n"
            f"  clean-up alone: after {c['after'] * 1000:.1f} ms, before {c['before'] * 1000:.0f} ms\n"
            f"  ratios to the floor: before {r['before_over_floor']}x, after {r['after_over_floor']}x; "
            f"before/after {r['before_over_after']}x\n"
            f"  clean-up after a write killed before its switch: after {rc['after'] * 1000:.1f} ms, "
            f"before {rc['before'] * 1000:.0f} ms",
            flush=True,
        )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "cleanup-results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
