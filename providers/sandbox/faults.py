"""Fault and latency injection for the sandbox: rules that make matching requests fail or lag.

A :class:`Fault` matches a method (``"*"`` for any) and a path regex that must match the whole
path (no query string). When it applies, the server, in this order:

1. sleeps ``latency_ms`` (or, with ``latency_max_ms``, a time drawn evenly between the two for
   each request) and, separately, ``hang_s``, long enough to trip a client timeout; the sleep
   ends early when the server stops;
2. answers ``status`` with ``body`` (JSON; a Pinterest ``{code, message}`` default for the status)
   and ``headers`` (e.g. ``Retry-After``, ``x-ratelimit-remaining``), *instead of* running the
   handler; or, with ``after=True``, runs the handler first (the Pin really is created), then
   sleeps, then answers with the fault, emulating "it worked but the client saw an error" (or,
   with a long ``hang_s``, "it worked and the worker died waiting for the answer").

A fault without ``status`` only adds delay. ``probability`` (default 1) makes a fault apply to
each matching request with that chance (a request it passes over goes on to the next matching
fault, and does not count against ``times``). ``times`` caps how many requests a fault applies
to (``None``: all of them); spent faults are dropped. The first matching fault that applies
wins.

In process: ``server.state.faults.add("POST", r"/v5/pins", status=429, times=2)``.
Over HTTP: ``POST /_sandbox/faults`` with the same fields as JSON
(see :meth:`FaultRegistry.add_json`), ``GET /_sandbox/faults`` lists them and
``DELETE /_sandbox/faults`` clears them.
"""

from __future__ import annotations

import itertools
import random
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_BODIES", "Fault", "FaultRegistry"]

DEFAULT_BODIES: dict[int, dict[str, object]] = {
    400: {"code": 1, "message": "Invalid request."},
    401: {"code": 2, "message": "Authentication failed."},
    403: {"code": 3, "message": "Your token does not have sufficient permissions."},
    404: {"code": 404, "message": "Not found."},
    429: {"code": 8, "message": "You have exceeded your rate limit. Try again later."},
    500: {"code": 2787, "message": "Something went wrong on our end. Sorry about that."},
    502: {"code": 2787, "message": "Bad gateway."},
    503: {"code": 2787, "message": "Service unavailable. Please try again later."},
}


@dataclass
class Fault:
    """One injected fault; see the module docstring for what each field does."""

    method: str = "*"
    path: str = ".*"
    status: int | None = None
    body: object | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None
    latency_ms: int = 0
    hang_s: float = 0.0
    after: bool = False
    probability: float = 1.0
    latency_max_ms: int | None = None
    id: int = 0
    hits: int = 0
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        self.regex = re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to ``method`` on ``path`` (ignoring ``times``)."""
        if self.method not in ("*", method.upper()):
            return False
        return self.regex.fullmatch(path) is not None

    @property
    def response_body(self) -> object | None:
        """The JSON body to answer with (the status's default envelope when none was given)."""
        if self.body is not None or self.status is None:
            return self.body
        return DEFAULT_BODIES.get(self.status, {"code": 1, "message": f"Injected {self.status}."})

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view (for ``GET /_sandbox/faults``)."""
        return {
            "id": self.id, "method": self.method, "path": self.path, "status": self.status,
            "body": self.body, "headers": self.headers, "times": self.times,
            "latency_ms": self.latency_ms, "hang_s": self.hang_s, "after": self.after,
            "probability": self.probability, "latency_max_ms": self.latency_max_ms,
            "hits": self.hits,
        }


class FaultRegistry:
    """The active faults of one sandbox; thread-safe."""

    def __init__(self, *, rng: random.Random | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._rng = rng or random.Random()

    def add(
        self,
        method: str = "*",
        path: str = ".*",
        *,
        status: int | None = None,
        body: object | None = None,
        headers: Mapping[str, str] | None = None,
        times: int | None = None,
        latency_ms: int = 0,
        hang_s: float = 0.0,
        after: bool = False,
        probability: float = 1.0,
        latency_max_ms: int | None = None,
    ) -> Fault:
        """Add a fault; returns it (its ``hits`` count how often it applied)."""
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        if after and status is None:
            raise ValueError("after=True needs a status to answer with")
        if not 0 < probability <= 1:
            raise ValueError("probability must be above 0 and at most 1")
        if latency_max_ms is not None and latency_max_ms < latency_ms:
            raise ValueError("latency_max_ms must be at least latency_ms")
        fault = Fault(
            method, path, status, body, dict(headers or {}), times, latency_ms, hang_s, after,
            probability, latency_max_ms,
        )
        with self._lock:
            fault.id = next(self._ids)
            self._faults.append(fault)
        return fault

    def add_json(self, data: Mapping[str, Any]) -> Fault:
        """Add a fault from a JSON object with the keyword names of :meth:`add`."""
        known = {"method", "path", "status", "body", "headers", "times", "latency_ms",
                 "hang_s", "after", "probability", "latency_max_ms"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        return self.add(
            str(data.get("method", "*")),
            str(data.get("path", ".*")),
            status=_optional_int(data.get("status")),
            body=data.get("body"),
            headers={str(k): str(v) for k, v in dict(data.get("headers") or {}).items()},
            times=_optional_int(data.get("times")),
            latency_ms=int(data.get("latency_ms") or 0),
            hang_s=float(data.get("hang_s") or 0.0),
            after=bool(data.get("after", False)),
            probability=float(data.get("probability", 1.0)),
            latency_max_ms=_optional_int(data.get("latency_max_ms")),
        )

    def delay_ms(self, fault: Fault) -> int:
        """How long *fault* delays this request: ``latency_ms``, or drawn up to
        ``latency_max_ms``."""
        if fault.latency_max_ms is None:
            return fault.latency_ms
        with self._lock:
            return int(self._rng.uniform(fault.latency_ms, fault.latency_max_ms))

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching this request, counting one use of it."""
        with self._lock:
            if not self._faults:
                return None
            for fault in self._faults:
                if fault.matches(method, path) and (
                        fault.probability >= 1 or self._rng.random() < fault.probability):
                    fault.hits += 1
                    if fault.times is not None and fault.hits >= fault.times:
                        self._faults.remove(fault)
                    return fault
        return None

    def remove(self, fault_id: int) -> bool:
        """Drop one fault by id; whether it was there."""
        with self._lock:
            before = len(self._faults)
            self._faults = [fault for fault in self._faults if fault.id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        """Drop every fault."""
        with self._lock:
            self._faults.clear()

    def list(self) -> list[Fault]:
        """The active faults, in matching order."""
        with self._lock:
            return list(self._faults)

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)


def _optional_int(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise ValueError(f"expected an integer, got {value!r}")
    return int(value)
