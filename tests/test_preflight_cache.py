"""Remembered check verdicts: a link that passed is not requested again within the TTL, a failure
is never remembered, URL syntax is always checked, a media host's addresses are checked once."""

from __future__ import annotations

from typing import Any

import pytest

from pinterest_agent.providers.netsafe import DestinationUnavailableError, UnsafeURLError
from pinterest_agent.providers.netsafe.verdicts import CachedChecks, VerdictCache


class CountingFetcher:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.failing: set[str] = set()

    def check_reachable(self, url: str) -> int:
        self.calls.append(("reachable", url))
        if url in self.failing:
            raise DestinationUnavailableError("down", url=url)
        return 200

    def check_link(self, url: str) -> Any:
        self.calls.append(("link", url))
        return None

    def check_url(self, url: str, field: str | None = None) -> Any:
        self.calls.append(("url", url))
        if "bad" in url:
            raise UnsafeURLError("bad", url=url, field=field)
        return None


def _checks(ttl_s: float = 300, now: list[float] | None = None) -> tuple[CachedChecks,
                                                                         CountingFetcher]:
    fetcher = CountingFetcher()
    clock = (lambda: now[0]) if now is not None else None
    checks = CachedChecks(fetcher, ttl_s=ttl_s, **({"clock": clock} if clock else {}))  # type: ignore[arg-type]
    return checks, fetcher


def test_a_passed_link_is_trusted_for_the_ttl_and_then_asked_again() -> None:
    now = [0.0]
    checks, fetcher = _checks(ttl_s=300, now=now)
    for _ in range(3):
        checks.check_reachable("https://shop.example/p/1")
    assert fetcher.calls == [("reachable", "https://shop.example/p/1")]
    now[0] = 301.0
    checks.check_reachable("https://shop.example/p/1")
    assert len(fetcher.calls) == 2


def test_failures_are_never_remembered() -> None:
    checks, fetcher = _checks()
    fetcher.failing.add("https://shop.example/down")
    for _ in range(2):
        with pytest.raises(DestinationUnavailableError):
            checks.check_reachable("https://shop.example/down")
    assert len(fetcher.calls) == 2


def test_media_hosts_are_checked_once_but_every_url_is_parsed() -> None:
    checks, fetcher = _checks()
    checks.check_url("https://cdn.example/a.jpg", "media.url")
    checks.check_url("https://cdn.example/b.jpg", "media.url")
    assert [c[0] for c in fetcher.calls] == ["url"]
    # A malformed URL on a known host is still refused (syntax is checked every time)
    with pytest.raises(UnsafeURLError):
        checks.check_url("https://user:pw@cdn.example/c.jpg", "media.url")
    # A host that failed is asked again
    for _ in range(2):
        with pytest.raises(UnsafeURLError):
            checks.check_url("https://bad.example/x.jpg", "media.url")
    assert [c[1] for c in fetcher.calls].count("https://bad.example/x.jpg") == 2


def test_ttl_zero_turns_caching_off_and_the_cache_is_bounded() -> None:
    checks, fetcher = _checks(ttl_s=0)
    checks.check_reachable("https://a.example/")
    checks.check_reachable("https://a.example/")
    assert len(fetcher.calls) == 2
    cache = VerdictCache(60, max_entries=2)
    for key in ("a", "b", "c"):
        cache.remember(key)
    assert not cache.passed("a") and cache.passed("b") and cache.passed("c")


class FakeShared:
    """The fleet's verdicts, scripted: url -> seconds left."""

    def __init__(self) -> None:
        self.left: dict[str, float] = {}
        self.written: list[tuple[str, float]] = []

    def passed_for(self, url: str) -> float | None:
        return self.left.get(url)

    def remember(self, url: str, ttl_s: float) -> None:
        self.written.append((url, ttl_s))


def test_a_verdict_shared_by_another_worker_is_trusted_only_for_what_is_left_of_it() -> None:
    now = [0.0]
    fetcher = CountingFetcher()
    shared = FakeShared()
    checks = CachedChecks(fetcher, ttl_s=300, shared=shared,  # type: ignore[arg-type]
                          clock=lambda: now[0])
    # Given a link another worker preflighted 295 s ago (5 s left of its 300)
    shared.left["https://shop.example/p/1"] = 5.0
    checks.check_reachable("https://shop.example/p/1")
    assert fetcher.calls == []
    # Then this process trusts it for those 5 s, not for a fresh 300
    now[0] = 4.0
    checks.check_reachable("https://shop.example/p/1")
    assert fetcher.calls == []
    del shared.left["https://shop.example/p/1"]
    now[0] = 6.0
    checks.check_reachable("https://shop.example/p/1")
    assert fetcher.calls == [("reachable", "https://shop.example/p/1")]
    # And a link that passes here is told to the fleet for the whole TTL; a failure is not
    assert shared.written == [("https://shop.example/p/1", 300)]
    fetcher.failing.add("https://shop.example/down")
    with pytest.raises(DestinationUnavailableError):
        checks.check_reachable("https://shop.example/down")
    assert shared.written == [("https://shop.example/p/1", 300)]


def test_ttl_zero_turns_the_shared_verdicts_off_too() -> None:
    fetcher = CountingFetcher()
    shared = FakeShared()
    shared.left["https://a.example/"] = 100.0
    checks = CachedChecks(fetcher, ttl_s=0, shared=shared)  # type: ignore[arg-type]
    checks.check_reachable("https://a.example/")
    assert len(fetcher.calls) == 1 and shared.written == []
