"""One reader of ``Retry-After`` for Pinterest, links and sources: RFC 9110's delta-seconds
(ASCII digits) or an HTTP-date, always a finite number within the cap, anything else ignored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from providers.pinterest.errors import PinterestRateLimitedError, error_from_response
from providers.retry_after import MAX_RETRY_AFTER_S, parse_retry_after

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _date(delta: timedelta) -> str:
    return format_datetime(NOW + delta, usegmt=True)


@pytest.mark.parametrize(
    ("header", "expected_s"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0.05", 0.05),  # a tolerance: some servers (and the sandbox) send a fraction
        ("0", 0.0),
        ("999999999", 900.0),  # huge: capped
        ("9" * 400, 900.0),  # 400 digits: capped, no OverflowError
        (_date(timedelta(seconds=90)), 90.0),
        (_date(timedelta(hours=2)), 900.0),
        (_date(timedelta(seconds=-30)), 0.0),  # a date in the past: now
        ("-5", None),
        ("+5", None),
        ("nan", None),
        ("NaN", None),
        ("inf", None),
        ("-inf", None),
        ("1e3", None),
        ("²", None),  # str.isdigit() accepts superscripts; int() does not
        ("٣", None),  # Arabic-Indic digit: int() would read it, the RFC does not
        ("\uff11\uff12", None),  # fullwidth digits
        ("soon", None),
        ("", None),
        (None, None),
        ("Mon, 99 Foo 2025 99:99:99 GMT", None),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 900.0),
        ("1.2.3", None),
        ("0x10", None),
    ],
)
def test_hostile_retry_after_values(header: str | None, expected_s: float | None) -> None:
    assert parse_retry_after(header, now=NOW, cap_s=900.0) == expected_s


def test_the_default_cap_keeps_every_answer_finite() -> None:
    assert parse_retry_after("9" * 400, now=NOW) == MAX_RETRY_AFTER_S
    assert parse_retry_after("999999999", now=NOW) == MAX_RETRY_AFTER_S


@pytest.mark.parametrize(
    ("headers", "expected_s"),
    [({"Retry-After": "nan"}, None), ({"Retry-After": "inf"}, None),
     ({"Retry-After": "²".encode()}, None), ({"Retry-After": "999999999"}, MAX_RETRY_AFTER_S),
     ({"x-ratelimit-reset": "nan"}, None), ({"x-ratelimit-reset": "-inf"}, None),
     ({"x-ratelimit-reset": "9" * 400}, MAX_RETRY_AFTER_S),
     ({"Retry-After": "junk", "x-ratelimit-reset": "12"}, 12.0)],
)
def test_pinterest_reads_the_same_way(
    headers: dict[str, str | bytes], expected_s: float | None
) -> None:
    # Given a Pinterest 429 with a hostile hint
    request = httpx.Request("POST", "https://api.pinterest.test/v5/pins")
    raw = [(name.encode(), value if isinstance(value, bytes) else value.encode())
           for name, value in headers.items()]
    response = httpx.Response(429, json={"code": 8, "message": "slow down"}, headers=raw,
                              request=request)
    # Then the error's hint is finite and capped, or absent
    error = error_from_response(response)
    assert isinstance(error, PinterestRateLimitedError)
    assert error.retry_after_s == expected_s
