"""Short-lived claims kept alive by the live holder: publish leases and channel write slots.

A claim in Redis (a post's publish lease, a channel's write slot) has a short TTL so that a
killed worker's claims lapse within seconds. While the holder works, :class:`Renewer` (one
daemon thread per process) renews every claim it holds every ``interval_s`` in one pipelined
round trip. A renewal that fails (Redis briefly gone) is retried at the next tick; a lease that
lapsed meanwhile is taken back only if nobody else took it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from pinterest_agent.queues.lua import load_script

__all__ = ["DEFAULT_CLAIM_TTL_MS", "Claim", "Renewer"]

log = logging.getLogger(__name__)

DEFAULT_CLAIM_TTL_MS = 6_000
"""A claim outlives its holder by at most this much."""

_LUA = "pinterest_agent.queues.stores"
_RENEW_LEASE = load_script(_LUA, "renewal_renew_lease")

_RENEW_SLOT = load_script(_LUA, "renewal_renew_slot")


@dataclass(frozen=True, slots=True)
class Claim:
    kind: str  # "lease" or "slot"
    key: str
    holder: str
    ttl_ms: int


class Renewer:
    def __init__(self, client: redis.Redis[bytes], *, interval_s: float | None = None) -> None:
        self._client = client
        self._interval_s = interval_s
        self._claims: dict[int, Claim] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._renew_lease = client.register_script(_RENEW_LEASE)
        self._renew_slot = client.register_script(_RENEW_SLOT)
        self._failing = False
        self._lost: set[Claim] = set()

    @contextmanager
    def hold(self, claim: Claim) -> Iterator[None]:
        """Keep *claim* alive for the duration of the block."""
        token = id(object())
        with self._lock:
            self._claims[token] = claim
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="claim-renewer",
                                                daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._claims.pop(token, None)
                self._lost.discard(claim)

    def held(self) -> list[Claim]:
        with self._lock:
            return list(self._claims.values())

    def renew_now(self) -> None:
        """Renew every held claim once (what the thread does each tick)."""
        claims = self.held()
        if not claims:
            return
        with self._client.pipeline(transaction=False) as pipe:
            for claim in claims:
                script = self._renew_lease if claim.kind == "lease" else self._renew_slot
                script(keys=[claim.key], args=[claim.holder, claim.ttl_ms], client=pipe)
            renewed = pipe.execute()
        for claim, ok in zip(claims, renewed, strict=True):
            if not ok and claim not in self._lost:
                # Its TTL ran out before this renewal and someone else holds it now: the holder
                # is fenced off (marking "creating" checks the lease) and any create it sent is
                # settled before another is sent; worth knowing, since it means renewals lag.
                self._lost.add(claim)
                log.warning("a held %s lapsed before it was renewed and is now someone else's "
                            "(%s); renewals are late: is the worker overloaded?", claim.kind,
                            claim.key)

    def _interval(self) -> float:
        if self._interval_s is not None:
            return self._interval_s
        ttls = [claim.ttl_ms for claim in self.held()] or [DEFAULT_CLAIM_TTL_MS]
        return max(0.05, min(ttls) / 3000)

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval())
            try:
                self.renew_now()
                if self._failing:
                    log.info("claims are being renewed again")
                self._failing = False
            except redis.RedisError as exc:
                if not self._failing:
                    log.warning("could not renew held claims (%s); retrying", exc)
                self._failing = True
