"""An independent judge of what a model's text states: URLs, prices, numbers and claims the
brief does not. Written apart from the project's own guards (``agents/grounding.py``,
``agents/writer.py``) and importing none of them, so a guard's blind spot is not the judge's too;
used by the real-model tier (``tests/test_real_model.py``) and ``benchmarks/real_model.py``."""

from __future__ import annotations

import json
import re

from pinterest_agent.agents.messages import PinBrief
from pinterest_agent.agents.writer import PinCopy

__all__ = ["copy_texts", "ungrounded"]

_URL = re.compile(r"https?://\S+|www\.\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|io|co|shop)\b",
                  re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_PRICE = re.compile(r"[$€£¥]\s?\d|\d\s?(?:usd|eur|gbp|dollars?|euros?)\b", re.IGNORECASE)
_CLAIMS = ("organic", "eco-friendly", "eco friendly", "sustainable", "non-toxic", "vegan",
           "gluten-free", "made in", "handmade", "hand-made", "award", "best-selling",
           "bestselling", "#1", "clinically", "guarantee", "free shipping", "cotton", "wool",
           "leather", "bamboo", "silk", "cashmere", "certified", "limited time", "sale")


def _brief_text(brief: PinBrief) -> str:
    return json.dumps(brief.model_dump(mode="json"), ensure_ascii=False).casefold()


def ungrounded(texts: list[str], brief: PinBrief) -> list[str]:
    """What the texts state that the brief does not: URLs (but its link), prices, numbers and
    claims from a fixed list, each as found."""
    source = _brief_text(brief)
    source_numbers = {n.replace(",", ".") for n in _NUMBER.findall(source)}
    found: list[str] = []
    for text in texts:
        lowered = text.casefold()
        found += [f"url {u}" for u in _URL.findall(text)
                  if u.rstrip(".,;:!?)").casefold() not in source]
        found += [f"price {p}" for p in _PRICE.findall(text) if p.casefold() not in source]
        found += [f"number {n}" for n in _NUMBER.findall(text)
                  if n.replace(",", ".") not in source_numbers]
        found += [f"claim {c}" for c in _CLAIMS if c in lowered and c not in source]
    return found


def copy_texts(copy: PinCopy) -> list[str]:
    return [copy.title, copy.description, copy.alt_text, *copy.keywords, *copy.hashtags]


