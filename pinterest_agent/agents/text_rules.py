"""Small text predicates shared by the writer's and the designer's checks."""

from __future__ import annotations

import re

__all__ = ["find_urls", "hashtags_in", "keyword_position", "normalise"]

_URL = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|ly|app|shop|store|info|biz|xyz)"
    r"(?:/\S*)?\b",
    re.IGNORECASE,
)
_MAYBE_URL = re.compile(
    r"://|www\.|\.(?:com|net|org|io|co|ly|app|shop|store|info|biz|xyz)\b", re.IGNORECASE
)
"""A necessary condition for any ``_URL`` match, and 5x cheaper to test: most text has none."""
_HASHTAG = re.compile(r"(?<![\w#])#\w+")
_NON_WORD = re.compile(r"[\W_]+")


def find_urls(text: str) -> list[str]:
    """URL-like substrings (with a scheme, ``www.``, or a bare common domain)."""
    if _MAYBE_URL.search(text) is None:
        return []
    return [m.group(0).rstrip(".,;:!?)]'\"") for m in _URL.finditer(text)]


def hashtags_in(text: str) -> list[str]:
    return _HASHTAG.findall(text)


def normalise(text: str) -> str:
    """Casefolded words separated by single spaces (punctuation and hyphens dropped)."""
    return _NON_WORD.sub(" ", text.casefold()).strip()


def keyword_position(keyword: str, text: str) -> int | None:
    """Where ``keyword`` starts in ``text`` after normalising both, or ``None``."""
    needle, hay = normalise(keyword), normalise(text)
    if not needle:
        return None
    found = f" {hay} ".find(f" {needle} ")
    return found if found >= 0 else None
