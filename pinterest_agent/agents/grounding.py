"""Grounding: what a Pin's words state that its brief does not.

A real model invents facts: asked for a linen throw's copy, a small model wrote "eco-friendly
cotton ... Made in USA", none of which the brief says. The writer and the designer send such an
answer back (the seam's one repair round, then ``llm_output_invalid``) with the sentences of
:func:`grounding_problems`. Four kinds of statement must come from the brief::

    url     a URL or bare domain (``text_rules.find_urls``): grounded when the brief's text
            contains it (scheme, ``www.`` and a trailing slash aside)
    price   a currency amount ($19.99, 19,99 EUR, 20 dollars): grounded when the brief states a
            price of the same amount
    number  digits anywhere (5 minutes, 100%, 3-pack, 2-in-1, 2026, #Top10) and number words
            before a unit (five minutes, two-pack, a dozen cookies): grounded when the same
            value appears anywhere in the brief, as digits or as a word
    claim   a term of :data:`CLAIMS` (materials, certifications and diets, origins and craft,
            superlatives, offers) or "made in <Country>": grounded when the brief uses the same
            term, case, hyphens and plurals aside ("Eco friendly" matches "eco-friendly")

Hashtags are read with their words split (``#MadeInUSA`` is "Made In USA"). The brief's text is
what the model was given about the item: name, summary, audience, keywords, tone and the
destination URL. The lexicon is English and curated: a term that is also an everyday word
("natural", "glass", "down") is left out, since flagging it would send good copy back; a term
missing from it is not caught. Grounding never rewrites copy: it only names what to drop.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from pinterest_agent.agents.messages import PinBrief
from pinterest_agent.agents.text_rules import find_urls, singular

__all__ = [
    "CLAIMS",
    "Grounds",
    "Kind",
    "Ungrounded",
    "brief_grounds",
    "grounding_problems",
]

Kind = Literal["url", "price", "number", "claim"]

CLAIMS: Mapping[str, tuple[str, ...]] = {
    # What a thing is made of: a buyer relies on it, a model guesses it from the picture.
    "material": (
        "cotton", "linen", "flax", "wool", "merino", "cashmere", "alpaca", "mohair", "silk",
        "satin", "velvet", "fleece", "leather", "faux leather", "vegan leather", "suede",
        "denim", "polyester", "nylon", "acrylic", "spandex", "elastane", "microfiber",
        "microfibre", "bamboo", "hemp", "jute", "rattan", "wicker", "teak", "oak", "walnut",
        "acacia", "marble", "granite", "ceramic", "porcelain", "stoneware", "terracotta",
        "stainless steel", "cast iron", "copper", "brass", "aluminium", "aluminum",
        "sterling silver", "solid gold", "titanium", "silicone",
    ),
    # Certifications, health and diet: claims a seller must be able to prove.
    "certification": (
        "organic", "eco friendly", "environmentally friendly", "sustainable", "sustainably",
        "ethically sourced", "fair trade", "non toxic", "toxin free", "chemical free",
        "bpa free", "all natural", "non gmo", "vegan", "vegetarian", "plant based",
        "gluten free", "dairy free", "sugar free", "nut free", "keto", "paleo", "low carb",
        "hypoallergenic", "cruelty free", "dermatologist tested", "recycled", "recyclable",
        "biodegradable", "compostable", "plastic free", "zero waste", "certified", "oeko tex",
        "gots", "fsc", "usda", "fda approved", "waterproof", "water resistant",
        "dishwasher safe", "microwave safe", "oven safe", "machine washable",
    ),
    # Where and how it was made ("made in <Country>" is matched separately).
    "origin": (
        "handmade", "hand made", "handcrafted", "hand crafted", "hand woven", "hand thrown",
        "hand painted", "artisan", "locally made", "locally sourced", "imported",
        "family owned",
    ),
    # Superlatives and proof nobody gave.
    "superlative": (
        "award winning", "bestselling", "best selling", "bestseller", "best seller",
        "number one", "top rated", "clinically proven", "scientifically proven",
        "doctor recommended", "dermatologist recommended", "patented", "guaranteed",
        "guarantee", "money back", "warranty",
    ),
    # Offers: a price promise the shop may not make.
    "offer": (
        "free shipping", "free delivery", "free returns", "limited time", "limited edition",
        "limited stock", "on sale", "sale", "discount", "lowest price", "cheapest",
        "clearance",
    ),
}
"""The curated lexicon of claims, by family. Matched as whole words after casefolding,
dropping punctuation and hyphens, and reducing plurals ("cottons" is "cotton")."""

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
    "dozen": 12, "half": 0.5, "single": 1, "double": 2, "triple": 3,
}
_UNITS = frozenset({
    "second", "sec", "minute", "min", "hour", "hr", "day", "night", "week", "month", "year",
    "decade", "mm", "cm", "m", "km", "inch", "ft", "foot", "feet", "yard", "metre", "meter", "kg",
    "g", "lb", "pound", "oz", "ounce", "ml", "l", "litre", "liter", "cup", "tablespoon", "tbsp",
    "teaspoon", "tsp", "serving", "serve", "portion", "person", "people", "guest", "piece", "pc",
    "pack", "set", "pair", "layer", "tier", "step", "ingredient", "way", "idea", "tip", "trick",
    "color", "colour", "size", "shade", "style", "pattern", "design", "percent", "star", "seat",
    "drawer", "shelf", "pocket", "room", "bedroom",
})
_COUNTING = frozenset({"serve", "feed", "sleep", "seat"})
"""What a number word must come before ("five minutes", "two-pack") or after ("serves six") to
count as a stated quantity; "one" or "two" elsewhere ("one pot", "the two of us") is prose."""

_CURRENCY = r"(?:US\$|A\$|C\$|NZ\$|[$€£¥₹])"
_CURRENCY_WORD = r"(?:USD|EUR|GBP|CAD|AUD|JPY|INR|dollars?|euros?|cents?|bucks)"
_AMOUNT = re.compile(r"\d+(?:[.,]\d{3})*(?:[.,]\d{1,2})?")
_PRICE = re.compile(
    rf"{_CURRENCY}\s?{_AMOUNT.pattern}|{_AMOUNT.pattern}\s?(?:{_CURRENCY}|{_CURRENCY_WORD}\b)",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?")
_AFTER_NUMBER = re.compile(r"\s?-?(%|[^\W\d_]+)")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)"
                    r"|(?<=\d)(?=[A-Za-z])")
_RANKED = re.compile(r"#\s?1\b|\bno\.\s?1\b", re.IGNORECASE)
_MADE_IN = re.compile(r"\b(?i:made\s+in)\s+(?:(?i:the)\s+)?([A-Z][^\W_]*)")
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Ungrounded:
    """One statement of the copy that the brief does not make."""

    kind: Kind
    text: str
    """As written in the copy (``"Made in USA"``, ``"$19.99"``, ``"5 minutes"``)."""

    def describe(self) -> str:
        return f"{self.text!r} ({self.kind})"


def _words(text: str) -> list[str]:
    """Casefolded words, plurals reduced; hyphens, apostrophes and punctuation split words."""
    return [singular(w) for w in _WORD.findall(text.casefold())]


def _split_hashtags(text: str) -> str:
    """``#MadeInUSA`` becomes ``#Made In USA`` so its words can be read."""
    return _HASHTAG.sub(lambda m: "#" + _CAMEL.sub(" ", m.group(1)), text)


def _value(raw: str) -> str:
    """A number's value in one form: "1,000" and "1000" agree, "19,99" is 19.99, "20.00" is 20."""
    text = raw
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        text = text.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?", text):
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", ".")
    try:
        return format(Decimal(text).normalize(), "f")
    except InvalidOperation:
        return raw


def _price_value(price: str) -> str:
    amount = _AMOUNT.search(price)
    return _value(amount.group(0)) if amount else price


def _word_values(text: str, *, needs_unit: bool) -> Iterable[tuple[str, str]]:
    """``(as written, value)`` of the number words of ``text`` ("twenty-five" is one, 25)."""
    written = _WORD.findall(text.casefold())
    words = [singular(w) for w in written]
    index = 0
    while index < len(words):
        if words[index] not in _NUMBER_WORDS:
            index += 1
            continue
        value = _NUMBER_WORDS[words[index]]
        end = index + 1
        if 20 <= value < 100 and end < len(words) and 0 < _NUMBER_WORDS.get(words[end], 0) < 10:
            value += _NUMBER_WORDS[words[end]]
            end += 1
        has_unit = end < len(words) and words[end] in _UNITS
        counted = has_unit or (index > 0 and words[index - 1] in _COUNTING)
        if counted or not needs_unit:
            yield " ".join(written[index:end + 1] if has_unit else written[index:end]), \
                _value(str(value))
        index = end


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    size = len(needle)
    return size > 0 and any(haystack[i:i + size] == needle
                            for i in range(len(haystack) - size + 1))


_TERMS: tuple[list[str], ...] = tuple(
    _words(term) for family in CLAIMS.values() for term in family
)


class Grounds:
    """The facts of a brief, indexed once: its text, words, numbers, prices and ranks."""

    def __init__(self, text: str) -> None:
        self.text = " ".join(text.split())
        self._bare = _bare(self.text)
        self._words = _words(_split_hashtags(self.text))
        self._prices = {_price_value(m.group(0)) for m in _PRICE.finditer(self.text)}
        self._numbers = {_value(m.group(0)) for m in _DIGITS.finditer(self.text)}
        self._numbers |= {value for _, value in _word_values(self.text, needs_unit=False)}
        self._ranked = bool(_RANKED.search(self.text)) or _contains(self._words,
                                                                   ["number", "one"])

    def ungrounded(self, text: str) -> list[Ungrounded]:
        """What ``text`` states that the brief does not, in the order of the checks."""
        text = _split_hashtags(" ".join(text.split()))
        found: list[Ungrounded] = []
        spans: list[tuple[int, int]] = []

        def taken(start: int, end: int) -> bool:
            return any(start < s_end and s_start < end for s_start, s_end in spans)

        position = 0
        for url in find_urls(text):
            start = text.find(url, position)
            position = start + len(url)
            spans.append((start, position))
            if _bare(url) not in self._bare:
                found.append(Ungrounded("url", url))
        for match in _PRICE.finditer(text):
            if not taken(*match.span()):
                spans.append(match.span())
                if _price_value(match.group(0)) not in self._prices:
                    found.append(Ungrounded("price", match.group(0).strip()))
        for match in _RANKED.finditer(text):
            if not taken(*match.span()):
                spans.append(match.span())
                if not self._ranked:
                    found.append(Ungrounded("claim", match.group(0)))
        for match in _MADE_IN.finditer(text):
            spans.append(match.span())
            country = _words(match.group(1))
            if not (_contains(self._words, ["made", "in", *country])
                    or _contains(self._words, ["made", "in", "the", *country])):
                found.append(Ungrounded("claim", match.group(0)))
        for match in _DIGITS.finditer(text):
            if taken(*match.span()) or _value(match.group(0)) in self._numbers:
                continue
            after = _AFTER_NUMBER.match(text, match.end())
            unit = after is not None and (after.group(1) == "%"
                                          or singular(after.group(1).casefold()) in _UNITS)
            found.append(Ungrounded("number", text[match.start():after.end()].strip()
                                    if unit and after is not None else match.group(0)))
        free = "".join(" " if taken(i, i + 1) else ch for i, ch in enumerate(text))
        for written, value in _word_values(free, needs_unit=True):
            if value not in self._numbers:
                found.append(Ungrounded("number", written))
        words = _words(free)
        for term in _TERMS:
            if _contains(words, term) and not _contains(self._words, term):
                found.append(Ungrounded("claim", " ".join(term)))
        return _deduplicated(found)


def _bare(text: str) -> str:
    """Casefolded, without URL schemes, ``www.`` or slashes before a space or the end."""
    folded = re.sub(r"\b[a-z][a-z0-9+.-]*://", "", text.casefold())
    return re.sub(r"/+(?=\s|$)", "", folded.replace("www.", ""))


def _deduplicated(found: list[Ungrounded]) -> list[Ungrounded]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for item in found:
        key = (item.kind, item.text.casefold())
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def brief_grounds(brief: PinBrief) -> Grounds:
    """The brief's facts as the model was given them: name, summary, audience, keywords, tone
    and the destination URL."""
    parts = [brief.name, brief.summary, brief.audience or "", *brief.keywords, brief.tone or "",
             brief.destination_url]
    return Grounds(" \n ".join(parts))


def grounding_problems(fields: Mapping[str, str | Sequence[str]], grounds: Grounds) -> list[str]:
    """One sentence per field stating what the brief does not, for the repair round."""
    problems = []
    for field, value in fields.items():
        text = value if isinstance(value, str) else " ".join(value)
        found = grounds.ungrounded(text)
        if found:
            listed = ", ".join(item.describe() for item in found)
            problems.append(
                f"{field} states what the brief does not: {listed}; write only facts the brief "
                "gives (no invented materials, certifications, origins, prices, numbers or links)"
            )
    return problems
