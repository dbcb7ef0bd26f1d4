"""Benchmark: retrieval latency (p50/p95), process memory and view refresh time at 1k, 10k and
100k chunks of real German text (Debian documentation, see ``scale_corpus.py``).

Each level is a separate index (``benchmarks/out/scale/<n>``, never the shipped one), written
once with precomputed vectors: the real chunks embedded once with the configured model, then
replicas with perturbed vectors and new word types so BM25's vocabulary keeps growing. Every
measurement runs in a fresh process through ``HybridRetriever.search`` with the sentence store
(the path ``Assistant.ask`` takes), with the query vectors passed in (query embedding costs the
same at every size; its time is printed once as the floor).

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_scale.py [--levels 1000,10000,100000]
Writes benchmarks/out/scale.json; docs/scale.md has the table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # after PYTHONPATH: the older design can be measured from another tree
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_corpus as sc  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
# Above this many sentence rows, the benchmark seeds the sentence view directly instead of
# writing the rows into Chroma: Chroma builds an HNSW graph for every collection, and on this
# 2-core machine that takes ~200 rows/s at 384 dimensions (≈ 40 min for 100k chunks' sentences).
SENTENCES_IN_CHROMA_MAX = 60_000
BATCH = 5000



def _time_searches(retriever, timers, vectors, repeats: int) -> tuple[list[float], dict[str, float]]:
    """Each benchmark query searched ``repeats`` times: latencies (ms) and median time per component."""
    timers.take()
    lat = []
    for _ in range(repeats):
        for q, v in zip(sc.QUERIES, vectors, strict=True):
            t = time.perf_counter()
            retriever.search(q, v)
            lat.append((time.perf_counter() - t) * 1000)
    return lat, {k: round(statistics.median(v), 2) for k, v in timers.take().items()}

def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def _settings(n: int, root: Path):
    from assistant.config import Settings

    return Settings(index_dir=root / str(n), data_dir=root / "var", collection="scale")


# --- the data ------------------------------------------------------------------------------


class Corpus:
    """Row ``i`` of the scale corpus: real chunk ``i % R`` in replica ``i // R``."""

    def __init__(self) -> None:
        self.real = sc.real_chunks()
        vec = sc.cached_vectors(self.real, OUT)
        self.chunk_vecs, self.sent_vecs, self.queries = vec["chunks"], vec["sentences"], vec["queries"]
        uniq = list(dict.fromkeys(s for c in self.real for s in c.sentences))
        self.sent_pos = {s: i for i, s in enumerate(uniq)}

    def rows(self, start: int, stop: int, replica_offset: int = 0):
        """Chunk rows and sentence rows (ids, texts, metadata, vectors) for rows [start, stop)."""
        from assistant.chunking import chunk_id

        r_count = len(self.real)
        chunks: dict[str, list] = {"ids": [], "texts": [], "metas": [], "vecs": []}
        sents: dict[str, list] = {"ids": [], "texts": [], "metas": [], "vecs": []}
        for replica in range(start // r_count, (stop - 1) // r_count + 1):
            lo, hi = (
                max(start, replica * r_count) - replica * r_count,
                min(stop, (replica + 1) * r_count) - replica * r_count,
            )
            rep = replica + replica_offset
            cvecs = sc.vary_vectors(self.chunk_vecs[lo:hi], rep)
            svecs = sc.vary_vectors(self.sent_vecs, rep + 1_000_000)
            for j in range(lo, hi):
                real = self.real[j]
                doc_id = f"debian-{real.source}-r{rep}"
                text = sc.vary_text(real.text, rep)
                cid = chunk_id(doc_id, str(j), text)  # a manual may repeat a passage word for word
                meta = {
                    "doc_id": doc_id,
                    "doc_title": f"{Path(sc.SOURCES[real.source]).stem} ({rep})",
                    "kind": "user",
                    "section": "",
                    "section_title": real.section_title,
                    "lang": real.lang,
                    "source": sc.SOURCES[real.source],
                    "char_start": j * 1000,
                    "char_end": j * 1000 + len(text),
                    "tokens": 200,
                }
                chunks["ids"].append(cid)
                chunks["texts"].append(text)
                chunks["metas"].append(meta)
                chunks["vecs"].append(cvecs[j - lo])
                for pos, sentence in enumerate(real.sentences):
                    smeta = {
                        k: meta[k]
                        for k in ("doc_id", "kind", "section", "section_title", "lang", "char_start")
                    }
                    sents["ids"].append(f"{cid}:{pos}")
                    sents["texts"].append(sc.vary_text(sentence, rep))
                    sents["metas"].append({**smeta, "chunk_id": cid, "position": pos})
                    sents["vecs"].append(svecs[self.sent_pos[sentence]])
        return chunks, sents


def _write(collection, rows: dict) -> None:
    for i in range(0, len(rows["ids"]), BATCH):
        collection.upsert(
            ids=rows["ids"][i : i + BATCH],
            documents=rows["texts"][i : i + BATCH],
            metadatas=rows["metas"][i : i + BATCH],
            embeddings=np.asarray(rows["vecs"][i : i + BATCH], dtype=np.float32),
        )


def _cheap_graphs(index) -> None:
    """Recreate the level's collections with a small HNSW graph (M=4, ef_construction=8):
    insertion is ~2.3x faster here, and retrieval through the views never queries the graph
    (only the design before them did, at 1k/10k)."""
    for suffix in ("chunks", "sentences"):
        name = f"{index.settings.collection}_{suffix}"
        index.client.delete_collection(name)
        index.client.create_collection(
            name,
            embedding_function=index._ef,
            metadata={
                "hnsw:space": "cosine",
                "fingerprint": index.fingerprint,
                "hnsw:M": 4,
                "hnsw:construction_ef": 8,
            },
        )
    index._open()


def build_level(n: int, root: Path, corpus: Corpus) -> dict:
    """Write the level's index once (reused while its marker exists)."""
    from assistant.index import Index

    settings = _settings(n, root)
    marker = settings.index_dir / "scale-built.json"
    if marker.is_file():
        return json.loads(marker.read_text())
    shutil.rmtree(settings.index_dir, ignore_errors=True)
    t0 = time.perf_counter()
    index = Index(settings)
    _cheap_graphs(index)
    chunks, sents = corpus.rows(0, n)
    _write(index.chunks, chunks)
    seeded = len(sents["ids"]) > SENTENCES_IN_CHROMA_MAX
    if seeded and not _incremental_views():
        return {"chunks": n, "error": "seeding needs the incremental views (branch scale-views)"}
    if not seeded:
        _write(index.sentences, sents)
    index._touch()
    if seeded:
        from assistant.lexical import LexicalIndex
        from assistant.views import IndexViews, ViewState

        lexical = LexicalIndex(chunks["ids"], chunks["texts"], [m["lang"] for m in chunks["metas"]])
        state = ViewState(
            index.version(),
            chunks["ids"],
            chunks["texts"],
            chunks["metas"],
            np.asarray(chunks["vecs"], dtype=np.float32),
            sents["ids"],
            sents["texts"],
            sents["metas"],
            np.asarray(sents["vecs"], dtype=np.float32),
            lexical,
        )
        IndexViews(index).seed(state)
    info = {
        "chunks": n,
        "sentences": len(sents["ids"]),
        "sentences_in": "views only (seeded)" if seeded else "chroma",
        "build_s": round(time.perf_counter() - t0, 1),
    }
    marker.write_text(json.dumps(info))
    return info


# --- one measurement (runs in a fresh process) ------------------------------------------------


class Timers:
    """Wall time per component, collected by wrapping methods."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = {}

    def wrap(self, owner, name: str, label: str) -> None:
        if not hasattr(owner, name):
            return
        original = getattr(owner, name)
        timers = self

        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timers.ms.setdefault(label, []).append((time.perf_counter() - t) * 1000)

        setattr(owner, name, timed)

    def take(self) -> dict[str, list[float]]:
        out, self.ms = self.ms, {}
        return out


def measure(n: int, root: Path, repeats: int) -> dict:
    from assistant import lexical, retrieval
    from assistant.index import Index

    corpus = Corpus()
    settings = _settings(n, root)
    timers = Timers()
    timers.wrap(retrieval.HybridRetriever, "cache", "views check/refresh")
    timers.wrap(retrieval.HybridRetriever, "_rescore_by_sentences", "section rescoring")
    timers.wrap(retrieval.HybridRetriever, "_group", "grouping")
    timers.wrap(lexical.LexicalIndex, "search", "bm25")
    views_mod = getattr(retrieval, "ViewState", None)
    if views_mod is not None:
        timers.wrap(views_mod, "dense", "dense")
    rss0 = _rss_mb()
    index = Index(settings)
    if not hasattr(retrieval, "ViewState"):  # the design before views.py: dense in Chroma
        timers.wrap(index.chunks, "query", "dense")
    retriever = retrieval.HybridRetriever.from_index(index)
    queries = corpus.queries
    t0 = time.perf_counter()
    try:
        retriever.search(sc.QUERIES[0], queries[0])
    except Exception as exc:  # the old design fails outright at large sizes; report it
        return {"chunks": n, "error": f"{type(exc).__name__}: {str(exc)[:160]}"}
    cold_s = time.perf_counter() - t0
    views = getattr(retriever, "views", None)
    loaded = getattr(getattr(views, "last", None), "loaded_from_disk", None)
    lat, comp = _time_searches(retriever, timers, queries, repeats)
    rss = _rss_mb()
    # A change: one new document (30 chunks with sentences) written to Chroma, then the first
    # search after it (refreshes the views); then the document removed again.
    chunks, sents = corpus.rows(0, 30, replica_offset=900_000 + n)
    _write(index.chunks, chunks)
    _write(index.sentences, sents)
    index._touch()
    t = time.perf_counter()
    retriever.search(sc.QUERIES[1], queries[1])
    add_s = time.perf_counter() - t
    index.chunks.delete(ids=chunks["ids"])
    index.sentences.delete(ids=sents["ids"])
    index._touch()
    t = time.perf_counter()
    retriever.search(sc.QUERIES[1], queries[1])
    remove_s = time.perf_counter() - t
    return {
        "chunks": n,
        "p50_ms": round(float(np.percentile(lat, 50)), 1),
        "p95_ms": round(float(np.percentile(lat, 95)), 1),
        "components_ms": comp,
        "rss_mb": round(rss, 0),
        "rss_growth_mb": round(rss - rss0, 0),
        "peak_rss_mb": round(_peak_mb(), 0),
        "first_search_s": round(cold_s, 2),
        "views_from_disk": loaded,
        "refresh_after_add_s": round(add_s, 2),
        "refresh_after_remove_s": round(remove_s, 2),
        "searches": len(lat),
    }


def _incremental_views() -> bool:
    """Whether this tree has the incremental views (``ViewState``/``merge``, branch scale-views)."""
    from assistant import views

    return hasattr(views, "ViewState") and hasattr(views, "merge")


class _NoChroma:
    """An index stand-in for ``--direct``: the views are seeded, nothing is read from Chroma."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.fingerprint = "direct"

    def version(self, fresh: bool = False) -> str:
        return "direct"


def _rows(d: dict) -> dict:
    return {
        "ids": d["ids"],
        "texts": d["texts"],
        "metas": d["metas"],
        "vectors": np.asarray(d["vecs"], np.float32),
    }


def measure_direct(n: int, root: Path, repeats: int) -> dict:
    """The retrieval path at ``n`` chunks with the views built in this process (no Chroma):
    search latency and memory, the in-memory part of a refresh after a 30-chunk document, and
    saving/loading the persisted views. Used where writing Chroma itself takes too long here."""
    from assistant import retrieval
    from assistant.lexical import LexicalIndex
    from assistant.store import SentenceStore
    from assistant.views import IndexViews, ViewState, merge

    corpus = Corpus()
    rss0 = _rss_mb()
    chunks, sents = corpus.rows(0, n)
    t0 = time.perf_counter()
    lexical = LexicalIndex(chunks["ids"], chunks["texts"], [m["lang"] for m in chunks["metas"]])
    bm25_build_s = time.perf_counter() - t0
    c, st = _rows(chunks), _rows(sents)
    state = ViewState(
        "direct",
        c["ids"],
        c["texts"],
        c["metas"],
        c["vectors"],
        st["ids"],
        st["texts"],
        st["metas"],
        st["vectors"],
        lexical,
    )
    del chunks, sents, c, st
    settings = _settings(n, root / "direct")
    index = _NoChroma(settings)
    views = IndexViews(index, folder=settings.index_dir)
    t = time.perf_counter()
    views.seed(state)
    save_s = time.perf_counter() - t
    t = time.perf_counter()
    loaded = IndexViews(index, folder=settings.index_dir)._load()
    load_s = time.perf_counter() - t
    del loaded
    timers = Timers()
    timers.wrap(retrieval.HybridRetriever, "_rescore_by_sentences", "section rescoring")
    timers.wrap(retrieval.HybridRetriever, "_group", "grouping")
    timers.wrap(LexicalIndex, "search", "bm25")
    timers.wrap(ViewState, "dense", "dense")
    retriever = retrieval.HybridRetriever(index, settings, SentenceStore(index, views))
    retriever.search(sc.QUERIES[0], corpus.queries[0])
    lat, comp = _time_searches(retriever, timers, corpus.queries, repeats)
    rss = _rss_mb()
    new_c, new_s = corpus.rows(0, 30, replica_offset=900_000 + n)
    keep = np.ones(len(state.chunk_ids), dtype=bool)
    t = time.perf_counter()
    merged = merge(state, keep, _rows(new_c), _rows(new_s), "direct+1")
    merge_s = time.perf_counter() - t
    return {
        "chunks": n,
        "sentences": len(state.sent_ids),
        "p50_ms": round(float(np.percentile(lat, 50)), 1),
        "p95_ms": round(float(np.percentile(lat, 95)), 1),
        "components_ms": comp,
        "rss_mb": round(rss, 0),
        "rss_growth_mb": round(rss - rss0, 0),
        "peak_rss_mb": round(_peak_mb(), 0),
        "bm25_build_s": round(bm25_build_s, 1),
        "views_save_s": round(save_s, 1),
        "views_load_s": round(load_s, 1),
        "refresh_merge_s": round(merge_s, 2),
        "merged_chunks": len(merged.chunk_ids),
        "searches": len(lat),
        "mode": "direct (views seeded in-process; no Chroma reads)",
    }


def query_floor() -> float:
    """Median ms to embed one query (the same at every size)."""
    from assistant.config import Settings
    from assistant.embeddings import get_embeddings

    emb = get_embeddings(Settings())
    emb.encode_query("Aufwärmen")
    times = []
    for q in sc.QUERIES:
        t = time.perf_counter()
        emb.encode_query(q)
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1000,10000,100000")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--root", type=Path, default=OUT / "scale")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--label", default="views")
    parser.add_argument("--direct", type=int, help="measure one level without Chroma (see measure_direct)")
    args = parser.parse_args()
    if args.direct:
        if not _incremental_views():
            sys.exit("--direct needs the incremental views (branch scale-views)")
        row = measure_direct(args.direct, args.root, args.repeats)
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / f"scale-direct-{args.direct}.json").write_text(json.dumps(row, indent=2))
        print(json.dumps(row))
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.root, args.repeats)))
        return
    corpus = Corpus()
    results = {"query_embedding_ms": query_floor(), "levels": []}
    for n in [int(x) for x in args.levels.split(",")]:
        info = build_level(n, args.root, corpus)
        print(f"built {n}: {info}", flush=True)
        cmd = [
            sys.executable,
            __file__,
            "--measure",
            str(n),
            "--root",
            str(args.root),
            "--repeats",
            str(args.repeats),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
        try:
            row = {**info, **json.loads(proc.stdout.strip().splitlines()[-1])}
        except (IndexError, json.JSONDecodeError):
            row = {
                **info,
                "error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "no output",
            }
        results["levels"].append(row)
        print(json.dumps(row), flush=True)
    base = results["levels"][0]
    for row in results["levels"]:
        if "p95_ms" in row and "p95_ms" in base:
            row["p95_vs_smallest"] = round(row["p95_ms"] / base["p95_ms"], 2)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"scale-{args.label}.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
