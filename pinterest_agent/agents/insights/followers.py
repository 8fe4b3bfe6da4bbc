"""Board follower snapshots: Pinterest reports follower counts as they are now, never their past.

So every insight run stores what it saw (:class:`FollowerSnapshot`) and growth is measured against
earlier runs. The first run of a channel has nothing to compare with and says "no history yet".

:class:`FollowerSnapshotStore` is the port; ``queues/stores/store.py`` implements it on Redis
(one list per channel). Its contract:

* ``load(channel_id)`` returns the channel's snapshots **oldest first**; an unknown channel gives
  ``[]``. An implementation may keep only the most recent :data:`KEEP_SNAPSHOTS` (a year of
  weekly runs) and drop older ones.
* ``save(channel_id, snapshot)`` appends one snapshot. Saving twice for one run (a retried job)
  is harmless: growth is measured from the earliest snapshot inside the period.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "KEEP_SNAPSHOTS",
    "FollowerSnapshot",
    "FollowerSnapshotStore",
    "InMemoryFollowerSnapshotStore",
]

KEEP_SNAPSHOTS = 60


class FollowerSnapshot(BaseModel):
    """Follower counts of a channel's boards at one instant (JSON-serialisable)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    taken_at: datetime
    boards: dict[str, int] = Field(description="board id -> follower_count")
    names: dict[str, str] = Field(default_factory=dict, description="board id -> name")

    @property
    def total(self) -> int:
        return sum(self.boards.values())


class FollowerSnapshotStore(Protocol):
    def load(self, channel_id: str) -> list[FollowerSnapshot]:
        """The channel's snapshots, oldest first (``[]`` when none)."""
        ...

    def save(self, channel_id: str, snapshot: FollowerSnapshot) -> None:
        """Append one snapshot."""
        ...


class InMemoryFollowerSnapshotStore:
    """A process-local store for tests and one-off runs."""

    def __init__(self, *, keep: int = KEEP_SNAPSHOTS) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._data: defaultdict[str, list[FollowerSnapshot]] = defaultdict(list)

    def load(self, channel_id: str) -> list[FollowerSnapshot]:
        with self._lock:
            return sorted(self._data.get(channel_id, []), key=lambda s: s.taken_at)

    def save(self, channel_id: str, snapshot: FollowerSnapshot) -> None:
        with self._lock:
            snapshots = self._data[channel_id]
            snapshots.append(snapshot)
            del snapshots[: max(len(snapshots) - self._keep, 0)]
