"""The schedule: every Pin waiting for its time, as the calendar shows it and the publisher obeys.

Keys (``P`` is the ``key_prefix`` setting, ``C`` the channel)::

    P:schedule:{post_id}   hash  state (scheduled|due|cancelled), at (epoch s), day
                                 (YYYY-MM-DD, UTC), channel_id, source (writer|catalog), the
                                 preview (title, board_id, image_url, image_sha256), the
                                 post's message once handed off and, for a Pin the catalog
                                 planned, calendar_board (the planner's board)
    P:schedule-at:{C}      zset  post ids by their time (what the calendar lists)

A post handed to the publisher with a delay (and a brief the catalog planner sent to the writer)
is recorded here; its queued message may be delivered long before or after an operator moved
or cancelled it, so the publisher asks the record at run time (:meth:`ScheduleBook.claim`):
cancelled, it skips; moved later, it waits again; due, it claims the record (``due``) and
publishes. Claim, move and cancel are each one script that changes only a ``scheduled`` record,
so a cancel never lands on a post being published and a claimed post is never moved. The
catalog planner's day counts (``P:catalog:C:calendar``) follow a move or a cancel in the same
script. A record expires ``keep_s`` after its time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import redis

from pinterest_agent.queues.lua import load_script
from pinterest_agent.queues.stores.keys import Keys, as_str

__all__ = ["DEFAULT_KEEP_S", "Claim", "Preview", "ScheduleBook", "ScheduledPin"]

DEFAULT_KEEP_S = 35 * 24 * 3600
"""How long a record outlives its time (the calendar's month, and a little more)."""

_LUA = "pinterest_agent.queues.stores"
_PUT = load_script(_LUA, "schedule_put")
_CLAIM = load_script(_LUA, "schedule_claim")
_CHANGE = load_script(_LUA, "schedule_change")

ClaimState = Literal["none", "cancelled", "due", "wait", "claimed"]
ChangeState = Literal["moved", "cancelled", "due", "gone"]
"""Changed, or why not: ``due`` (claimed by the publisher), ``gone`` (cancelled, unknown,
expired)."""


@dataclass(frozen=True)
class Preview:
    """What the calendar shows of a Pin: its title, board and image (a URL, or the sha256 of
    an image the worker rendered, served at ``/images/{sha256}``)."""

    title: str | None = None
    board_id: str | None = None
    image_url: str | None = None
    image_sha256: str | None = None


@dataclass(frozen=True)
class ScheduledPin:
    post_id: str
    channel_id: str
    at: datetime
    state: str
    source: str
    preview: Preview
    planned_board: str | None
    """The catalog planner's board name ('' for the default board); None if not planned."""
    message: str | None = None
    """The post's message JSON once the writer handed it off (None: a brief not drafted yet,
    or too large to keep)."""


@dataclass(frozen=True)
class Claim:
    state: ClaimState
    at: datetime | None


def _day(at: datetime) -> str:
    return at.astimezone(UTC).date().isoformat()


def _at(raw: bytes | str | None) -> datetime | None:
    if raw is None or as_str(raw) == "":
        return None
    return datetime.fromtimestamp(float(as_str(raw)), UTC)


class ScheduleBook:
    def __init__(self, client: redis.Redis[bytes], keys: Keys, *,
                 keep_s: int = DEFAULT_KEEP_S) -> None:
        self._client = client
        self._key = keys
        self._keep_s = keep_s
        self._put = client.register_script(_PUT)
        self._claim = client.register_script(_CLAIM)
        self._change = client.register_script(_CHANGE)

    def record(self, post_id: str, channel_id: str, at: datetime, *, source: str,
               preview: Preview, planned_board: str | None = None,
               message: str | None = None) -> tuple[str, datetime]:
        """Schedule ``post_id`` at ``at`` unless it is known; a known record keeps its time
        and state and gains the preview (and the post's ``message``, to wake it earlier when
        it is moved earlier). Returns the record's state and time."""
        fields: dict[str, str] = {"channel_id": channel_id, "source": source}
        fields.update({name: value for name, value in (
            ("title", preview.title), ("board_id", preview.board_id),
            ("image_url", preview.image_url), ("image_sha256", preview.image_sha256),
        ) if value})
        if planned_board is not None:
            fields["calendar_board"] = planned_board
        if message is not None:
            fields["message"] = message
        pairs = [part for item in fields.items() for part in item]
        state, stored_at = self._put(
            keys=[self._key("schedule", post_id), self._key("schedule-at", channel_id)],
            args=[post_id, f"{at.timestamp():.3f}", _day(at), self._keep_s, *pairs])
        when = _at(stored_at)
        assert when is not None
        return as_str(state), when

    def claim(self, post_id: str, *, now_s: float, slack_s: float, force: bool = False) -> Claim:
        """Called by the publisher before it publishes: see :data:`ClaimState`."""
        state, at = self._claim(keys=[self._key("schedule", post_id)],
                                args=[f"{now_s:.3f}", slack_s, "1" if force else "0"])
        found: ClaimState = as_str(state)  # type: ignore[assignment]
        return Claim(found, _at(at))

    def move(self, post_id: str, channel_id: str, at: datetime) -> ChangeState:
        """Move a scheduled post to ``at`` (the planner's counts follow); a post already
        claimed or cancelled is left as it is (its state is returned)."""
        return self._change_record(post_id, channel_id, "move", at)

    def cancel(self, post_id: str, channel_id: str) -> ChangeState:
        """Cancel a scheduled post: the publisher skips its message. A claimed post (being
        published) is not cancelled (``due`` is returned)."""
        return self._change_record(post_id, channel_id, "cancel", None)

    def _change_record(self, post_id: str, channel_id: str, action: str,
                       at: datetime | None) -> ChangeState:
        result, found = self._change(
            keys=[self._key("schedule", post_id), self._key("schedule-at", channel_id),
                  self._key("catalog", channel_id, "calendar")],
            args=[post_id, action, f"{at.timestamp():.3f}" if at else "",
                  _day(at) if at else "", self._keep_s])
        if as_str(result) != "unchanged":
            changed: ChangeState = as_str(result)  # type: ignore[assignment]
            return changed
        return "due" if as_str(found) == "due" else "gone"

    def get(self, post_id: str) -> ScheduledPin | None:
        raw = self._client.hgetall(self._key("schedule", post_id))
        return _pin(post_id, raw) if raw else None

    def between(self, channel_id: str, start: datetime, end: datetime) -> list[ScheduledPin]:
        """The channel's scheduled Pins with ``start <= at < end``, by time (records that
        expired are dropped from the index on the way)."""
        index = self._key("schedule-at", channel_id)
        ids = [as_str(member) for member in self._client.zrangebyscore(
            index, start.timestamp(), f"({end.timestamp()}")]
        if not ids:
            return []
        with self._client.pipeline(transaction=False) as pipe:
            for post_id in ids:
                pipe.hgetall(self._key("schedule", post_id))
            rows: list[dict[bytes, bytes]] = pipe.execute()
        gone = [post_id for post_id, raw in zip(ids, rows, strict=True) if not raw]
        if gone:
            self._client.zrem(index, *gone)
        return [_pin(post_id, raw) for post_id, raw in zip(ids, rows, strict=True) if raw]


def _pin(post_id: str, raw: Mapping[bytes, bytes]) -> ScheduledPin:
    values = {as_str(key): as_str(value) for key, value in raw.items()}
    at = _at(values.get("at"))
    return ScheduledPin(
        post_id=post_id,
        channel_id=values.get("channel_id", ""),
        at=at or datetime.fromtimestamp(0, UTC),
        state=values.get("state", "scheduled"),
        source=values.get("source", "writer"),
        preview=Preview(title=values.get("title"), board_id=values.get("board_id"),
                        image_url=values.get("image_url"),
                        image_sha256=values.get("image_sha256")),
        planned_board=values.get("calendar_board"),
        message=values.get("message"),
    )
