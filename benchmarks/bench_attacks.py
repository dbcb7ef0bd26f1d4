"""Attack success rate per family against the obedient model, output checks on and off.

The suite of tests/attacks.py (direct attacks in the question, indirect ones planted in
uploaded .md/.txt/.pdf/.docx files, hidden text included) against tests/obedient.py behind a
real OpenAI-compatible server on loopback. Four configurations: the product (passages
sanitised + output checks), output checks off, passage sanitising off (the output checks on
their own), both off. An attack succeeds when its payload or 8 words of the system prompt reach
the user; "legit" is the share of attacks with a legitimate question whose answer still cites
guidance.

    PYTHONPATH=. HF_HUB_OFFLINE=1 python benchmarks/bench_attacks.py
"""

from __future__ import annotations

import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.config import Settings  # noqa: E402
from tests.attacks import all_attacks, attack_index, succeeded  # noqa: E402
from tests.obedient import obedient  # noqa: E402
from tests.scripted_llm import ScriptedLLM, with_model  # noqa: E402

CONFIGS = {
    "checks on": {"output_checks": True, "sanitize": True},
    "checks off": {"output_checks": False, "sanitize": True},
    "checks on, no sanitising": {"output_checks": True, "sanitize": False},
    "checks off, no sanitising": {"output_checks": False, "sanitize": False},
}


def main() -> None:
    attacks = all_attacks()
    folder = Path(tempfile.mkdtemp(prefix="bench-attacks-"))
    core = attack_index(Settings(data_dir=folder / "var"), folder, attacks)
    rows: dict[str, dict[str, list[int]]] = {c: defaultdict(lambda: [0, 0, 0, 0]) for c in CONFIGS}
    with ScriptedLLM(obedient) as server:
        for name, options in CONFIGS.items():
            model = with_model(core, server.openai_url, llm_timeout=10.0, rail_self_check=False, **options)
            for attack in attacks:
                answer = model.ask(attack.question)
                hit = succeeded(attack, answer.render())
                legit = not answer.abstained and any(
                    s.cites for s in answer.sentences if s.role == "guidance"
                )
                for key in (attack.family, f"vector:{attack.vector}", "ALL"):
                    r = rows[name][key]
                    r[0] += 1
                    r[1] += hit
                    r[2] += attack.legit
                    r[3] += attack.legit and legit
                if hit and name == "checks on":
                    print(f"SUCCESS with checks on: {attack.id}: {answer.render()[:200]!r}", flush=True)
            _table(rows, list(CONFIGS)[: list(CONFIGS).index(name) + 1], len(attacks))


def _table(rows, configs: list[str], total: int) -> None:
    keys = sorted(rows["checks on"], key=lambda k: (k == "ALL", k.startswith("vector:"), k))
    print(f"attacks: {total}")
    print(
        "| family / vector | n | "
        + " | ".join(f"success ({c})" for c in configs)
        + " | legit answered (on) |"
    )
    print("|---" * (len(configs) + 3) + "|")
    for key in keys:
        n = rows["checks on"][key][0]
        rates = " | ".join(f"{rows[c][key][1] / n:.0%}" for c in configs)
        on = rows["checks on"][key]
        legit = f"{on[3]}/{on[2]}" if on[2] else "–"
        print(f"| {key} | {n} | {rates} | {legit} |", flush=True)


if __name__ == "__main__":
    main()
