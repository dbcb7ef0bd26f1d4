"""Optional LLM self-check for the input rails.

When an LLM backend is configured, a rail whose classifier score lies near its threshold
(within a margin in log-odds: the uncertain band) gets a second opinion from the same model
that writes the answers; the model's verdict decides that rail. Pattern hits are never
overruled: they are precise by construction. The model only ever sees the redacted question
(no personal data leaves the machine), and any failure (network, timeout, HTTP error,
unparsable reply) leaves the classifier's decision standing; the model is reached through the
answers' client (``llm.ChatClient``), with the same deadline and failure handling.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from .llm import LLMUnavailable
from .rails import ACTIONS, InputCheck, RailHit, Rails

# The rails a classifier decides; pii is pattern-only and never needs a second opinion.
CHECKED = ("decision", "legal", "anthropomorphism", "out_of_scope", "injection")
_JSON = re.compile(r"\{.*\}", re.S)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


@dataclass
class SelfCheckResult:
    """What the self-check did for one question (recorded in the trace)."""

    asked: list[str] = field(default_factory=list)  # rails in the uncertain band
    verdict: list[str] | None = None  # rails the model named; None when it failed
    error: str = ""


class LLMSelfCheck:
    """Second opinion from a chat model on rails whose classifier score is uncertain."""

    def __init__(self, client: Any, prompt_text: str, rails: Rails, margin: float = 1.0) -> None:
        from langchain_core.prompts import ChatPromptTemplate

        system, _, human = prompt_text.partition("\n---\n")
        self.prompt = ChatPromptTemplate.from_messages([("system", system), ("human", human)])
        self.client = client  # the answers' ``llm.ChatClient``: same deadline and failure handling
        self.rails = rails
        self.margin = margin
        self.names = [n for n in CHECKED if n in rails.rails]
        self._catalogue = "\n".join(f"- {n}: {rails.rails[n].description}" for n in self.names)

    def uncertain(self, check: InputCheck) -> list[str]:
        """Rails not fired by a pattern whose classifier score is near the threshold: within
        ``margin`` in log-odds, so the band is as wide in odds for a low threshold as for a high one."""
        by_pattern = {h.name for h in check.hits if h.via == "pattern"}
        return [
            n
            for n in self.names
            if n not in by_pattern
            and abs(_logit(check.scores.get(n, 0.0)) - _logit(self.rails.rails[n].threshold)) <= self.margin
        ]

    def judge(self, text: str) -> list[str]:
        """Rails the model assigns to ``text``; raises ``ValueError`` on an unusable reply."""
        reply = self.client.complete(self.prompt.invoke({"rails": self._catalogue, "message": text}))
        found = _JSON.search(reply)
        if not found:
            raise ValueError(f"no JSON in the model's reply: {reply[:80]!r}")
        names = json.loads(found.group(0)).get("rails")
        if not isinstance(names, list):
            raise ValueError("the model's reply has no 'rails' list")
        return [n for n in names if n in self.names]

    def review(self, check: InputCheck) -> SelfCheckResult:
        """Let the model decide the uncertain rails of ``check`` (modified in place)."""
        result = SelfCheckResult(asked=self.uncertain(check))
        if not result.asked:
            return result
        try:
            verdict = self.judge(check.search or check.question)
        except LLMUnavailable as exc:  # timeout, refused, HTTP error, broken stream: the classifier decides
            result.error = str(exc)[:200]
            return result
        except ValueError as exc:  # an unusable reply
            result.error = f"unusable reply: {exc}"[:200]
            return result
        result.verdict = verdict
        asked = set(result.asked)
        check.hits = [h for h in check.hits if h.name not in asked or h.name in verdict]
        for name in result.asked:
            if name in verdict and not check.fired(name):
                check.hits.append(RailHit(name, check.scores.get(name, 0.0), ACTIONS[name], "llm"))
        return result


def make_self_check(settings: Any, rails: Rails, client: Any) -> LLMSelfCheck | None:
    """The self-check over ``client`` (the answers' ``llm.ChatClient``), or None when no external
    model is configured or the check is switched off."""
    if client is None or not settings.rail_self_check:
        return None
    prompt = (settings.prompts_dir / "rail_check.md").read_text(encoding="utf-8")
    return LLMSelfCheck(client, prompt, rails, settings.rail_self_check_margin)
