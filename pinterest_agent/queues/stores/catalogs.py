"""``agents.catalog.state.CatalogStore`` on Redis: one pipelined round trip per call.

Keys (``P`` is the ``key_prefix`` setting, ``C`` the channel)::

    P:catalog:C:fp        hash  item id -> fingerprint (content:image:status:due:dirty)
    P:catalog:C:state     hash  item id -> ItemState JSON (its Pins, their images and layouts)
    P:catalog:C:outbox    hash  entry id -> {"target", "payload", "board"}: decided, not yet
                                sent
    P:catalog:C:calendar  hash  board|YYYY-MM-DD -> Pins planned that day (past days pruned)
    P:catalog:C:pins      hash  Pin id -> item id (which item a top Pin belongs to)

It also reads the publish ledger (``P:publish:{post_id}``: which briefs went live, and as which
Pin) and the stored drafts (``P:draft:{post_id}``: their titles).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from pinterest_agent.agents.catalog.state import ItemState, OutboxEntry

__all__ = ["CALENDAR_KEEP_DAYS", "RedisCatalogStore"]

CALENDAR_KEEP_DAYS = 8
"""Calendar days older than this are dropped (a week's limit needs the last 7)."""


def _text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else value


class RedisCatalogStore:
    def __init__(self, client: redis.Redis[bytes], prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    def _key(self, channel_id: str, name: str) -> str:
        return f"{self._prefix}:catalog:{channel_id}:{name}"

    def fingerprints(self, channel_id: str, item_ids: Sequence[str]) -> list[str | None]:
        if not item_ids:
            return []
        return [_text(v) for v in self._client.hmget(self._key(channel_id, "fp"), item_ids)]

    def states(self, channel_id: str, item_ids: Sequence[str]) -> list[ItemState | None]:
        if not item_ids:
            return []
        raw = self._client.hmget(self._key(channel_id, "state"), item_ids)
        return [ItemState.model_validate_json(v) if v is not None else None for v in raw]

    def published(self, brief_ids: Sequence[str]) -> dict[str, str]:
        with self._client.pipeline(transaction=False) as pipe:
            for brief_id in brief_ids:
                pipe.hmget(f"{self._prefix}:publish:{brief_id}", ["state", "pin_id"])
            rows = pipe.execute()
        found = {}
        for brief_id, (state, pin_id) in zip(brief_ids, rows, strict=True):
            if _text(state) == "published" and pin_id:
                found[brief_id] = _text(pin_id) or ""
        return found

    def titles(self, brief_ids: Sequence[str]) -> dict[str, str]:
        with self._client.pipeline(transaction=False) as pipe:
            for brief_id in brief_ids:
                pipe.get(f"{self._prefix}:draft:{brief_id}")
            rows = pipe.execute()
        found = {}
        for brief_id, raw in zip(brief_ids, rows, strict=True):
            if raw is None:
                continue
            title = json.loads(raw).get("title")
            if isinstance(title, str):
                found[brief_id] = title
        return found

    def items_for_pins(self, channel_id: str, pin_ids: Sequence[str]) -> set[str]:
        if not pin_ids:
            return set()
        raw = self._client.hmget(self._key(channel_id, "pins"), pin_ids)
        return {text for text in (_text(v) for v in raw) if text}

    def calendar(self, channel_id: str) -> dict[str, int]:
        raw = self._client.hgetall(self._key(channel_id, "calendar"))
        return {(_text(k) or ""): int(v) for k, v in raw.items()}

    def count(self, channel_id: str) -> int:
        return int(self._client.hlen(self._key(channel_id, "fp")))

    def all_fingerprints(self, channel_id: str) -> dict[str, str]:
        raw = self._client.hgetall(self._key(channel_id, "fp"))
        return {(_text(k) or ""): (_text(v) or "") for k, v in raw.items()}

    def commit(
        self, channel_id: str, *, states: Sequence[ItemState], fingerprints: Mapping[str, str],
        outbox: Sequence[OutboxEntry], calendar: Mapping[str, int], pins: Mapping[str, str],
    ) -> None:
        if not (states or fingerprints or outbox or calendar or pins):
            return
        with self._client.pipeline(transaction=True) as pipe:
            if states:
                pipe.hset(self._key(channel_id, "state"),
                          mapping={s.item_id: s.model_dump_json() for s in states})
            if fingerprints:
                fp: dict[str | bytes, str] = {k: v for k, v in fingerprints.items()}
                pipe.hset(self._key(channel_id, "fp"), mapping=fp)
            if outbox:
                pipe.hset(self._key(channel_id, "outbox"), mapping={
                    e.entry_id: json.dumps({"target": e.target, "payload": e.payload,
                                            "board": e.board})
                    for e in outbox})
            for day, count in calendar.items():
                pipe.hincrby(self._key(channel_id, "calendar"), day, count)
            if pins:
                index: dict[str | bytes, str] = {k: v for k, v in pins.items()}
                pipe.hset(self._key(channel_id, "pins"), mapping=index)
            pipe.execute()

    def outbox(self, channel_id: str) -> list[OutboxEntry]:
        raw = self._client.hgetall(self._key(channel_id, "outbox"))
        entries = []
        for key, value in sorted(raw.items()):
            body: dict[str, Any] = json.loads(value)
            entry_id = _text(key) or ""
            if body.get("target") == "update":
                entries.append(OutboxEntry(entry_id, "update", body["payload"]))
            else:
                board = body.get("board")
                entries.append(OutboxEntry(entry_id, "writer", body["payload"],
                                           board=board if isinstance(board, str) else None))
        return entries

    def sent(self, channel_id: str, entry_id: str) -> None:
        self._client.hdel(self._key(channel_id, "outbox"), entry_id)

    def prune_calendar(self, channel_id: str, today: datetime | None = None) -> int:
        """Drop calendar days before the last ``CALENDAR_KEEP_DAYS``; returns how many."""
        cutoff = ((today or datetime.now(UTC)) - timedelta(days=CALENDAR_KEEP_DAYS)).date()
        old = [key for key in self.calendar(channel_id)
               if key.rpartition("|")[2] < cutoff.isoformat()]
        if old:
            self._client.hdel(self._key(channel_id, "calendar"), *old)
        return len(old)
