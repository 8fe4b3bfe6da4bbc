"""The publish ledger: exactly-once publishing on Redis (``P:publish:{post_id}``,
``P:publish-lease:{post_id}``, ``P:publish-open``, the Pins' claims ``P:pin-post:{pin_id}`` and
the twin keys ``P:publish-twin:{fingerprint}``). Its scripts are ``lua/ledger_*.lua``."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import redis

from pinterest_agent.agents.ports import (
    LeaseClaim,
    LeaseLostError,
    LedgerEntry,
    PinClaimedError,
    SlotHandle,
    TwinCreatingError,
)
from pinterest_agent.observability.metrics import count_event
from pinterest_agent.queues.lua import load_script
from pinterest_agent.queues.stores.keys import Keys, as_str
from pinterest_agent.queues.stores.outcomes import OutcomeLog
from pinterest_agent.queues.stores.renewal import DEFAULT_CLAIM_TTL_MS, Claim, Renewer
from pinterest_agent.queues.stores.riders import Riders

__all__ = ["DEFAULT_RECONCILE_AFTER_MS", "DEFAULT_SETTLE_MARGIN_MS", "DEFAULT_SETTLE_MS",
           "PIN_CLAIM_TTL_S", "RedisPublishLedger"]


DEFAULT_RECONCILE_AFTER_MS = 10 * 60_000
DEFAULT_SETTLE_MARGIN_MS = 30_000
DEFAULT_SETTLE_MS = 35_000 + DEFAULT_SETTLE_MARGIN_MS
"""A create's send window (5 s), the Pinterest request's total deadline (30 s) and the settle
margin (30 s): the composition root computes both from the settings."""
PIN_CLAIM_TTL_S = 90 * 86_400
"""How long a recorded Pin stays claimed by its post (``P:pin-post:{pin_id}``): reconciling
skips a claimed Pin, and a post whose create is reconciled months after it began is not
expected (the reconciler drives every unfinished post within minutes)."""


_LUA = "pinterest_agent.queues.stores"
_ACQUIRE_LEASE = load_script(_LUA, "ledger_acquire_lease")

_MARK_CREATING = load_script(_LUA, "ledger_mark_creating")

_UPGRADE_LEASED = load_script(_LUA, "ledger_upgrade_leased")

_RESCHEDULE = load_script(_LUA, "ledger_reschedule")

_MARK_PUBLISHED = load_script(_LUA, "ledger_mark_published")

_RELEASE_LEASE = load_script(_LUA, "ledger_release_lease")

_CLEAR_CREATING = load_script(_LUA, "ledger_clear_creating")

_SETTLE_AFTER_ANSWER = load_script(_LUA, "ledger_settle_after_answer")

_CLEAR_MEDIA = load_script(_LUA, "ledger_clear_media")

_CLOSE = load_script(_LUA, "ledger_close")


class RedisPublishLedger:
    """``agents.ports.PublishLedger`` on Redis.

    Leases are short (``lease_ttl_ms``) and kept alive by the
    :class:`~queues.stores.renewal.Renewer`
    while the attempt works, so a killed attempt's lease lapses within seconds. Posts not yet
    published sit in ``P:publish-open`` (a sorted set by when they are due: the last attempt's
    start, or its scheduled retry, plus ``reconcile_after_ms``) with their message kept in the
    entry, for :mod:`queues.jobs.reconciler`.
    """

    def __init__(self, client: redis.Redis[bytes], keys: Keys, renewer: Renewer, *,
                 lease_ttl_ms: int = DEFAULT_CLAIM_TTL_MS,
                 reconcile_after_ms: int = DEFAULT_RECONCILE_AFTER_MS,
                 settle_ms: int = DEFAULT_SETTLE_MS,
                 settle_margin_ms: int = DEFAULT_SETTLE_MARGIN_MS,
                 outcomes: OutcomeLog | None = None, riders: Riders | None = None) -> None:
        self._client = client
        self._riders = riders
        """Writes queued by the job (its post's copy) go with the lease script."""
        self._outcomes = outcomes
        self._key = keys
        self._renewer = renewer
        self.lease_ttl_ms = lease_ttl_ms
        self.reconcile_after_ms = reconcile_after_ms
        self.settle_ms = settle_ms
        """How long after a ``creating`` mark its create is settled (see
        ``stores/lua/ledger_set_creating.lua``)."""
        self.settle_margin_ms = settle_margin_ms
        """How long after a create ended without telling its outcome it is settled."""
        self._settle_after_answer = client.register_script(_SETTLE_AFTER_ANSWER)
        self._acquire = client.register_script(_ACQUIRE_LEASE)
        self._release = client.register_script(_RELEASE_LEASE)
        self._creating = client.register_script(_MARK_CREATING)
        self._clear_creating = client.register_script(_CLEAR_CREATING)
        self._clear_media = client.register_script(_CLEAR_MEDIA)
        self._upgrade_leased = client.register_script(_UPGRADE_LEASED)
        self._reschedule = client.register_script(_RESCHEDULE)
        self._published = client.register_script(_MARK_PUBLISHED)
        self._close = client.register_script(_CLOSE)

    @property
    def open_key(self) -> str:
        return self._key("publish-open")

    def get(self, post_id: str) -> LedgerEntry | None:
        return self._entry(post_id, self._client.hgetall(self._key("publish", post_id)))

    def message(self, post_id: str) -> str | None:
        """The post as it was first leased (JSON), for re-driving it."""
        raw = self._client.hget(self._key("publish", post_id), "message")
        return as_str(raw) if raw is not None else None

    def lease_holder(self, post_id: str) -> str | None:
        raw = self._client.get(self._key("publish-lease", post_id))
        return as_str(raw) if raw is not None else None

    @staticmethod
    def _entry(post_id: str, raw: Mapping[bytes, bytes]) -> LedgerEntry | None:
        if not raw:
            return None
        fields = {as_str(k): as_str(v) for k, v in raw.items() if k != b"message"}
        state = fields.get("state")
        registered_at = fields.get("media_registered_at")
        settle_in_ms = fields.get("settle_in_ms")
        return LedgerEntry(
            post_id=fields.get("post_id", post_id),
            state=state if state in ("leased", "published", "uploaded") else "creating",
            pin_id=fields.get("pin_id") or None,
            board_id=fields.get("board_id") or None,
            started_at=float(fields.get("started_at") or 0.0),
            attempt=fields.get("attempt", ""),
            media_id=fields.get("media_id") or None,
            media_registered_at=float(registered_at) if registered_at else None,
            settle_in_s=max(0.0, float(settle_in_ms) / 1000) if settle_in_ms else 0.0,
        )

    def acquire_lease(
        self, post_id: str, attempt: str, *, message: str | None = None
    ) -> tuple[bool, LedgerEntry | None]:
        acquired, raw, _ = self._lease(
            keys=self._lease_keys(post_id),
            args=[attempt, self.lease_ttl_ms, post_id, message or "", self.reconcile_after_ms],
        )
        fields = dict(zip(raw[::2], raw[1::2], strict=True))
        return bool(acquired), self._entry(post_id, fields)

    def claim_for_create(
        self, creating: LedgerEntry, *, slot: SlotHandle | None, message: str | None = None
    ) -> LeaseClaim:
        post_id = creating.post_id
        keys = self._lease_keys(post_id)
        acquired, raw, marked = self._lease(
            keys=keys if slot is None else [*keys, slot.key],
            args=[creating.attempt, self.lease_ttl_ms, post_id, message or "",
                  self.reconcile_after_ms, *self._creating_args(creating, slot)],
        )
        if marked == 3:  # another post of its twin key has a create unsettled
            return LeaseClaim(acquired=True, twin=self._twin(post_id, raw[0], raw[1]))
        if marked:  # a new (or only leased) post: the entry is not needed
            return LeaseClaim(acquired=True, may_create=True, marked=marked == 2)
        fields = dict(zip(raw[::2], raw[1::2], strict=True))
        return LeaseClaim(acquired=bool(acquired), entry=self._entry(post_id, fields))

    def _lease(self, *, keys: list[str], args: list[Any]) -> Any:
        """The lease script, with the writes the job queued ahead of it (one round trip)."""
        if self._riders is None:
            return self._acquire(keys=keys, args=args)
        return self._riders.run(self._acquire, keys=keys, args=args)

    def _lease_keys(self, post_id: str) -> list[str]:
        return [self._key("publish-lease", post_id), self._key("publish", post_id),
                self.open_key]

    def _creating_args(self, entry: LedgerEntry, slot: SlotHandle | None) -> list[Any]:
        """The "creating" mark's arguments from the 6th on, in the lease script's layout."""
        return [entry.board_id or "", repr(entry.started_at), self.settle_ms,
                *((slot.holder, slot.limit, slot.ttl_ms) if slot is not None else ("", "", "")),
                self._key("publish-twin", entry.twin) if entry.twin else "",
                self._key("publish", "")]

    def _twin(self, post_id: str, holder: bytes | str, wait_ms: bytes | str | int
              ) -> TwinCreatingError:
        """The wait for *holder*, the post of the same twin key whose create is unsettled. One
        whose create is settled already is made due for the reconciler at once: nothing may be
        working on it (its worker was killed), and until it is recorded its twins wait."""
        held_by, wait_s = as_str(holder), int(wait_ms) / 1000
        if wait_s <= 0:
            self._client.zadd(self.open_key, {held_by: 0}, xx=True)
        return TwinCreatingError(
            f"post {held_by} has the same board, link and title, and its create is not settled "
            f"yet; a Pin is recognised by those three, so this post is created once that one is "
            f"recorded (give concurrent posts of one product distinct titles to avoid the wait)",
            post_id=post_id, holder=held_by, retry_in_s=max(wait_s, 0.0))

    @contextmanager
    def keep_lease(self, post_id: str, attempt: str) -> Iterator[None]:
        with self._renewer.hold(Claim("lease", self._key("publish-lease", post_id), attempt,
                                      self.lease_ttl_ms)):
            yield

    def release_lease(self, post_id: str, attempt: str) -> None:
        self._release(keys=[self._key("publish-lease", post_id)], args=[attempt])

    def mark_creating(self, entry: LedgerEntry, *, slot: SlotHandle | None = None) -> bool:
        keys = [self._key("publish-lease", entry.post_id), self._key("publish", entry.post_id)]
        answer = self._creating(
            keys=keys if slot is None else [*keys, slot.key],
            args=[entry.attempt, self.lease_ttl_ms, entry.post_id, "", "",
                  *self._creating_args(entry, slot)],
        )
        if isinstance(answer, list):
            raise self._twin(entry.post_id, answer[1], answer[2])
        marked = int(answer)
        if marked == 0:
            return False
        if marked < 0:
            raise LeaseLostError(
                "this attempt's lease lapsed before the create; another attempt may be running, "
                "so this one stops and is retried", post_id=entry.post_id,
            )
        return True

    def mark_published(
        self, post_id: str, pin_id: str, board_id: str, *, release: str | None = None,
        slot: SlotHandle | None = None, outcome: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        keys = [self._key("publish", post_id), self.open_key, self._key("publish-lease", post_id),
                slot.key if slot else "", slot.wake_key if slot else "",
                self._key("pin-post", pin_id)]
        args: list[Any] = [post_id, pin_id, board_id, release or "",
                           slot.holder if slot else "", slot.limit if slot else 0,
                           PIN_CLAIM_TTL_S]
        body: dict[str, Any] | None = None
        if outcome is not None and self._outcomes is not None:
            body, outcome_keys, outcome_args = self._outcomes.prepare(
                "post", post_id, outcome, event="post.published")
            keys += outcome_keys
            args += outcome_args
        kept = self._published(keys=keys, args=args)
        if isinstance(kept, list):
            raise PinClaimedError(
                f"Pin {pin_id} is recorded for post {as_str(kept[0])}; a Pin is never recorded "
                f"for two posts", post_id=post_id, pin_id=pin_id, owner=as_str(kept[0]))
        if slot is not None:
            slot.released = True
        if body is not None and isinstance(kept, bytes | str):
            return dict(json.loads(kept))  # already published: the script appended no event
        if body is not None:
            count_event("post.published", body)
        return body

    def pin_owners(self, pin_ids: Sequence[str]) -> dict[str, str]:
        if not pin_ids:
            return {}
        owners = self._client.mget([self._key("pin-post", pin_id) for pin_id in pin_ids])
        return {pin_id: as_str(owner) for pin_id, owner in zip(pin_ids, owners, strict=True)
                if owner is not None}

    def settle_after_answer(self, post_id: str, attempt: str) -> None:
        self._settle_after_answer(keys=[self._key("publish", post_id)],
                                  args=[attempt, self.settle_margin_ms])

    def clear_creating(self, post_id: str, attempt: str = "") -> None:
        self._clear_creating(keys=[self._key("publish", post_id)], args=[attempt])

    def set_media(self, post_id: str, media_id: str, at: float) -> None:
        key = self._key("publish", post_id)
        with self._client.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"post_id": post_id, "media_id": media_id,
                                    "media_registered_at": repr(at)})
            pipe.hsetnx(key, "state", "uploaded")
            pipe.execute()
        self._upgrade_leased(keys=[key])

    def clear_media(self, post_id: str) -> None:
        self._clear_media(keys=[self._key("publish", post_id)])

    # -- the reconciler's view ------------------------------------------------------------------
    def reschedule(self, post_id: str, due_in_ms: int) -> None:
        """The post's next attempt is expected in *due_in_ms*: reconcile only after that (plus
        ``reconcile_after_ms``). A published post is left alone."""
        self._reschedule(keys=[self._key("publish", post_id), self.open_key],
                         args=[post_id, due_in_ms + self.reconcile_after_ms])

    def close(self, post_id: str) -> None:
        """The post reached a final outcome other than published (failed, dead-lettered): it is
        no longer due for reconciling (``jobs retry`` drives it again), and the next post of
        its board, link and title may be created."""
        self._close(keys=[self._key("publish", post_id), self.open_key], args=[post_id])

    def overdue(self, *, limit: int = 100) -> list[str]:
        """Posts due for reconciling now (Redis's clock), oldest first."""
        seconds, micros = self._client.time()
        now_ms = int(seconds) * 1000 + int(micros) // 1000
        return [as_str(post_id) for post_id in
                self._client.zrangebyscore(self.open_key, "-inf", now_ms, start=0, num=limit)]
