"""What Pinners are searching: rising Pinterest Trends keywords a channel's Pins do not cover.

Beside the channel's own figures, the weekly insight looks outward. From the trending keywords
of the channel's region and interests (Pinterest Trends, measured by Pinterest), it keeps those
that are rising (a positive week-on-week or month-on-month growth) and that none of the
channel's Pins covers yet: a Pin covers a keyword when every word of the keyword appears in the
Pin's title or description (case, punctuation and plurals aside). They are ordered by growth,
month on month first. Everything here is deterministic; the figures are Pinterest's, copied.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from pinterest_agent.agents.messages import TrendKeyword
from pinterest_agent.agents.text_rules import plain_words

__all__ = ["SEARCHING_MAX", "SearchTrend", "covered", "uncovered_rising"]

SEARCHING_MAX = 5


class SearchTrend(BaseModel):
    """A rising keyword none of the channel's Pins covers, with Pinterest's figures."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    trend: TrendKeyword
    weekly: list[float] = Field(default_factory=list, max_length=60,
                                description="Its normalised weekly search volume, oldest first.")


def _words(text: str) -> set[str]:
    return set(plain_words(text))


def covered(keyword: str, pin_texts: Iterable[str]) -> bool:
    """True when some Pin's text holds every word of *keyword*."""
    wanted = _words(keyword)
    return bool(wanted) and any(wanted <= _words(text) for text in pin_texts)


def uncovered_rising(trends: Sequence[tuple[TrendKeyword, Sequence[float]]],
                     pin_texts: Sequence[str], *, limit: int = SEARCHING_MAX
                     ) -> list[SearchTrend]:
    """The rising keywords of *trends* (each with its weekly series) that no text of
    *pin_texts* covers, fastest growing first, at most *limit*."""
    texts = [" ".join(_words(text)) for text in pin_texts]  # tokenised once
    rising = [(trend, series) for trend, series in trends
              if max(trend.pct_growth_wow or 0.0, trend.pct_growth_mom or 0.0) > 0]
    rising.sort(key=lambda item: (-(item[0].pct_growth_mom or 0.0),
                                  -(item[0].pct_growth_wow or 0.0), item[0].keyword))
    found: list[SearchTrend] = []
    seen: set[frozenset[str]] = set()
    for trend, series in rising:
        key = frozenset(_words(trend.keyword))
        if key in seen or covered(trend.keyword, texts):
            continue
        seen.add(key)
        found.append(SearchTrend(trend=trend, weekly=[float(v) for v in series][-52:]))
        if len(found) >= limit:
            break
    return found
