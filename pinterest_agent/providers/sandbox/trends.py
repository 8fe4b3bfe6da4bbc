"""Pinterest Trends in the local sandbox, in the official ``TrendingKeywordsResponse`` shape.

Route (the server has already checked the request against the OpenAPI contract: a region, trend
type, interest, gender or age outside the spec's enums, a ``limit`` outside 1..50, or a scalar
given twice gets the spec's 400 ``{"code": 1, "message": "<where>: <why>"}`` before this runs)::

    GET /v5/trends/keywords/{region}/top/{trend_type}   {"trends": [{keyword, pct_growth_wow,
                                                          pct_growth_mom, pct_growth_yoy,
                                                          time_series, ...}]}

The keywords and their series come from :mod:`providers.sandbox.trends_data` (deterministic per
seed, region, audience and the sandbox clock's date). The token must be valid (401 code 2) and,
when scopes are enforced, hold ``user_accounts:read`` (401 code 3). ``include_prediction=true``
adds ``has_prediction`` and ``predicted_time_series``; ``include_demographics=true`` adds
``demographics``; ``normalize_against_group=true`` puts every keyword on one 0..100 scale.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from pinterest_agent.providers.sandbox.analytics_data import today
from pinterest_agent.providers.sandbox.pinterest import user_of
from pinterest_agent.providers.sandbox.routes import (
    ApiError,
    RouteRegistry,
    SandboxRequest,
    SandboxResponse,
)
from pinterest_agent.providers.sandbox.trends_data import Audience, TrendRow, trending

__all__ = ["register"]

DEFAULT_LIMIT = 50


def register(registry: RouteRegistry) -> None:
    registry.add("GET", "/v5/trends/keywords/{region}/top/{trend_type}", trending_keywords)


def _flag(request: SandboxRequest, name: str) -> bool:
    return (request.query_one(name) or "false").lower() == "true"


def trending_keywords(request: SandboxRequest) -> SandboxResponse:
    user_of(request)
    region = unquote(request.path_params["region"])
    trend_type = request.path_params["trend_type"]
    try:
        limit = int(request.query_one("limit") or DEFAULT_LIMIT)
    except ValueError as exc:  # the contract check refuses it first; kept for direct callers
        raise ApiError(400, 400, "Invalid trending keywords request parameters") from exc
    rows = trending(
        audience=Audience(region, tuple(request.query.get("genders", [])),
                          tuple(request.query.get("ages", []))),
        trend_type=trend_type,
        today=today(request.state),
        seed=request.state.seed,
        interests=request.query.get("interests", []),
        include_keywords=request.query.get("include_keywords", []),
        limit=limit,
    )
    prediction = _flag(request, "include_prediction")
    group = _flag(request, "normalize_against_group")
    group_peak = max((_peak(row, prediction) for row in rows), default=0.0)
    trends = [
        _trend(row, group_peak if group else _peak(row, prediction), prediction,
               _flag(request, "include_demographics"))
        for row in rows
    ]
    return SandboxResponse.json({"trends": trends})


def _peak(row: TrendRow, prediction: bool) -> float:
    return max([*row.volumes, *(row.forecast if prediction else ())], default=0.0)


def _scaled(value: float, peak: float) -> int:
    return round(100 * value / peak) if peak > 0 else 0


def _trend(row: TrendRow, peak: float, prediction: bool, demographics: bool) -> dict[str, Any]:
    trend: dict[str, Any] = {
        "keyword": row.term.keyword,
        "pct_growth_wow": row.wow,
        "pct_growth_mom": row.mom,
        "pct_growth_yoy": row.yoy,
        "time_series": {day.isoformat(): _scaled(value, peak)
                        for day, value in zip(row.weeks, row.volumes, strict=True)},
    }
    if prediction:
        trend["has_prediction"] = True
        trend["predicted_time_series"] = {
            day.isoformat(): _scaled(value, peak)
            for day, value in zip(row.forecast_weeks, row.forecast, strict=True)
        }
    if demographics:
        trend["demographics"] = row.demographics
    return trend
