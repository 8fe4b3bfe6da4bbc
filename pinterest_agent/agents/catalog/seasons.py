"""Named seasons and the day each falls on, per year and region.

Fixed days (Valentine's Day, Halloween, Christmas, ...) are the same everywhere and every year.
Movable ones are computed for the year with ``dateutil`` (Easter by the Western church's rule;
weekday rules such as "the second Sunday of May" with ``relativedelta``):

=============  ===========================  ==============================================
season         US (the default), CA         GB, IE
=============  ===========================  ==============================================
easter         Easter Sunday                Easter Sunday
mothers-day    second Sunday of May         Mothering Sunday: three weeks before Easter
fathers-day    third Sunday of June         third Sunday of June
thanksgiving   US: fourth Thursday of       the US date (the one retail follows)
               November; CA: second
               Monday of October
black-friday   the day after the US         the same (retail follows the US date)
               Thanksgiving
cyber-monday   the Monday after it          the same
=============  ===========================  ==============================================

The seasons of the year (``spring``, ``summer``, ``autumn``/``fall``, ``winter``) are the
northern hemisphere's, which is why only northern regions are offered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Literal, get_args

from dateutil.easter import easter
from dateutil.relativedelta import MO, SU, TH, relativedelta

__all__ = ["DEFAULT_REGION", "FIXED", "MOVABLE", "REGIONS", "Region", "season_day",
           "season_names"]

Region = Literal["US", "CA", "GB", "IE"]
REGIONS: tuple[Region, ...] = get_args(Region)
DEFAULT_REGION: Region = "US"

FIXED: Mapping[str, tuple[int, int]] = {
    "valentines": (2, 14), "valentines-day": (2, 14), "summer": (6, 21),
    "back-to-school": (8, 20), "halloween": (10, 31), "christmas": (12, 25),
    "holidays": (12, 20), "new-year": (12, 31), "winter": (12, 21), "spring": (3, 20),
    "autumn": (9, 22), "fall": (9, 22), "wedding": (6, 1),
}
"""Seasons on the same (month, day) every year."""


def _us_thanksgiving(year: int) -> date:
    return date(year, 11, 1) + relativedelta(weekday=TH(+4))


def _mothers_day(year: int, region: Region) -> date:
    if region in ("GB", "IE"):
        return easter(year) - timedelta(days=21)
    return date(year, 5, 1) + relativedelta(weekday=SU(+2))


def _thanksgiving(year: int, region: Region) -> date:
    if region == "CA":
        return date(year, 10, 1) + relativedelta(weekday=MO(+2))
    return _us_thanksgiving(year)


MOVABLE: Mapping[str, Callable[[int, Region], date]] = {
    "easter": lambda year, region: easter(year),
    "mothers-day": _mothers_day,
    "fathers-day": lambda year, region: date(year, 6, 1) + relativedelta(weekday=SU(+3)),
    "thanksgiving": _thanksgiving,
    "black-friday": lambda year, region: _us_thanksgiving(year) + timedelta(days=1),
    "cyber-monday": lambda year, region: _us_thanksgiving(year) + timedelta(days=4),
}
"""Seasons whose day depends on the year (and the region)."""


def season_names() -> tuple[str, ...]:
    return (*FIXED, *MOVABLE)


def season_day(name: str, year: int, region: Region = DEFAULT_REGION) -> date | None:
    """The day ``name`` falls on in ``year`` for ``region`` (None: not a season we know)."""
    if name in FIXED:
        month, day = FIXED[name]
        return date(year, month, day)
    rule = MOVABLE.get(name)
    return rule(year, region) if rule is not None else None
