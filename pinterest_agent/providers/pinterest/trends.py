"""Pinterest Trends for one channel: the keywords Pinners search now.

::

    api = TrendsAPI(PinterestClient(http, token), clock=lambda: datetime.now(UTC))
    found = api.trending_keywords(TrendFilters(region="GB+IE", trend_type="seasonal",
                                               interests=("home_decor",), include_prediction=True))
    for trend in found.trends:
        trend.keyword, trend.pct_growth_mom, trend.series(), trend.predicted()

One operation, ``GET /trends/keywords/{region}/top/{trend_type}`` (``trending_keywords/list``,
scope ``user_accounts:read``, rate-limit category ``trends_read``). Its filters are checked
against the spec's enums when the :class:`~providers.pinterest.trends_models.TrendFilters` is
built (``invalid_field`` listing the allowed values; nothing is sent) and serialised as the spec
declares (:meth:`TrendFilters.params`). It answers one page (at most 50 trends), so no pager.

Failures come from the provider's one tree (:mod:`providers.pinterest.errors`): 400 ->
``PinterestPermanentError`` (``bad_request``), 401 -> ``PinterestAuthError``, 429 ->
``PinterestRateLimitedError`` (``retry_after_s`` when Pinterest gave a hint), 5xx and network ->
``PinterestTransientError``; an answer that is not a ``TrendingKeywordsResponse`` is
``unexpected_response``. ``include_prediction`` and ``include_demographics`` are a closed beta:
an app without it may be refused (403, ``forbidden``), which this module does not hide.

Every request goes through ``limiter("trends_read")`` (see :data:`CATEGORY_TRENDS`), so the
composition root can bind it to a per-channel rate limiter; ``calls`` counts requests.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pinterest_agent.providers.pinterest.analytics import ApiRequester, Limiter, no_limit
from pinterest_agent.providers.pinterest.client import parse_model
from pinterest_agent.providers.pinterest.trends_models import (
    TrendFilters,
    TrendingKeywords,
    TrendingKeywordsResponse,
)

__all__ = ["CATEGORY_TRENDS", "OPERATION_ID", "TrendsAPI"]

CATEGORY_TRENDS = "trends_read"
"""The spec's ``x-ratelimit-category`` of the trends endpoint."""
OPERATION_ID = "trending_keywords/list"


class TrendsAPI:
    """Trending keywords as seen by the channel whose token ``client`` carries."""

    def __init__(
        self,
        client: ApiRequester,
        *,
        clock: Callable[[], datetime],
        limiter: Limiter = no_limit,
    ) -> None:
        self._client = client
        self._clock = clock
        self._limiter = limiter
        self.calls = 0
        """Requests sent so far."""

    def trending_keywords(self, filters: TrendFilters) -> TrendingKeywords:
        """The top trends for ``filters``, in Pinterest's rank order (at most ``filters.limit``).

        Raises a :class:`~providers.pinterest.errors.PinterestError` subclass on a refusal, a
        failure or an answer that does not fit the spec.
        """
        with self._limiter(CATEGORY_TRENDS):
            self.calls += 1
            response = self._client.request("GET", filters.path, params=filters.params())
        answer = parse_model(TrendingKeywordsResponse, response)
        fetched_at = self._clock()
        if fetched_at.tzinfo is None:
            raise ValueError("clock() must return an aware datetime (UTC)")
        return TrendingKeywords(filters=filters, fetched_at=fetched_at.astimezone(UTC),
                                trends=answer.trends[: filters.limit])
