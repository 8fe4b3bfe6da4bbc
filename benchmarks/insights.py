"""Weekly insight for a channel of 10,000 Pins over 90 days, served by the local sandbox.

Two questions, answered side by side in the same run:

1. **API calls** one insight job makes (``build_insight`` end to end, with an offline scripted
   LLM), by operation. Target: ``ceil(pins / 100) + 5`` with the batch endpoint. The
   per-Pin analytics take ``ceil(pins / 100)`` batch calls; listing the Pins themselves (needed
   for their ids, titles and publish times) takes ``ceil(pins / 250)`` more pages, so both the
   analytics-only count and the total are printed. ``--with-fallback`` repeats the run with the
   batch endpoint switched off (one call per Pin) for comparison.
2. **Metric computation time** (``compute_metrics`` over the fetched data: totals, top 5,
   categories, peaks, growth) against a plain pass that only sums the same numbers (impressions,
   saves, Pin clicks and outbound clicks of every Pin and every account day). Target: within 3x.
   The content categorisation (a regex over each Pin's title and description) is timed on its own
   too, since it is text work rather than arithmetic; the full ratio includes it. For context a
   third pass sums the same numbers the way the metrics must reach them, Pin by Pin through the
   id join between the Pin listing and the analytics (the join alone is memory-bound work that
   neither side can skip).

Medians over ``--rounds`` repetitions with the garbage collector paused (as ``timeit`` does);
nothing is asserted, figures and ratios are printed.

    python benchmarks/insights.py [--pins 10000] [--days 90] [--rounds 7] [--with-fallback]
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

import httpx

from agents.insights.categories import categorize
from agents.insights.followers import InMemoryFollowerSnapshotStore
from agents.insights.metrics import InsightInputs, compute_metrics, insight_period
from agents.insights.writer import InsightDraft, NextPinConcept, SuggestionDraft, build_insight
from agents.llm import LLMResult, StructuredLLM, T
from agents.messages import InsightsRequest
from providers.pinterest.analytics import AnalyticsAPI
from providers.pinterest.client import PinterestClient
from providers.sandbox.analytics_data import analytics_settings, populate_channel
from providers.sandbox.server import SandboxServer

PERIOD_DAYS = 30


class QuotingLLM:
    """An offline stand-in for the model: a draft quoting the figures it is given."""

    def generate(
        self,
        *,
        template: str,
        variables: Mapping[str, Any],
        output: type[T],
        check: Callable[[T], list[str]] | None = None,
    ) -> LLMResult[T]:
        figures = variables["figures"]
        names = ["top_pins.1.save_rate_pct", "totals.saves", "peak_days.1.avg_engagements"]
        draft = InsightDraft(
            summary=f"Saves reached {figures['totals.saves']:,} from "
                    f"{figures['totals.impressions']:,} impressions.",
            suggestions=[
                SuggestionDraft(priority=i, action="Do more of what works.",
                                rationale=f"The figure is {figures[name]}.", figure=name)
                for i, name in enumerate(names, start=1)
            ],
            next_pin=NextPinConcept(
                based_on_pin_id=figures.get("top_pins.1.pin_id"), kind="recipe",
                name="A fresh take", summary="A new Pin for the best page.", audience=None,
                keywords=["idea"], tone=None, rationale="It builds on the best Pin.",
            ),
        )
        value = cast(T, draft)
        problems = check(value) if check is not None else []
        if problems:
            raise SystemExit(f"benchmark draft is not grounded: {problems}")
        return LLMResult(value, template, "-", "quoting", 0, 0, 0.0, cached=False,
                         repaired=False)


def _api(sandbox: SandboxServer, token: str, http: httpx.Client) -> AnalyticsAPI:
    clock = lambda: datetime.fromtimestamp(sandbox.state.clock(), UTC)  # noqa: E731
    return AnalyticsAPI(PinterestClient(http, token), clock=clock)


def run_job(sandbox: SandboxServer, token: str, http: httpx.Client) -> tuple[AnalyticsAPI, float]:
    api = _api(sandbox, token, http)
    llm: StructuredLLM = QuotingLLM()
    started = time.perf_counter()
    insight = build_insight(
        InsightsRequest(schema_version=1, channel_id="bench", period_days=PERIOD_DAYS),
        analytics=api, snapshots=InMemoryFollowerSnapshotStore(), llm=llm,
        clock=lambda: datetime.fromtimestamp(sandbox.state.clock(), UTC),
    )
    elapsed = time.perf_counter() - started
    assert insight.status == "ok", insight.summary
    return api, elapsed


def fetch_inputs(api: AnalyticsAPI) -> InsightInputs:
    account = api.account_daily(2 * PERIOD_DAYS)
    period = insight_period(account.window, PERIOD_DAYS)
    pins = api.list_pins(pin_metrics=True)
    batch = api.pins_analytics([p.id for p in pins], period.start, period.end)
    return InsightInputs(account=account, pins=pins, pin_analytics=batch.pins,
                         boards=api.list_boards())


def _add_days(
    inputs: InsightInputs, impressions: float, saves: float, clicks: float, outbound: float
) -> tuple[float, ...]:
    """Add the account's daily figures to the Pins' sums."""
    for row in inputs.account.daily:
        metrics = row.metrics
        impressions += metrics.get("IMPRESSION", 0.0)
        saves += metrics.get("SAVE", 0.0)
        clicks += metrics.get("PIN_CLICK", 0.0)
        outbound += metrics.get("OUTBOUND_CLICK", 0.0)
    return impressions, saves, clicks, outbound


def plain_sums(inputs: InsightInputs) -> tuple[float, ...]:
    """Only add up the numbers the metrics read: per Pin and per account day."""
    impressions = saves = clicks = outbound = 0.0
    for analytics in inputs.pin_analytics.values():
        summary = analytics.summary
        impressions += summary.get("IMPRESSION", 0.0)
        saves += summary.get("SAVE", 0.0)
        clicks += summary.get("PIN_CLICK", 0.0)
        outbound += summary.get("OUTBOUND_CLICK", 0.0)
    return _add_days(inputs, impressions, saves, clicks, outbound)


def plain_sums_joined(inputs: InsightInputs) -> tuple[float, ...]:
    """The same sums, reached the way the metrics reach them: each listed Pin, by its id."""
    impressions = saves = clicks = outbound = 0.0
    find = inputs.pin_analytics.get
    for pin in inputs.pins:
        analytics = find(pin.id)
        if analytics is None:
            continue
        summary = analytics.summary
        impressions += summary.get("IMPRESSION", 0.0)
        saves += summary.get("SAVE", 0.0)
        clicks += summary.get("PIN_CLICK", 0.0)
        outbound += summary.get("OUTBOUND_CLICK", 0.0)
    return _add_days(inputs, impressions, saves, clicks, outbound)


def median_s(action: Callable[[], object], rounds: int) -> float:
    """Median wall time of ``action``, with the garbage collector paused (as ``timeit`` does)."""
    timings = []
    for _ in range(rounds):
        gc.collect()
        gc.disable()
        try:
            started = time.perf_counter()
            action()
            timings.append(time.perf_counter() - started)
        finally:
            gc.enable()
    return statistics.median(timings)


def print_calls(title: str, api: AnalyticsAPI, pins: int, elapsed_s: float) -> None:
    target = math.ceil(pins / 100) + 5
    analytics = sum(n for op, n in api.calls.items() if "analytics" in op)
    print(f"\n{title}  (job wall time {elapsed_s:.2f}s)")
    for operation, count in sorted(api.calls.items()):
        print(f"  {operation:<32} {count:>6}")
    print(f"  {'analytics calls (org_analytics)':<32} {analytics:>6}   target <= {target}: "
          f"{'met' if analytics <= target else 'MISSED'}")
    print(f"  {'all calls (with Pin listing)':<32} {api.call_count:>6}   target <= {target}: "
          f"{'met' if api.call_count <= target else 'MISSED'} "
          f"(listing alone is ceil({pins}/250) = {math.ceil(pins / 250)} pages)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pins", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--with-fallback", action="store_true")
    args = parser.parse_args()

    with SandboxServer() as sandbox:
        account = sandbox.state.seed_account("bench")
        started = time.perf_counter()
        populate_channel(sandbox.state, account.user_id, pins=args.pins, days=args.days,
                         boards=8, seed=1)
        print(f"channel: {args.pins:,} Pins over {args.days} days, 8 boards "
              f"(generated in {time.perf_counter() - started:.2f}s); period {PERIOD_DAYS} days")
        with httpx.Client(base_url=sandbox.api_base, timeout=120) as http:
            api, elapsed = run_job(sandbox, account.access_token, http)
            print_calls("API calls of one insight job, batch endpoint available", api,
                        args.pins, elapsed)
            if args.with_fallback:
                analytics_settings(sandbox.state).batch_enabled = False
                api, elapsed = run_job(sandbox, account.access_token, http)
                print_calls("API calls without the batch beta (per-Pin fallback)", api,
                            args.pins, elapsed)
                analytics_settings(sandbox.state).batch_enabled = True
            inputs = fetch_inputs(_api(sandbox, account.access_token, http))

    now = datetime.now(UTC)
    categories = categorize(inputs.pins)
    precategorized = InsightInputs(**{**inputs.__dict__, "categories": categories})
    plain = median_s(lambda: plain_sums(inputs), args.rounds)
    joined = median_s(lambda: plain_sums_joined(inputs), args.rounds)
    metrics = median_s(
        lambda: compute_metrics(precategorized, now=now, period_days=PERIOD_DAYS), args.rounds
    )
    categorizing = median_s(lambda: categorize(inputs.pins), args.rounds)
    full = median_s(lambda: compute_metrics(inputs, now=now, period_days=PERIOD_DAYS),
                    args.rounds)
    rows = len(inputs.account.daily)
    print(f"\nmetric computation over {len(inputs.pin_analytics):,} Pins and {rows} account days"
          f" (median of {args.rounds})")
    print(f"  {'plain pass (sums only)':<40} {plain * 1000:>9.2f} ms   1.00x")
    print(f"  {'plain pass joining each Pin by id':<40} {joined * 1000:>9.2f} ms   "
          f"{joined / plain:.2f}x   (context: the join alone)")
    print(f"  {'metrics (categories precomputed)':<40} {metrics * 1000:>9.2f} ms   "
          f"{metrics / plain:.2f}x   target <= 3x: {'met' if metrics <= 3 * plain else 'MISSED'}")
    print(f"  {'content categorisation alone':<40} {categorizing * 1000:>9.2f} ms   "
          f"{categorizing / plain:.2f}x")
    print(f"  {'metrics including categorisation':<40} {full * 1000:>9.2f} ms   "
          f"{full / plain:.2f}x   target <= 3x: {'met' if full <= 3 * plain else 'MISSED'}")


if __name__ == "__main__":
    main()
