"""The worker's Redis store: credentials (encrypted), idempotency ledger, outcomes, events.

Keys (``P`` is the ``key_prefix`` setting)::

    P:channels                  hash  channel_id -> Fernet token of ChannelCredentials JSON
    P:channel-lock:{id}         lock  held while a channel's token is refreshed
    P:publish:{post_id}         hash  ledger entry (state leased|uploaded|creating|published,
                                      pin_id, board_id, started_at, attempt, settle_at, media_id,
                                      media_registered_at, message until published)
    P:publish-lease:{post_id}   str   the attempt holding the business key (short TTL, renewed
                                      while the attempt runs)
    P:publish-open              zset  post ids not yet published, by when they are due for the
                                      reconciler (their message is kept in the ledger entry)
    P:outcome:{kind}:{id}       str   latest outcome JSON (kind: post, brief, insight; expires
                                      after ``outcome_ttl_days``; the ledger does not expire)
    P:oauth-state:{flow}        str   one-time OAuth state (TTL, consumed once)
    P:followers:{channel}       list  follower snapshots (JSON)
    P:insight:{channel}         list  ChannelInsight JSON, newest first
    P:draft:{post_id}           str   a drafted SocialPost JSON (its rendered image as a
                                      reference, ``image_ref``)
    P:image:{sha256}            str   a rendered image's bytes, stored once (SET NX), expiring
                                      ``image_ttl_days`` after its post is due
    P:dead-reason:{dead_id}     str   why a dead letter is there ({code, message}; 30 days)
    <events_stream>             stream  post.drafted / post.published / post.failed / insight.ready

Outcomes and their event are written in one MULTI/EXEC so a reader never sees one without the
other. Nothing here logs a token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import redis
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from pinterest_agent.agents.insights.followers import FollowerSnapshot
from pinterest_agent.agents.ports import (
    ChannelCredentials,
    LeaseClaim,
    LeaseLostError,
    LedgerEntry,
    SlotHandle,
)
from pinterest_agent.errors import ConfigurationError
from pinterest_agent.queues.broker.deadletters import DeadReasons
from pinterest_agent.queues.stores.renewal import DEFAULT_CLAIM_TTL_MS, Claim, Renewer
from pinterest_agent.queues.lua import load_script

__all__ = [
    "EVENT_TYPES",
    "CredentialVault",
    "Documents",
    "OAuthStates",
    "OutcomeLog",
    "RedisFollowerSnapshots",
    "RedisImageStore",
    "RedisPublishLedger",
    "SecretBox",
    "Store",
]

EVENT_TYPES = frozenset(
    {"post.drafted", "post.published", "post.duplicate", "post.failed", "post.retrying",
     "post.redriven",
     "insight.ready", "insight.failed", "insight.retrying", "message.rejected",
     # catalogs (queues/jobs/update.py, queues/jobs/catalog_run.py)
     "update.applied", "update.failed", "update.retrying", "catalog.synced",
     "catalog.item_unavailable"}
)
OAUTH_STATE_TTL_S = 600
DEFAULT_RECONCILE_AFTER_MS = 10 * 60_000
DEFAULT_SETTLE_MARGIN_MS = 30_000
DEFAULT_SETTLE_MS = 35_000 + DEFAULT_SETTLE_MARGIN_MS
"""A create's send window (5 s), the Pinterest request's total deadline (30 s) and the settle
margin (30 s): the composition root computes both from the settings."""
EVENTS_MAXLEN = 100_000
LOCK_TIMEOUT_S = 60
LOCK_WAIT_S = 90


class SecretBox:
    """Fernet encryption for secrets at rest, from the ``secret_key`` setting.

    The setting holds one key, or several separated by commas for rotation: the first encrypts,
    every one decrypts (``MultiFernet``); ``pinterest-agent channels rekey`` then re-encrypts
    every stored credential with the first, after which the old keys can be dropped.
    """

    def __init__(self, key: SecretStr | str | bytes) -> None:
        raw = key.get_secret_value() if isinstance(key, SecretStr) else key
        text = raw.decode() if isinstance(raw, bytes) else raw
        keys = [part.strip() for part in text.split(",") if part.strip()]
        try:
            if not keys:
                raise ValueError("empty")
            self._fernet = MultiFernet([Fernet(part.encode()) for part in keys])
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                "PINTEREST_AGENT_SECRET_KEY is not a valid Fernet key (or comma-separated list "
                "of keys); make one with `pinterest-agent keygen`"
            ) from exc
        self.key_count = len(keys)

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def seal(self, plaintext: bytes) -> bytes:
        return self._fernet.encrypt(plaintext)

    def open(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise ConfigurationError(
                "stored credentials cannot be decrypted with any key in "
                "PINTEREST_AGENT_SECRET_KEY; add the key they were stored with (comma-separated, "
                "after the new one), or reconnect the channel"
            ) from exc

    def rotate(self, token: bytes) -> bytes:
        """The same secret, encrypted with the first key."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken as exc:
            raise ConfigurationError(
                "a stored credential cannot be decrypted with any key in "
                "PINTEREST_AGENT_SECRET_KEY; add its key before rekeying"
            ) from exc


_LUA = "pinterest_agent.queues.stores"
_SWAP_FIELD = load_script(_LUA, "credentials_swap_field")


_ACQUIRE_LEASE = load_script(_LUA, "ledger_acquire_lease")

_MARK_CREATING = load_script(_LUA, "ledger_mark_creating")

_UPGRADE_LEASED = load_script(_LUA, "ledger_upgrade_leased")

_RESCHEDULE = load_script(_LUA, "ledger_reschedule")

_MARK_PUBLISHED = load_script(_LUA, "ledger_mark_published")

_RELEASE_LEASE = load_script(_LUA, "ledger_release_lease")

_CLEAR_CREATING = load_script(_LUA, "ledger_clear_creating")

_SETTLE_AFTER_ANSWER = load_script(_LUA, "ledger_settle_after_answer")

_CLEAR_MEDIA = load_script(_LUA, "ledger_clear_media")


_RECORD_OUTCOME = load_script(_LUA, "outcomes_record")


class _Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))


class CredentialVault:
    """``agents.ports.CredentialStore`` on Redis: credentials sealed with :class:`SecretBox`."""

    def __init__(self, client: redis.Redis[bytes], box: SecretBox, keys: _Keys) -> None:
        self._client = client
        self._box = box
        self._key = keys
        self._swap = client.register_script(_SWAP_FIELD)

    def get(self, channel_id: str) -> ChannelCredentials | None:
        sealed = self._client.hget(self._key("channels"), channel_id)
        if sealed is None:
            return None
        credentials = ChannelCredentials.model_validate_json(self._box.open(_bytes(sealed)))
        if credentials.channel_id != channel_id:  # a record copied under another channel's id
            raise ConfigurationError(
                f"the credentials stored for channel {channel_id!r} belong to another channel; "
                f"reconnect {channel_id!r} (`pinterest-agent channels connect`)",
                code="credentials_mismatch",
            )
        return credentials

    def rekey(self) -> int:
        """Re-encrypt every stored credential with the first secret key; returns how many."""
        key = self._key("channels")
        count = 0
        for field, sealed in self._client.hgetall(key).items():
            # swapped only if unchanged: a token refreshed meanwhile is already under the new key
            count += int(self._swap(keys=[key], args=[field, sealed,
                                                      self._box.rotate(_bytes(sealed))]))
        return count

    def put(self, credentials: ChannelCredentials) -> None:
        data = credentials.model_dump(mode="json")
        for name in ("access_token", "refresh_token"):
            secret = getattr(credentials, name)
            data[name] = secret.get_secret_value() if secret is not None else None
        sealed = self._box.seal(json.dumps(data).encode())
        self._client.hset(self._key("channels"), credentials.channel_id, sealed)

    def channel_ids(self) -> list[str]:
        return sorted(_str(k) for k in self._client.hkeys(self._key("channels")))

    def delete(self, channel_id: str) -> bool:
        return bool(self._client.hdel(self._key("channels"), channel_id))

    @contextmanager
    def lock(self, channel_id: str) -> Iterator[None]:
        lock = self._client.lock(
            self._key("channel-lock", channel_id),
            timeout=LOCK_TIMEOUT_S,
            blocking_timeout=LOCK_WAIT_S,
        )
        if not lock.acquire():
            raise TimeoutError(f"could not lock channel {channel_id!r} within {LOCK_WAIT_S}s")
        try:
            yield
        finally:
            with suppress(redis.exceptions.LockError):  # expired: the next holder has it
                lock.release()


class RedisPublishLedger:
    """``agents.ports.PublishLedger`` on Redis.

    Leases are short (``lease_ttl_ms``) and kept alive by the :class:`~queues.stores.renewal.Renewer`
    while the attempt works, so a killed attempt's lease lapses within seconds. Posts not yet
    published sit in ``P:publish-open`` (a sorted set by when they are due: the last attempt's
    start, or its scheduled retry, plus ``reconcile_after_ms``) with their message kept in the
    entry, for :mod:`queues.jobs.reconciler`.
    """

    def __init__(self, client: redis.Redis[bytes], keys: _Keys, renewer: Renewer, *,
                 lease_ttl_ms: int = DEFAULT_CLAIM_TTL_MS,
                 reconcile_after_ms: int = DEFAULT_RECONCILE_AFTER_MS,
                 settle_ms: int = DEFAULT_SETTLE_MS,
                 settle_margin_ms: int = DEFAULT_SETTLE_MARGIN_MS,
                 outcomes: OutcomeLog | None = None) -> None:
        self._client = client
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

    @property
    def open_key(self) -> str:
        return self._key("publish-open")

    def get(self, post_id: str) -> LedgerEntry | None:
        return self._entry(post_id, self._client.hgetall(self._key("publish", post_id)))

    def message(self, post_id: str) -> str | None:
        """The post as it was first leased (JSON), for re-driving it."""
        raw = self._client.hget(self._key("publish", post_id), "message")
        return _str(raw) if raw is not None else None

    def lease_holder(self, post_id: str) -> str | None:
        raw = self._client.get(self._key("publish-lease", post_id))
        return _str(raw) if raw is not None else None

    @staticmethod
    def _entry(post_id: str, raw: Mapping[bytes, bytes]) -> LedgerEntry | None:
        if not raw:
            return None
        fields = {_str(k): _str(v) for k, v in raw.items() if k != b"message"}
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
        acquired, raw, _ = self._acquire(
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
        acquired, raw, marked = self._acquire(
            keys=keys if slot is None else [*keys, slot.key],
            args=[creating.attempt, self.lease_ttl_ms, post_id, message or "",
                  self.reconcile_after_ms, *self._creating_args(creating, slot)],
        )
        if marked:  # a new (or only leased) post: the entry is not needed
            return LeaseClaim(acquired=True, may_create=True, marked=marked == 2)
        fields = dict(zip(raw[::2], raw[1::2], strict=True))
        return LeaseClaim(acquired=bool(acquired), entry=self._entry(post_id, fields))

    def _lease_keys(self, post_id: str) -> list[str]:
        return [self._key("publish-lease", post_id), self._key("publish", post_id),
                self.open_key]

    def _creating_args(self, entry: LedgerEntry, slot: SlotHandle | None) -> list[Any]:
        """The "creating" mark's arguments from the 6th on, in the lease script's layout."""
        args: list[Any] = [entry.board_id or "", repr(entry.started_at), self.settle_ms]
        if slot is not None:
            args += [slot.holder, slot.limit, slot.ttl_ms]
        return args

    @contextmanager
    def keep_lease(self, post_id: str, attempt: str) -> Iterator[None]:
        with self._renewer.hold(Claim("lease", self._key("publish-lease", post_id), attempt,
                                      self.lease_ttl_ms)):
            yield

    def release_lease(self, post_id: str, attempt: str) -> None:
        self._release(keys=[self._key("publish-lease", post_id)], args=[attempt])

    def mark_creating(self, entry: LedgerEntry, *, slot: SlotHandle | None = None) -> bool:
        keys = [self._key("publish-lease", entry.post_id), self._key("publish", entry.post_id)]
        marked = int(self._creating(
            keys=keys if slot is None else [*keys, slot.key],
            args=[entry.attempt, self.lease_ttl_ms, entry.post_id, "", "",
                  *self._creating_args(entry, slot)],
        ))
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
                slot.key if slot else "", slot.wake_key if slot else ""]
        args: list[Any] = [post_id, pin_id, board_id, release or "",
                           slot.holder if slot else "", slot.limit if slot else 0]
        body: dict[str, Any] | None = None
        if outcome is not None and self._outcomes is not None:
            body, outcome_keys, outcome_args = self._outcomes.prepare(
                "post", post_id, outcome, event="post.published")
            keys += outcome_keys
            args += outcome_args
        kept = self._published(keys=keys, args=args)
        if slot is not None:
            slot.released = True
        if body is not None and isinstance(kept, bytes | str):
            return dict(json.loads(kept))
        return body

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
        no longer due for reconciling (``jobs retry`` drives it again)."""
        self._client.zrem(self.open_key, post_id)

    def overdue(self, *, limit: int = 100) -> list[str]:
        """Posts due for reconciling now (Redis's clock), oldest first."""
        seconds, micros = self._client.time()
        now_ms = int(seconds) * 1000 + int(micros) // 1000
        return [_str(post_id) for post_id in
                self._client.zrangebyscore(self.open_key, "-inf", now_ms, start=0, num=limit)]


class OutcomeLog:
    """Latest outcome per subject, and the durable event stream upstream consumes."""

    def __init__(
        self,
        client: redis.Redis[bytes],
        keys: _Keys,
        stream: str,
        clock: Callable[[], float],
        *,
        ttl_s: int | None = None,
    ) -> None:
        self._client = client
        self._key = keys
        self.stream = stream
        self._clock = clock
        self._ttl_s = ttl_s
        self._record = client.register_script(_RECORD_OUTCOME)

    def record(
        self,
        kind: str,
        subject_id: str,
        outcome: Mapping[str, Any],
        *,
        event: str | None = None,
    ) -> dict[str, Any]:
        """Store the latest outcome for ``(kind, subject_id)`` and emit *event* atomically.

        A stored ``published`` outcome is final: a later record (a duplicate delivery, a
        rescheduled copy) keeps it and only appends its event. Returns what is stored.
        """
        body, keys, args = self.prepare(kind, subject_id, outcome, event=event)
        kept = self._record(keys=keys, args=args)
        return body if kept is None else dict(json.loads(kept))

    def prepare(
        self, kind: str, subject_id: str, outcome: Mapping[str, Any], *, event: str | None
    ) -> tuple[dict[str, Any], list[str], list[Any]]:
        """The body to store and the keys and arguments of the record script (shared with the
        ledger, which records a Pin and its outcome in one step)."""
        if event is not None and event not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event!r}")
        body = {"kind": kind, "id": subject_id, "recorded_at": self._clock(), **outcome}
        payload = json.dumps(body, default=str)
        return (body, [self._key("outcome", kind, subject_id), self.stream],
                [payload, self._ttl_s or 0, event or "", subject_id, EVENTS_MAXLEN])

    def announce(self, event: str, subject_id: str, payload: Mapping[str, Any]) -> None:
        """Append *event* to the stream without touching any stored outcome."""
        if event not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event!r}")
        body = json.dumps({"id": subject_id, "recorded_at": self._clock(), **payload},
                          default=str)
        self._client.xadd(self.stream, {"type": event, "id": subject_id, "payload": body},
                          maxlen=EVENTS_MAXLEN, approximate=True)

    def get(self, kind: str, subject_id: str) -> dict[str, Any] | None:
        raw = self._client.get(self._key("outcome", kind, subject_id))
        return json.loads(raw) if raw is not None else None

    def events(self, *, count: int = 100, since: str = "-") -> list[dict[str, Any]]:
        return self._decode(self._client.xrange(self.stream, min=since, count=count))

    def recent(self, *, count: int = 100) -> list[dict[str, Any]]:
        """The newest ``count`` events, newest first."""
        return self._decode(self._client.xrevrange(self.stream, count=count))

    @staticmethod
    def _decode(rows: Any) -> list[dict[str, Any]]:
        return [
            {
                "stream_id": _str(sid),
                "type": _str(f[b"type"]),
                "id": _str(f[b"id"]),
                "payload": json.loads(f[b"payload"]),
            }
            for sid, f in rows
        ]


class OAuthStates:
    """One-time OAuth ``state``: stored with a TTL, consumed once, compared in constant time."""

    def __init__(self, client: redis.Redis[bytes], keys: _Keys) -> None:
        self._client = client
        self._key = keys

    def save(self, flow_id: str, state: str, ttl_s: int = OAUTH_STATE_TTL_S) -> None:
        self._client.set(self._key("oauth-state", flow_id), state, ex=ttl_s)

    def consume(self, flow_id: str, received: str) -> bool:
        """True once for the state issued to *flow_id*; replays and mismatches are False."""
        stored = self._client.getdel(self._key("oauth-state", flow_id))
        if stored is None:
            return False
        return hmac.compare_digest(_bytes(stored), received.encode())


class Documents:
    """JSON documents the agents keep: drafts, follower snapshots, insights (newest first)."""

    def __init__(self, client: redis.Redis[bytes], keys: _Keys) -> None:
        self._client = client
        self._key = keys

    def put(self, name: str, subject_id: str, value: str) -> None:
        self._client.set(self._key(name, subject_id), value)

    def get(self, name: str, subject_id: str) -> str | None:
        raw = self._client.get(self._key(name, subject_id))
        return _str(raw) if raw is not None else None

    def push(self, name: str, subject_id: str, value: str, *, keep: int = 200) -> None:
        key = self._key(name, subject_id)
        with self._client.pipeline(transaction=True) as pipe:
            pipe.lpush(key, value)
            pipe.ltrim(key, 0, keep - 1)
            pipe.execute()

    def history(self, name: str, subject_id: str, *, limit: int = 200) -> list[str]:
        return [_str(v) for v in self._client.lrange(self._key(name, subject_id), 0, limit - 1)]


_PUT_IMAGE = load_script(_LUA, "images_put")


class RedisImageStore:
    """``agents.ports.ImageStore`` on Redis: ``P:image:{sha256}`` holds the bytes, kept
    ``ttl_s`` after the post is due, so a message, a draft or an event carries only the hash."""

    def __init__(
        self, client: redis.Redis[bytes], prefix: str, *, ttl_s: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._key = _Keys(prefix)
        self._ttl_s = ttl_s
        self._clock = clock
        self._put = client.register_script(_PUT_IMAGE)

    def put(self, data: bytes, *, due_at: float | None = None) -> str:
        digest = hashlib.sha256(data).hexdigest()
        wait_s = max(0.0, (due_at or 0.0) - self._clock())
        self._put(keys=[self._key("image", digest)], args=[data, self._ttl_s + int(wait_s)])
        return digest

    def get(self, sha256: str) -> bytes | None:
        return self._client.get(self._key("image", sha256))

    def exists(self, sha256: str) -> bool:
        return bool(self._client.exists(self._key("image", sha256)))


class RedisFollowerSnapshots:
    """``agents.insights.followers.FollowerSnapshotStore`` on Redis: a list per channel, oldest
    first, keeping the last ``keep`` snapshots (a year of weekly runs by default)."""

    def __init__(self, client: redis.Redis[bytes], keys: _Keys, *, keep: int = 60) -> None:
        self._client = client
        self._key = keys
        self._keep = keep

    def load(self, channel_id: str) -> list[FollowerSnapshot]:
        raw = self._client.lrange(self._key("followers", channel_id), 0, -1)
        return [FollowerSnapshot.model_validate_json(item) for item in raw]

    def save(self, channel_id: str, snapshot: FollowerSnapshot) -> None:
        key = self._key("followers", channel_id)
        with self._client.pipeline(transaction=True) as pipe:
            pipe.rpush(key, snapshot.model_dump_json())
            pipe.ltrim(key, -self._keep, -1)
            pipe.execute()


@dataclass(frozen=True)
class Store:
    """Every part of the store, sharing one Redis client and key prefix."""

    client: redis.Redis[bytes]
    renewer: Renewer
    credentials: CredentialVault
    ledger: RedisPublishLedger
    outcomes: OutcomeLog
    oauth_states: OAuthStates
    documents: Documents
    follower_snapshots: RedisFollowerSnapshots
    dead_reasons: DeadReasons

    @classmethod
    def build(
        cls,
        client: redis.Redis[bytes],
        box: SecretBox,
        *,
        prefix: str = "pinterest-agent",
        events_stream: str = "pinterest-agent:events",
        clock: Callable[[], float] = time.time,
        outcome_ttl_s: int | None = None,
        renewer: Renewer | None = None,
        lease_ttl_ms: int = DEFAULT_CLAIM_TTL_MS,
        reconcile_after_ms: int = DEFAULT_RECONCILE_AFTER_MS,
        settle_ms: int = DEFAULT_SETTLE_MS,
        settle_margin_ms: int = DEFAULT_SETTLE_MARGIN_MS,
    ) -> Store:
        keys = _Keys(prefix)
        renewer = renewer or Renewer(client)
        outcomes = OutcomeLog(client, keys, events_stream, clock, ttl_s=outcome_ttl_s)
        return cls(
            client=client,
            renewer=renewer,
            credentials=CredentialVault(client, box, keys),
            ledger=RedisPublishLedger(client, keys, renewer, lease_ttl_ms=lease_ttl_ms,
                                      reconcile_after_ms=reconcile_after_ms, settle_ms=settle_ms,
                                      settle_margin_ms=settle_margin_ms,
                                      outcomes=outcomes),
            outcomes=outcomes,
            oauth_states=OAuthStates(client, keys),
            documents=Documents(client, keys),
            follower_snapshots=RedisFollowerSnapshots(client, keys),
            dead_reasons=DeadReasons(client, prefix),
        )


def _str(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()
