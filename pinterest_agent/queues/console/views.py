"""View models of the console's pages: plain data in, plain rows and strings out (pure).

Pages (Jinja2 templates in ``queues/console/templates``) only loop over what these return; every
decision (sorting, ranking, rates, what counts as provisional, which events belong to a channel)
is made here and unit-tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pinterest_agent.agents.insights.followers import FollowerSnapshot
from pinterest_agent.agents.insights.models import ChannelInsight, FigureValue
from pinterest_agent.agents.insights.snapshot import SORT_KEYS, ChannelFigures, PinFigures
from pinterest_agent.queues.console.charts import (
    DAILY_METRICS,
    ChartSeries,
    daily_series,
    follower_series,
)
from pinterest_agent.queues.console.compare import (
    DEFAULT_RANGE,
    RANGES,
    follower_change,
    period_change,
    sparkline,
)
from pinterest_agent.queues.console.figure_words import figure_in_words
from pinterest_agent.queues.console.previews import PinPreview, pin_preview
from pinterest_agent.queues.stores.event_index import event_channel as channel_of
from pinterest_agent.queues.stores.event_index import event_status as status_of
from pinterest_agent.queues.stores.schedule import Preview

__all__ = [
    "SORT_COLUMNS",
    "STATUSES",
    "EventRow",
    "InsightView",
    "OverviewView",
    "PostView",
    "Stat",
    "SuggestionsView",
    "TopPinRow",
    "TopPinsView",
    "event_rows",
    "insight_view",
    "overview_view",
    "post_view",
    "suggestions_view",
    "top_pins_view",
]

SORT_COLUMNS: dict[str, str] = {
    "impressions": "Impressions",
    "saves": "Saves",
    "save_rate": "Save rate",
    "pin_clicks": "Pin clicks",
    "outbound_clicks": "Outbound clicks",
}
DEFAULT_SORT = "saves"
TOP_PINS_SHOWN = 50


@dataclass(frozen=True)
class Stat:
    label: str
    value: str
    note: str = ""
    change: str = ""
    """Against the previous period, in words ("+12.5% on the previous 30 days")."""
    direction: str = ""
    """``up``, ``down``, ``flat`` or empty (nothing to compare with)."""
    spark: str = ""
    """The points of a sparkline of its days (``compare.sparkline``), or empty."""


def number(value: float | None) -> str:
    """``1234`` -> ``1,234``; ``None`` -> an en dash."""
    if value is None:
        return "\u2013"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def percent(fraction: float | None) -> str:
    return "\u2013" if fraction is None else f"{fraction * 100:.2f}%"


def when(moment: datetime | float | None) -> str:
    if moment is None:
        return "\u2013"
    if isinstance(moment, int | float):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


# -- Overview -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewView:
    status: str
    stats: list[Stat]
    boards: list[Stat]
    charts: list[ChartSeries]
    provisional_note: str
    period: str
    range_days: int = DEFAULT_RANGE
    ranges: tuple[int, ...] = RANGES
    follower_note: str = ""
    """Why the follower history is not drawn (fewer than two snapshots), or empty."""


def overview_view(
    figures: ChannelFigures, snapshots: Sequence[FollowerSnapshot],
    range_days: int = DEFAULT_RANGE,
) -> OverviewView:
    """The channel's cards over the last ``range_days`` days (7, 30 or 90), each with its change
    on the days before and a sparkline; the daily charts over the same days."""
    shown = figures.days[-range_days:]
    span = f"{shown[0].date} to {shown[-1].date}" if shown else ""
    followers = follower_change(snapshots, range_days)
    stats = [
        Stat("Account", f"@{figures.username}" if figures.username else "\u2013"),
        Stat("Total Pins", number(figures.pins_total)),
        Stat("Boards", number(len(figures.boards)) if figures.boards else "\u2013"),
        Stat("Board followers", number(figures.followers_total), change=followers.text,
             direction=followers.direction,
             spark=sparkline([s.total for s in sorted(snapshots, key=lambda s: s.taken_at)])),
    ]
    for metric, title in DAILY_METRICS.items():
        change = period_change(figures.days, metric, range_days)
        stats.append(Stat(
            f"{title} ({len(shown)} days)", number(change.total), change=change.text,
            direction=change.direction,
            spark=sparkline([getattr(d, metric) if d.has_data else None for d in shown])))
    boards = [Stat(board.name or board.board_id,
                   f"{number(board.pin_count)} Pins, {number(board.follower_count)} followers",
                   board.privacy or "")
              for board in sorted(figures.boards, key=lambda b: -(b.follower_count or 0))]
    charts = [daily_series(figures, metric, title, last_days=range_days)
              for metric, title in DAILY_METRICS.items()]
    follower_note = ""
    if len(snapshots) >= 2:
        charts.append(follower_series(snapshots))
    elif snapshots:
        first = snapshots[0]
        follower_note = (
            f"Follower history: one snapshot so far ({first.taken_at:%Y-%m-%d}, "
            f"{number(first.total)} board followers). Each insights run (weekly) stores one; "
            "the line is drawn from the second.")
    else:
        follower_note = ("Follower history: no snapshot yet. Each insights run (weekly) stores "
                         "the boards' follower counts; the line is drawn from the second.")
    provisional = [day for day in figures.provisional_days if shown and day >= shown[0].date]
    note = (f"{len(provisional)} provisional day(s) ({provisional[0]} to {provisional[-1]}): "
            "Pinterest is still processing them, so their figures may change."
            if provisional else "Every day shown is final.")
    return OverviewView(status=figures.status, stats=stats, boards=boards, charts=charts,
                        provisional_note=note, period=span, range_days=range_days,
                        follower_note=follower_note)


# -- Top Pins -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopPinRow:
    rank: int
    pin_id: str
    title: str
    url: str
    link: str | None
    image_url: str | None
    impressions: str
    saves: str
    save_rate: str
    pin_clicks: str
    outbound_clicks: str
    ranked_by_rate: bool
    preview: PinPreview


@dataclass(frozen=True)
class TopPinsView:
    sort: str
    descending: bool
    columns: dict[str, str]
    rows: list[TopPinRow]
    period: str
    note: str


def top_pins_view(
    figures: ChannelFigures, sort: str | None = None, order: str | None = None,
    *, limit: int = TOP_PINS_SHOWN,
) -> TopPinsView:
    """The stored top Pins sorted by ``sort`` (a key of :data:`SORT_COLUMNS`; unknown: saves),
    ``order`` ``asc`` or ``desc`` (default). By save rate, Pins under the minimum impressions
    come after the ranked ones, whatever the order."""
    column = sort if sort in SORT_KEYS else DEFAULT_SORT
    descending = order != "asc"
    key = SORT_KEYS[column]
    pins = sorted(figures.top_pins, key=lambda p: (key(p), p.impressions), reverse=descending)
    if column == "save_rate":
        pins = ([p for p in pins if p.impressions >= figures.min_impressions]
                + [p for p in pins if p.impressions < figures.min_impressions])
    boards = {board.board_id: board.name for board in figures.boards if board.name}
    rows = [_pin_row(rank, pin, pin.impressions >= figures.min_impressions, boards)
            for rank, pin in enumerate(pins[:limit], start=1)]
    period = (f"{figures.pin_period_start} to {figures.pin_period_end}"
              if figures.pin_period_start and figures.pin_period_end else "")
    note = (f"The {figures.keep} best Pins by each column are kept; save rate ranks Pins with "
            f"at least {figures.min_impressions} impressions.")
    return TopPinsView(sort=column, descending=descending, columns=SORT_COLUMNS, rows=rows,
                       period=period, note=note)


def _pin_row(rank: int, pin: PinFigures, eligible: bool,
             boards: Mapping[str, str]) -> TopPinRow:
    title = pin.title or f"Pin {pin.pin_id}"
    return TopPinRow(
        rank=rank, pin_id=pin.pin_id, title=pin.title or f"Pin {pin.pin_id}", url=pin.url,
        link=pin.link, image_url=pin.image_url, impressions=number(pin.impressions),
        saves=number(pin.saves), save_rate=percent(pin.save_rate),
        pin_clicks=number(pin.pin_clicks), outbound_clicks=number(pin.outbound_clicks),
        ranked_by_rate=eligible,
        preview=pin_preview(Preview(title=title, board_id=pin.board_id,
                                    image_url=pin.image_url), boards, href=pin.url),
    )


# -- Insights -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InsightView:
    index: int
    generated_at: str
    status: str
    status_detail: str | None
    summary: str
    period: str
    figures: list[Stat]
    earlier: list[tuple[int, str, str, str]] = field(default_factory=list)
    """(index, generated at, status, first words of the summary) of every stored insight."""


def insight_view(insights: Sequence[ChannelInsight], index: int = 0) -> InsightView | None:
    """The stored insight number ``index`` (0: the latest) and the list of all of them."""
    if not insights:
        return None
    index = min(max(index, 0), len(insights) - 1)
    insight = insights[index]
    period = insight.period
    return InsightView(
        index=index,
        generated_at=when(insight.generated_at),
        status=insight.status,
        status_detail=insight.status_detail,
        summary=insight.summary,
        period=f"{period.start} to {period.end} ({period.days} days)" if period else "",
        figures=[Stat(name, _figure(value)) for name, value in insight.figures.items()],
        earlier=[(i, when(item.generated_at), item.status, _excerpt(item.summary))
                 for i, item in enumerate(insights)],
    )


def _figure(value: FigureValue) -> str:
    return number(value) if isinstance(value, int | float) else str(value)


def _excerpt(text: str, words: int = 16) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" \u2026" if len(parts) > words else "")


# -- Suggestions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SuggestionRow:
    priority: int
    action: str
    rationale: str
    figure: str
    figure_value: str
    in_words: str = ""
    """The figure said as a sentence (``figure_words.figure_in_words``)."""


@dataclass(frozen=True)
class SuggestionsView:
    generated_at: str
    suggestions: list[SuggestionRow]
    next_pin: dict[str, Any] | None
    next_pin_note: str | None
    can_write: bool


def suggestions_view(insight: ChannelInsight | None) -> SuggestionsView | None:
    if insight is None:
        return None
    brief = insight.next_pin
    return SuggestionsView(
        generated_at=when(insight.generated_at),
        suggestions=[SuggestionRow(s.priority, s.action, s.rationale, s.figure,
                                   _figure(s.figure_value),
                                   figure_in_words(s.figure, s.figure_value, insight.figures))
                     for s in sorted(insight.suggestions, key=lambda s: s.priority)],
        next_pin=brief.model_dump(mode="json", exclude_none=True) if brief else None,
        next_pin_note=insight.next_pin_note,
        can_write=brief is not None,
    )


# -- Jobs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventRow:
    stream_id: str
    at: str
    type: str
    status: str
    kind: str
    subject: str
    channel: str | None
    detail: str


def event_status(event: Mapping[str, Any]) -> str:
    """``post.published`` -> ``published``; ``message.rejected`` -> ``rejected``."""
    return status_of(str(event.get("type", "")))


def event_channel(event: Mapping[str, Any]) -> str | None:
    """The channel an event belongs to (as its index has it): named in its payload or its
    message, or the subject of an insight event."""
    return channel_of(str(event.get("type", "")), str(event.get("id", "")),
                      event.get("payload"))


def event_rows(
    events: Iterable[Mapping[str, Any]], *, channel: str | None = None,
    status: str | None = None, limit: int = 200,
) -> list[EventRow]:
    """Events newest first (as given), filtered by channel and status."""
    rows: list[EventRow] = []
    for event in events:
        if channel and event_channel(event) != channel:
            continue
        if status and event_status(event) != status:
            continue
        rows.append(_event_row(event))
        if len(rows) >= limit:
            break
    return rows


def _event_row(event: Mapping[str, Any]) -> EventRow:
    payload = event.get("payload")
    payload = payload if isinstance(payload, Mapping) else {}
    kind = str(payload.get("kind") or str(event.get("type", "")).partition(".")[0])
    return EventRow(
        stream_id=str(event.get("stream_id", "")),
        at=when(_float(payload.get("recorded_at"))),
        type=str(event.get("type", "")),
        status=event_status(event),
        kind="brief" if event.get("type") == "post.drafted" else kind,
        subject=str(event.get("id", "")),
        channel=event_channel(event),
        detail=_detail(payload),
    )


def _detail(payload: Mapping[str, Any]) -> str:
    error = payload.get("error")
    if isinstance(error, Mapping):
        return f"[{error.get('code', 'error')}] {str(error.get('message', ''))[:200]}"
    for key in ("pin_url", "title", "summary", "state"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value[:200]
    return ""


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


STATUSES = ("drafted", "published", "duplicate", "failed", "retrying", "redriven", "cancelled",
            "ready", "rejected")
"""The statuses the Jobs page filters by (the last part of each event type)."""


@dataclass(frozen=True)
class PostView:
    post_id: str
    status: str
    channel: str | None
    copy: list[Stat]
    image_sha256: str | None
    image_url: str | None
    image_note: str | None
    """What the post's image is when none can be shown (sent inline, a video without cover)."""
    pin_url: str | None
    provenance: list[Stat]
    error: str | None
    events: list[EventRow]


def post_view(
    post_id: str,
    *,
    brief_outcome: Mapping[str, Any] | None,
    post_outcome: Mapping[str, Any] | None,
    draft: Mapping[str, Any] | None,
    events: Iterable[Mapping[str, Any]],
) -> PostView | None:
    """One post: its copy (the drafted post, else what the outcomes carry), image, where it
    came from (templates, model, tokens), its latest status and every event about it."""
    rows = [_event_row(e) for e in events if e.get("id") == post_id]
    if brief_outcome is None and post_outcome is None and draft is None and not rows:
        return None
    brief = brief_outcome or {}
    post = post_outcome or {}
    copy_source: Mapping[str, Any] = draft or brief or _message(post)
    copy = [Stat(label, str(copy_source[key])) for key, label in
            (("title", "Title"), ("description", "Description"), ("alt_text", "Alt text"),
             ("link", "Link"), ("board_id", "Board")) if copy_source.get(key)]
    if post.get("board_id") and not copy_source.get("board_id"):
        copy.append(Stat("Board", str(post["board_id"])))  # the channel's default board
    media = copy_source.get("media")
    media = media if isinstance(media, Mapping) else {}
    image = brief.get("image")
    image_sha = (str(media["sha256"]) if media.get("type") == "image_ref" else
                 str(image["sha256"]) if isinstance(image, Mapping) and image.get("sha256")
                 else None)
    image_url, image_note = _media_image(media)
    provenance = brief.get("provenance")
    error = (post or brief).get("error")
    latest = post or brief
    return PostView(
        post_id=post_id,
        status=str(latest.get("status", rows[0].status if rows else "unknown")),
        channel=str(copy_source.get("channel_id") or latest.get("channel_id") or "") or None,
        copy=copy,
        image_sha256=image_sha,
        image_url=image_url,
        image_note=image_note,
        pin_url=str(post["pin_url"]) if post.get("pin_url") else None,
        provenance=_provenance(provenance) if isinstance(provenance, Mapping) else [],
        error=(f"[{error.get('code', 'error')}] {error.get('message', '')}"
               if isinstance(error, Mapping) else None),
        events=rows,
    )


def _media_image(media: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The URL of the image a post's media shows as its Pin (an ``image_url``, a carousel's
    first image, a video's cover), or a note saying what it is instead."""
    kind = media.get("type")
    items = media.get("items")
    if kind == "image_url" and media.get("url"):
        return str(media["url"]), None
    if kind == "carousel" and isinstance(items, list) and items and isinstance(items[0], Mapping):
        return str(items[0].get("url") or "") or None, f"A carousel of {len(items)} images."
    if kind == "video":
        cover = media.get("cover_image_url")
        return (str(cover), "A video; its cover is shown.") if cover else \
            (None, "A video whose cover is a frame Pinterest takes from it.")
    if kind == "image_base64":
        return None, (f"The image was sent inline ({media.get('content_type', 'image')}, "
                      f"{number(_float(media.get('data_chars')))} base64 characters); its bytes "
                      "are not kept, so it is not shown here.")
    return None, None


def _message(outcome: Mapping[str, Any]) -> Mapping[str, Any]:
    message = outcome.get("message")
    return message if isinstance(message, Mapping) else {}


def _provenance(provenance: Mapping[str, Any], prefix: str = "") -> list[Stat]:
    rows: list[Stat] = []
    for key, value in provenance.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            rows.extend(_provenance(value, f"{name}."))
        else:
            rows.append(Stat(name, str(value)))
    return rows
