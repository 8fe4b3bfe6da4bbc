"""Small text predicates shared by the writer's and the designer's checks."""

from __future__ import annotations

import re

__all__ = ["find_urls", "hashtags_in", "keyword_position", "normalise", "plain_words", "singular"]

_URL = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|ly|app|shop|store|info|biz|xyz)"
    r"(?:/\S*)?\b",
    re.IGNORECASE,
)
_DOT_TLD = re.compile(r"\.(?:com|net|org|io|co|ly|app|shop|store|info|biz|xyz)\b", re.IGNORECASE)
"""With ``://`` and ``www.`` (tested as plain substrings), a necessary condition for any
``_URL`` match, and several times cheaper to test: most text has none."""
_HASHTAG = re.compile(r"#(?<![\w#]#)\w+")
"""A ``#`` not after a word character or another ``#``, then a word. The ``#`` comes first so
the search skips to each ``#`` instead of testing a look-behind at every character."""
_NON_WORD = re.compile(r"[\W_]+")


def find_urls(text: str) -> list[str]:
    """URL-like substrings (with a scheme, ``www.``, or a bare common domain)."""
    if "://" not in text and "www." not in text.lower() and _DOT_TLD.search(text) is None:
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


def singular(word: str) -> str:
    """A casefolded English word with a plural ending reduced (blankets -> blanket, ideas ->
    idea, candies -> candy, dishes -> dish; glass, citrus and basis kept)."""
    if len(word) <= 3 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "zes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


def plain_words(text: str) -> list[str]:
    """The words of *text* as compared: casefolded, punctuation and hyphens splitting words,
    plurals reduced (:func:`singular`)."""
    return [singular(word) for word in normalise(text).split()]
