"""LLM-judged faithfulness and correctness for the eval (a model's opinion, marked as judged).

Asked through the answers' client (``llm.ChatClient``), prompt in ``prompts/judge.md``; a
failing or unusable reply gives no score for that item (never a guessed one).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .llm import LLMUnavailable

_JSON = re.compile(r"\{.*?\}", re.S)
JUDGED = ("faithfulness", "correctness")


class LLMJudge:
    """Scores one answer against its cited passages and the reference answer."""

    def __init__(self, client: Any, prompts_dir: Path) -> None:
        from langchain_core.prompts import ChatPromptTemplate

        text = (prompts_dir / "judge.md").read_text(encoding="utf-8")
        system, _, human = text.partition("\n---\n")
        self.prompt = ChatPromptTemplate.from_messages([("system", system), ("human", human)])
        self.client = client

    def score(self, question: str, answer: Any, reference: str) -> dict[str, float]:
        """``{"judged_faithfulness": x, "judged_correctness": y}``, or {} when the model fails."""
        passages = "\n\n".join(f"[{c.n}] {c.text}" for c in answer.citations)
        inputs = {"question": question, "answer": answer.text, "passages": passages, "reference": reference}
        try:
            reply = self.client.complete(self.prompt.invoke(inputs))
            found = _JSON.search(reply)
            data = json.loads(found.group(0)) if found else {}
        except (LLMUnavailable, ValueError):
            return {}
        return {
            f"judged_{k}": min(max(float(data[k]), 0.0), 1.0)
            for k in JUDGED
            if isinstance(data.get(k), int | float)
        }
