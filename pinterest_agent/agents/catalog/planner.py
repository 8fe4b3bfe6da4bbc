"""The cadence planner: when each new Pin goes out.

Pinterest's guidance is a steady cadence (about 5-15 Pins per board per week) rather than bursts,
and seasonal content 60-90 days before the season. The planner keeps, per board, at most
``per_day`` Pins a day and ``per_week`` an ISO week (Monday to Sunday, UTC), counting what was
planned before (the calendar the store keeps). It places each Pin on the first day with room,
filling the channel's peak weekdays of each week first (from its latest insight), at its peak
hours (UTC; the insight's estimate), else at ``DEFAULT_HOURS``.

An item tagged with a season (``season:christmas``; movable ones computed per year and region by
:mod:`agents.catalog.seasons`) or an event date (``event:2026-12-24``) is planned in the window
90 to 60 days before it; when that window is full (or already past), on the first day with room
after it, marked late, but never on or after the event. A seasonal item that fits nowhere
before its event is not planned (:class:`Unplaced`, reason ``season_full``: the sync reports it
and tries again after the event, for the next one); a past named season means next year's.

A Pin that does not fit within ``horizon_days`` is not planned either (reason ``horizon``); its
``retry_on`` is the day the horizon reaches the first day it could take, counting the Pins
deferred before it, so the sync looks at it again that day and not before.

Each board keeps a cursor per search (its first and last day): days found full stay full, so a
search resumes where the last one stopped and planning N Pins costs O(N + days), not O(N x days).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from pinterest_agent.agents.catalog.seasons import (
    DEFAULT_REGION,
    FIXED,
    Region,
    season_day,
    season_names,
)

__all__ = [
    "DEFAULT_HOURS",
    "LEAD_DAYS",
    "CadenceLimits",
    "Event",
    "Peaks",
    "Planner",
    "SeasonFit",
    "Slot",
    "Unplaced",
    "event_date",
    "event_for",
]

DEFAULT_HOURS = (14, 18, 20)
"""UTC hours used when the channel has no insight yet."""
LEAD_DAYS = (90, 60)
"""A seasonal Pin goes out this many days (most, least) before its event."""
SEASONS = FIXED
"""Kept for callers of the fixed table; movable seasons live in :mod:`agents.catalog.seasons`."""
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_KNOWN = frozenset(season_names())


@dataclass(frozen=True, slots=True)
class CadenceLimits:
    per_day: int = 2
    per_week: int = 10
    horizon_days: int = 365


@dataclass(frozen=True, slots=True)
class Peaks:
    """When the channel's audience engages: weekdays (0 = Monday) and UTC hours, best first."""

    weekdays: tuple[int, ...] = ()
    hours: tuple[int, ...] = ()

    @classmethod
    def from_names(cls, days: Iterable[str], hours: Iterable[int]) -> Peaks:
        found = tuple(WEEKDAYS.index(d.strip().lower()) for d in days
                      if d.strip().lower() in WEEKDAYS)
        return cls(found, tuple(h for h in hours if 0 <= h <= 23))


@dataclass(frozen=True, slots=True)
class Event:
    """What a seasonal item is for: a named season (``christmas``) or ``event``, and its day."""

    name: str
    day: date

    def __str__(self) -> str:
        return f"{self.name} {self.day.isoformat()}"


@dataclass(frozen=True, slots=True)
class Slot:
    board: str
    at: datetime
    seasonal: date | None = None
    late: bool = False
    """A seasonal Pin planned under ``LEAD_DAYS[1]`` days before its event."""


@dataclass(frozen=True, slots=True)
class Unplaced:
    """A Pin the planner could not place, why, and the first day placing it may succeed."""

    board: str
    reason: Literal["horizon", "season_full"]
    retry_on: date
    detail: str
    event: Event | None = None


@dataclass
class SeasonFit:
    """How one event's Pins fared on one board: in the window, late, or not at all."""

    board: str
    event: Event
    in_window: int = 0
    late: int = 0
    missed: int = 0

    def __str__(self) -> str:
        total = self.in_window + self.late + self.missed
        board = self.board or "the default board"
        text = (f"{self.event} on {board}: {self.in_window + self.late} of {total} fit before "
                f"the event ({self.in_window} in the {LEAD_DAYS[0]}-{LEAD_DAYS[1]} day window, "
                f"{self.late} late)")
        if self.missed:
            text += (f"; {self.missed} not planned (the window is full): raise the per-week "
                     "limit or split the board")
        return text


def event_for(tags: Sequence[str], today: date, region: Region = DEFAULT_REGION) -> Event | None:
    """The next event an item's ``season:``/``event:`` tag names, if any."""
    for tag in tags:
        kind, _, value = tag.partition(":")
        kind, value = kind.strip().lower(), value.strip().lower().replace(" ", "-")
        if kind == "event":
            try:
                when = date.fromisoformat(value)
            except ValueError:
                continue
            if when >= today:
                return Event("event", when)
        elif kind == "season" and value in _KNOWN:
            for year in (today.year, today.year + 1):
                found = season_day(value, year, region)
                if found is not None and found >= today:
                    return Event(value, found)
    return None


def event_date(tags: Sequence[str], today: date, region: Region = DEFAULT_REGION) -> date | None:
    """The next date an item's ``season:``/``event:`` tag names, if any."""
    event = event_for(tags, today, region)
    return event.day if event is not None else None


@dataclass
class Planner:
    """Places Pins one at a time, counting them into its calendar (``board|YYYY-MM-DD`` ->
    Pins planned); ``added`` holds what this planner placed, for the store; ``seasons`` how
    each event's Pins fared per board."""

    limits: CadenceLimits
    now: datetime
    peaks: Peaks = field(default_factory=Peaks)
    calendar: Counter[str] = field(default_factory=Counter)
    added: Counter[str] = field(default_factory=Counter)
    region: Region = DEFAULT_REGION
    seasons: dict[tuple[str, Event], SeasonFit] = field(default_factory=dict)
    rising: Mapping[str, date] = field(default_factory=dict)
    """Per season name (``christmas``), the day Pinterest predicts its searches start rising
    (Pinterest Trends' predicted series): its window opens then, not ``LEAD_DAYS[0]`` days
    before the event, and lasts as long (``LEAD_DAYS[0] - LEAD_DAYS[1]`` days)."""

    def __post_init__(self) -> None:
        self._today = self.now.date()
        self._end = self._today + timedelta(days=self.limits.horizon_days)
        self._order = tuple(self.peaks.weekdays) + tuple(
            d for d in range(7) if d not in self.peaks.weekdays)
        self._hours = sorted(self.peaks.hours[:3] or DEFAULT_HOURS)
        self._days: Counter[tuple[str, int]] = Counter()
        self._weeks: Counter[tuple[str, int]] = Counter()
        self._cursors: dict[tuple[str, int, int], tuple[int, int]] = {}
        self._beyond: dict[str, tuple[int, int, int]] = {}
        for key, count in self.calendar.items():
            board, _, day = key.rpartition("|")
            ordinal = date.fromisoformat(day).toordinal()
            self._days[board, ordinal] += count
            self._weeks[board, _monday(ordinal)] += count

    def _time_on(self, board: str, ordinal: int) -> datetime | None:
        """The day's next free hour for the board (later than now), or None."""
        day = date.fromordinal(ordinal)
        taken = self._days[board, ordinal]
        hours = self._hours
        for index in range(taken, taken + len(hours) * 4):
            hour = hours[index % len(hours)]
            minute = (index // len(hours)) * 15
            at = datetime.combine(day, time(hour, minute), tzinfo=UTC)
            if at > self.now + timedelta(minutes=30):
                return at
        return None

    def _find(self, board: str, start: int, end: int) -> tuple[int, datetime] | None:
        """The first day with room in [start, end] (ordinals), each week's peak days first,
        resuming where the last search over the same days stopped."""
        key = (board, start, end)
        limits = self.limits
        monday, index = self._cursors.get(key, (_monday(start), 0))
        while monday <= end:
            if self._weeks[board, monday] < limits.per_week:
                while index < 7:
                    ordinal = monday + self._order[index]
                    if start <= ordinal <= end and self._days[board, ordinal] < limits.per_day:
                        at = self._time_on(board, ordinal)
                        if at is not None:
                            self._cursors[key] = (monday, index)
                            return ordinal, at
                    index += 1
            monday, index = monday + 7, 0
        self._cursors[key] = (monday, 0)
        return None

    def _take(self, board: str, ordinal: int) -> None:
        self._days[board, ordinal] += 1
        self._weeks[board, _monday(ordinal)] += 1
        key = f"{board}|{date.fromordinal(ordinal).isoformat()}"
        self.calendar[key] += 1
        self.added[key] += 1

    def _after_horizon(self, board: str) -> date:
        """The first day past the horizon this board's next deferred Pin could take, counting
        the Pins deferred before it (nothing is planned past the horizon)."""
        limits = self.limits
        first = self._end.toordinal() + 1
        ordinal, on_day, in_week = self._beyond.get(
            board, (first, 0, self._weeks[board, _monday(first)]))
        while on_day >= limits.per_day or in_week >= limits.per_week:
            ordinal += 1
            on_day = 0
            if ordinal == _monday(ordinal):
                in_week = 0
        self._beyond[board] = (ordinal, on_day + 1, in_week + 1)
        return date.fromordinal(ordinal)

    def _deferred(self, board: str, detail: str, first_day: date | None = None,
                  event: Event | None = None) -> Unplaced:
        day = first_day if first_day is not None else self._after_horizon(board)
        retry = max(day - timedelta(days=self.limits.horizon_days),
                    self._today + timedelta(days=1))
        return Unplaced(board, "horizon", retry, detail, event)

    def _no_room(self, board: str) -> str:
        return (f"no room on {board or 'the default board'} within the "
                f"{self.limits.horizon_days}-day horizon")

    def _window(self, event: Event) -> tuple[int, int]:
        """The ordinals of the first and last day of *event*'s window: from the day its
        searches start rising when Pinterest predicts one before the event (within a year),
        else ``LEAD_DAYS`` before it."""
        rise = self.rising.get(event.name)
        if rise is not None and event.day - timedelta(days=365) <= rise < event.day:
            opens = rise.toordinal()
            span = LEAD_DAYS[0] - LEAD_DAYS[1]
            return opens, min(opens + span, event.day.toordinal() - 1)
        return ((event.day - timedelta(days=LEAD_DAYS[0])).toordinal(),
                (event.day - timedelta(days=LEAD_DAYS[1])).toordinal())

    def place(self, board: str, *, tags: Sequence[str] = ()) -> Slot | Unplaced:
        """The next slot for a Pin on ``board``, or why there is none."""
        event = event_for(tags, self._today, self.region)
        end = self._end.toordinal()
        if event is None:
            found = self._find(board, self._today.toordinal(), end)
            if found is None:
                return self._deferred(board, self._no_room(board))
            self._take(board, found[0])
            return Slot(board, found[1])
        fit = self.seasons.get((board, event))
        if fit is None:
            fit = self.seasons[board, event] = SeasonFit(board, event)
        today = self._today.toordinal()
        opens, closes = self._window(event)
        last = event.day.toordinal() - 1
        if opens > end:
            return self._deferred(board, f"{event}: its window opens after the horizon",
                                  date.fromordinal(opens), event)
        for start, stop, late in ((max(today, opens), min(closes, end), False),
                                  (max(today, closes + 1), min(last, end), True)):
            found = self._find(board, start, stop) if start <= stop else None
            if found is not None:
                self._take(board, found[0])
                if late:
                    fit.late += 1
                else:
                    fit.in_window += 1
                return Slot(board, found[1], seasonal=event.day, late=late)
        if last > end:  # room may come as the horizon moves towards the event
            return self._deferred(board, f"{event}: {self._no_room(board)}", event=event)
        fit.missed += 1
        return Unplaced(board, "season_full", event.day + timedelta(days=1),
                        f"{event} window full on {board or 'the default board'}: no room "
                        "before the event; raise the per-week limit or split the board", event)


def _monday(ordinal: int) -> int:
    """The ordinal of the Monday of ``ordinal``'s ISO week (ordinal 1, 0001-01-01, a Monday)."""
    return ordinal - (ordinal - 1) % 7
