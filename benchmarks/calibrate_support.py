"""Measure the support test's cut-offs on the corpus (docs/llm.md, Settings.support_*).

Supported pairs: a digest sentence (our restatement of a paper section) vs the two passages of
its source section closest to it (paper for German, our translation for English) - what a model
citing that section would cite. Unrelated pairs: the same sentence vs the two closest passages
of the most similar section of ANOTHER thesis (hard) and of a random other thesis (easy).
Cross-language pairs (an English answer resting on the German paper: English digest sentence
vs German passages) are measured the same way for their own cosine cut-off (overlap means
nothing across languages).
Prints overlap and cosine distributions, the rates at the configured cut-offs, and the grid
optimum (largest recall minus hard-unrelated pass rate; ties go to the stricter cut-offs).

    PYTHONPATH=. python benchmarks/calibrate_support.py [--out pairs.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.index import Index
from assistant.support import SupportTest, overlap

SOURCE_KIND = {"de": "paper", "en": "translation"}


def thesis(section: str) -> str:
    return section.split(".")[0]


def pairs(settings: Settings, seed: int = 0) -> list[dict]:
    """Labelled (sentence, passages, cosine) pairs from the shipped index."""
    index = Index(settings)
    ids, texts, metas = index.all_chunks()
    rng = random.Random(seed)
    passages: dict[tuple[str, str], list[str]] = {}
    for text, meta in zip(texts, metas, strict=True):
        for lang, kind in SOURCE_KIND.items():
            if meta["kind"] == kind and meta.get("section"):
                passages.setdefault((lang, str(meta["section"])), []).append(text)
    embed = index.embeddings.encode_passages
    vectors = {key: embed(chunks) for key, chunks in passages.items()}
    got = index.sentences.get(include=["documents", "metadatas"])
    digests = [
        (t, m) for t, m in zip(got["documents"], got["metadatas"], strict=True) if m["kind"] == "digest"
    ]
    svecs = embed([t for t, _ in digests])
    out = []
    for (text, meta), v in zip(digests, svecs, strict=True):
        lang, section = meta["lang"], str(meta.get("section", ""))
        if (lang, section) not in passages:
            continue
        rows = []

        def top2(key, v=v):
            sims = vectors[key] @ v
            order = np.argsort(-sims)[:2]
            return [passages[key][i] for i in order], [float(sims[i]) for i in order]

        for prefix, plang in (("", lang), ("cross_", "de")):
            if prefix and (lang == "de" or (plang, section) not in passages):
                continue
            others = [k for k in passages if k[0] == plang and thesis(k[1]) != thesis(section)]
            hard = max(others, key=lambda k: float((vectors[k] @ v).max()))
            easy = rng.choice(others)
            rows += [
                (prefix + "supported", (plang, section)),
                (prefix + "hard", hard),
                (prefix + "easy", easy),
            ]
        for label, key in rows:
            chunks, sims = top2(key)
            out.append(
                {
                    "label": label,
                    "lang": lang,
                    "section": section,
                    "against": key[1],
                    "sentence": text,
                    "overlap": overlap(text, chunks),
                    "similarity": max(sims),
                }
            )
    return out


def rate(rows: list[dict], test: SupportTest) -> float:
    return sum(
        r["overlap"] >= test.min_overlap or r["similarity"] >= test.min_similarity for r in rows
    ) / max(len(rows), 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    settings = Settings()
    rows = pairs(settings)
    if args.out:
        args.out.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    labels = ("supported", "hard", "easy", "cross_supported", "cross_hard", "cross_easy")
    by = {k: [r for r in rows if r["label"] == k] for k in labels}
    for k, rs in by.items():
        ov = [r["overlap"] for r in rs]
        sim = [r["similarity"] for r in rs]
        print(
            f"{k:9s} n={len(rs):3d}  overlap median {statistics.median(ov):.2f} "
            f"p10 {np.percentile(ov, 10):.2f} p90 {np.percentile(ov, 90):.2f}   "
            f"cosine median {statistics.median(sim):.3f} "
            f"p10 {np.percentile(sim, 10):.3f} p90 {np.percentile(sim, 90):.3f}"
        )
    current = SupportTest.from_settings(settings)
    print(
        f"configured (overlap {current.min_overlap}, cosine {current.min_similarity}): "
        f"recall {rate(by['supported'], current):.3f}, hard unrelated pass {rate(by['hard'], current):.3f}, "
        f"easy unrelated pass {rate(by['easy'], current):.3f}"
    )
    best = None
    for o in np.arange(0.20, 0.80, 0.05):
        for s in np.arange(0.85, 0.96, 0.005):
            test = SupportTest(round(float(o), 2), round(float(s), 3), current.min_similarity_cross)
            rec, fpr = rate(by["supported"], test), rate(by["hard"], test)
            if best is None or rec - fpr >= best[0] - 1e-9:  # >=: later (stricter) cut-offs win ties
                best = (rec - fpr, rec, fpr, rate(by["easy"], test), test)
    _, rec, fpr, easy, test = best
    print(
        f"grid optimum (recall - hard pass): overlap {test.min_overlap}, cosine {test.min_similarity}: "
        f"recall {rec:.3f}, hard unrelated pass {fpr:.3f}, easy unrelated pass {easy:.3f}"
    )
    cross = []
    for s in np.arange(0.85, 0.96, 0.005):

        def passes(rs, s=s):
            return sum(r["similarity"] >= s for r in rs) / max(len(rs), 1)

        rec, fpr = passes(by["cross_supported"]), passes(by["cross_hard"])
        cross.append((rec - fpr, round(float(s), 3), rec, fpr, passes(by["cross_easy"])))
    _, s, rec, fpr, easy = max(cross, key=lambda c: (round(c[0], 9), c[1]))
    print(
        f"cross-language cosine optimum: {s}: recall {rec:.3f}, hard unrelated pass {fpr:.3f}, "
        f"easy unrelated pass {easy:.3f} (configured {settings.support_min_similarity_cross})"
    )


if __name__ == "__main__":
    main()
