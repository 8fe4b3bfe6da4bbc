"""Fair dispatch on the publisher queue: each channel takes its turns, none holds the queue.

Dramatiq serves a queue first in, first out: 10,000 posts for one channel ahead of five for
another would make the five wait for the whole backlog, although the busy channel cannot go
faster than its own write slots anyway. So a publish job asks for one of its channel's turns
(:class:`~queues.stores.turns.ChannelTurns`, ``channel_turns`` per channel across every worker)
right before it publishes. Without one its message is parked in Redis, in order, and the worker
thread is free at once for the next message; when a turn of that channel ends, its oldest
parked message is sent to the broker again, marked as handed the turn (``turn_handed``). Works
the same on both brokers. The backlog is visible as ``pinterest_agent_channel_waiting`` and
``pinterest_agent_channel_oldest_wait_seconds``. A channel of a tenant (``channels set --tenant``)
also needs one of the tenant's ``tenant_turns``; the store's scripts apply that and hand a freed
tenant turn round robin across the tenant's channels, so nothing here changes for it.

:class:`TurnSweeper` runs in each worker: it hands turns freed by a killed worker (its lease
lapsed) to the channel's parked messages, re-sends a handed message whose sender died before
the broker had it, and updates the gauges.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

import dramatiq
import redis
from dramatiq import Message
from dramatiq.middleware import Middleware

from pinterest_agent.observability.metrics import count_parked, set_queue_depth, set_waiting
from pinterest_agent.queues.jobs.publish import due_channel
from pinterest_agent.queues.stores.turns import ChannelTurns, Handed

__all__ = ["CHANNEL", "HANDED", "RANK", "FairDispatch", "Turn", "TurnSweeper"]

log = logging.getLogger(__name__)

HANDED = "turn_handed"
"""Message option: this message was handed one of its channel's turns."""
RANK = "turn_rank"
"""Message option: its place among its channel's parked messages (kept if it is parked again);
without it, its first enqueue time (``message_timestamp``, ms) x 1000."""
CHANNEL = "turn_channel"
"""Message option: the channel whose turn it was handed (freed if the job ends without it)."""

PARKING_S = 2.0
"""How long after parking a channel's message this process treats the channel as backlogged."""
LOOK_AHEAD = 2
"""Parked messages given to the ``ahead`` hook, per turn of the channel."""

Send = Callable[[Message], Any]
"""Puts a message on its queue (the broker's ``enqueue``)."""


class Turn:
    """One job's side of fair dispatch: :meth:`take` right before the work that needs a turn."""

    def __init__(self, turns: ChannelTurns, message: Any, stack: ExitStack,
                 on_park: Callable[[str], None] = lambda channel: None) -> None:
        self._turns = turns
        self._message = message
        self._stack = stack
        self._on_park = on_park
        self.channel: str | None = None
        self.held = False

    @property
    def handed(self) -> bool:
        return bool(self._message.options.get(HANDED))

    def take(self, channel: str) -> bool:
        """True: run now (the turn is held until the job ends; asking again is free). False:
        the message is parked in order and will come back when the channel has a turn free;
        return at once."""
        if self.held:
            return channel == self.channel
        self.channel = channel
        body = self._message.encode()
        # Its place in line: when it was first enqueued (a retry, or a message redelivered
        # after its worker died and its turn lapsed, goes back to the front, not the end).
        rank = self._message.options.get(RANK) or int(self._message.message_timestamp) * 1000
        self.held = self._turns.admit(channel, str(self._message.message_id), body,
                                      handed=self.handed, rank=str(rank))
        if self.held:
            self._stack.enter_context(self._turns.hold(channel, str(self._message.message_id)))
        else:
            self._on_park(channel)
            count_parked(self._turns.queue)
            log.debug("message %s parked: channel %s has no turn free",
                      self._message.message_id, channel)
        return self.held


class FairDispatch:
    """Turns for the jobs of one queue, and the sending of parked messages handed a turn."""

    def __init__(self, turns: ChannelTurns, send: Send,
                 depth: Callable[[], int] | None = None,
                 ahead: Callable[[bytes], None] | None = None,
                 actor_name: str = "publish_post") -> None:
        self.turns = turns
        self._actor_name = actor_name
        self._send = send
        self._depth = depth
        self._ahead = ahead
        self._parking: dict[str, float] = {}
        """Given the messages next in line whenever turns are handed on (the publisher starts
        their destination preflights, so a parked post's check is done when its turn comes)."""

    @contextmanager
    def job(self, message: Any) -> Iterator[Turn]:
        """The block one job runs in. Whatever way it ends, its turn (held, or handed and not
        taken) passes to the channel's next parked message."""
        with ExitStack() as stack:
            turn = Turn(self.turns, message, stack, self._parked)
            try:
                yield turn
            finally:
                stack.close()  # stop renewing before the turn is handed on
                handed_by = message.options.get(CHANNEL) if turn.handed else None
                channel = turn.channel if turn.held else handed_by
                if isinstance(channel, str) and channel:
                    self._end_turn(channel, str(message.message_id))

    def _end_turn(self, channel: str, message_id: str) -> None:
        try:
            self.hand_on(channel, message_id)
        except redis.RedisError as exc:  # the job's own result stands; the sweep hands it on
            log.warning("could not hand channel %s's turn on (%s); the next sweep will, once "
                        "it lapses", channel, exc)

    def _parked(self, channel: str) -> None:
        self._parking[channel] = time.monotonic()

    def parking(self, channel: str) -> bool:
        """Whether this process parked one of *channel*'s messages in the last
        :data:`PARKING_S` seconds (its backlog is waiting: a fetched message of it will most
        likely be parked too, so the fetch-time preflight leaves it to the ``ahead`` hook)."""
        at = self._parking.get(channel)
        return at is not None and time.monotonic() - at < PARKING_S

    def divert(self, queue: str, fetched: list[tuple[str, Mapping[str, Any], bytes]]
               ) -> set[str]:
        """The broker's divert hook (Redis): of a fetched batch, the posts due now of channels
        whose backlog this process is parking ask for their turn right here, together, in one
        round trip; those parked are returned (the broker acknowledges them) and never take a
        worker thread. The others run as usual (a turn taken here is the job's own)."""
        if queue != self.turns.queue:
            return set()
        now_s = time.time()
        asks: list[tuple[str, str, bytes, str]] = []
        ids: list[str] = []
        for redis_id, envelope, body in fetched:
            channel = self._backlogged(envelope, now_s)
            if channel is None:
                continue
            rank = int(envelope.get("message_timestamp") or 0) * 1000 or ""
            asks.append((channel, str(envelope["message_id"]), body, str(rank)))
            ids.append(redis_id)
        parked = set()
        for redis_id, (channel, _, _, _), admitted in zip(
                ids, asks, self.turns.admit_many(asks), strict=True):
            if not admitted:
                parked.add(redis_id)
                self._parked(channel)
                count_parked(self.turns.queue)
        return parked

    def _backlogged(self, envelope: Mapping[str, Any], now_s: float) -> str | None:
        """The channel of a fetched post due now whose backlog this process is parking."""
        if envelope.get("actor_name") != self._actor_name:
            return None
        options = envelope.get("options")
        if not isinstance(options, dict) or options.get(HANDED):
            return None  # a message handed its turn takes it in its job
        args = envelope.get("args")
        if not isinstance(args, list) or len(args) != 1 \
                or not isinstance(envelope.get("message_id"), str):
            return None
        channel = due_channel(args[0], now_s=now_s)
        return channel if channel is not None and self.parking(channel) else None

    def hand_on(self, channel: str, message_id: str = "") -> int:
        """End *message_id*'s turn ('' for a sweep) and send the messages handed the free
        turns; returns how many were sent."""
        # the messages next in line come back with the turns handed on: one round trip
        ahead = LOOK_AHEAD * self.turns.limit if self._ahead is not None else 0
        handed, upcoming = self.turns.hand_on_ahead(channel, message_id, ahead=ahead)
        for one in handed:
            self._send_handed(one)
        if self._ahead is not None and (handed or message_id):
            for body in upcoming:
                self._ahead(body)
        return len(handed)

    def _send_handed(self, handed: Handed) -> None:
        message = Message.decode(handed.body)
        options = {key: value for key, value in message.options.items()
                   if key not in ("eta", "redis_message_id")}
        options[HANDED] = True
        options[CHANNEL] = handed.channel
        if handed.rank:
            options[RANK] = handed.rank
        self._send(message.copy(options=options))
        self.turns.sent(handed)

    def sweep(self) -> int:
        """Hand every channel's free turns on (lapsed turns included); update the gauges.
        Returns how many messages were sent."""
        channels = self.turns.channels()
        sent = sum(self.hand_on(channel) for channel in channels)
        set_waiting(self.turns.queue, self.turns.waiting(channels))
        if self._depth is not None:
            try:
                set_queue_depth(self.turns.queue, self._depth())
            except Exception as exc:  # the broker's trouble shows elsewhere; the sweep goes on
                log.debug("queue depth unavailable: %s", exc)
        return sent


class TurnSweeper(Middleware):  # type: ignore[misc]
    """Runs :meth:`FairDispatch.sweep` every ``interval_s`` in each worker process."""

    def __init__(self, dispatch: FairDispatch, *, interval_s: float) -> None:
        self._dispatch = dispatch
        self._interval_s = interval_s
        self._stop = threading.Event()

    def after_worker_boot(self, broker: dramatiq.Broker, worker: Any) -> None:
        self._stop.clear()
        threading.Thread(target=self._run, name="turn-sweeper", daemon=True).start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        self._stop.set()

    def _run(self) -> None:
        failing = False
        while not self._stop.wait(self._interval_s):
            try:
                sent = self._dispatch.sweep()
                if sent:
                    log.info("handed %d parked message(s) their channel's turn", sent)
                if failing:
                    log.info("the turn sweep works again")
                failing = False
            except (redis.RedisError, OSError) as exc:
                if not failing:
                    log.warning("the turn sweep failed (%s); retrying every %gs", exc,
                                self._interval_s)
                failing = True
            except Exception:  # a bad parked message must not stop the sweep for good
                log.exception("the turn sweep failed")
