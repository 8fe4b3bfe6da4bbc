"""From a feed item to the messages the sync sends: a ``PinBrief`` for a new Pin (or for new copy
of a live one) and a ``PostUpdate`` for a link change or a move.

Ids are stable, so a message decided twice is the same message: a brief is
``{channel}.{item}.v{n}`` (the item id made safe for an id, with a short hash when it had to be
changed), an update ``{brief}.{r|l|a|b}{revision}`` (rewrite, link, archive, back), where the
revision is the sync run's time in milliseconds (later runs win).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from pinterest_agent.agents.catalog.items import FeedItem
from pinterest_agent.agents.catalog.mapping import Route
from pinterest_agent.agents.catalog.variations import LayoutName
from pinterest_agent.agents.messages import SCHEMA_VERSION, PinBrief, PostUpdate, UpdateTarget

__all__ = ["brief_for", "brief_id", "keywords_for", "summary_for", "update_message"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_ID_CHARS = 128  # agents.ids.ID_PATTERN
_UPDATE_SUFFIX = len(".r") + 13  # an update's ``.{letter}{revision in ms}``
MAX_KEYWORDS = 20


def item_slug(item_id: str) -> str:
    """``item_id`` as it may appear in a message id."""
    slug = _UNSAFE.sub("-", item_id).strip("-.") or "item"
    if slug == item_id and len(slug) <= 80:
        return slug
    digest = hashlib.blake2b(item_id.encode(), digest_size=5).hexdigest()
    return f"{slug[:60]}-{digest}"


def brief_id(channel_id: str, item_id: str, number: int) -> str:
    """The stable id of an item's ``number``-th Pin (and of its post). With a long channel id
    the item's part is shortened (with its hash) so that the id, and its updates' ids
    (``.r`` and a 13-digit revision after it), stay within the 128 characters of an id."""
    slug = item_slug(item_id)
    room = MAX_ID_CHARS - len(channel_id) - len(f"..v{number}") - _UPDATE_SUFFIX
    if len(slug) > room:
        digest = hashlib.blake2b(item_id.encode(), digest_size=5).hexdigest()
        slug = f"{slug[:max(room - 11, 0)]}-{digest}".lstrip("-")
    return f"{channel_id}.{slug}.v{number}"


def summary_for(item: FeedItem) -> str:
    """What the writer knows about the item: its description, and its price (copy may quote
    it, so a price change rewrites the Pin's copy)."""
    text = item.description or item.title
    if item.price and item.sale_price:
        text = f"{text}\n\nPrice: {item.sale_price} (on sale; regular price {item.price})."
    elif item.price:
        text = f"{text}\n\nPrice: {item.price}."
    return text[:4000]


def keywords_for(item: FeedItem, route: Route) -> list[str]:
    found: list[str] = list(route.keywords)
    if item.product_type:
        found.append(item.product_type.split(">")[-1].strip())
    found += [tag for tag in item.tags if ":" not in tag]
    cleaned = [k[:60].strip() for k in found if k.strip()]
    return list(dict.fromkeys(cleaned))[:MAX_KEYWORDS]


def brief_for(
    item: FeedItem, route: Route, *, channel_id: str, number: int, layout: LayoutName,
    images: tuple[str, ...], angle: str | None, avoid_titles: list[str],
    board_id: str | None, section_id: str | None, scheduled_at: datetime | None,
    update: UpdateTarget | None = None, update_id: str | None = None,
) -> PinBrief:
    return PinBrief(
        schema_version=SCHEMA_VERSION,
        brief_id=update_id or brief_id(channel_id, item.item_id, number),
        channel_id=channel_id,
        kind=route.kind,
        name=item.title,
        summary=summary_for(item),
        destination_url=item.link,
        source_image_urls=list(images[:5]),
        audience=route.audience,
        keywords=keywords_for(item, route),
        tone=route.tone,
        board_hint=route.board if board_id is None else None,
        board_id=board_id,
        board_section_id=section_id,
        scheduled_at=scheduled_at,
        publish=update is None,
        layout=layout,
        title_angle=angle,
        avoid_titles=avoid_titles[-20:],
        update_of=update,
    )


def update_message(
    *, update_id: str, channel_id: str, pin_id: str, revision: int, post_id: str,
    link: str | None = None, board_id: str | None = None, section_id: str | None = None,
) -> PostUpdate:
    return PostUpdate(
        schema_version=SCHEMA_VERSION, update_id=update_id, platform="pinterest",
        channel_id=channel_id, pin_id=pin_id, revision=revision, post_id=post_id, link=link,
        board_id=board_id, board_section_id=section_id,
    )
