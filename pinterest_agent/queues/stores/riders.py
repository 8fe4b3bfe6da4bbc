"""Writes that ride along with the calling thread's next script round trip.

A job stores a few things nobody reads back before its next round trip (an upstream post's copy,
``P:draft:{post_id}``). Inside :meth:`Riders.collect` such a write is queued (:meth:`add`) instead
of sent; the next script the same thread runs through :meth:`Riders.run` (the publish ledger's
lease) sends it in the same pipeline, ahead of the script; whatever is still queued when the
block ends (a post that waits for its time, fails its checks, ...) is sent then, on its own::

    with riders.collect():
        riders.add(lambda pipe: pipe.set(key, value, nx=True))   # queued
        riders.run(lease, keys=..., args=...)                    # SET + EVALSHA: one round trip

So a queued write is stored before anything the thread writes after it, and before the block
ends, however it ends. Outside a block :meth:`add` says False and the caller writes at once. A
queued write that Redis refuses while its script runs is logged: the script's answer (a lease
taken) stands.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import redis
from redis.commands.core import Script
from redis.exceptions import NoScriptError

__all__ = ["Riders", "Write"]

log = logging.getLogger(__name__)

Write = Callable[["redis.client.Pipeline[bytes]"], object]
"""Queues one command on the pipeline it is given (its reply is not read)."""


class Riders:
    """Queued writes of each thread (see the module)."""

    def __init__(self, client: redis.Redis[bytes]) -> None:
        self._client = client
        self._local = threading.local()

    def _pending(self) -> list[Write] | None:
        pending: list[Write] | None = getattr(self._local, "pending", None)
        return pending

    @contextmanager
    def collect(self) -> Iterator[None]:
        """Queue the thread's :meth:`add`-ed writes within the block; send what is left at its
        end (a failure to send them then is logged, not raised, when the block failed)."""
        outer = self._pending()
        pending: list[Write] = []
        self._local.pending = pending
        try:
            yield
        except BaseException:
            self._local.pending = outer
            try:
                self._send(pending)
            except redis.RedisError as exc:  # the block's own failure is the one to report
                log.warning("could not store %d queued write(s): %s", len(pending), exc)
            raise
        self._local.pending = outer
        self._send(pending)

    def add(self, write: Write) -> bool:
        """Queue *write* for the thread's next script round trip; False (nothing queued) outside
        :meth:`collect`."""
        pending = self._pending()
        if pending is None:
            return False
        pending.append(write)
        return True

    def run(self, script: Script, *, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """Run *script* (registered on this client) with the queued writes ahead of it, in one
        round trip; returns the script's reply."""
        pending = self._pending()
        if not pending:
            return script(keys=keys, args=args)
        writes = list(pending)
        pending.clear()
        with self._client.pipeline(transaction=False) as pipe:
            for write in writes:
                write(pipe)
            # EVALSHA itself: a Script on a pipeline costs a SCRIPT EXISTS round trip first
            sha: str = script.sha  # type: ignore[attr-defined]  # public, missing from the stubs
            pipe.evalsha(sha, len(keys), *keys, *args)
            replies = pipe.execute(raise_on_error=False)
        for reply in replies[:-1]:  # the script ran: its answer stands
            if isinstance(reply, Exception):
                log.warning("a queued write failed: %s", reply)
        reply = replies[-1]
        if isinstance(reply, NoScriptError):  # Redis lost its scripts: load it and run it
            return script(keys=keys, args=args)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def _send(self, pending: list[Write]) -> None:
        if not pending:
            return
        writes = list(pending)
        pending.clear()
        with self._client.pipeline(transaction=False) as pipe:
            for write in writes:
                write(pipe)
            pipe.execute()
