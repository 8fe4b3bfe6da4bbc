"""Each channel's turns on a queue: the Redis side of fair dispatch.

At most ``limit`` jobs of one channel run at once across every worker (a *turn* each, a lease
renewed while the job lives, so a killed worker's turn lapses within ``ttl_ms``). A job that
finds its channel's turns taken, or older posts of its channel already waiting, is *parked*:
its encoded message is kept here, in the order it arrived, and the broker message is acked.
When a turn ends, the channel's oldest parked message is *handed* the turn and sent to the
broker again (:meth:`ChannelTurns.hand_on`), so a channel with 10,000 posts waiting holds
``limit`` worker threads, not all of them, and another channel's posts are not queued behind
its backlog.

Nothing is lost on the way: a parked message is acked only after it is stored; a handed one is
kept (``outmsgs``) until :meth:`ChannelTurns.sent` confirms the broker has it, and handed again
by the next sweep when its sender died in between (a duplicate costs one no-op attempt: a post
is published at most once by its business key).

Keys, under ``{prefix}:turns:{queue}``: ``run:{channel}`` (zset id -> lease deadline),
``park:{channel}`` (zset id -> rank), ``msgs:{channel}`` (hash id -> message), ``out:{channel}``
(zset id -> handed at), ``outmsgs:{channel}`` (hash), ``seq:{channel}``, and ``channels`` (the
channels with parked or handed messages, for the sweep).

Tenants: a channel may belong to a tenant (``{prefix}:channel-tenants``, hash channel -> tenant,
written by ``pinterest-agent channels set --tenant``; :class:`ChannelTenants`). With
``tenant_limit`` set, a job also needs one of its tenant's turns: at most ``tenant_limit`` jobs
of all the tenant's channels hold a turn at once (or are on their way, handed one). The tenant
is looked up inside the scripts, so a change takes effect at the next admit, and the tenant's
turns are counted from its channels' own turns (``tenant:{tenant}``, the set of its channels
with turns or parked messages): nothing more to renew, and a killed worker's turns lapse for
the tenant when they lapse for the channel. A freed tenant turn goes round robin across the
tenant's channels with parked messages (``rr:{tenant}``, the channel served last), oldest
first within each. A channel without a tenant is its own (only its channel turns apply).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from pinterest_agent.queues.lua import load_script
from pinterest_agent.queues.stores.keys import Keys, as_bytes, as_str
from pinterest_agent.queues.stores.renewal import Claim, Renewer

__all__ = ["FORGET_HANDED_MS", "RESEND_AFTER_MS", "ChannelTenants", "ChannelTurns", "Handed",
           "Waiting"]

_LUA = "pinterest_agent.queues.stores"
_ADMIT = load_script(_LUA, "turns_admit")
_HAND_ON = load_script(_LUA, "turns_hand_on")
_SENT = load_script(_LUA, "turns_sent")

RESEND_AFTER_MS = 30_000
"""A handed message whose sender did not confirm it within this is handed again."""
FORGET_HANDED_MS = 15 * 60_000
"""A handed message sent but not started within this no longer holds its channel's turn."""


@dataclass(frozen=True, slots=True)
class Handed:
    """A parked message handed a turn: send *body* to the broker, then confirm it."""

    channel: str
    message_id: str
    rank: str
    """Its place among the channel's parked messages ('' when handed again after a loss)."""
    body: bytes


@dataclass(frozen=True, slots=True)
class Waiting:
    """A channel's parked messages: how many, and how long the oldest has waited."""

    channel: str
    parked: int
    running: int
    oldest_s: float


class ChannelTenants:
    """Which tenant owns each channel (``{prefix}:channel-tenants``), read by the turn scripts."""

    def __init__(self, client: redis.Redis[bytes], *, prefix: str) -> None:
        self._client = client
        self.key = Keys(prefix)("channel-tenants")

    def get(self, channel: str) -> str | None:
        found = self._client.hget(self.key, channel)
        return as_str(found) if found else None

    def put(self, channel: str, tenant: str | None) -> None:
        """Set (or with None clear: the channel is its own tenant) *channel*'s tenant."""
        if tenant:
            self._client.hset(self.key, channel, tenant)
        else:
            self._client.hdel(self.key, channel)

    def all(self) -> dict[str, str]:
        return {as_str(c): as_str(t) for c, t in self._client.hgetall(self.key).items()}


class ChannelTurns:
    """The turns of one queue's channels (see the module docstring)."""

    def __init__(self, client: redis.Redis[bytes], renewer: Renewer, *, prefix: str, queue: str,
                 limit: int, ttl_ms: int, tenant_limit: int = 0) -> None:
        if limit < 1:
            raise ValueError("a channel needs at least one turn")
        if tenant_limit < 0:
            raise ValueError("a tenant's turns are 0 (no tenant limit) or more")
        self._client = client
        self._renewer = renewer
        self._keys = Keys(prefix)
        self.queue = queue
        self.limit = limit
        self._ttl_ms = ttl_ms
        self.tenant_limit = tenant_limit
        self._base = self._keys("turns", queue, "")
        self._tenants = ChannelTenants(client, prefix=prefix).key
        self._admit = client.register_script(_ADMIT)
        self._hand_on = client.register_script(_HAND_ON)
        self._sent = client.register_script(_SENT)

    def _channel_keys(self, channel: str) -> list[str]:
        return [self._keys("turns", self.queue, part, channel)
                for part in ("run", "park", "msgs", "out", "outmsgs", "seq")] + [
            self._keys("turns", self.queue, "channels"), self._tenants]

    def admit(self, channel: str, message_id: str, body: bytes, *, handed: bool = False,
              rank: str = "") -> bool:
        """True: the job holds one of the channel's turns (keep it with :meth:`hold`, end it
        with :meth:`hand_on`). False: the message is parked and will be handed a turn, lowest
        *rank* first ('' ranks it by the time it is parked)."""
        return bool(self._admit(keys=self._channel_keys(channel), args=[
            message_id, body, self.limit, self._ttl_ms, channel, "1" if handed else "", rank,
            self._base, self.tenant_limit]))

    def admit_many(self, asks: list[tuple[str, str, bytes, str]]) -> list[bool]:
        """:meth:`admit` for each ``(channel, message_id, body, rank)``, in one round trip
        (each one atomic on its own)."""
        if not asks:
            return []
        with self._client.pipeline(transaction=False) as pipe:
            for channel, message_id, body, rank in asks:
                self._admit(keys=self._channel_keys(channel), args=[
                    message_id, body, self.limit, self._ttl_ms, channel, "", rank, self._base,
                    self.tenant_limit], client=pipe)
            return [bool(result) for result in pipe.execute()]

    @contextmanager
    def hold(self, channel: str, message_id: str) -> Iterator[None]:
        """Renew the job's turn while the block runs (it lapses ``ttl_ms`` after a crash)."""
        with self._renewer.hold(Claim("slot", self._channel_keys(channel)[0], message_id,
                                      self._ttl_ms)):
            yield

    def hand_on(self, channel: str, message_id: str = "") -> list[Handed]:
        """End *message_id*'s turn (or its unused handed turn; '' for none) and hand the
        channel's free turns to its oldest parked messages, which the caller sends (for a
        channel of a tenant: the tenant's free turns, round robin across its channels)."""
        return self.hand_on_ahead(channel, message_id, ahead=0)[0]

    def hand_on_ahead(self, channel: str, message_id: str = "", *, ahead: int
                      ) -> tuple[list[Handed], list[bytes]]:
        """:meth:`hand_on`, and what :meth:`upcoming` would say right after it (at most
        *ahead* messages), in the same round trip."""
        sent, upcoming = self._hand_on(keys=self._channel_keys(channel), args=[
            message_id, self.limit, RESEND_AFTER_MS, FORGET_HANDED_MS, channel, self._base,
            self.tenant_limit, ahead])
        handed = [Handed(as_str(sent[i]), as_str(sent[i + 1]), as_str(sent[i + 2]),
                         as_bytes(sent[i + 3])) for i in range(0, len(sent), 4)]
        return handed, [as_bytes(body) for body in upcoming]

    def upcoming(self, channel: str, count: int) -> list[bytes]:
        """The messages next in line among *channel*'s parked ones (at most *count*)."""
        keys = self._channel_keys(channel)
        ids = self._client.zrange(keys[1], 0, count - 1)
        if not ids:
            return []
        return [body for body in self._client.hmget(keys[2], ids) if body is not None]

    def sent(self, handed: Handed) -> None:
        """The broker has *handed*'s message: drop the copy kept in case it was lost."""
        keys = self._channel_keys(handed.channel)
        self._sent(keys=[keys[3], keys[4]], args=[handed.message_id])

    def channels(self) -> list[str]:
        """Channels with messages parked or handed (the ones a sweep looks at)."""
        key = self._keys("turns", self.queue, "channels")
        return sorted(as_str(member) for member, _ in self._client.zscan_iter(key))

    def waiting(self, channels: list[str]) -> list[Waiting]:
        """How many of each channel's messages are parked and running, and the oldest's age."""
        now_s, micros = self._client.time()
        now_ms = now_s * 1000 + micros // 1000
        with self._client.pipeline(transaction=False) as pipe:
            for channel in channels:
                keys = self._channel_keys(channel)
                pipe.zcard(keys[1])
                pipe.zcount(keys[0], now_ms, "+inf")
                pipe.zrange(keys[1], 0, 0, withscores=True)
            replies = pipe.execute()
        found = []
        for index, channel in enumerate(channels):
            parked, running, head = replies[3 * index: 3 * index + 3]
            oldest_s = max(0.0, (now_ms - head[0][1] // 1000) / 1000) if head else 0.0
            found.append(Waiting(channel, int(parked), int(running), oldest_s))
        return found
