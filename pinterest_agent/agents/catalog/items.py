"""What a feed is made of: :class:`FeedItem` (one product or article, in the Google Merchant /
Pinterest catalog vocabulary), :class:`FeedProblem` (a row that could not be used, with where and
why) and :class:`ParsedFeed` (both, for one read of a feed).

Every text an item's Pins are written from is plain text (:func:`agents.plain_text.plain_text`):
tags stripped, character references decoded, whitespace normalised, whatever the format; ids
are kept as given (control characters removed), so an item's id never changes with it.

An item's *content* hash covers the fields its Pins' copy and link are made from (title,
description, link, price, availability, and the sale price when there is one); its *image* hash
covers its image URLs. The sync compares both with what it stored to tell new, changed,
re-imaged and unchanged items apart.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pinterest_agent.agents.plain_text import plain_text

__all__ = [
    "AVAILABILITY",
    "Availability",
    "FeedItem",
    "FeedProblem",
    "ParsedFeed",
    "clean_id",
    "clean_line",
    "clean_text",
]

Availability = Literal["in_stock", "out_of_stock", "preorder", "backorder"]
AVAILABILITY: dict[str, Availability] = {
    "in stock": "in_stock", "in_stock": "in_stock", "instock": "in_stock",
    "available": "in_stock", "true": "in_stock",
    "out of stock": "out_of_stock", "out_of_stock": "out_of_stock",
    "outofstock": "out_of_stock", "sold out": "out_of_stock", "false": "out_of_stock",
    "discontinued": "out_of_stock",
    "preorder": "preorder", "pre-order": "preorder", "pre_order": "preorder",
    "backorder": "backorder", "back order": "backorder", "back_order": "backorder",
}
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _drop_controls(text: str, keep: str) -> str:
    if text.isprintable():  # the usual case: no control, format (bidi) or surrogate character
        return text
    return "".join(c for c in text if c in keep or (
        c not in _BIDI and unicodedata.category(c) not in ("Cc", "Cs")))


def clean_text(text: str | None) -> str:
    """Feed prose as plain text for a brief: markup stripped and character references decoded
    (:func:`~agents.plain_text.plain_text`), control characters and bidi overrides removed, runs
    of spaces collapsed and blank lines dropped."""
    lines = _drop_controls(plain_text(text, one_line=False), "\n").splitlines()
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())


def clean_line(text: str | None) -> str:
    """Feed text on one line (titles, names, tags) as plain text; raises
    :class:`~agents.plain_text.LineSeparatorError` for U+2028 or U+2029."""
    return " ".join(_drop_controls(plain_text(text, one_line=True), "").split())


def clean_id(text: str | None) -> str:
    """An id as given, on one line: control characters removed, never read as HTML."""
    return " ".join(_drop_controls(text or "", "").split())


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One product or article of a feed."""

    item_id: str
    title: str
    link: str
    description: str = ""
    image_link: str | None = None
    additional_image_links: tuple[str, ...] = ()
    price: str | None = None
    """Normalised ``<amount> <ISO 4217 code>`` (``15.00 USD``; a Shopify price is the amount)."""
    sale_price: str | None = None
    """Below ``price``, in its currency, when the feed gives one (Merchant's ``sale_price``)."""
    availability: Availability = "in_stock"
    product_type: str | None = None
    google_product_category: str | None = None
    item_group_id: str | None = None
    tags: tuple[str, ...] = ()
    kind: Literal["product", "article"] = "product"
    published_at: datetime | None = None
    position: str = ""
    """Where it came from, for reports: ``line 12`` or ``item 3``."""

    @property
    def images(self) -> tuple[str, ...]:
        """Every image, the main one first, each once."""
        seen: dict[str, None] = {}
        for url in (self.image_link, *self.additional_image_links):
            if url:
                seen.setdefault(url, None)
        return tuple(seen)

    @property
    def available(self) -> bool:
        return self.availability != "out_of_stock"

    def _sale(self) -> tuple[str, ...]:
        # only when there is one: the hashes of items without a sale price stay as they were
        return (self.sale_price,) if self.sale_price else ()

    def content_hash(self) -> str:
        """Of the fields a Pin's copy and link come from (12 hex digits)."""
        text = "\x1f".join((self.title, self.description, self.link, self.price or "",
                            self.availability, *self._sale()))
        return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()

    def copy_hash(self) -> str:
        """Of the fields a Pin's copy is written from (title, description, price, sale
        price)."""
        text = "\x1f".join((self.title, self.description, self.price or "", *self._sale()))
        return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()

    def image_hash(self) -> str:
        return hashlib.blake2b("\x1f".join(self.images).encode(), digest_size=4).hexdigest()

    def fields(self) -> dict[str, str]:
        """The content fields by name (what a change is reported in)."""
        fields = {"title": self.title, "description": self.description, "link": self.link,
                  "price": self.price or "", "availability": self.availability}
        if self.sale_price:
            fields["sale_price"] = self.sale_price
        return fields


@dataclass(frozen=True, slots=True)
class FeedProblem:
    """A row or item the sync could not use; the sync goes on without it."""

    position: str
    reason: str
    item_id: str | None = None

    def __str__(self) -> str:
        who = f" (id {self.item_id})" if self.item_id else ""
        return f"{self.position}{who}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed read once: its format, usable items (in feed order), problems, and the text
    encoding it was read in (``utf-8``, ``cp1252 (detected)``, ``iso-8859-1 (declared)``)."""

    format: str
    items: tuple[FeedItem, ...]
    problems: tuple[FeedProblem, ...] = field(default=())
    encoding: str = "utf-8"
