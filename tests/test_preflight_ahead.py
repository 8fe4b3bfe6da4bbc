"""Link preflights started ahead of their jobs (``providers/netsafe/ahead.py``), with real threads:
a job uses a verdict that passed or waits for the check in flight (one request, never two), a
failure is never reused (the job asks again and fails with its own error), a queued check is
taken back by its job, and the pool is bounded (overflow dropped, never queued without end).

The pool runs the real :class:`CachedChecks` over a scripted fetcher whose requests can be held
open, so every interleaving below is forced, not waited for.
"""

from __future__ import annotations

import threading

import pytest

from pinterest_agent.providers.netsafe import DestinationUnreachableError
from pinterest_agent.providers.netsafe.ahead import PreflightAhead
from pinterest_agent.providers.netsafe.verdicts import CachedChecks
from tests.helpers import wait_for

POOL = "preflight-ahead"


class HeldFetcher:
    """A fetcher whose ``check_reachable`` records (url, thread), and can be held open."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.failing: set[str] = set()
        self._gates: dict[str, threading.Event] = {}
        self.started: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def hold(self, url: str) -> None:
        self._gates[url] = threading.Event()
        self.started[url] = threading.Event()

    def release(self, url: str) -> None:
        self._gates[url].set()

    def check_reachable(self, url: str) -> int:
        with self._lock:
            self.calls.append((url, threading.current_thread().name))
        if url in self._gates:
            self.started[url].set()
            self._gates[url].wait(10)
        if url in self.failing:
            raise DestinationUnreachableError("the page answered 404", url=url)
        return 200

    def urls(self) -> list[str]:
        with self._lock:
            return [url for url, _ in self.calls]

    def by_pool(self, url: str) -> int:
        with self._lock:
            return sum(1 for u, thread in self.calls if u == url and thread.startswith(POOL))


def _pool(concurrency: int = 4, backlog: int = 16) -> tuple[PreflightAhead, HeldFetcher,
                                                            CachedChecks]:
    fetcher = HeldFetcher()
    checks = CachedChecks(fetcher, ttl_s=300)  # type: ignore[arg-type]
    return PreflightAhead(checks, wait_s=10, concurrency=concurrency, backlog=backlog), \
        fetcher, checks


def _in_thread(call: object) -> tuple[threading.Thread, list[BaseException | None]]:
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()  # type: ignore[operator]
        except BaseException as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_job_uses_the_verdict_that_passed_ahead_of_it() -> None:
    ahead, fetcher, checks = _pool()
    url = "https://shop.example/p/1"
    # Given a link preflighted when its message was fetched
    assert ahead.submit(url)
    wait_for(lambda: checks.reachable_passed(url))
    # When its job checks it
    ahead.check_reachable(url)
    # Then the site was asked once, by the pool, and a second fetch of the link asks nothing
    assert fetcher.calls == [(url, f"{POOL}-0")]
    assert not ahead.submit(url)
    assert fetcher.urls() == [url]
    ahead.close()


def test_a_job_waits_for_the_preflight_in_flight_instead_of_asking_again() -> None:
    ahead, fetcher, _ = _pool()
    url = "https://shop.example/p/2"
    # Given the link's early preflight is running (its request held open)
    fetcher.hold(url)
    assert ahead.submit(url)
    assert fetcher.started[url].wait(10)
    # When the job checks the link meanwhile
    job, outcome = _in_thread(lambda: ahead.check_reachable(url))
    job.join(0.2)
    # Then it waits for that answer, and uses it: one request in all
    assert job.is_alive()
    fetcher.release(url)
    job.join(10)
    assert outcome == [None]
    assert fetcher.calls == [(url, f"{POOL}-0")]
    ahead.close()


@pytest.mark.parametrize("in_flight", [True, False], ids=["in-flight", "finished"])
def test_an_early_failure_is_not_reused_the_job_asks_again_and_fails_with_its_own_error(
    in_flight: bool,
) -> None:
    ahead, fetcher, checks = _pool()
    url = "https://shop.example/gone"
    fetcher.failing.add(url)
    if in_flight:
        fetcher.hold(url)
    # Given the link's early preflight fails (while the job waits for it, or before)
    assert ahead.submit(url)
    if in_flight:
        assert fetcher.started[url].wait(10)
        job, outcome = _in_thread(lambda: ahead.check_reachable(url))
        fetcher.release(url)
        job.join(10)
        failure = outcome[0]
    else:
        wait_for(lambda: ahead.pending() == 0)
        with pytest.raises(DestinationUnreachableError) as raised:
            ahead.check_reachable(url)
        failure = raised.value
    # Then the job asked the site itself and failed with the error it always had
    assert isinstance(failure, DestinationUnreachableError)
    assert failure.code == "destination_unreachable"
    assert fetcher.urls() == [url, url]
    assert fetcher.by_pool(url) == 1
    # And nothing was remembered: the next fetch of the link preflights it again
    assert not checks.reachable_passed(url)
    assert ahead.submit(url)
    wait_for(lambda: ahead.pending() == 0)
    assert fetcher.by_pool(url) == 2
    ahead.close()


def test_a_queued_preflight_is_taken_back_by_its_job() -> None:
    ahead, fetcher, checks = _pool(concurrency=1)
    first, second, third = (f"https://shop.example/q/{n}" for n in range(3))
    # Given the pool's one thread is busy and the second link waits in the backlog
    fetcher.hold(first)
    assert ahead.submit(first)
    assert fetcher.started[first].wait(10)
    assert ahead.submit(second)
    # When the second link's job comes first
    ahead.check_reachable(second)
    # Then it checks the link itself at once, and the pool skips it later
    fetcher.release(first)
    assert ahead.submit(third)
    wait_for(lambda: checks.reachable_passed(third))
    assert fetcher.urls() == [first, second, third]
    assert fetcher.by_pool(second) == 0
    ahead.close()


def test_the_pool_is_bounded_and_drops_what_does_not_fit() -> None:
    ahead, fetcher, _ = _pool(concurrency=1, backlog=2)
    urls = [f"https://shop.example/b/{n}" for n in range(10)]
    # Given the pool's one thread is held by a slow page
    fetcher.hold(urls[0])
    assert ahead.submit(urls[0])
    assert fetcher.started[urls[0]].wait(10)
    # When nine more links are fetched
    queued = [ahead.submit(url) for url in urls[1:]]
    # Then two wait in the backlog, the others are dropped (left to their jobs)
    assert queued == [True, True] + [False] * 7
    assert ahead.dropped == 7
    assert ahead.pending() == 3
    # And a dropped link's job checks it itself
    ahead.check_reachable(urls[5])
    assert fetcher.calls[-1] == (urls[5], threading.current_thread().name)
    fetcher.release(urls[0])
    wait_for(lambda: ahead.pending() == 0)
    assert sorted(fetcher.urls()) == sorted([*urls[:3], urls[5]])
    ahead.close()


def test_submit_never_raises_nor_queues_after_close() -> None:
    class BrokenChecks:
        def reachable_passed(self, url: str) -> bool:
            raise RuntimeError("a bug")

        def check_reachable(self, url: str) -> None:
            raise AssertionError("not reached")

    # A bug behind submit is logged, not raised into the consumer that called it
    assert PreflightAhead(BrokenChecks(), wait_s=1).submit("https://shop.example/") is False
    ahead, fetcher, _ = _pool()
    ahead.close()
    assert ahead.submit("https://shop.example/late") is False
    assert fetcher.calls == []


def test_the_pool_refuses_a_shape_without_bounds() -> None:
    _, _, checks = _pool()
    for bad in ({"concurrency": 0}, {"backlog": 0}, {"wait_s": 0}):
        kwargs = {"wait_s": 1.0, **bad}
        with pytest.raises(ValueError):
            PreflightAhead(checks, **kwargs)  # type: ignore[arg-type]
