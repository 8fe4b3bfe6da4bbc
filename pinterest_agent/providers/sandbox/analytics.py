"""Pinterest's analytics endpoints in the local sandbox, in the official response shapes.

Routes (the server has already checked each ``/v5/`` request against the OpenAPI contract)::

    GET  /v5/user_account/analytics                 {"all": {daily_metrics, summary_metrics}}
    GET  /v5/user_account/analytics/top_pins        {date_availability, pins, sort_by}
    GET  /v5/user_account/analytics/top_video_pins  (same shape, video Pins only)
    GET  /v5/pins/analytics                         {pin_id: {"all": {...}}} (batch, beta)
    GET  /v5/pins/{pin_id}/analytics                {"all": {daily_metrics, summary_metrics}}
    GET  /_sandbox/analytics                        the switches below
    POST /_sandbox/analytics                        {"enabled", "batch_enabled",
                                                     "populate": {"username", "pins", ...}}

The figures come from :mod:`providers.sandbox.analytics_data` (deterministic per Pin and day;
the account's days are the sums of its Pins'). Pinterest's rules are enforced the way Pinterest
answers them: ``start_date`` more than 90 days back -> 400 "You can only get data from the last 90
days."; ``end_date`` before ``start_date`` or more than 90 days after it -> 400; lifetime metric
types (TOTAL_COMMENTS, TOTAL_REACTIONS) mixed with period ones -> 400; a batch naming a Pin the
user does not own -> 404 code 50. Lifetime requests answer ``lifetime_metrics`` only, with the
comment and reaction counts ``GET /pins?pin_metrics=true`` reports for the same Pin.

Switches (``analytics_settings(state)``, or ``POST /_sandbox/analytics``): ``enabled=False``
makes every analytics route answer 403, like a Trial app or Pinterest's own API sandbox (where
analytics are ``x-sandbox: disabled``); ``batch_enabled=False`` makes ``/v5/pins/analytics``
answer 403, like an app without the beta.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pinterest_agent.providers.sandbox.analytics_data import (
    DayFigures,
    analytics_settings,
    data_status,
    owned_pins,
    pin_days,
    populate_channel,
    today,
)
from pinterest_agent.providers.sandbox.pinterest import pin_metrics_of, user_of
from pinterest_agent.providers.sandbox.routes import (
    ApiError,
    RouteRegistry,
    SandboxRequest,
    SandboxResponse,
)
from pinterest_agent.providers.sandbox.state import Pin, User

__all__ = ["register"]

MAX_DAYS_BACK = 90
MAX_SPAN_DAYS = 90
DEFAULT_TOP_PINS = 10
ACCOUNT_METRICS = (
    "ENGAGEMENT", "ENGAGEMENT_RATE", "IMPRESSION", "OUTBOUND_CLICK", "OUTBOUND_CLICK_RATE",
    "PIN_CLICK", "PIN_CLICK_RATE", "SAVE", "SAVE_RATE",
)
VIDEO_METRICS = ("IMPRESSION", "SAVE", "OUTBOUND_CLICK", "VIDEO_MRC_VIEW", "VIDEO_START")
LIFETIME_METRICS = frozenset({"TOTAL_COMMENTS", "TOTAL_REACTIONS"})
VIDEO_TYPES = frozenset({"VIDEO", "MAX_VIDEO", "IDEA"})

Row = tuple[date, DayFigures | None]


def register(registry: RouteRegistry) -> None:
    registry.add("GET", "/v5/user_account/analytics", account_analytics)
    registry.add("GET", "/v5/user_account/analytics/top_pins", top_pins)
    registry.add("GET", "/v5/user_account/analytics/top_video_pins", top_video_pins)
    registry.add("GET", "/v5/pins/analytics", multi_pin_analytics)
    registry.add("GET", "/v5/pins/{pin_id}/analytics", pin_analytics)
    registry.add("GET", "/_sandbox/analytics", show_settings)
    registry.add("POST", "/_sandbox/analytics", change_settings)


# -- metric values ----------------------------------------------------------------------------


def _value(figures: DayFigures, metric: str) -> float:
    impressions = figures.impression
    match metric:
        case "IMPRESSION":
            return impressions
        case "SAVE":
            return figures.save
        case "PIN_CLICK":
            return figures.pin_click
        case "OUTBOUND_CLICK":
            return figures.outbound_click
        case "ENGAGEMENT":
            return figures.engagement
        case "SAVE_RATE":
            return round(figures.save / impressions, 4) if impressions else 0
        case "PIN_CLICK_RATE":
            return round(figures.pin_click / impressions, 4) if impressions else 0
        case "OUTBOUND_CLICK_RATE":
            return round(figures.outbound_click / impressions, 4) if impressions else 0
        case "ENGAGEMENT_RATE":
            return round(figures.engagement / impressions, 4) if impressions else 0
        case "VIDEO_MRC_VIEW" | "VIDEO_START":
            return impressions // 3
        case _:
            return 0


def _total(rows: Sequence[Row]) -> DayFigures:
    kept = [figures for _, figures in rows if figures is not None]
    return DayFigures(
        sum(f.impression for f in kept), sum(f.save for f in kept),
        sum(f.pin_click for f in kept), sum(f.outbound_click for f in kept),
    )


def _metrics(figures: DayFigures, metrics: Sequence[str]) -> dict[str, float]:
    return {metric: _value(figures, metric) for metric in metrics}


def _group(rows: Sequence[Row], metrics: Sequence[str], current: date) -> dict[str, Any]:
    daily = [
        {"date": day.isoformat(), "data_status": "BEFORE_PIN_CREATED", "metrics": {}}
        if figures is None else
        {"date": day.isoformat(), "data_status": data_status(day, current),
         "metrics": _metrics(figures, metrics)}
        for day, figures in rows
    ]
    return {"daily_metrics": daily, "summary_metrics": _metrics(_total(rows), metrics)}


# -- request parsing --------------------------------------------------------------------------


def _user(request: SandboxRequest) -> User:
    user = user_of(request)
    if not analytics_settings(request.state).enabled:
        raise ApiError(403, 403, "Not authorized to access the user account analytics.")
    return user


def _window(request: SandboxRequest) -> tuple[date, date]:
    try:
        start = date.fromisoformat(request.query_one("start_date") or "")
        end = date.fromisoformat(request.query_one("end_date") or "")
    except ValueError as exc:
        raise ApiError(400, 1, "start_date and end_date must be YYYY-MM-DD.") from exc
    current = today(request.state)
    if start < current - timedelta(days=MAX_DAYS_BACK):
        raise ApiError(400, 1, "You can only get data from the last 90 days.")
    if end < start:
        raise ApiError(400, 1, "end_date cannot be before start_date.")
    if end > start + timedelta(days=MAX_SPAN_DAYS):
        raise ApiError(400, 1, "end_date cannot be more than 90 days past start_date.")
    return start, min(end, current)


def _metric_types(request: SandboxRequest, default: Sequence[str]) -> list[str]:
    raw = request.query_one("metric_types")
    return [m for m in raw.split(",") if m] if raw else list(default)


def _rows(request: SandboxRequest, pin: Pin, start: date, end: date) -> list[Row]:
    return pin_days(request.state, pin, start, end) if start <= end else []


# -- account -----------------------------------------------------------------------------------


def account_analytics(request: SandboxRequest) -> SandboxResponse:
    user = _user(request)
    start, end = _window(request)
    metrics = _metric_types(request, ACCOUNT_METRICS)
    days = (end - start).days + 1
    sums = [[0, 0, 0, 0] for _ in range(days)]
    for pin in request.state.pins_of(user.id):
        for index, (_, figures) in enumerate(_rows(request, pin, start, end)):
            if figures is not None:
                total = sums[index]
                total[0] += figures.impression
                total[1] += figures.save
                total[2] += figures.pin_click
                total[3] += figures.outbound_click
    rows: list[Row] = [
        (start + timedelta(days=i), DayFigures(*sums[i])) for i in range(days)
    ]
    return SandboxResponse.json({"all": _group(rows, metrics, today(request.state))})


def _top(request: SandboxRequest, keep: Callable[[Pin], bool], defaults: Sequence[str]
         ) -> SandboxResponse:
    user = _user(request)
    start, end = _window(request)
    sort_by = request.query_one("sort_by") or "IMPRESSION"
    count = int(request.query_one("num_of_pins") or DEFAULT_TOP_PINS)
    metrics = _metric_types(request, defaults)
    current = today(request.state)
    recent = request.query_one("created_in_last_n_days")
    since = current - timedelta(days=int(recent)) if recent else None
    totals: list[tuple[Pin, DayFigures]] = []
    for pin in request.state.pins_of(user.id):
        created = datetime.fromtimestamp(pin.created_at, UTC).date()
        if keep(pin) and (since is None or created >= since):
            totals.append((pin, _total(_rows(request, pin, start, end))))
    totals.sort(key=lambda item: (-_value(item[1], sort_by), item[0].id))
    status = data_status(end, current)
    pins = [
        {"pin_id": pin.id, "metrics": _metrics(figures, metrics),
         "data_status": dict.fromkeys(metrics, status)}
        for pin, figures in totals[:count]
    ]
    latest = datetime.combine(current - timedelta(days=2), time.max, UTC)
    return SandboxResponse.json({
        "date_availability": {"is_realtime": False,
                              "latest_available_timestamp": int(latest.timestamp()) * 1000},
        "pins": pins,
        "sort_by": sort_by,
    })


def top_pins(request: SandboxRequest) -> SandboxResponse:
    return _top(request, lambda pin: True, ACCOUNT_METRICS)


def top_video_pins(request: SandboxRequest) -> SandboxResponse:
    return _top(request, lambda pin: pin.creative_type in VIDEO_TYPES, VIDEO_METRICS)


# -- per Pin -----------------------------------------------------------------------------------


def _pin_group(request: SandboxRequest, pin: Pin, start: date, end: date,
               metrics: Sequence[str]) -> dict[str, Any]:
    if set(metrics) <= LIFETIME_METRICS:  # over the Pin's whole life, not the window
        # the same counts GET /pins?pin_metrics=true reports, as Pinterest's would be
        counts = pin_metrics_of(pin)["lifetime_metrics"]
        lifetime = {"TOTAL_COMMENTS": counts["comment"], "TOTAL_REACTIONS": counts["reaction"]}
        return {"all": {"lifetime_metrics": {m: lifetime[m] for m in metrics}}}
    return {"all": _group(_rows(request, pin, start, end), metrics, today(request.state))}


def _pin_metric_types(request: SandboxRequest) -> list[str]:
    metrics = _metric_types(request, ())
    lifetime = LIFETIME_METRICS.intersection(metrics)
    if lifetime and len(lifetime) < len(set(metrics)):
        raise ApiError(400, 1, "Invalid pins analytics parameters: lifetime metric types "
                               "(TOTAL_COMMENTS, TOTAL_REACTIONS) cannot be requested together "
                               "with other metric types.")
    return metrics


def multi_pin_analytics(request: SandboxRequest) -> SandboxResponse:
    user = _user(request)
    if not analytics_settings(request.state).batch_enabled:
        raise ApiError(403, 403, "This endpoint is in beta and not available to your app.")
    start, end = _window(request)
    metrics = _pin_metric_types(request)
    ids = request.query.get("pin_ids", [])  # form, exploded: pin_ids=1&pin_ids=2
    pins = owned_pins(request.state, user.id, ids)
    if pins is None:
        raise ApiError(404, 50, "Pin not found.")
    return SandboxResponse.json(
        {pin.id: _pin_group(request, pin, start, end, metrics) for pin in pins}
    )


def pin_analytics(request: SandboxRequest) -> SandboxResponse:
    user = _user(request)
    pin = request.state.pin_for(user.id, request.path_params["pin_id"])
    start, end = _window(request)
    return SandboxResponse.json(
        _pin_group(request, pin, start, end, _pin_metric_types(request))
    )


# -- control -----------------------------------------------------------------------------------


def _settings_json(request: SandboxRequest) -> dict[str, Any]:
    settings = analytics_settings(request.state)
    return {"enabled": settings.enabled, "batch_enabled": settings.batch_enabled,
            "seed": settings.seed, "generated_pins": len(settings.boost)}


def show_settings(request: SandboxRequest) -> SandboxResponse:
    return SandboxResponse.json(_settings_json(request))


def change_settings(request: SandboxRequest) -> SandboxResponse:
    data = request.json if request.body else {}
    if not isinstance(data, dict):
        raise ApiError(400, 1, "Expected a JSON object.")
    settings = analytics_settings(request.state)
    for name in ("enabled", "batch_enabled"):
        if name in data:
            setattr(settings, name, bool(data[name]))
    populate = data.get("populate")
    created = 0
    if isinstance(populate, dict):
        state = request.state
        username = str(populate.get("username", "sandbox_user"))
        user = state.user_by_name(username) or state.create_user(username)
        created = len(populate_channel(
            state, user.id, pins=int(populate.get("pins", 60)),
            days=int(populate.get("days", 90)), boards=int(populate.get("boards", 3)),
            seed=int(populate.get("seed", settings.seed)),
        ))
    return SandboxResponse.json({**_settings_json(request), "created_pins": created})
