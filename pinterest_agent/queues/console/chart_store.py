"""Rendered console charts, shared by every console process: the first view of a chart draws
it (pygal, in the console process: a worker stores plain figures and never draws), and every
console process (any process, any restart) serves it from then on.

``P:chart:{digest}`` holds one chart's SVG, keyed by a digest of its series (the same data is
the same chart, so a new figures snapshot with new data gets new charts), kept ``ttl_s``. A chart
not stored yet is drawn on the spot and stored. Each process also keeps the last ``memo_size``
charts it served, so a page seen again reads nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import redis

from pinterest_agent.queues.console.charts import ChartSeries, render_chart, series_digest

__all__ = ["DEFAULT_CHART_TTL_S", "ChartStore"]

DEFAULT_CHART_TTL_S = 35 * 24 * 3600
"""A little over the insight's period: a chart outlives the week its figures cover."""


class ChartStore:
    def __init__(self, client: redis.Redis[bytes], prefix: str, *,
                 ttl_s: int = DEFAULT_CHART_TTL_S, memo_size: int = 256) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl_s = ttl_s
        self._memo: OrderedDict[str, str] = OrderedDict()
        self._memo_size = memo_size
        self._lock = threading.Lock()

    def svg(self, series: ChartSeries) -> str:
        """The chart's SVG: served before by this process, stored, or drawn now and stored."""
        digest = series_digest(series)
        with self._lock:
            known = self._memo.get(digest)
        if known is not None:
            return known
        stored = self._client.get(f"{self._prefix}:chart:{digest}")
        svg = stored.decode() if stored is not None else self.draw(series)
        self._remember(digest, svg)
        return svg

    def draw(self, series: ChartSeries) -> str:
        """Draw the chart and store it for every console process."""
        svg = render_chart(series)
        self._client.set(f"{self._prefix}:chart:{series_digest(series)}", svg, ex=self._ttl_s)
        return svg

    def _remember(self, digest: str, svg: str) -> None:
        with self._lock:
            self._memo[digest] = svg
            self._memo.move_to_end(digest)
            while len(self._memo) > self._memo_size:
                self._memo.popitem(last=False)
