"""What the insight keeps of each Pin between runs: :class:`PinRecord`.

A record holds the Pin's metadata as the listing gave it (id, title, description, link,
``created_at`` in UTC, board, media type, the largest image URL) and its content category with
who decided it. It is what :mod:`agents.insights.pin_cache` stores per channel, so a warm run
lists only the newest Pins and categorises a Pin once: ``text_hash`` (of the title and the
description) changes when either is edited, and an edited Pin is categorised again.

``category_by`` says who decided ``category``: ``"llm"`` (the model) or the rules' version
(:data:`agents.insights.categories.RULES_VERSION`); ``rules_category`` keeps the rules' answer
next to the model's, so disagreements stay visible (:mod:`agents.insights.categorizer`).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, field_validator

from pinterest_agent.agents.insights.categories import Category
from pinterest_agent.providers.pinterest.models import Pin

__all__ = ["LLM_SOURCE", "PinRecord", "image_url_of", "text_hash"]

LLM_SOURCE = "llm"
"""``category_by`` of a category the model decided."""


def text_hash(title: str | None, description: str | None) -> str:
    """A short digest of a Pin's title and description: the key its category is cached under."""
    raw = f"{title or ''}\x1f{description or ''}".encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def image_url_of(media: dict[str, Any] | None) -> str | None:
    """The largest image Pinterest lists in a Pin's ``media.images`` (http or https), if any."""
    images = (media or {}).get("images")
    if not isinstance(images, dict):
        return None
    best: tuple[int, str] | None = None
    for entry in images.values():
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            width = entry.get("width")
            size = width if isinstance(width, int) else 0
            if entry["url"].lower().startswith(("https://", "http://")) and (
                    best is None or size > best[0]):
                best = (size, entry["url"])
    return best[1] if best else None


class PinRecord(BaseModel):
    """One Pin of a channel, as cached between insight runs (JSON-serialisable)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    title: str | None = None
    description: str | None = None
    link: str | None = None
    created_at: datetime | None = None
    """UTC (Pinterest's timestamps carry no offset and are UTC)."""
    board_id: str | None = None
    media_type: str | None = None
    image_url: str | None = None
    text_hash: str
    category: Category | None = None
    category_by: str | None = None
    rules_category: Category | None = None

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @classmethod
    def from_pin(cls, pin: Pin) -> Self:
        """The record of a listed Pin (not yet categorised)."""
        media = pin.media or {}
        media_type = media.get("media_type")
        return cls(
            id=pin.id, title=pin.title, description=pin.description, link=pin.link,
            created_at=pin.created_at, board_id=pin.board_id,
            media_type=media_type if isinstance(media_type, str) else None,
            image_url=image_url_of(media), text_hash=text_hash(pin.title, pin.description),
        )

    def same_metadata(self, other: PinRecord) -> bool:
        """Whether ``other`` says the same about the Pin (categories aside)."""
        return self.model_dump(exclude=_CATEGORY_FIELDS) == other.model_dump(
            exclude=_CATEGORY_FIELDS)

    def categorised(self, category: Category, by: str, rules: Category) -> Self:
        """This record with its category decided by ``by`` (and the rules' answer kept)."""
        return self.model_copy(
            update={"category": category, "category_by": by, "rules_category": rules}
        )

    def carrying(self, earlier: PinRecord) -> Self:
        """This (freshly listed) record with ``earlier``'s category when the text is unchanged."""
        if earlier.text_hash != self.text_hash or earlier.category is None:
            return self
        return self.model_copy(update={"category": earlier.category,
                                       "category_by": earlier.category_by,
                                       "rules_category": earlier.rules_category})


_CATEGORY_FIELDS = {"category", "category_by", "rules_category"}
