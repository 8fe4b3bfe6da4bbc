"""Pinterest analytics for one channel: account days, top Pins, per-Pin periods, Pins and boards.

:class:`AnalyticsAPI` wraps a :class:`~providers.pinterest.client.PinterestClient` (anything with
its ``request(method, path, *, params=None, json=None) -> httpx.Response``) and applies the
spec's rules so callers cannot get them wrong:

* **Dates are UTC** (``clock`` must return an aware datetime). ``end`` defaults to yesterday, the
  last complete UTC day; ``start`` is clamped to :data:`MAX_DAYS_BACK` (89) days before *today
  in UTC*: the spec allows 90 but counts from Pinterest's "today", and 89 is the margin Postiz
  and trypost settled on after "You can only get data from the last 90 days".
* **Array parameters are sent as the spec declares each one**: ``metric_types`` is ``form`` with
  ``explode: false``, one comma-separated value (``metric_types=IMPRESSION,SAVE``); ``pin_ids``
  declares no style, so it is ``form`` exploded, one parameter per id (``pin_ids=1&pin_ids=2``).
* **Period and lifetime metrics are never mixed** in one request (Pinterest refuses the mix):
  ``TOTAL_COMMENTS`` / ``TOTAL_REACTIONS`` go in a request of their own.
* **Period figures come from ``summary_metrics`` / ``daily_metrics``**, never from
  ``lifetime_metrics`` (see :mod:`providers.pinterest.analytics_models`).
* **``data_status`` is kept** on every daily row so PROCESSING / ESTIMATE days stay visible.
* **Listings follow bookmarks through the provider's one pager**
  (:mod:`providers.pinterest.pager`): a repeated bookmark raises ``pagination_loop``, a listing
  longer than the client's ``page_cap`` pages raises ``too_many_pages``.

Per-Pin analytics use the batch endpoint ``GET /pins/analytics`` (beta, 100 Pins a request).
When it refuses a batch, that batch is fetched again Pin by Pin (``GET /pins/{id}/analytics``).
What counts as a refusal, and when the batch endpoint is given up for the rest of the run:

=========================================  ===========================  ==================
batch answer                               that batch                   later batches
=========================================  ===========================  ==================
403, 401 with code 7, 404 (not code 50),   per-Pin fallback             per-Pin (the app
400                                                                     lacks the beta)
404 code 50 (a Pin deleted since listing)  halves asked again as        batch again
                                           batches, per Pin from 8 Pins
429, 5xx, network, 401 code 2 (token)      raised (retry / reconnect)   -
=========================================  ===========================  ==================

Splitting a batch that names a deleted Pin finds that Pin in about 2 x log2(100) = 14 requests
instead of 100 (a warm insight run may name Pins deleted since they were cached). In the
fallback a Pin answering 403 or 404 is skipped and listed in ``missing``, and those answering
404 also in ``not_found`` (deleted, or not this account's); anything else is raised. An
endpoint refused in full (Trial apps, Pinterest's own sandbox, where analytics are
``x-sandbox: disabled``) raises :class:`AnalyticsUnavailableError` so the insight can say so.

Every request goes through ``limiter(category)``, a context-manager factory keyed by Pinterest's
rate-limit category (``org_analytics`` for analytics, ``org_read`` for Pins and boards), so the
composition root can bind analytics to their own Redis rate limiter, apart from publishing.
``calls`` counts requests by operation id.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from providers.pinterest.analytics_models import (
    AccountAnalytics,
    DateWindow,
    MetricsGroup,
    PinAnalytics,
    PinAnalyticsBatch,
    PinLifetimeMetrics,
    TopPins,
)
from providers.pinterest.errors import (
    CODE_NOT_AUTHORIZED,
    CODE_PIN_NOT_FOUND,
    PinterestError,
    PinterestPermanentError,
    PinterestTransientError,
)
from providers.pinterest.models import Board, Pin
from providers.pinterest.pager import walk_pages

__all__ = [
    "ACCOUNT_METRICS",
    "BATCH_SIZE",
    "LIFETIME_PIN_METRICS",
    "MAX_DAYS_BACK",
    "PAGE_SIZE",
    "PERIOD_PIN_METRICS",
    "TOP_PINS_MAX",
    "AnalyticsAPI",
    "AnalyticsUnavailableError",
    "ApiRequester",
    "Limiter",
    "no_limit",
]

MAX_DAYS_BACK = 89
"""``start_date`` is never earlier than today (UTC) minus this many days."""
MAX_WINDOW_DAYS = 90
"""``end_date`` is at most 90 days past ``start_date``."""
BATCH_SIZE = 100
"""``GET /pins/analytics`` takes at most 100 ``pin_ids``."""
TOP_PINS_MAX = 50
"""``num_of_pins`` of top_pins / top_video_pins: 1 to 50."""
PAGE_SIZE = 250
"""The largest page of ``GET /pins`` and ``GET /boards``."""

ACCOUNT_METRICS: tuple[str, ...] = (
    "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "ENGAGEMENT",
)
"""What the insight reads from ``/user_account/analytics`` (rates are recomputed from sums)."""
PERIOD_PIN_METRICS: tuple[str, ...] = ("IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK")
"""Period metrics per Pin; ``SAVE_RATE`` is recomputed from sums rather than averaged."""
LIFETIME_PIN_METRICS = frozenset({"TOTAL_COMMENTS", "TOTAL_REACTIONS"})
"""Lifetime-only metric types: never requested together with period metrics."""

CATEGORY_ANALYTICS = "org_analytics"
CATEGORY_READ = "org_read"

Limiter = Callable[[str], AbstractContextManager[Any]]
"""``limiter(category)`` returns a context manager held around one request."""


log = logging.getLogger(__name__)

PROGRESS_EVERY_PINS = 1_000
"""Log progress of the per-Pin analytics every this many Pins (long runs on big channels)."""
SPLIT_DOWN_TO = 8
"""A batch refused for a deleted Pin is split in halves down to this size, then read per Pin."""


def no_limit(category: str) -> AbstractContextManager[None]:
    """The default limiter: no limit (tests, one-off CLI runs)."""
    return contextlib.nullcontext()


class ApiRequester(Protocol):
    """What :class:`AnalyticsAPI` needs from ``PinterestClient``: ``request`` and its
    ``page_cap``, so listings here stop where the client's own would."""

    page_cap: int

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response: ...


class AnalyticsUnavailableError(PinterestPermanentError):
    """Pinterest refuses this channel's analytics (Trial app, sandbox, missing access)."""

    default_code = "analytics_unavailable"


_GROUPS: TypeAdapter[dict[str, MetricsGroup]] = TypeAdapter(dict[str, MetricsGroup])
_BULK: TypeAdapter[dict[str, dict[str, MetricsGroup]]] = TypeAdapter(
    dict[str, dict[str, MetricsGroup]]
)
_TOP: TypeAdapter[TopPins] = TypeAdapter(TopPins)
_ALL = "all"
T = TypeVar("T")


class AnalyticsAPI:
    """Analytics reads for the channel whose token ``client`` carries."""

    def __init__(
        self,
        client: ApiRequester,
        *,
        clock: Callable[[], datetime],
        limiter: Limiter = no_limit,
        ad_account_id: str | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        if not 1 <= batch_size <= BATCH_SIZE:
            raise ValueError(f"batch_size must be 1..{BATCH_SIZE}")
        self._client = client
        self._clock = clock
        self._limiter = limiter
        self._ad_account_id = ad_account_id
        self._batch_size = batch_size
        self.batch_supported: bool | None = None
        """None until tried; False once the batch endpoint was refused for good."""
        self.calls: Counter[str] = Counter()
        """Requests made, by operation id (``multi_pins/analytics``, ``pins/list``, ...)."""

    @property
    def call_count(self) -> int:
        """All requests made so far."""
        return sum(self.calls.values())

    # -- dates -----------------------------------------------------------------------------

    def today(self) -> date:
        """Today's date in UTC."""
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("clock() must return an aware datetime (UTC)")
        return now.astimezone(UTC).date()

    def window(self, days: int, *, end: date | None = None) -> DateWindow:
        """The last ``days`` UTC days ending ``end`` (default: yesterday), clamped to the API.

        ``start`` is never before ``today - 89`` days and ``end`` never after today, so the
        window may be shorter than asked; callers read ``window.days``.
        """
        if days < 1:
            raise ValueError("days must be at least 1")
        today = self.today()
        last = min(end or today - timedelta(days=1), today)
        earliest = today - timedelta(days=MAX_DAYS_BACK)
        start = max(last - timedelta(days=days - 1), earliest)
        if start > last:
            raise ValueError(f"end {last} is more than {MAX_DAYS_BACK} days ago; no data there")
        return DateWindow(start=start, end=last)

    def _clamp(self, start: date, end: date) -> DateWindow:
        today = self.today()
        start = max(start, today - timedelta(days=MAX_DAYS_BACK))
        end = min(end, today, start + timedelta(days=MAX_WINDOW_DAYS))
        if start > end:
            raise ValueError(f"empty date window {start}..{end} after clamping to the API's reach")
        return DateWindow(start=start, end=end)

    # -- account ---------------------------------------------------------------------------

    def account_daily(
        self,
        days: int,
        metric_types: Sequence[str] | None = None,
        *,
        end: date | None = None,
    ) -> AccountAnalytics:
        """Daily account figures (NO_SPLIT, key ``all``) for the last ``days`` days.

        ``metric_types`` defaults to :data:`ACCOUNT_METRICS`. Raises
        :class:`AnalyticsUnavailableError` when Pinterest refuses account analytics.
        """
        window = self.window(days, end=end)
        params = window.params() | {
            "metric_types": _csv(metric_types or ACCOUNT_METRICS),
            "split_field": "NO_SPLIT",
        }
        body = self._get_analytics("user_account/analytics", "/user_account/analytics", params)
        group = _parse(_GROUPS, body, "/user_account/analytics").get(_ALL, MetricsGroup())
        daily = sorted(group.daily_metrics, key=lambda row: row.date)
        return AccountAnalytics(window=window, daily=daily, summary=group.summary_metrics)

    def top_pins(
        self,
        sort_by: str = "SAVE",
        num_of_pins: int = 10,
        *,
        days: int = 30,
        metric_types: Sequence[str] | None = None,
        created_in_last_n_days: int | None = None,
    ) -> TopPins:
        """``GET /user_account/analytics/top_pins`` (``num_of_pins`` 1..50)."""
        return self._top(
            "user_account/analytics/top_pins", "/user_account/analytics/top_pins",
            sort_by, num_of_pins, days, metric_types, created_in_last_n_days,
        )

    def top_video_pins(
        self,
        sort_by: str = "IMPRESSION",
        num_of_pins: int = 10,
        *,
        days: int = 30,
        metric_types: Sequence[str] | None = None,
        created_in_last_n_days: int | None = None,
    ) -> TopPins:
        """``GET /user_account/analytics/top_video_pins`` (``num_of_pins`` 1..50)."""
        return self._top(
            "user_account/analytics/top_video_pins", "/user_account/analytics/top_video_pins",
            sort_by, num_of_pins, days, metric_types, created_in_last_n_days,
        )

    def _top(
        self,
        operation: str,
        path: str,
        sort_by: str,
        num_of_pins: int,
        days: int,
        metric_types: Sequence[str] | None,
        created_in_last_n_days: int | None,
    ) -> TopPins:
        if not 1 <= num_of_pins <= TOP_PINS_MAX:
            raise ValueError(f"num_of_pins must be 1..{TOP_PINS_MAX} (Pinterest's limit)")
        params: dict[str, Any] = self.window(days).params() | {
            "sort_by": sort_by,
            "num_of_pins": num_of_pins,
        }
        if metric_types:
            params["metric_types"] = _csv(metric_types)
        if created_in_last_n_days is not None:
            params["created_in_last_n_days"] = created_in_last_n_days
        return _parse(_TOP, self._get_analytics(operation, path, params), path)

    # -- per Pin ---------------------------------------------------------------------------

    def pins_analytics(
        self,
        pin_ids: Iterable[str],
        start: date,
        end: date,
        metric_types: Sequence[str] = PERIOD_PIN_METRICS,
    ) -> PinAnalyticsBatch:
        """Period (and, separately, lifetime) figures for many Pins, 100 per request.

        Lifetime types in ``metric_types`` are fetched in their own requests and merged into
        ``PinAnalytics.lifetime``; the period figures come from ``summary_metrics`` and
        ``daily_metrics`` only.
        """
        window = self._clamp(start, end)
        ids = list(dict.fromkeys(pin_ids))
        period = [m for m in metric_types if m not in LIFETIME_PIN_METRICS]
        lifetime = [m for m in metric_types if m in LIFETIME_PIN_METRICS]
        found: dict[str, PinAnalytics] = {}
        missing: set[str] = set()
        not_found: set[str] = set()
        for group in (period, lifetime):
            if not group:
                continue
            done = 0
            for chunk in _chunks(ids, self._batch_size):
                answered = self._pin_chunk(chunk, window, group, missing, not_found)
                for pin_id, analytics in answered.items():
                    earlier = found.get(pin_id)
                    found[pin_id] = analytics if earlier is None else _merge(earlier, analytics)
                done += len(chunk)
                if done % PROGRESS_EVERY_PINS < len(chunk) or done == len(ids):
                    log.info("pin analytics: %d/%d Pins (%d calls so far%s)", done, len(ids),
                             self.call_count,
                             "" if self.batch_supported is not False else ", one per Pin")
        return PinAnalyticsBatch(
            window=window,
            pins={pin_id: found[pin_id] for pin_id in ids if pin_id in found},
            missing=[pin_id for pin_id in ids if pin_id in missing and pin_id not in found],
            not_found=[pin_id for pin_id in ids if pin_id in not_found and pin_id not in found],
            used_batch_endpoint=self.batch_supported is not False,
        )

    def pin_analytics(
        self, pin_id: str, start: date, end: date, metric_types: Sequence[str] = PERIOD_PIN_METRICS
    ) -> PinAnalytics:
        """``GET /pins/{pin_id}/analytics`` for one Pin (one kind of metric per request)."""
        window = self._clamp(start, end)
        kinds = {m in LIFETIME_PIN_METRICS for m in metric_types}
        if len(kinds) > 1:
            raise ValueError("lifetime and period metric types cannot share one request")
        params = window.params() | {"metric_types": _csv(metric_types), "split_field": "NO_SPLIT"}
        body = self._get_analytics("pins/analytics", f"/pins/{pin_id}/analytics", params)
        group = _parse(_GROUPS, body, "/pins/{pin_id}/analytics").get(_ALL, MetricsGroup())
        return PinAnalytics.from_group(pin_id, window, group)

    def _pin_chunk(
        self,
        chunk: list[str],
        window: DateWindow,
        metrics: list[str],
        missing: set[str],
        not_found: set[str],
    ) -> dict[str, PinAnalytics]:
        if self.batch_supported is not False:
            try:
                result = self._batch(chunk, window, metrics)
            except PinterestError as exc:
                if not _batch_refused(exc):
                    raise
                if not _pin_specific(exc):
                    self.batch_supported = False
                    log.warning("GET /pins/analytics refused (%s); this app lacks the beta: "
                                "reading analytics one Pin at a time", exc.code)
                elif len(chunk) > SPLIT_DOWN_TO:  # a Pin is gone: find it by halves
                    half = len(chunk) // 2
                    return {
                        **self._pin_chunk(chunk[:half], window, metrics, missing, not_found),
                        **self._pin_chunk(chunk[half:], window, metrics, missing, not_found),
                    }
            else:
                self.batch_supported = True
                return result
        result = {}
        for pin_id in chunk:
            try:
                result[pin_id] = self.pin_analytics(pin_id, window.start, window.end, metrics)
            except PinterestError as exc:
                if exc.status not in (403, 404) or isinstance(exc, PinterestTransientError):
                    raise
                missing.add(pin_id)
                if exc.status == 404:
                    not_found.add(pin_id)
        return result

    def _batch(
        self, chunk: list[str], window: DateWindow, metrics: list[str]
    ) -> dict[str, PinAnalytics]:
        params = window.params() | {"pin_ids": list(chunk), "metric_types": _csv(metrics)}
        body = self._get("multi_pins/analytics", CATEGORY_ANALYTICS, "/pins/analytics", params)
        bulk = _parse(_BULK, body, "/pins/analytics")
        return {
            pin_id: PinAnalytics.from_group(pin_id, window, groups.get(_ALL, MetricsGroup()))
            for pin_id, groups in bulk.items()
        }

    def pin_lifetime(self, pin_id: str) -> PinLifetimeMetrics:
        """Comments and reactions from ``GET /pins/{pin_id}?pin_metrics=true``."""
        body = self._get("pins/get", CATEGORY_READ, f"/pins/{pin_id}", {"pin_metrics": "true"})
        pin = _parse(_PIN, body, f"/pins/{pin_id}")
        return PinLifetimeMetrics.from_pin_metrics(pin.id, pin.pin_metrics)

    # -- Pins and boards -------------------------------------------------------------------

    def list_pins(self, *, board_id: str | None = None, pin_metrics: bool = False) -> list[Pin]:
        """Every Pin of the account (``GET /pins``) or of one board, following ``bookmark``.

        ``pin_metrics=True`` asks for each Pin's 90-day and lifetime metrics in the same pages,
        which carries comments and reactions without a request per Pin.
        """
        return [pin for page in self.pin_pages(board_id=board_id, pin_metrics=pin_metrics)
                for pin in page]

    def pin_pages(
        self, *, board_id: str | None = None, pin_metrics: bool = False
    ) -> Iterator[list[Pin]]:
        """The pages of :meth:`list_pins`, lazily: a page is requested when the caller asks for
        it, so a caller that stops early (the insight's Pin cache) sends nothing more."""
        if board_id is not None:
            operation, path = "boards/list_pins", f"/boards/{board_id}/pins"
        else:
            operation, path = "pins/list", "/pins"
        extra = {"pin_metrics": "true"} if pin_metrics else {}
        for items in self._pages(operation, path, extra):
            yield [_parse(_PIN, item, path) for item in items]

    def list_boards(self) -> list[Board]:
        """Every board the account owns or collaborates on, with ``follower_count``."""
        return [_parse(_BOARD, item, "/boards")
                for items in self._pages("boards/list", "/boards", {}) for item in items]

    def _pages(self, operation: str, path: str, extra: dict[str, Any]) -> Iterator[list[Any]]:
        def fetch(bookmark: str | None) -> tuple[list[Any], str | None]:
            params: dict[str, Any] = {"page_size": PAGE_SIZE, **extra}
            if bookmark:
                params["bookmark"] = bookmark
            body = self._get(operation, CATEGORY_READ, path, params)
            if not isinstance(body, dict):
                raise _malformed(path, "expected an object with items")
            following = body.get("bookmark")
            return list(body.get("items") or []), following if isinstance(following, str) else None

        yield from walk_pages(fetch, what=f"GET {path}", page_cap=self._client.page_cap)

    # -- transport -------------------------------------------------------------------------

    def _get_analytics(self, operation: str, path: str, params: dict[str, Any]) -> Any:
        try:
            return self._get(operation, CATEGORY_ANALYTICS, path, params)
        except PinterestError as exc:
            if _access_refused(exc):
                raise AnalyticsUnavailableError(
                    f"Pinterest refused {path} for this channel ({exc.message}). Analytics need "
                    "a production app with Standard access and a business account; Trial apps "
                    "and Pinterest's API sandbox have none.",
                    **exc.details,
                ) from exc
            raise

    def _get(self, operation: str, category: str, path: str, params: dict[str, Any]) -> Any:
        if self._ad_account_id and category == CATEGORY_ANALYTICS:
            params = params | {"ad_account_id": self._ad_account_id}
        with self._limiter(category):
            self.calls[operation] += 1
            response = self._client.request("GET", path, params=params)
        try:
            return response.json()
        except ValueError as exc:
            raise _malformed(path, "the body is not JSON") from exc


def _access_refused(exc: PinterestError) -> bool:
    """403 on an account-level analytics endpoint: the app or account has no analytics."""
    return exc.status == 403 or (exc.status == 401 and exc.pinterest_code == CODE_NOT_AUTHORIZED)


def _batch_refused(exc: PinterestError) -> bool:
    if isinstance(exc, PinterestTransientError):
        return False
    if exc.status == 401:
        return exc.pinterest_code == CODE_NOT_AUTHORIZED
    return exc.status in (400, 403, 404)


def _pin_specific(exc: PinterestError) -> bool:
    """A batch refused because one of its Pins is gone: the endpoint itself works."""
    return exc.status == 404 and exc.pinterest_code == CODE_PIN_NOT_FOUND


def _merge(first: PinAnalytics, second: PinAnalytics) -> PinAnalytics:
    return first.model_copy(
        update={
            "summary": {**first.summary, **second.summary},
            "daily": first.daily or second.daily,
            "lifetime": {**first.lifetime, **second.lifetime},
        }
    )


def _csv(values: Iterable[str]) -> str:
    return ",".join(values)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for index in range(0, len(items), size):
        yield items[index : index + size]


def _malformed(path: str, why: str) -> PinterestTransientError:
    return PinterestTransientError(
        f"GET {path}: Pinterest's answer was malformed ({why}); retry later.", code="malformed"
    )


_PIN = TypeAdapter(Pin)
_BOARD = TypeAdapter(Board)


def _parse(adapter: TypeAdapter[T], body: Any, path: str) -> T:
    try:
        return adapter.validate_python(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise _malformed(path, f"{where}: {first['msg']}") from None
