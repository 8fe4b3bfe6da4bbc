"""What the sync remembers per item, and the store it keeps it in (a Protocol: Redis in
``queues/stores/catalogs.py``).

Per channel the store keeps, for every item ever synced, a short *fingerprint* (read for every
item, so a sync of an unchanged feed reads nothing else) and the full :class:`ItemState` (read
only for items whose fingerprint says something is to do). The fingerprint is
``content:image:status:due:dirty``:

- ``content`` and ``image``: the item's hashes when last synced;
- ``status``: ``a`` available, ``u`` out of stock, ``r`` removed from the feed;
- ``due``: when its next variation is due (epoch seconds, 0 when none will be);
- ``dirty``: ``1`` while one of its Pins still has to be updated to the item's content (its Pin
  was not published yet when the item changed).

An *outbox* holds the messages a sync decided to send, written in the same transaction as the
states that decided them, and emptied as each is enqueued, so an interrupted sync sends each
message once when run again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CatalogStore",
    "Fingerprint",
    "ItemState",
    "OutboxEntry",
    "Status",
    "VariationState",
]

Status = Literal["a", "u", "r"]


@dataclass(frozen=True, slots=True)
class Fingerprint:
    content: str
    image: str
    status: Status
    due: int
    dirty: bool

    def dump(self) -> str:
        return f"{self.content}:{self.image}:{self.status}:{self.due}:{int(self.dirty)}"

    @classmethod
    def load(cls, raw: str) -> Fingerprint:
        content, image, status, due, dirty = raw.split(":")
        known: Status = "a" if status == "a" else "u" if status == "u" else "r"
        return cls(content, image, known, int(due), dirty == "1")


class VariationState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    n: int
    brief_id: str
    layout: str
    image: str
    angle: str | None = None
    board: str | None = None
    at: datetime
    copy_hash: str
    """The item's copy hash (title, description, price) this Pin's copy was written from."""
    link: str
    """The link this Pin carries."""
    pin_id: str | None = None
    title: str | None = None
    archived: bool = False


class ItemState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    item_id: str
    content: str
    copy_hash: str
    image: str
    status: Status = "a"
    fields: dict[str, str] = Field(default_factory=dict)
    board: str | None = None
    variations: list[VariationState] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One message to send: ``target`` ``writer`` (a PinBrief) or ``update`` (a PostUpdate)."""

    entry_id: str
    target: Literal["writer", "update"]
    payload: Mapping[str, Any]
    board: str | None = None
    """For a new Pin: the planner's board (its calendar key; '' the default board)."""


class CatalogStore(Protocol):
    def fingerprints(self, channel_id: str, item_ids: Sequence[str]) -> list[str | None]:
        """The stored fingerprint of each item (None: never synced), in one round trip."""
        ...

    def states(self, channel_id: str, item_ids: Sequence[str]) -> list[ItemState | None]:
        """The stored state of each item, in one round trip."""
        ...

    def published(self, brief_ids: Sequence[str]) -> dict[str, str]:
        """Pin id by brief id for the briefs already published, in one round trip."""
        ...

    def titles(self, brief_ids: Sequence[str]) -> dict[str, str]:
        """The drafted title by brief id, in one round trip."""
        ...

    def items_for_pins(self, channel_id: str, pin_ids: Sequence[str]) -> set[str]:
        """The items whose Pins these are."""
        ...

    def calendar(self, channel_id: str) -> dict[str, int]:
        """``board|YYYY-MM-DD`` -> Pins planned."""
        ...

    def count(self, channel_id: str) -> int:
        """How many items have a fingerprint."""
        ...

    def all_fingerprints(self, channel_id: str) -> dict[str, str]: ...

    def commit(
        self, channel_id: str, *, states: Sequence[ItemState], fingerprints: Mapping[str, str],
        outbox: Sequence[OutboxEntry], calendar: Mapping[str, int],
        pins: Mapping[str, str],
    ) -> None:
        """Write states, fingerprints, outbox entries, calendar increments and the pin -> item
        index in one transaction."""
        ...

    def outbox(self, channel_id: str) -> list[OutboxEntry]: ...

    def sent(self, channel_id: str, entry_id: str) -> None: ...
