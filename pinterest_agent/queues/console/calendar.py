"""The schedule calendar's view model (pure): a week or a month of scheduled Pins, per board.

:func:`calendar_view` lays the channel's schedule records
(:class:`~queues.stores.schedule.ScheduledPin`) out in days, Monday first, UTC, each Pin with its
preview (:class:`~queues.console.previews.PinPreview`) and whether
it can still be moved or cancelled (only a ``scheduled`` one: a claimed one is being published).
"""

from __future__ import annotations

import calendar as stdlib_calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from pinterest_agent.queues.console.previews import PinPreview, pin_preview
from pinterest_agent.queues.stores.schedule import ScheduledPin

__all__ = [
    "CalendarDay",
    "CalendarPin",
    "CalendarView",
    "calendar_range",
    "calendar_view",
    "parse_moment",
]

View = Literal["week", "month"]


@dataclass(frozen=True)
class CalendarPin:
    post_id: str
    time: str
    at_input: str
    """The time as an ``<input type="datetime-local">`` value (UTC)."""
    state: str
    movable: bool
    source: str
    preview: PinPreview


@dataclass(frozen=True)
class CalendarDay:
    day: date
    label: str
    in_period: bool
    today: bool
    pins: list[CalendarPin]


@dataclass(frozen=True)
class CalendarView:
    view: View
    title: str
    start: date
    previous: date
    next: date
    weeks: list[list[CalendarDay]]
    boards: list[tuple[str, str]]
    """(board key, name) of every board with a Pin in the period, for the filter."""
    board: str | None
    total: int


def calendar_range(view: View, anchor: date) -> tuple[date, date]:
    """The first and the day after the last day shown: a Monday-to-Sunday week, or the whole
    weeks that cover ``anchor``'s month."""
    if view == "week":
        monday = anchor - timedelta(days=anchor.weekday())
        return monday, monday + timedelta(days=7)
    first = anchor.replace(day=1)
    last = first.replace(day=stdlib_calendar.monthrange(first.year, first.month)[1])
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=7 - last.weekday())
    return start, end


def _board_key(pin: ScheduledPin) -> str:
    return pin.preview.board_id or f"planned:{pin.planned_board or ''}"


def calendar_view(
    pins: Sequence[ScheduledPin], *, view: View, anchor: date, today: date,
    board_names: Mapping[str, str], board: str | None = None,
    statuses: Mapping[str, str] | None = None,
) -> CalendarView:
    """``statuses``: the recorded outcome of Pins the publisher claimed (``published``,
    ``retrying``...), shown instead of "publishing"."""
    statuses = statuses or {}
    start, end = calendar_range(view, anchor)
    names = {_board_key(pin): pin_preview(pin.preview, board_names,
                                          planned_board=pin.planned_board).board
             for pin in pins}
    shown = [pin for pin in pins if board is None or _board_key(pin) == board]
    by_day: dict[date, list[CalendarPin]] = {}
    for pin in sorted(shown, key=lambda p: (p.at, p.post_id)):
        at = pin.at.astimezone(UTC)
        by_day.setdefault(at.date(), []).append(CalendarPin(
            post_id=pin.post_id, time=at.strftime("%H:%M"),
            at_input=at.strftime("%Y-%m-%dT%H:%M"),
            state=statuses.get(pin.post_id) or ("publishing" if pin.state == "due"
                                                else pin.state),
            movable=pin.state == "scheduled", source=pin.source,
            preview=pin_preview(pin.preview, board_names, planned_board=pin.planned_board,
                                href=f"/posts/{pin.post_id}")))
    days = []
    day = start
    while day < end:
        in_period = view == "week" or day.month == anchor.month
        days.append(CalendarDay(day=day, label=f"{day:%a} {day.day} {day:%b}",
                                in_period=in_period, today=day == today,
                                pins=by_day.get(day, [])))
        day += timedelta(days=1)
    if view == "week":
        title = f"Week of {start:%d %B %Y}"
        previous, following = start - timedelta(days=7), start + timedelta(days=7)
    else:
        first = anchor.replace(day=1)
        title = f"{first:%B %Y}"
        previous = (first - timedelta(days=1)).replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
    return CalendarView(
        view=view, title=title, start=start, previous=previous, next=following,
        weeks=[days[i:i + 7] for i in range(0, len(days), 7)],
        boards=sorted(names.items(), key=lambda item: item[1].lower()),
        board=board, total=sum(len(d.pins) for d in days),
    )


def parse_moment(value: str) -> datetime | None:
    """A ``datetime-local`` value (``2031-03-04T14:00``), read as UTC; None if malformed."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
