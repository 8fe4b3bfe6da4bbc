"""The cadence planner: when each new Pin goes out.

Pinterest's guidance is a steady cadence (about 5-15 Pins per board per week) rather than bursts,
and seasonal content 60-90 days before the season. The planner keeps, per board, at most
``per_day`` Pins a day and ``per_week`` an ISO week (Monday to Sunday, UTC), counting what was
planned before (the calendar the store keeps). It places each Pin on the first day with room,
filling the channel's peak weekdays of each week first (from its latest insight), at its peak
hours (UTC; the insight's estimate), else at ``DEFAULT_HOURS``.

An item tagged with a season (``season:christmas``) or an event date (``event:2026-12-24``) is
planned in the window 90 to 60 days before it; less than 60 days ahead, as soon as there is room
(marked late); a past named season means next year's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

__all__ = [
    "DEFAULT_HOURS",
    "SEASONS",
    "CadenceLimits",
    "Peaks",
    "Planner",
    "Slot",
    "event_date",
]

DEFAULT_HOURS = (14, 18, 20)
"""UTC hours used when the channel has no insight yet."""
LEAD_DAYS = (90, 60)
"""A seasonal Pin goes out this many days (most, least) before its event."""
SEASONS: Mapping[str, tuple[int, int]] = {
    "valentines": (2, 14), "valentines-day": (2, 14), "easter": (4, 5),
    "mothers-day": (5, 10), "fathers-day": (6, 21), "summer": (6, 21),
    "back-to-school": (8, 20), "halloween": (10, 31), "thanksgiving": (11, 26),
    "black-friday": (11, 27), "christmas": (12, 25), "holidays": (12, 20),
    "new-year": (12, 31), "winter": (12, 21), "spring": (3, 20), "autumn": (9, 22),
    "fall": (9, 22), "wedding": (6, 1),
}
"""Named seasons and their (month, day), for ``season:NAME`` tags."""
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


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
class Slot:
    board: str
    at: datetime
    seasonal: date | None = None
    late: bool = False


def event_date(tags: Sequence[str], today: date) -> date | None:
    """The next date an item's ``season:``/``event:`` tag names, if any."""
    for tag in tags:
        kind, _, value = tag.partition(":")
        kind, value = kind.strip().lower(), value.strip().lower().replace(" ", "-")
        if kind == "event":
            try:
                when = date.fromisoformat(value)
            except ValueError:
                continue
            if when >= today:
                return when
        elif kind == "season" and value in SEASONS:
            month, day = SEASONS[value]
            when = date(today.year, month, day)
            return when if when >= today else date(today.year + 1, month, day)
    return None


@dataclass
class Planner:
    """Places Pins one at a time, counting them into its calendar (``board|YYYY-MM-DD`` ->
    Pins planned); ``added`` holds what this planner placed, for the store."""

    limits: CadenceLimits
    now: datetime
    peaks: Peaks = field(default_factory=Peaks)
    calendar: Counter[str] = field(default_factory=Counter)
    added: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._weeks: Counter[str] = Counter()
        for key, count in self.calendar.items():
            board, _, day = key.rpartition("|")
            self._weeks[self._week_key(board, date.fromisoformat(day))] += count

    @staticmethod
    def _week_key(board: str, day: date) -> str:
        year, week, _ = day.isocalendar()
        return f"{board}|{year}-W{week:02d}"

    def _hours(self) -> tuple[int, ...]:
        return self.peaks.hours[:3] or DEFAULT_HOURS

    def _room(self, board: str, day: date) -> bool:
        return (self.calendar[f"{board}|{day.isoformat()}"] < self.limits.per_day
                and self._weeks[self._week_key(board, day)] < self.limits.per_week)

    def _time_on(self, board: str, day: date) -> datetime | None:
        """The day's next free hour for the board (later than now), or None."""
        taken = self.calendar[f"{board}|{day.isoformat()}"]
        hours = sorted(self._hours())
        for index in range(taken, taken + len(hours) * 4):
            hour = hours[index % len(hours)]
            minute = (index // len(hours)) * 15
            at = datetime.combine(day, time(hour, minute), tzinfo=UTC)
            if at > self.now + timedelta(minutes=30):
                return at
        return None

    def _days(self, start: date) -> Iterable[date]:
        """Days from ``start`` to the horizon, each week's peak days first."""
        end = self.now.date() + timedelta(days=self.limits.horizon_days)
        monday = start - timedelta(days=start.weekday())
        order = list(self.peaks.weekdays) + [d for d in range(7) if d not in self.peaks.weekdays]
        while monday <= end:
            for weekday in order:
                day = monday + timedelta(days=weekday)
                if start <= day <= end:
                    yield day
            monday += timedelta(days=7)

    def place(self, board: str, *, tags: Sequence[str] = (), not_before: datetime | None = None,
              ) -> Slot | None:
        """The next slot for a Pin on ``board`` (None when the horizon is full)."""
        today = self.now.date()
        event = event_date(tags, today)
        start = today
        late = False
        if event is not None:
            window = event - timedelta(days=LEAD_DAYS[0])
            late = event - timedelta(days=LEAD_DAYS[1]) < today
            start = max(today, window)
        if not_before is not None:
            start = max(start, not_before.date())
        for day in self._days(start):
            if not self._room(board, day):
                continue
            at = self._time_on(board, day)
            if at is None:
                continue
            key = f"{board}|{day.isoformat()}"
            self.calendar[key] += 1
            self.added[key] += 1
            self._weeks[self._week_key(board, day)] += 1
            return Slot(board, at, seasonal=event, late=late)
        return None
