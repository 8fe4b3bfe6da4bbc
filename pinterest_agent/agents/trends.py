"""Pure helpers over Pinterest Trends for the writer, the planner, the insight and the console.

* :func:`matching_trends` -- which trending keywords a brief is about (lexically), best first.
* :func:`rising_start` -- the first week a predicted curve starts rising toward its peak.
* :func:`sparkline` -- a series as a line of block characters (``▁▂▃▅▇█``).

No I/O, no clock: the trends come in as :class:`~providers.pinterest.trends_models.TrendingKeyword`
values (from ``Runtime.trends(channel_id)`` in ``queues/``, or built by hand in a test).

**How a keyword matches a brief.** Both are cut into *terms*: words (letters and digits;
hyphens, apostrophes and other punctuation split words), casefolded, plurals reduced the simple
English way ("dresses" -> "dress", "ideas" -> "idea"; words of three letters or fewer and those
ending in -ss, -us, -is keep their s) and a final -y / -ie made one ("cookies", "cookie" and
"stories", "story" meet), and without :data:`FILLER` words
("ideas", "for", "the", "best", ...) which say nothing about the subject. A keyword matches when
the brief holds at least half of the keyword's terms and at least two of them (one, for a
one-term keyword): "summer linen dress" matches a brief about "a linen dress for summer
weddings"; "summer nails" (one term in two) does not match a dress. Matches are ranked by the
share of the keyword's terms the brief holds, then by the number held, then in Pinterest's rank
order; each keyword appears once. The same inputs always give the same answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from pinterest_agent.providers.pinterest.trends_models import TrendingKeyword

__all__ = [
    "FILLER",
    "SPARK_BLOCKS",
    "TrendMatch",
    "keyword_terms",
    "matching_trends",
    "rising_start",
    "season_rises",
    "sparkline",
]

FILLER = frozenset({
    "a", "an", "the", "and", "or", "for", "with", "of", "to", "in", "on", "at", "by", "from",
    "my", "your", "our", "you", "me", "it", "is", "are", "be", "this", "that", "how", "what",
    "idea", "inspo", "inspiration", "best", "top", "easy", "simple", "cute", "aesthetic", "diy",
    "ways", "way", "tip", "tips", "guide",
})
"""Words that say nothing about a keyword's subject (after plurals are reduced): "easter brunch
ideas" is about "easter brunch". "diy" is here because a brief rarely says it and a "diy cat
tree" is still a cat tree."""

_FILLER_STEMS: frozenset[str] = frozenset()  # filled below, once _stem exists
SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
_WORD = re.compile(r"[^\W_]+")


def _stem(word: str) -> str:
    """``word`` with its plural and a final -y / -ie reduced to one form ("cookies", "cookie"
    -> "cooki"; "stories", "story" -> "stori"; "dresses" -> "dress"), so both spellings meet."""
    if len(word) > 3 and not word.endswith(("ss", "us", "is")):
        if word.endswith("ies"):
            word = word[:-3] + "i"
        elif word.endswith(("sses", "ches", "shes", "xes", "zes")):
            word = word[:-2]
        elif word.endswith("s"):
            word = word[:-1]
    if len(word) > 2 and word.endswith("ie"):
        return word[:-1]
    if len(word) > 2 and word.endswith("y"):
        return word[:-1] + "i"
    return word


def _terms(text: str) -> dict[str, str]:
    """Stem -> the first word (casefolded) it came from, in order, filler left out."""
    found: dict[str, str] = {}
    for word in _WORD.findall(text.casefold()):
        stem = _stem(word)
        if stem not in _FILLER_STEMS and stem not in found:
            found[stem] = word
    return found


def keyword_terms(text: str) -> tuple[str, ...]:
    """The subject terms of ``text`` as stems, in order, each once (see the module
    docstring): ``keyword_terms("Easter brunch ideas")`` is ``("easter", "brunch")``."""
    return tuple(_terms(text))


_FILLER_STEMS = frozenset(_stem(word) for word in FILLER)


@dataclass(frozen=True, slots=True)
class TrendMatch:
    """A trending keyword a brief is about, and why."""

    trend: TrendingKeyword
    shared: tuple[str, ...]
    """The keyword's words the brief holds (as the keyword spells them), in its order."""
    coverage: float
    """``len(shared)`` over the keyword's term count (0.5 .. 1)."""
    rank: int
    """Its position in the trends given (0: Pinterest's top trend)."""

    @property
    def keyword(self) -> str:
        return self.trend.keyword


def matching_trends(
    brief_text: str, trends: Iterable[TrendingKeyword], limit: int = 5
) -> list[TrendMatch]:
    """The trends in ``trends`` (Pinterest's rank order) that ``brief_text`` is about, best
    first, at most ``limit``. ``brief_text`` is whatever the brief says about the item (name,
    summary, audience, keywords). Deterministic; see the module docstring for the rule."""
    if limit < 1:
        return []
    brief = set(_terms(brief_text))
    found: list[TrendMatch] = []
    seen: set[tuple[str, ...]] = set()
    for rank, trend in enumerate(trends):
        terms = _terms(trend.keyword)
        key = tuple(sorted(terms))
        if not terms or key in seen:
            continue
        seen.add(key)
        shared = tuple(word for stem, word in terms.items() if stem in brief)
        coverage = len(shared) / len(terms)
        if coverage >= 0.5 and len(shared) >= min(2, len(terms)):
            found.append(TrendMatch(trend, shared, coverage, rank))
    found.sort(key=lambda match: (-match.coverage, -len(match.shared), match.rank))
    return found[:limit]


def rising_start(
    predicted_series: Mapping[date, int] | Sequence[tuple[date, int]], threshold: float = 0.1
) -> date | None:
    """The first week the predicted curve starts rising toward its peak, or None.

    The peak is the highest point (the earliest, on a tie); the trough is the lowest point before
    it (the latest, on a tie). The curve "starts rising" at the first week after the trough whose
    value has climbed ``threshold`` of the way from trough to peak (``threshold`` 0..1; 0.1 by
    default, so noise at the bottom does not count). None when there is nothing to climb: no
    points, a flat curve, or a curve whose highest point is its first (already at or past the
    peak). A curve rising from its first point returns the first week that clears the threshold,
    which may be its second point: "now".
    """
    if not 0 <= threshold <= 1:
        raise ValueError("threshold must be between 0 and 1")
    points = sorted(predicted_series.items() if isinstance(predicted_series, Mapping)
                    else predicted_series)
    if len(points) < 2:
        return None
    values = [value for _, value in points]
    peak = values.index(max(values))
    lowest = min(values[: peak + 1])
    trough = max(i for i in range(peak + 1) if values[i] == lowest)
    rise = values[peak] - lowest
    if rise <= 0:
        return None
    for index in range(trough + 1, peak + 1):
        if values[index] - lowest >= threshold * rise:
            return points[index][0]
    return None  # pragma: no cover - the peak itself always clears a threshold of at most 1


def sparkline(
    values: Sequence[float], width: int | None = None, *,
    scale: tuple[float, float] | None = None,
) -> str:
    """``values`` as block characters, lowest ``▁`` to highest ``█`` (all ``▄`` when flat).

    With ``width``, the series is first averaged down to at most that many buckets (a year of
    weeks in 26 characters). ``scale=(low, high)`` fixes the range instead of the values' own
    (``(0, 100)`` for Pinterest's normalised series, so a past line and a predicted one compare;
    values outside it are clamped). Empty input gives an empty string.
    """
    data = [float(v) for v in values]
    if width is not None and 0 < width < len(data):
        step = len(data) / width
        data = [
            sum(chunk) / len(chunk)
            for chunk in (data[int(i * step): max(int((i + 1) * step), int(i * step) + 1)]
                          for i in range(width))
        ]
    if not data:
        return ""
    low, high = scale if scale is not None else (min(data), max(data))
    data = [min(max(value, low), high) for value in data]
    if high == low:
        return SPARK_BLOCKS[3] * len(data)
    top = len(SPARK_BLOCKS) - 1
    return "".join(SPARK_BLOCKS[round((value - low) / (high - low) * top)] for value in data)


def season_rises(season_names: Iterable[str], trends: Iterable[TrendingKeyword],
                 threshold: float = 0.1, *, today: date | None = None) -> dict[str, date]:
    """Per season name (``christmas``, ``mothers-day``), the day Pinterest predicts its searches
    start rising: the earliest :func:`rising_start` among the predicted series of the trends
    whose keyword holds every word of the name (``mothers day gifts`` for ``mothers-day``).
    A curve already climbing from its first predicted week rose before the prediction began:
    its day is *today* (when given). Seasons with no such trend, or no predicted rise (a curve
    past its peak), are left out."""
    listed = [trend for trend in trends if trend.predicted_time_series]
    rises: dict[str, date] = {}
    for name in season_names:
        wanted = set(_terms(name.replace("-", " ")))
        if not wanted:
            continue
        days = [day for trend in listed if wanted <= set(_terms(trend.keyword))
                for day in [_rise(trend.predicted(), threshold, today)] if day is not None]
        if days:
            rises[name] = min(days)
    return rises


def _rise(points: list[tuple[date, int]], threshold: float, today: date | None) -> date | None:
    found = rising_start(points, threshold)
    if found is None or today is None:
        return found
    values = [value for _, value in points]
    peak = values.index(max(values))
    if min(values[: peak + 1]) == values[0]:  # climbing from the first predicted week
        return min(today, found)
    return found
