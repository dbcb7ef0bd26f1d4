"""Benchmark: the product's search path at 1k, 10k and 100k chunks of real German text
(Debian documentation, see ``scale_corpus.py``): latency p50/p95 per component, process
memory, and the cost of keeping the search views up to date when one document is added
(incremental refresh against a full rebuild, as a ratio measured in the same run).

Per question it times what ``Assistant.ask`` runs after the input rails: the views check
(index version), dense search, BM25, fusion and grouping, sentence scoring of the candidate
sections, named sections, and answer composition (the extractive generator). Query
embedding is the same at every size and is measured once, separately, with the real model.
Every component hook is checked: a run fails if a timed method no longer exists or was never
called, so the timers cannot silently drift away from the real path.

Levels (each measured in a fresh process, so RSS is the level's own):

- ``--levels 1000,10000``: a real index under ``benchmarks/out/scale/<n>`` (never the shipped
  one), written once in the product's storage format (chunk and sentence rows, the manifest
  naming each document's chunks, vectors in the embedding cache); the views are built from
  Chroma as a start would. Vectors are precomputed (real chunks embedded once, replicas
  perturbed; see ``scale_corpus.py``).
- ``--direct 100000``: the same rows built into the views in the benchmark process, without
  Chroma (writing 530k rows at ~200 rows/s would take ~45 min here). The search path is the
  same code; not measured: reading rows from Chroma.

Run: nice env OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python benchmarks/bench_scale.py \
         [--levels 1000,10000] [--direct 100000]
Writes benchmarks/out/scale-results.json; docs/scale.md has the table.
"""

from __future__ import annotations

import argparse
import gc
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_corpus as sc  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
LEVEL_FORMAT = 2  # 2: manifest, embedding cache (levels of format 1 are rebuilt)
NEW_DOC_CHUNKS = 30  # the document added to measure a refresh


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def _settings(n: int, root: Path):
    from assistant.config import Settings

    return Settings(index_dir=root / str(n), data_dir=root / "var", collection="scale")


def _pct(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(float(np.percentile(values, 50)), 2),
        "p95": round(float(np.percentile(values, 95)), 2),
    }


# --- the data ------------------------------------------------------------------------------


class Corpus:
    """Row ``i`` of the scale corpus: real chunk ``i % R`` in replica ``i // R``."""

    def __init__(self) -> None:
        self.real = sc.real_chunks()
        vec = sc.cached_vectors(self.real, OUT)
        self.chunk_vecs, self.sent_vecs, self.queries = vec["chunks"], vec["sentences"], vec["queries"]
        uniq = list(dict.fromkeys(s for c in self.real for s in c.sentences))
        self.sent_pos = {s: i for i, s in enumerate(uniq)}

    def rows(self, start: int, stop: int, replica_offset: int = 0) -> tuple[dict, dict]:
        """Chunk rows and sentence rows (ids, texts, metas, vecs) for rows [start, stop)."""
        from assistant.chunking import chunk_id

        r_count = len(self.real)
        chunks: dict[str, list] = {"ids": [], "texts": [], "metas": [], "vecs": []}
        sents: dict[str, list] = {"ids": [], "texts": [], "metas": [], "vecs": []}
        for replica in range(start // r_count, (stop - 1) // r_count + 1):
            lo = max(start, replica * r_count) - replica * r_count
            hi = min(stop, (replica + 1) * r_count) - replica * r_count
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
                    "n_sentences": len(real.sentences),
                }
                chunks["ids"].append(cid)
                chunks["texts"].append(text)
                chunks["metas"].append(meta)
                chunks["vecs"].append(cvecs[j - lo])
                smeta = {
                    k: meta[k] for k in ("doc_id", "kind", "section", "section_title", "lang", "char_start")
                }
                for pos, sentence in enumerate(real.sentences):
                    sents["ids"].append(f"{cid}:{pos}")
                    sents["texts"].append(sc.vary_text(sentence, rep))
                    sents["metas"].append({**smeta, "chunk_id": cid, "position": pos})
                    sents["vecs"].append(svecs[self.sent_pos[sentence]])
        return chunks, sents


def _as_rows(d: dict):
    from assistant.views import Rows

    return Rows(d["ids"], d["texts"], d["metas"], np.asarray(d["vecs"], dtype=np.float32))


# --- writing a level through the product's storage format ------------------------------------------


def write_documents(index, chunks: dict, sents: dict) -> list[str]:
    """Rows as an ingest leaves them: vectors in the embedding cache, chunk and sentence rows in
    Chroma, then one manifest row per document switching it in. Returns the doc ids."""
    from assistant.index import DocRecord, _now

    cache = index.embedding_cache
    embedded = [index._embed_text_of(t, m) for t, m in zip(chunks["texts"], chunks["metas"], strict=True)]
    cache.put_many(embedded, np.asarray(chunks["vecs"], dtype=np.float32))
    cache.put_many(sents["texts"], np.asarray(sents["vecs"], dtype=np.float32))
    index._upsert(index.chunks, chunks["ids"], chunks["texts"], chunks["metas"], chunks["vecs"])
    index._upsert(index.sentences, sents["ids"], sents["texts"], sents["metas"], sents["vecs"])
    docs: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for cid, meta in zip(chunks["ids"], chunks["metas"], strict=True):
        docs.setdefault(meta["doc_id"], []).append(cid)
        titles[meta["doc_id"]] = meta["doc_title"]
    for doc_id, ids in docs.items():
        index._switch(DocRecord(doc_id, "user", titles[doc_id], added=_now(), updated=_now(), chunk_ids=ids))
    index._touch()
    return list(docs)


def _cheap_graphs(index) -> None:
    """Recreate the level's collections with a small HNSW graph (M=4, ef_construction=8):
    insertion is ~2.3x faster here, and the search path never queries the graph."""
    from assistant.index import MANIFEST_FORMAT

    for suffix in ("chunks", "sentences"):
        name = f"{index.settings.collection}_{suffix}"
        index.client.delete_collection(name)
        index.client.create_collection(
            name,
            embedding_function=index._ef,
            metadata={
                "hnsw:space": "cosine",
                "fingerprint": index.fingerprint,
                "manifest": MANIFEST_FORMAT,
                "hnsw:M": 4,
                "hnsw:construction_ef": 8,
            },
        )
    index._open()


def build_level(n: int, root: Path, corpus: Corpus) -> dict:
    """Write the level's index once (reused while its marker exists)."""
    from assistant.index import Index

    settings = _settings(n, root)
    marker = settings.index_dir / f"scale-built-v{LEVEL_FORMAT}.json"
    if marker.is_file():
        return json.loads(marker.read_text())
    shutil.rmtree(settings.index_dir, ignore_errors=True)
    t0 = time.perf_counter()
    index = Index(settings)
    _cheap_graphs(index)
    step = len(corpus.real)
    for start in range(0, n, step):
        chunks, sents = corpus.rows(start, min(n, start + step))
        write_documents(index, chunks, sents)
        print(f"  wrote {min(n, start + step)}/{n} chunks", flush=True)
    info = {"chunks": n, "sentences": index.sentences.count(), "write_s": round(time.perf_counter() - t0, 1)}
    marker.write_text(json.dumps(info))
    return info


# --- timing the search path ------------------------------------------------------------------


class Timers:
    """Wall time per component and search, collected by wrapping the real methods."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def wrap(self, owner, name: str, label: str) -> None:
        original = getattr(owner, name)  # AttributeError if the path changed: update the benchmark
        timers = self

        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timers.ms[label] = timers.ms.get(label, 0.0) + (time.perf_counter() - t) * 1000
                timers.calls[label] = timers.calls.get(label, 0) + 1

        setattr(owner, name, timed)

    def take(self) -> dict[str, float]:
        out, self.ms = self.ms, {}
        return out


def hook_search_path() -> Timers:
    from assistant import retrieval
    from assistant.lexical import LexicalIndex
    from assistant.store import SentenceStore
    from assistant.views import IndexViews

    timers = Timers()
    timers.wrap(retrieval.HybridRetriever, "cache", "views check")
    timers.wrap(IndexViews, "dense", "dense")
    timers.wrap(LexicalIndex, "search", "bm25")
    timers.wrap(retrieval.HybridRetriever, "_group", "grouping")
    timers.wrap(SentenceStore, "sharpen", "sentence scoring")
    timers.wrap(retrieval.HybridRetriever, "_rescore_by_sentences", "sentence scoring")
    timers.wrap(retrieval.HybridRetriever, "_favour_named", "named sections")
    return timers


def time_searches(retriever, generator, timers: Timers, queries: np.ndarray, repeats: int) -> dict:
    """Each benchmark question ``repeats`` times: search and answer composition, per component."""
    from assistant.generate import GenerationRequest

    retriever.search(sc.QUERIES[0], queries[0])  # warm
    timers.take()
    timers.calls.clear()
    per: dict[str, list[float]] = {}
    answered = 0
    for _ in range(repeats):
        for q, v in zip(sc.QUERIES, queries, strict=True):
            t = time.perf_counter()
            result = retriever.search(q, v)
            search_ms = (time.perf_counter() - t) * 1000
            parts = timers.take()
            t = time.perf_counter()
            draft = generator.generate(GenerationRequest(q, "de", v, result))
            answered += bool(draft.sentences)
            compose_ms = (time.perf_counter() - t) * 1000
            parts["fusion and hits"] = max(0.0, search_ms - sum(parts.values()))
            parts["search total"] = search_ms
            parts["answer composition"] = compose_ms
            parts["search + answer"] = search_ms + compose_ms
            for k, val in parts.items():
                per.setdefault(k, []).append(val)
    searches = repeats * len(sc.QUERIES)
    never = [
        k for k in ("views check", "dense", "bm25", "grouping", "sentence scoring") if not timers.calls.get(k)
    ]
    if never:
        raise RuntimeError(f"timers never called (the search path changed?): {never}")
    return {
        "searches": searches,
        "answered_share": round(answered / searches, 2),
        "components_ms": {k: _pct(v) for k, v in per.items()},
    }


# --- one level, in its own process -------------------------------------------------------------


def measure_chroma(n: int, root: Path, repeats: int) -> dict:
    """A real index: views built from Chroma, searches, then one document added and removed."""
    from assistant import views
    from assistant.generate import make_generator
    from assistant.index import Index
    from assistant.retrieval import HybridRetriever

    corpus = Corpus()
    settings = _settings(n, root)
    timers = hook_search_path()
    rss0 = _rss_mb()
    index = Index(settings)
    for path in views._paths(index):  # a start without stored views: built from Chroma
        path.unlink(missing_ok=True)
    rss_open = _rss_mb()
    t = time.perf_counter()
    built = views.get_views(index, index.version())
    first_build_s = time.perf_counter() - t
    rss_built = _rss_mb()
    t = time.perf_counter()
    views.load(index, built.key)
    load_s = time.perf_counter() - t
    retriever = HybridRetriever.from_index(index)
    generator = make_generator(settings, retriever.store)
    row = {"chunks": len(built.chunks.ids), "sentences": len(built.sentences.ids), "mode": "chroma"}
    row |= time_searches(retriever, generator, timers, corpus.queries, repeats)
    row |= {"rss_mb": round(_rss_mb()), "rss_growth_mb": round(_rss_mb() - rss0)}
    row |= {"rss_after_open_mb": round(rss_open), "rss_after_views_build_mb": round(rss_built)}
    row |= {"views_first_build_s": round(first_build_s, 2), "views_load_s": round(load_s, 2)}

    # One new document: the views refreshed incrementally (and saved) vs built again from Chroma.
    chunks, sents = corpus.rows(0, NEW_DOC_CHUNKS, replica_offset=900_000 + n)
    t = time.perf_counter()
    (doc_id,) = write_documents(index, chunks, sents)
    write_s = time.perf_counter() - t
    t = time.perf_counter()
    after = views.get_views(index, index.version())
    update_s = time.perf_counter() - t
    refresh_s = views.last.seconds
    assert (views.last.added, views.last.full_scan) == (NEW_DOC_CHUNKS, False), views.last
    t = time.perf_counter()
    rebuilt = views.build(index)
    rebuild_s = time.perf_counter() - t
    assert len(rebuilt.chunks.ids) == len(after.chunks.ids) == len(built.chunks.ids) + NEW_DOC_CHUNKS
    t = time.perf_counter()
    views.save(index, after)
    save_s = time.perf_counter() - t
    retriever.search(sc.QUERIES[1], corpus.queries[1])
    follows = chunks["ids"][0] in retriever.cache().pos  # the retriever follows the write
    index.remove_documents([doc_id])
    t = time.perf_counter()
    views.get_views(index, index.version())
    remove_s = time.perf_counter() - t
    row |= {
        "new_doc_chunks": NEW_DOC_CHUNKS,
        "new_doc_write_s": round(write_s, 2),
        "update_incremental_s": round(refresh_s, 3),
        "update_as_a_request_sees_it_s": round(update_s, 3),  # saved in the background
        "update_full_rebuild_s": round(rebuild_s, 2),
        "full_over_incremental": round(rebuild_s / refresh_s, 1),
        "views_save_s": round(save_s, 2),
        "remove_as_a_request_sees_it_s": round(remove_s, 3),
        "retriever_follows_write": follows,
        "peak_rss_mb": round(_peak_mb()),
    }
    return row


class _NoChroma:
    """An index stand-in for ``--direct``: the views are put in memory, nothing is read."""

    shared = False
    embeddings = None
    embedding_cache = None

    def __init__(self, settings) -> None:
        self.settings = settings
        self.fingerprint = "direct"
        self._version = "direct-1"

    def version(self, fresh: bool = False) -> str:
        return self._version


def measure_direct(n: int, root: Path, repeats: int) -> dict:
    """The search path at ``n`` chunks with the views built in this process (no Chroma): latency,
    memory, and one document merged in (incremental) vs the views built again in memory."""
    from assistant import views
    from assistant.generate import make_generator
    from assistant.lexical import LexicalIndex
    from assistant.retrieval import HybridRetriever
    from assistant.store import SentenceStore

    corpus = Corpus()
    settings = _settings(n, root / "direct")
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    index = _NoChroma(settings)
    key = views._key(index)
    rss0 = _rss_mb()
    t = time.perf_counter()
    chunks, sents = corpus.rows(0, n)
    c, s = _as_rows(chunks), _as_rows(sents)
    del chunks, sents
    rows_s = time.perf_counter() - t
    t = time.perf_counter()
    lexical = LexicalIndex.build(c.ids, c.texts, [m["lang"] for m in c.metas])
    state = views.IndexViews(key, index.version(), c, s, lexical)
    build_s = time.perf_counter() - t
    del c, s, lexical
    gc.collect()
    views._recent[key] = state
    timers = hook_search_path()
    retriever = HybridRetriever(index, settings, SentenceStore(index))
    generator = make_generator(settings, retriever.store)
    row = {"chunks": n, "sentences": len(state.sentences.ids), "mode": "direct (no Chroma)"}
    row |= time_searches(retriever, generator, timers, corpus.queries, repeats)
    row |= {"rss_mb": round(_rss_mb()), "rss_growth_mb": round(_rss_mb() - rss0)}
    new_c, new_s = corpus.rows(0, NEW_DOC_CHUNKS, replica_offset=900_000 + n)
    new_c, new_s = _as_rows(new_c), _as_rows(new_s)
    keep = np.ones(len(state.chunks.ids), dtype=bool)
    s_keep = np.ones(len(state.sentences.ids), dtype=bool)
    merges = []
    for _ in range(3):
        t = time.perf_counter()
        merged = views.merge(state, keep, new_c, s_keep, new_s, "direct-2")
        merges.append(time.perf_counter() - t)
        if len(merges) < 3:
            del merged
    merge_s = statistics.median(merges)
    t = time.perf_counter()
    views.save(index, merged)
    save_s = time.perf_counter() - t
    t = time.perf_counter()
    loaded = views.load(index, key)
    load_s = time.perf_counter() - t
    assert loaded is not None and len(loaded.chunks.ids) == n + NEW_DOC_CHUNKS
    del loaded, merged
    gc.collect()
    row |= {
        "rows_prepared_s": round(rows_s, 1),
        "update_full_rebuild_s": round(build_s, 2),
        "update_incremental_s": round(merge_s, 3),
        "update_incremental_runs_s": [round(x, 3) for x in merges],
        "full_over_incremental": round(build_s / merge_s, 1),
        "views_save_s": round(save_s, 1),
        "views_load_s": round(load_s, 1),
        "peak_rss_mb": round(_peak_mb()),
    }
    return row


def measure_serving(n: int, root: Path, repeats: int, direct: bool) -> dict:
    """A fresh process serving from the stored views (what a start does): load time, RSS and
    the search path, with no row read from Chroma."""
    from assistant import views
    from assistant.generate import make_generator
    from assistant.index import Index
    from assistant.retrieval import HybridRetriever
    from assistant.store import SentenceStore

    queries = Corpus().queries
    gc.collect()
    timers = hook_search_path()
    rss0 = _rss_mb()
    if direct:
        index = _NoChroma(_settings(n, root / "direct"))
        t = time.perf_counter()
        loaded = views.load(index, views._key(index))
        assert loaded is not None, "run the direct level first"
        index._version = loaded.version
        views._recent[loaded.key] = loaded
    else:
        index = Index(_settings(n, root))
        t = time.perf_counter()
        loaded = views.get_views(index, index.version())
        assert views.last.loaded_from_disk and views.last.added == 0, views.last
    load_s = time.perf_counter() - t
    rss_loaded = _rss_mb()
    retriever = HybridRetriever(index, index.settings, SentenceStore(index))
    generator = make_generator(index.settings, retriever.store)
    row = {"chunks": len(loaded.chunks.ids), "sentences": len(loaded.sentences.ids)}
    row["mode"] = "serving from stored views" + (" (direct level)" if direct else "")
    row |= {"views_load_s": round(load_s, 2), "rss_after_load_mb": round(rss_loaded)}
    row |= time_searches(retriever, generator, timers, queries, repeats)
    row |= {
        "rss_mb": round(_rss_mb()),
        "rss_growth_mb": round(_rss_mb() - rss0),
        "peak_rss_mb": round(_peak_mb()),
    }
    return row


def query_embedding_ms() -> dict[str, float]:
    """Embedding one question with the configured model (the same at every size)."""
    from assistant.config import Settings
    from assistant.embeddings import get_embeddings

    emb = get_embeddings(Settings())
    emb.encode_query("Aufwärmen")
    times = []
    for q in sc.QUERIES:
        t = time.perf_counter()
        emb.encode_query(q)
        times.append((time.perf_counter() - t) * 1000)
    return _pct(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1000,10000", help="Chroma-backed levels ('' for none)")
    parser.add_argument("--direct", default="100000", help="levels built in memory ('' for none)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--root", type=Path, default=OUT / "scale")
    parser.add_argument("--run", help=argparse.SUPPRESS)  # "chroma:N" or "direct:N", in a child
    args = parser.parse_args()
    if args.run:
        mode, n = args.run.split(":")
        if mode.startswith("serve"):
            row = measure_serving(int(n), args.root, args.repeats, direct=mode == "serve-direct")
        else:
            row = (measure_chroma if mode == "chroma" else measure_direct)(int(n), args.root, args.repeats)
        print(json.dumps(row))
        return
    corpus = Corpus()
    results: dict = {"query_embedding_ms": query_embedding_ms(), "levels": []}
    print(f"query embedding: {results['query_embedding_ms']}", flush=True)
    runs = [f"chroma:{n}" for n in args.levels.split(",") if n] + [
        f"direct:{n}" for n in args.direct.split(",") if n
    ]
    runs = [
        r for run in runs for r in (run, run.replace("chroma", "serve").replace("direct", "serve-direct"))
    ]
    for run in runs:
        mode, n = run.split(":")
        info = build_level(int(n), args.root, corpus) if mode == "chroma" else {}  # serve: none
        cmd = [
            sys.executable,
            __file__,
            "--run",
            run,
            "--root",
            str(args.root),
            "--repeats",
            str(args.repeats),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
        try:
            row = {**info, **json.loads(proc.stdout.strip().splitlines()[-1])}
        except (IndexError, json.JSONDecodeError):
            row = {**info, "chunks": int(n), "mode": mode, "error": proc.stderr.strip()[-600:] or "no output"}
        results["levels"].append(row)
        print(json.dumps(row), flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "scale-results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
