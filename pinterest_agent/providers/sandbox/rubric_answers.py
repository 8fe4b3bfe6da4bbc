"""The sandbox LLM's answer for ``RubricVerdict`` (the workbench's model-graded rubric).

Deterministic, so an eval with a ``rubric`` assertion runs offline through the real ``openai``
client: the score is the share of the rubric's content words (four letters or more, a few common
words left out) that the graded output (the JSON inside ``<output>``) contains, after folding
case; the reason names the words found missing. A real judge model reads the rubric; this one
only counts, which is enough to exercise the path and to make a rubric that names what the output
lacks fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pinterest_agent.providers.sandbox.openai_compat import add_answer_builder, tagged_json
from pinterest_agent.providers.sandbox.routes import RouteRegistry

__all__ = ["register", "rubric_answer"]

_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
_COMMON = frozenset({
    "that", "this", "with", "from", "have", "each", "must", "should", "into", "than", "then",
    "they", "them", "their", "there", "what", "when", "which", "while", "would", "about",
    "answer", "output", "does", "make", "makes", "reads", "read", "uses", "using", "only",
    "name", "names", "mention", "mentions", "include", "includes", "state", "states",
})


def rubric_answer(rubric: str, output: Any) -> dict[str, Any]:
    """``{"score", "reason"}`` for ``rubric`` against the graded ``output``."""
    wanted = list(dict.fromkeys(w.casefold() for w in _WORD.findall(rubric)
                                if w.casefold() not in _COMMON))
    text = json.dumps(output, ensure_ascii=False).casefold()
    missing = [w for w in wanted if w not in text]
    score = 1.0 if not wanted else round((len(wanted) - len(missing)) / len(wanted), 3)
    reason = ("The output covers every point of the rubric." if not missing else
              f"The output does not mention: {', '.join(missing[:8])}.")
    return {"score": score, "reason": reason[:600]}


def _build(messages: list[Mapping[str, Any]], json_schema: Mapping[str, Any]) -> dict[str, Any]:
    rubric = tagged_json(messages, "rubric")
    output = tagged_json(messages, "output")
    return rubric_answer(rubric if isinstance(rubric, str) else "", output)


def register(registry: RouteRegistry) -> None:
    """No routes of its own: it teaches the OpenAI-compatible route the rubric answer."""
    add_answer_builder("RubricVerdict", _build)
