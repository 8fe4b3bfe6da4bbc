"""Generated but plausible Pinterest Trends for the sandbox: a catalogue of keywords and their
weekly search volume, deterministic per ``(seed, region, audience, keyword, week)``.

Each :class:`Term` has a shape:

=========  ==========================================================================
seasonal   a yearly bump around its peak day ("christmas table decor" mid-December,
           "easter brunch" early April, "summer linen dress" late June); a *weather*
           season (summer, autumn, ski, back to school) peaks half a year later in the
           southern regions (AR, BR, AU+NZ), a calendar one (Christmas, Halloween) does not
growing    volume multiplied by ``1 + rate`` a year ("matcha desserts", "japandi living room")
evergreen  steady, with a mild yearly swing ("easy dinner recipes")
fading     shrinking by ``rate`` a year ("dalgona coffee")
=========  ==========================================================================

Some terms belong to a few regions only (``thanksgiving table setting`` is US, ``bonfire night
food`` GB+IE, ``oktoberfest outfit`` DE and DE+AT+CH). Each region and audience sees each term at
its own scale (a hash of the region, the genders and ages asked for, and the keyword): asking for
``genders=male`` scales every term by its male share, so rankings change with the audience.

Time: the last observed week ends on the Sunday at least :data:`DATA_LAG_DAYS` before the sandbox
clock's today; ``time_series`` holds the 52 weeks ending there, ``predicted_time_series`` the 13
weeks after it (about 90 days), drawn from the noise-free shape (a forecast is smooth). Each
keyword's peak week is 100; with a prediction, its past and predicted points share one 0..100
scale, so the two curves join; with ``normalize_against_group`` every returned keyword shares
one. Growth figures are computed from the
same weekly volumes the series show (before rounding): week over week is the last week against
the one before, month over month the last 4 weeks against the 4 before, year over year the last 4
weeks against the same 4 weeks a year earlier; rounded, and capped at 10001 (">+10000%") as
Pinterest caps them.

Ranking by ``trend_type``: ``growing`` by growth of the last 13 weeks over the 13 before (terms
still rising: month over month above 0), ``monthly`` by volume of the last 4 weeks, ``yearly``
by volume of the last 52, ``seasonal`` by month-over-month growth among the seasonal terms that
are rising (by at least :data:`SEASONAL_MIN_MOM` percent).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

__all__ = [
    "CATALOGUE",
    "DATA_LAG_DAYS",
    "HISTORY_WEEKS",
    "PREDICTION_WEEKS",
    "SOUTHERN_REGIONS",
    "Audience",
    "Term",
    "TrendRow",
    "last_week_end",
    "trending",
]

Shape = Literal["seasonal", "growing", "evergreen", "fading"]

DATA_LAG_DAYS = 3
"""Pinterest needs a few days to count a week."""
HISTORY_WEEKS = 52
PREDICTION_WEEKS = 13
SOUTHERN_REGIONS = frozenset({"AR", "BR", "AU+NZ"})
"""Regions whose weather seasons are half a year from the northern ones'."""
MAX_GROWTH_PCT = 10001
SEASONAL_MIN_MOM = 10
"""A seasonal keyword is trending when its month grew at least this much (percent): the
weekly noise of a term out of season never reaches it."""
AGE_BUCKETS = ("18-24", "25-34", "35-44", "45-49", "50-54", "55-64", "65+")
_YEAR_DAYS = 365.2425
_NOISE = 0.06
"""Weekly noise: +/- 6% of the volume (the history only; a forecast is smooth)."""


@dataclass(frozen=True, slots=True)
class Term:
    """One keyword the sandbox may report, and the shape of its search volume."""

    keyword: str
    interests: tuple[str, ...]
    shape: Shape
    base: float
    """Relative popularity: the volume at the seasonal peak, or today for the other shapes."""
    peak: tuple[int, int] = (1, 1)
    """Seasonal: the (month, day) searches peak."""
    width_weeks: float = 3.0
    """Seasonal: how wide the bump is (one standard deviation, in weeks)."""
    weather: bool = False
    """Seasonal: the peak follows the weather (half a year later in the southern regions)."""
    rate: float = 0.0
    """Growing / fading: the yearly change (1.5 is +150% a year, -0.5 is halved)."""
    regions: frozenset[str] | None = None
    """Only these regions search for it (None: every region)."""
    female: float = 0.7
    """Share of searches by women (before privacy rounding)."""


def _s(keyword: str, interests: tuple[str, ...], peak: tuple[int, int], base: float, *,
       width: float = 3.0, weather: bool = False, regions: tuple[str, ...] | None = None,
       female: float = 0.7) -> Term:
    return Term(keyword, interests, "seasonal", base, peak, width, weather,
                regions=frozenset(regions) if regions else None, female=female)


def _g(keyword: str, interests: tuple[str, ...], rate: float, base: float, *,
       female: float = 0.7) -> Term:
    return Term(keyword, interests, "growing" if rate > 0 else "fading", base, rate=rate,
                female=female)


def _e(keyword: str, interests: tuple[str, ...], base: float, *, female: float = 0.7) -> Term:
    return Term(keyword, interests, "evergreen", base, female=female)


CATALOGUE: tuple[Term, ...] = (
    # seasonal: calendar
    _s("christmas table decor", ("home_decor", "event_planning"), (12, 15), 9.0),
    _s("christmas cookies", ("food_and_drinks",), (12, 12), 10.0),
    _s("advent calendar ideas", ("diy_and_crafts", "parenting"), (11, 28), 5.0, width=2.0),
    _s("holiday party outfits", ("womens_fashion",), (12, 10), 6.0, width=2.0, female=0.9),
    _s("halloween costumes", ("entertainment", "womens_fashion", "childrens_fashion"), (10, 25),
       12.0, width=1.5),
    _s("couples halloween costumes", ("entertainment",), (10, 24), 6.0, width=1.5, female=0.6),
    _s("pumpkin carving ideas", ("diy_and_crafts",), (10, 22), 5.0, width=2.0),
    _s("thanksgiving table setting", ("home_decor", "event_planning", "food_and_drinks"),
       (11, 20), 7.0, width=2.0, regions=("US",)),
    _s("easter brunch", ("food_and_drinks", "event_planning"), (4, 5), 6.0, width=2.0),
    _s("easter egg decorating", ("diy_and_crafts", "parenting"), (4, 1), 5.0, width=2.0),
    _s("valentines day nails", ("beauty",), (2, 10), 7.0, width=1.5, female=0.95),
    _s("galentines party ideas", ("event_planning",), (2, 8), 3.0, width=1.5, female=0.95),
    _s("mothers day gifts", ("event_planning",), (5, 5), 6.0, width=1.5, female=0.6),
    _s("graduation party ideas", ("event_planning", "education"), (6, 1), 5.0),
    _s("4th of july desserts", ("food_and_drinks",), (7, 2), 5.0, width=1.5, regions=("US",)),
    _s("new year workout plan", ("health", "sport"), (1, 5), 5.0, width=2.0, female=0.6),
    _s("bonfire night food", ("food_and_drinks",), (11, 3), 3.0, width=1.0,
       regions=("GB+IE",)),
    _s("oktoberfest outfit", ("womens_fashion", "mens_fashion"), (9, 25), 4.0, width=2.0,
       regions=("DE", "DE+AT+CH")),
    _s("carnival costumes", ("entertainment", "womens_fashion"), (2, 15), 8.0, width=2.0,
       regions=("BR", "MX+AR+CO+CL", "CO", "AR", "MX")),
    # seasonal: weather
    _s("summer linen dress", ("womens_fashion",), (6, 20), 8.0, width=5.0, weather=True,
       female=0.95),
    _s("summer salads", ("food_and_drinks", "health"), (7, 5), 7.0, width=5.0, weather=True),
    _s("beach vacation outfits", ("womens_fashion", "travel"), (7, 1), 6.0, width=4.0,
       weather=True, female=0.9),
    _s("back to school outfits", ("childrens_fashion", "parenting"), (8, 15), 6.0, width=2.5,
       weather=True),
    _s("wedding guest dresses summer", ("wedding", "womens_fashion"), (6, 10), 5.0, width=4.0,
       weather=True, female=0.95),
    _s("spring nails", ("beauty",), (3, 25), 6.0, width=3.0, weather=True, female=0.95),
    _s("vegetable garden layout", ("gardening",), (3, 20), 5.0, width=4.0, weather=True),
    _s("fall porch decor", ("home_decor", "gardening"), (9, 25), 6.0, width=3.0, weather=True),
    _s("pumpkin spice recipes", ("food_and_drinks",), (10, 5), 5.0, width=3.0, weather=True),
    _s("cozy fall outfits", ("womens_fashion",), (10, 10), 7.0, width=4.0, weather=True,
       female=0.92),
    _s("winter skincare routine", ("beauty", "health"), (1, 15), 5.0, width=4.0, weather=True,
       female=0.85),
    _s("ski trip packing list", ("travel", "sport"), (1, 20), 3.0, width=3.0, weather=True,
       female=0.55),
    # growing
    _g("japandi living room", ("home_decor", "design", "architecture"), 1.8, 4.0),
    _g("quiet luxury outfits", ("womens_fashion", "mens_fashion"), 1.2, 4.0, female=0.75),
    _g("cottagecore kitchen", ("home_decor",), 0.9, 3.0),
    _g("protein snacks", ("food_and_drinks", "health"), 1.5, 5.0, female=0.55),
    _g("matcha desserts", ("food_and_drinks",), 2.4, 3.0),
    _g("pickleball outfit", ("sport", "womens_fashion"), 3.0, 2.0, female=0.7),
    _g("sourdough discard recipes", ("food_and_drinks",), 0.8, 4.0),
    _g("bento cake", ("food_and_drinks", "event_planning"), 1.6, 3.0),
    _g("mocha mousse color palette", ("design", "home_decor", "art"), 4.0, 2.0),
    _g("capsule wardrobe", ("womens_fashion",), 0.5, 5.0, female=0.93),
    _g("rug tufting", ("diy_and_crafts", "art"), 2.0, 2.0),
    _g("ev road trip planner", ("vehicles", "travel"), 1.1, 1.5, female=0.35),
    _g("budget travel hacks", ("travel", "finance"), 0.6, 3.0, female=0.6),
    _g("micro wedding ideas", ("wedding", "event_planning"), 0.9, 3.0, female=0.9),
    _g("dopamine decor", ("home_decor", "design"), 1.3, 3.0),
    _g("gentle parenting scripts", ("parenting", "education"), 1.0, 2.0, female=0.85),
    _g("balcony garden ideas", ("gardening", "home_decor"), 0.7, 3.0),
    _g("diy cat tree", ("animals", "diy_and_crafts"), 0.8, 2.0),
    _g("budget spreadsheet template", ("finance", "education"), 0.5, 2.0, female=0.6),
    _g("chrome nail art", ("beauty",), 1.4, 4.0, female=0.95),
    _g("retro gaming room", ("electronics", "entertainment"), 0.9, 2.0, female=0.3),
    _g("mens linen shirt", ("mens_fashion",), 0.6, 2.0, female=0.3),
    _g("self care quotes", ("quotes", "health"), 0.4, 3.0, female=0.85),
    # fading
    _g("barbiecore outfits", ("womens_fashion",), -0.6, 3.0, female=0.95),
    _g("dalgona coffee", ("food_and_drinks",), -0.5, 2.0),
    _g("tie dye shirts", ("diy_and_crafts",), -0.4, 2.0),
    # evergreen
    _e("easy dinner recipes", ("food_and_drinks",), 10.0),
    _e("living room ideas", ("home_decor",), 9.0),
    _e("nail ideas", ("beauty",), 9.0, female=0.95),
    _e("outfit ideas", ("womens_fashion",), 10.0, female=0.9),
    _e("bedroom decor", ("home_decor",), 8.0),
    _e("hairstyles for long hair", ("beauty",), 7.0, female=0.95),
    _e("healthy breakfast", ("food_and_drinks", "health"), 6.0),
    _e("kids crafts", ("diy_and_crafts", "parenting", "education"), 5.0, female=0.85),
    _e("motivational quotes", ("quotes",), 6.0, female=0.7),
    _e("dog training tips", ("animals",), 4.0, female=0.6),
    _e("small bathroom ideas", ("home_decor", "architecture"), 6.0),
    _e("wedding hairstyles", ("wedding", "beauty"), 5.0, female=0.97),
    _e("mens casual outfits", ("mens_fashion",), 5.0, female=0.25),
    _e("home office setup", ("electronics", "home_decor", "design"), 4.0, female=0.5),
    _e("watercolor painting", ("art",), 4.0),
    _e("car interior accessories", ("vehicles",), 3.0, female=0.6),
    _e("garden design", ("gardening", "architecture"), 4.0),
)
"""Every keyword the sandbox knows (73; more than the 50 a request may return)."""


@dataclass(frozen=True, slots=True)
class Audience:
    """Who is asking: the request's region and demographic filters (empty: everyone)."""

    region: str
    genders: tuple[str, ...] = ()
    ages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TrendRow:
    """One term as the sandbox reports it: raw weekly volumes (history, then forecast) and the
    growth figures."""

    term: Term
    weeks: tuple[date, ...]
    volumes: tuple[float, ...]
    forecast_weeks: tuple[date, ...]
    forecast: tuple[float, ...]
    wow: int
    mom: int
    yoy: int
    quarter: int
    """Growth of the last 13 weeks over the 13 before, percent (what ``growing`` ranks by)."""
    demographics: dict[str, dict[str, float]]


def last_week_end(today: date) -> date:
    """The Sunday ending the last week Pinterest has counted (at least 3 days ago)."""
    counted = today - timedelta(days=DATA_LAG_DAYS)
    return counted - timedelta(days=(counted.weekday() - 6) % 7)


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) for the given parts."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _circular_days(day: date, month: int, dom: int) -> float:
    """Days from ``day`` to the nearest (month, dom), across year ends."""
    best = math.inf
    for year in (day.year - 1, day.year, day.year + 1):
        best = min(best, abs((day - date(year, month, min(dom, 28 if month == 2 else dom))).days))
    return best


def _shape(term: Term, day: date, today: date, southern: bool) -> float:
    """The noise-free volume of ``term`` in the week ending ``day``."""
    years = (day - today).days / _YEAR_DAYS
    if term.shape == "seasonal":
        month, dom = term.peak
        distance = _circular_days(day - timedelta(days=182) if term.weather and southern else day,
                                  month, dom)
        sigma = term.width_weeks * 7
        return term.base * (0.06 + math.exp(-(distance**2) / (2 * sigma**2)))
    if term.shape in ("growing", "fading"):
        return term.base * math.pow(1 + term.rate, years)
    swing = 1 + 0.08 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / _YEAR_DAYS)
    return term.base * swing


def _growth(now: float, before: float) -> int:
    if before <= 0:
        return MAX_GROWTH_PCT
    pct = round((now / before - 1) * 100)
    return MAX_GROWTH_PCT if pct > 10_000 else max(pct, -100)


def _demographics(term: Term, seed: int) -> dict[str, dict[str, float]]:
    female = min(max(term.female + (_unit(seed, term.keyword, "f") - 0.5) * 0.06, 0.02), 0.95)
    unspecified = 0.04
    male = max(1 - female - unspecified, 0.01)
    weights = [0.5 + _unit(seed, term.keyword, "age", bucket) for bucket in AGE_BUCKETS]
    weights = [w * (1.6 if i in (0, 1) else 1.0) for i, w in enumerate(weights)]
    total = sum(weights)
    ages = {bucket: w / total for bucket, w in zip(AGE_BUCKETS, weights, strict=True)}
    return {
        "gender_distribution": _private({"female": female, "male": male,
                                         "unspecified": unspecified}),
        "age_distribution": _private(ages),
    }


def _private(shares: dict[str, float]) -> dict[str, float]:
    """Pinterest's privacy rule: shares under 0.05 are reported as 0.04."""
    return {key: 0.04 if value < 0.05 else round(value, 2) for key, value in shares.items()}


def _audience_share(term: Term, audience: Audience, seed: int) -> float:
    demographics = _demographics(term, seed)
    share = 1.0
    if audience.genders:
        genders = demographics["gender_distribution"]
        share *= sum(genders["unspecified" if g == "unknown" else g] for g in audience.genders)
    if audience.ages:
        share *= sum(demographics["age_distribution"][a] for a in audience.ages)
    return share


def _row(term: Term, audience: Audience, today: date, seed: int) -> TrendRow:
    southern = audience.region in SOUTHERN_REGIONS
    salt = (seed, audience.region, ",".join(audience.genders), ",".join(audience.ages))
    scale = (0.6 + 0.8 * _unit(*salt, term.keyword)) * _audience_share(term, audience, seed)
    last = last_week_end(today)
    # 56 weeks of history (the 4 weeks a year before the last 4, for year over year), shown: 52
    past = [last - timedelta(weeks=n) for n in range(HISTORY_WEEKS + 3, -1, -1)]
    volumes = [
        scale * _shape(term, day, today, southern)
        * (1 + _NOISE * (2 * _unit(*salt, term.keyword, day.toordinal()) - 1))
        for day in past
    ]
    ahead = [last + timedelta(weeks=n) for n in range(1, PREDICTION_WEEKS + 1)]
    forecast = [scale * _shape(term, day, today, southern) for day in ahead]
    last4, before4, year_ago4 = sum(volumes[-4:]), sum(volumes[-8:-4]), sum(volumes[:4])
    return TrendRow(
        term=term,
        weeks=tuple(past[-HISTORY_WEEKS:]),
        volumes=tuple(volumes[-HISTORY_WEEKS:]),
        forecast_weeks=tuple(ahead),
        forecast=tuple(forecast),
        wow=_growth(volumes[-1], volumes[-2]),
        mom=_growth(last4, before4),
        yoy=_growth(last4, year_ago4),
        quarter=_growth(sum(volumes[-13:]), sum(volumes[-26:-13])),
        demographics=_demographics(term, seed),
    )


def _score(row: TrendRow, trend_type: str) -> float | None:
    """How ``row`` ranks for ``trend_type`` (higher first); None leaves it out."""
    if trend_type == "growing":
        return float(row.quarter) if row.quarter > 0 and row.mom > 0 else None
    if trend_type == "monthly":
        return sum(row.volumes[-4:])
    if trend_type == "yearly":
        return sum(row.volumes)
    if row.term.shape == "seasonal" and row.mom >= SEASONAL_MIN_MOM:  # seasonal
        return float(row.mom)
    return None


def _matches(term: Term, interests: Sequence[str], keywords: Sequence[str]) -> bool:
    if interests and not set(term.interests) & set(interests):
        return False
    if keywords:
        words = term.keyword.casefold()
        return any(keyword.casefold() in words for keyword in keywords)
    return True


def trending(
    *,
    audience: Audience,
    trend_type: str,
    today: date,
    seed: int = 0,
    interests: Sequence[str] = (),
    include_keywords: Sequence[str] = (),
    limit: int = 50,
) -> list[TrendRow]:
    """The terms a trends request for ``audience`` gets, best first, at most ``limit``."""
    scored: list[tuple[float, str, TrendRow]] = []
    for term in CATALOGUE:
        if term.regions is not None and audience.region not in term.regions:
            continue
        if not _matches(term, interests, include_keywords):
            continue
        row = _row(term, audience, today, seed)
        score = _score(row, trend_type)
        if score is not None:
            scored.append((score, term.keyword, row))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [row for _, _, row in scored[:limit]]
