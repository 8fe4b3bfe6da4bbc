"""Typed requests and answers of Pinterest Trends, with the spec's enums.

The endpoint is ``GET /trends/keywords/{region}/top/{trend_type}`` (operation
``trending_keywords/list``, spec 5.23).

A request is a :class:`TrendFilters`; its values are checked against the spec's enums when it is
built, so a bad region, trend type, interest, gender or age bucket is refused with a
:class:`~providers.pinterest.errors.PinterestValidationError` (``invalid_field``) that lists the
allowed values, before any request is sent. Its lists are normalised (deduplicated and sorted;
``include_keywords`` stripped and casefolded): two filters that ask the same thing are equal, send
the same query and share a cache entry (:meth:`TrendFilters.cache_key`).

An answer is a :class:`TrendingKeywords`: the filters it answers, when it was fetched, and the
ranked :class:`TrendingKeyword` list. Each keyword keeps Pinterest's growth figures (percent,
rounded, ``10001`` meaning "over +10000%") and its weekly series normalised to 0..100, the date of
each point being the *end* of its week: ``time_series`` (the past year) and, when
``include_prediction`` was asked and Pinterest had one, ``predicted_time_series`` (the next 90
days; it may start a few days in the past).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pinterest_agent.providers.pinterest.errors import PinterestValidationError

__all__ = [
    "AGE_BUCKETS",
    "DEFAULT_LIMIT",
    "GENDERS",
    "INTERESTS",
    "MAX_KEYWORDS",
    "MAX_KEYWORD_LENGTH",
    "REGIONS",
    "TREND_TYPES",
    "AgeBucket",
    "Demographics",
    "Gender",
    "Interest",
    "TrendFilters",
    "TrendRegion",
    "TrendType",
    "TrendingKeyword",
    "TrendingKeywords",
    "TrendingKeywordsResponse",
    "parse_interests",
    "parse_region",
    "parse_trend_type",
]

TrendRegion = Literal[
    "US", "CA", "DE", "FR", "ES", "IT", "DE+AT+CH", "GB+IE", "IT+ES+PT+GR+MT", "PL+RO+HU+SK+CZ",
    "SE+DK+FI+NO", "NL+BE+LU", "AR", "BR", "CO", "MX", "MX+AR+CO+CL", "AU+NZ",
]
"""``TrendsSupportedRegion``: ISO 3166-2 codes joined by ``+`` (``GB+IE`` is Great Britain and
Ireland, ``DE+AT+CH`` the Germanic countries, ``AU+NZ`` Australasia, ...)."""
TrendType = Literal["growing", "monthly", "yearly", "seasonal"]
"""``TrendType``: ``growing`` (upward growth over the last quarter), ``monthly`` (high volume in the
last month), ``yearly`` (high volume in the last year), ``seasonal`` (growth over the last month
with a recurring, typically annual, pattern)."""
Interest = Literal[
    "animals", "architecture", "art", "beauty", "childrens_fashion", "design", "diy_and_crafts",
    "education", "electronics", "entertainment", "event_planning", "finance", "food_and_drinks",
    "gardening", "health", "home_decor", "mens_fashion", "parenting", "quotes", "sport", "travel",
    "vehicles", "wedding", "womens_fashion",
]
"""The items of ``L1InterestList``."""
Gender = Literal["female", "male", "unknown"]
"""The items of ``GenderList``."""
AgeBucket = Literal["18-24", "25-34", "35-44", "45-49", "50-54", "55-64", "65+"]
"""The items of ``AgeBucketList``."""

REGIONS: tuple[TrendRegion, ...] = get_args(TrendRegion)
TREND_TYPES: tuple[TrendType, ...] = get_args(TrendType)
INTERESTS: tuple[Interest, ...] = get_args(Interest)
GENDERS: tuple[Gender, ...] = get_args(Gender)
AGE_BUCKETS: tuple[AgeBucket, ...] = get_args(AgeBucket)

T = TypeVar("T", bound=str)

MAX_KEYWORDS = 50
"""``limit``: 1..50 keywords (Pinterest's default is 50); also ``include_keywords``' max items."""
DEFAULT_LIMIT = MAX_KEYWORDS
MAX_KEYWORD_LENGTH = 100
"""Each ``include_keywords`` item is 1..100 characters."""


def _refuse(field: str, value: object, allowed: Iterable[str]) -> PinterestValidationError:
    return PinterestValidationError(
        f"{field} {value!r} is not one Pinterest Trends supports; use one of: "
        f"{', '.join(allowed)}.",
        field=field,
    )


def parse_region(value: str) -> TrendRegion:
    """``value`` as a :data:`TrendRegion` (surrounding spaces and case aside: ``gb+ie`` is
    ``GB+IE``); otherwise ``invalid_field`` naming the regions."""
    wanted = value.strip().upper().replace(" ", "+")
    for region in REGIONS:
        if region == wanted:
            return region
    raise _refuse("region", value, REGIONS)


def parse_trend_type(value: str) -> TrendType:
    """``value`` as a :data:`TrendType`; otherwise ``invalid_field`` naming the four types."""
    wanted = value.strip().lower()
    for kind in TREND_TYPES:
        if kind == wanted:
            return kind
    raise _refuse("trend_type", value, TREND_TYPES)


def parse_interests(values: Iterable[str] | str) -> tuple[Interest, ...]:
    """Interests from names or one comma-separated string, deduplicated and sorted; an unknown
    one is ``invalid_field`` naming the 24 interests. Empty means every interest."""
    return _members("interests", values, INTERESTS)


def _members(field: str, values: Iterable[str] | str, allowed: tuple[T, ...]) -> tuple[T, ...]:
    raw = values.split(",") if isinstance(values, str) else values
    found: set[T] = set()
    for value in raw:
        wanted = str(value).strip().lower()
        if not wanted:
            continue
        match = next((member for member in allowed if member == wanted), None)
        if match is None:
            raise _refuse(field, value, allowed)
        found.add(match)
    return tuple(sorted(found))


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TrendFilters(_Model):
    """One trends request: where, which ranking, which audience, how much.

    Empty ``interests`` / ``genders`` / ``ages`` / ``include_keywords`` mean "no filter" (every
    interest, gender, age; no keyword filter), and are not sent.
    """

    region: TrendRegion = "US"
    trend_type: TrendType = "growing"
    interests: tuple[Interest, ...] = ()
    genders: tuple[Gender, ...] = ()
    ages: tuple[AgeBucket, ...] = ()
    include_keywords: tuple[str, ...] = ()
    """Only trends that include at least one of these (1..50 items, each 1..100 characters)."""
    normalize_against_group: bool = False
    """True: the series share one 0..100 scale (compare volumes); False: each keyword's own."""
    limit: int = DEFAULT_LIMIT
    include_prediction: bool = False
    """Closed beta: ``predicted_time_series`` for the next 90 days."""
    include_demographics: bool = False
    """Closed beta: age and gender distributions per keyword."""

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, value: Any) -> Any:
        return parse_region(value) if isinstance(value, str) else value

    @field_validator("trend_type", mode="before")
    @classmethod
    def _trend_type(cls, value: Any) -> Any:
        return parse_trend_type(value) if isinstance(value, str) else value

    @field_validator("interests", mode="before")
    @classmethod
    def _interests(cls, value: Any) -> Any:
        return parse_interests(value) if isinstance(value, str | list | tuple) else value

    @field_validator("genders", mode="before")
    @classmethod
    def _genders(cls, value: Any) -> Any:
        return _members("genders", value, GENDERS) if isinstance(value, str | list | tuple) \
            else value

    @field_validator("ages", mode="before")
    @classmethod
    def _ages(cls, value: Any) -> Any:
        return _members("ages", value, AGE_BUCKETS) if isinstance(value, str | list | tuple) \
            else value

    @field_validator("include_keywords", mode="before")
    @classmethod
    def _keywords(cls, value: Any) -> Any:
        if not isinstance(value, str | list | tuple):
            return value
        raw = [value] if isinstance(value, str) else value
        words = sorted({" ".join(str(word).split()).casefold() for word in raw} - {""})
        if len(words) > MAX_KEYWORDS:
            raise PinterestValidationError(
                f"include_keywords has {len(words)} keywords; Pinterest takes at most "
                f"{MAX_KEYWORDS}.", field="include_keywords")
        long = [word for word in words if len(word) > MAX_KEYWORD_LENGTH]
        if long:
            raise PinterestValidationError(
                f"include_keywords {long[0][:40]!r}... is over {MAX_KEYWORD_LENGTH} characters.",
                field="include_keywords")
        return tuple(words)

    @field_validator("limit", mode="before")
    @classmethod
    def _limit(cls, value: Any) -> Any:
        if isinstance(value, int) and not 1 <= value <= MAX_KEYWORDS:
            raise PinterestValidationError(
                f"limit {value} is out of range; Pinterest returns 1 to {MAX_KEYWORDS} trends.",
                field="limit")
        return value

    @property
    def path(self) -> str:
        """``/trends/keywords/{region}/top/{trend_type}`` (``+`` is kept: it is a legal path
        character, and Pinterest's regions are written with it)."""
        return f"/trends/keywords/{self.region}/top/{self.trend_type}"

    def params(self) -> dict[str, Any]:
        """The query, serialised as the spec declares: every array parameter declares no
        ``style``, so it is ``form`` exploded, one parameter per value
        (``interests=home_decor&interests=food_and_drinks``); booleans are ``true``/``false``;
        empty filters and default booleans are left out."""
        params: dict[str, Any] = {"limit": self.limit}
        for name in ("interests", "genders", "ages", "include_keywords"):
            values = getattr(self, name)
            if values:
                params[name] = list(values)
        for name in ("normalize_against_group", "include_prediction", "include_demographics"):
            if getattr(self, name):
                params[name] = "true"
        return params

    def cache_key(self) -> str:
        """A short, stable digest of everything that shapes the answer (for a cache key)."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:24]


class Demographics(_Model):
    """Shares of a keyword's searches by age bucket and by gender (each sums to about 1;
    shares under 0.05 are reported as 0.04 for privacy)."""

    age_distribution: dict[str, float] | None = None
    gender_distribution: dict[str, float] | None = None


class TrendingKeyword(_Model):
    """One trending keyword, in Pinterest's rank order within its answer."""

    keyword: str
    pct_growth_wow: int | None = None
    """Week over week, percent (``50`` is +50%); 10001 means over +10000%."""
    pct_growth_mom: int | None = None
    """Month over month, percent."""
    pct_growth_yoy: int | None = None
    """Year over year, percent."""
    time_series: dict[date, int] = Field(default_factory=dict)
    """Week-end date -> relative search volume 0..100, over the past year."""
    predicted_time_series: dict[date, int] = Field(default_factory=dict)
    """Week-end date -> predicted relative volume 0..100, the next 90 days (empty unless asked
    for with ``include_prediction`` and available)."""
    has_prediction: bool | None = None
    demographics: Demographics | None = None

    def series(self) -> list[tuple[date, int]]:
        """``time_series`` in date order."""
        return sorted(self.time_series.items())

    def predicted(self) -> list[tuple[date, int]]:
        """``predicted_time_series`` in date order."""
        return sorted(self.predicted_time_series.items())


class TrendingKeywordsResponse(_Model):
    """Pinterest's ``TrendingKeywordsResponse`` as sent: ``{"trends": [...]}``."""

    trends: list[TrendingKeyword] = Field(default_factory=list)


class TrendingKeywords(_Model):
    """The answer to one :class:`TrendFilters`: Pinterest's ranked trends, as fetched at
    ``fetched_at`` (UTC; from a cache, the original fetch's time)."""

    filters: TrendFilters
    fetched_at: datetime
    trends: list[TrendingKeyword] = Field(default_factory=list)

    def top(self, limit: int) -> list[TrendingKeyword]:
        """The first ``limit`` trends (rank order)."""
        return self.trends[: max(limit, 0)]

    def keyword(self, keyword: str) -> TrendingKeyword | None:
        """The trend whose keyword is ``keyword`` (case and spacing aside), if listed."""
        wanted = " ".join(keyword.split()).casefold()
        return next((t for t in self.trends if " ".join(t.keyword.split()).casefold() == wanted),
                    None)
