"""Precision and recall of the support check on a labelled set (run once; never tuned on).

Each JSON line: ``passage``, ``sentence``, ``label`` (supported | unsupported), optional
``kind`` and ``lang``. Two checkers are scored:

- support test alone (``support.py``: overlap or cosine, the eval's groundedness test);
- all output checks (``output_checks.py``: support plus stance, language, prompt n-grams and
  foreign links/addresses/numbers/names), as answer time applies them. The language check is
  given the sentence's own language (the set has no question); the question is empty.

"Positive" = supported (kept). Precision: of the sentences kept, the share truly supported;
recall: of the supported sentences, the share kept. Per kind: the share kept.

    PYTHONPATH=. HF_HUB_OFFLINE=1 python benchmarks/support_labelled.py /work/fresh/support.jsonl
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from assistant.citations import AnswerSentence
from assistant.config import Settings
from assistant.language import detect_language
from assistant.output_checks import OutputChecks, clean_passage
from assistant.support import SupportTest


def _pr(rows: list[tuple[str, bool]]) -> tuple[float, float, int]:
    kept_true = sum(1 for label, kept in rows if kept and label == "supported")
    kept = sum(1 for _, kept in rows if kept)
    positives = sum(1 for label, _ in rows if label == "supported")
    return (kept_true / kept if kept else 0.0, kept_true / positives if positives else 0.0, len(rows))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=Path)
    args = parser.parse_args()
    from assistant.index import Index
    from assistant.rails import load_rails

    settings = Settings()
    index = Index(settings)
    rails = load_rails(settings, index.embeddings)
    test = SupportTest.from_settings(settings)
    checks = OutputChecks(
        rails,
        index.embeddings.encode_passages,
        lambda: index.all_chunks()[1],
        settings.prompts_dir,
        test,
        settings.leak_ngram,
    )
    items = [json.loads(line) for line in args.path.read_text(encoding="utf-8").splitlines() if line.strip()]
    passages = [clean_passage(i["passage"], rails.neutralise) for i in items]
    pvecs = index.embeddings.encode_passages(passages)
    svecs = index.embeddings.encode_passages([i["sentence"] for i in items])
    alone, full = [], []
    by_kind: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for item, passage, p, s in zip(items, passages, pvecs, svecs, strict=True):
        ok = test.supported(item["sentence"], [passage], [float(p @ s)])
        lang = item.get("lang") or detect_language(item["sentence"])
        reason = checks.check(AnswerSentence(item["sentence"], [1]), [passage], "", lang)
        alone.append((item["label"], ok))
        full.append((item["label"], reason is None))
        by_kind[f"{item['label']}/{item.get('kind', '-')}"].append((ok, reason is None))
    for name, rows in (("support test alone", alone), ("all output checks", full)):
        p, r, n = _pr(rows)
        print(f"{name:20s} n={n}  precision {p:.3f}  recall {r:.3f}")
    for lang in ("de", "en"):
        sub = [i for i, item in enumerate(items) if item.get("lang") == lang]
        if sub:
            pa, ra, _ = _pr([alone[i] for i in sub])
            pf, rf, _ = _pr([full[i] for i in sub])
            print(f"  {lang}: alone P {pa:.3f} R {ra:.3f} | all checks P {pf:.3f} R {rf:.3f} (n={len(sub)})")
    print("share kept per label/kind (support test alone | all output checks):")
    for kind, rows in sorted(by_kind.items()):
        print(
            f"  {kind:32s} n={len(rows):3d}  {sum(a for a, _ in rows) / len(rows):.2f} | "
            f"{sum(b for _, b in rows) / len(rows):.2f}"
        )


if __name__ == "__main__":
    main()
