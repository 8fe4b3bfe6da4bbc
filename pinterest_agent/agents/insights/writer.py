"""One channel's weekly insight: fetch analytics, measure, let the LLM write, check every number.

:func:`build_insight` is the whole job body (the Dramatiq actor only decodes the message, builds
the collaborators and stores the result)::

    account days (2 periods) --403--> ChannelInsight(status="no_analytics_access")
    boards + the Pin catalog (cached; only the newest pages listed, agents.insights.pin_catalog)
                              --none-> ChannelInsight(status="no_data"), snapshot stored
    per-Pin period figures -> Pins that 404 dropped from the cache -> new and edited Pins
    categorised (agents.insights.categorizer) -> metrics (agents.insights.metrics)
    comments/reactions of the top Pins -> figure table -> LLM (template channel_insight)
    -> every number it states must be a figure (one repair round, then LLMOutputInvalidError)
    -> ChannelInsight(status="ok") with a ready PinBrief

The LLM sees only the figure table (:func:`agents.insights.figures.figure_table`), as delimited
data. Its answer is checked by :func:`draft_problems`: numbers in the summary, the suggestions and
the next Pin's rationale must match a figure; each suggestion names an existing figure;
priorities are 1..n without repeats; the next Pin builds on one of the top Pins. Problems go to
the seam's ``check``, which gives the model exactly one repair round and then raises
``LLMOutputInvalidError`` (a permanent error: the job fails with the problems listed rather than
storing an insight with invented figures). The next Pin's creative fields (name, summary,
keywords) are copy for the writer, not claims, and are not number-checked.

**The next Pin's destination** is not the model's to invent: it is the link of the top Pin the
concept builds on (a fresh Pin for a page that already earns saves), else the link of the best
top Pin with an https link, else the newest Pin's https link. Without any https link the insight
has no ``next_pin`` and ``next_pin_note`` says why. ``brief_id`` is derived from the channel and
the period's last day, so re-running the same week yields the same brief (the writer's
idempotency then makes enqueueing it twice harmless).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from pinterest_agent.agents.insights.categorizer import PinCategorizer, RuleCategorizer
from pinterest_agent.agents.insights.figures import figure_table, ungrounded_numbers
from pinterest_agent.agents.insights.followers import FollowerSnapshotStore
from pinterest_agent.agents.insights.metrics import (
    DEFAULT_MIN_IMPRESSIONS,
    InsightInputs,
    compute_metrics,
    insight_period,
    snapshot_of,
)
from pinterest_agent.agents.insights.models import (
    ChannelInsight,
    ChannelMetrics,
    FigureValue,
    InsightPeriod,
    InsightProvenance,
    Suggestion,
    TopPinStat,
)
from pinterest_agent.agents.insights.pin_cache import InMemoryPinCache, PinCache
from pinterest_agent.agents.insights.pin_catalog import DEFAULT_REFRESH_DAYS, PinCatalog
from pinterest_agent.agents.insights.pin_records import PinRecord
from pinterest_agent.agents.llm import LLMResult, StructuredLLM
from pinterest_agent.agents.messages import InsightsRequest, PinBrief
from pinterest_agent.agents.prompting.performance import VersionReportHook
from pinterest_agent.providers.pinterest.analytics import (
    LIFETIME_PIN_METRICS,
    AnalyticsUnavailableError,
)
from pinterest_agent.providers.pinterest.analytics_models import (
    AccountAnalytics,
    PinAnalyticsBatch,
)
from pinterest_agent.providers.pinterest.models import Board, Pin

__all__ = [
    "TEMPLATE",
    "AnalyticsSource",
    "InsightDraft",
    "NextPinConcept",
    "SuggestionDraft",
    "build_insight",
    "draft_problems",
]

TEMPLATE = "channel_insight"
log = logging.getLogger(__name__)

class AnalyticsSource(Protocol):
    """What :func:`build_insight` reads; :class:`~providers.pinterest.analytics.AnalyticsAPI`."""

    def account_daily(
        self, days: int, metric_types: Sequence[str] | None = None, *, end: date | None = None
    ) -> AccountAnalytics: ...

    def pin_pages(
        self, *, board_id: str | None = None, pin_metrics: bool = False
    ) -> Iterator[list[Pin]]: ...

    def list_boards(self) -> list[Board]: ...

    def pins_analytics(
        self, pin_ids: Iterable[str], start: date, end: date, metric_types: Sequence[str] = ...
    ) -> PinAnalyticsBatch: ...


# -- what the LLM answers ----------------------------------------------------------------------


class _Draft(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class SuggestionDraft(_Draft):
    priority: int = Field(ge=1, le=5, description="1 = do this first.")
    action: str = Field(min_length=1, max_length=300, description="One concrete thing to do.")
    rationale: str = Field(min_length=1, max_length=500, description="Why, citing the figure.")
    figure: str = Field(description="The exact name of the figure this rests on.")


class NextPinConcept(_Draft):
    based_on_pin_id: str | None = Field(
        description="pin_id of the top Pin this concept builds on, or null."
    )
    kind: Literal["product", "recipe", "how-to", "article", "other"]
    name: str = Field(min_length=1, max_length=200, description="Working title of the Pin.")
    summary: str = Field(min_length=1, max_length=1000, description="What the Pin shows/says.")
    audience: str | None = Field(max_length=300)
    keywords: list[str] = Field(max_length=8)
    tone: str | None = Field(max_length=100)
    rationale: str = Field(min_length=1, max_length=500, description="Why, citing figures.")


class InsightDraft(_Draft):
    summary: str = Field(min_length=1, max_length=1200)
    suggestions: list[SuggestionDraft] = Field(min_length=3, max_length=5)
    next_pin: NextPinConcept


def draft_problems(
    draft: InsightDraft, figures: Mapping[str, FigureValue], top_pin_ids: Sequence[str]
) -> list[str]:
    """Sentences naming everything in ``draft`` that is not grounded in ``figures``."""
    problems: list[str] = []
    texts = [("summary", draft.summary), ("next_pin.rationale", draft.next_pin.rationale)]
    for i, suggestion in enumerate(draft.suggestions):
        texts += [(f"suggestions.{i}.action", suggestion.action),
                  (f"suggestions.{i}.rationale", suggestion.rationale)]
        if suggestion.figure not in figures:
            problems.append(
                f"suggestions.{i}.figure: {suggestion.figure!r} is not a figure name; use one of "
                "the names in <figures> exactly."
            )
    for where, text in texts:
        for number in ungrounded_numbers(text, figures):
            problems.append(
                f"{where}: states {number!r}, which is not one of the figures given; use only "
                "figures from <figures> (rounding is fine) or leave the number out."
            )
    priorities = sorted(s.priority for s in draft.suggestions)
    if priorities != list(range(1, len(priorities) + 1)):
        problems.append(
            f"suggestions: priorities are {priorities}; number them 1 to {len(priorities)}, "
            "each once, 1 the most important."
        )
    based_on = draft.next_pin.based_on_pin_id
    if based_on is not None and based_on not in top_pin_ids:
        allowed = ", ".join(top_pin_ids) or "none: use null"
        problems.append(
            f"next_pin.based_on_pin_id: {based_on!r} is not a top Pin (allowed: {allowed})."
        )
    return problems


# -- the job ---------------------------------------------------------------------------------


def build_insight(
    request: InsightsRequest,
    *,
    analytics: AnalyticsSource,
    snapshots: FollowerSnapshotStore,
    llm: StructuredLLM,
    clock: Callable[[], datetime],
    min_impressions: int = DEFAULT_MIN_IMPRESSIONS,
    template_versions: VersionReportHook | None = None,
    pin_cache: PinCache | None = None,
    categorizer: PinCategorizer | None = None,
    refresh_after: timedelta = timedelta(days=DEFAULT_REFRESH_DAYS),
) -> ChannelInsight:
    """Measure ``request.channel_id``'s last ``period_days`` and write its insight.

    ``template_versions`` compares prompt versions by the per-Pin figures fetched here (no
    further API call); its report becomes ``ChannelInsight.template_versions``. ``pin_cache``
    keeps the channel's Pin metadata and categories between runs (without one every run lists
    every Pin); ``categorizer`` decides new Pins' categories (the keyword rules by default);
    ``refresh_after`` is how old the last full listing may get.
    """
    now = clock()
    channel_id = request.channel_id
    days = request.period_days
    try:
        account = analytics.account_daily(2 * days)
    except AnalyticsUnavailableError as exc:
        log.info("insight channel=%s: no analytics access (%s)", channel_id, exc.code)
        return _empty(channel_id, now, "no_analytics_access", None, exc.message)

    period = insight_period(account.window, days)
    boards = analytics.list_boards()
    catalog = PinCatalog(pin_cache or InMemoryPinCache(), channel_id, refresh_after=refresh_after)
    catalog.refresh(analytics.pin_pages(pin_metrics=True), now)
    pins = catalog.records
    history = snapshots.load(channel_id)
    snapshots.save(channel_id, snapshot_of(boards, now))

    impressions = sum(row.get("IMPRESSION") for row in account.daily if row.has_data)
    if not pins or not impressions:
        what = "no Pins yet" if not pins else f"no impressions between {account.window.start} " \
            f"and {account.window.end}"
        return _empty(channel_id, now, "no_data", period,
                      f"This channel has {what}, so there is nothing to measure; the follower "
                      "snapshot was stored and the next run will compare against it.")

    live = [pin for pin in pins if pin.created_at is None or pin.created_at.date() <= period.end]
    batch = analytics.pins_analytics([pin.id for pin in live], period.start, period.end)
    catalog.drop(batch.not_found)  # deleted since they were cached: no Pins of the channel now
    missing = [pin_id for pin_id in batch.missing if pin_id not in batch.not_found]
    catalog.categorize(categorizer or RuleCategorizer(),
                       priority=lambda pin_id: _seen(batch, pin_id))
    pins = catalog.records
    metrics = compute_metrics(
        InsightInputs(
            account=account, pins=pins, pin_analytics=batch.pins, boards=boards,
            history=history, pins_missing=len(missing), lifetime=catalog.lifetime,
            index=catalog.index, by_id=catalog.by_id,
        ),
        now=now, period_days=days, min_impressions=min_impressions,
    )
    metrics = _with_engagement(metrics, analytics)
    figures = figure_table(metrics)
    top_ids = [pin.pin_id for pin in metrics.top_pins.pins]
    result: LLMResult[InsightDraft] = llm.generate(
        template=TEMPLATE,
        variables={"figures": figures, "period_days": days,
                   "peak_hours_basis": metrics.peak_hours.basis},
        output=InsightDraft,
        check=lambda draft: draft_problems(draft, figures, top_ids),
    )
    draft = result.value
    next_pin, note = _next_pin(draft.next_pin, metrics, pins, channel_id)
    versions = None
    if template_versions is not None:
        versions = template_versions(metrics.period.start, metrics.period.end,
                                     {pin_id: a.summary for pin_id, a in batch.pins.items()})
    return ChannelInsight(
        channel_id=channel_id,
        generated_at=now,
        status="ok",
        period=metrics.period,
        metrics=metrics,
        figures=figures,
        summary=draft.summary,
        suggestions=[
            Suggestion(priority=s.priority, action=s.action, rationale=s.rationale,
                       figure=s.figure, figure_value=figures[s.figure])
            for s in sorted(draft.suggestions, key=lambda s: s.priority)
        ],
        next_pin=next_pin,
        next_pin_note=note,
        provenance=InsightProvenance(
            template=result.template, template_hash=result.template_hash, model=result.model,
            repaired=result.repaired,
        ),
        template_versions=versions,
    )


def _seen(batch: PinAnalyticsBatch, pin_id: str) -> float:
    """A Pin's impressions in the period (0 without analytics): who gets categorised first."""
    found = batch.pins.get(pin_id)
    return found.get("IMPRESSION") if found is not None else 0.0


def _empty(
    channel_id: str,
    now: datetime,
    status: Literal["no_data", "no_analytics_access"],
    period: InsightPeriod | None,
    detail: str,
) -> ChannelInsight:
    summary = (
        "No insight this week: Pinterest does not give this channel access to analytics. "
        "Analytics need a production app with Standard access and a business account "
        "(Trial apps and Pinterest's API sandbox have none)."
        if status == "no_analytics_access"
        else "No insight this week: the channel has no Pin activity to measure yet."
    )
    return ChannelInsight(
        channel_id=channel_id, generated_at=now, status=status, status_detail=detail,
        period=period, summary=summary,
    )


def _with_engagement(metrics: ChannelMetrics, analytics: AnalyticsSource) -> ChannelMetrics:
    """Fill comments and reactions of the top Pins this run's listing did not carry them for
    (Pins known from the cache): one lifetime-metrics request for all of them."""
    lacking = [pin.pin_id for pin in metrics.top_pins.pins
               if pin.comments is None or pin.reactions is None]
    if not lacking:
        return metrics
    period = metrics.period
    batch = analytics.pins_analytics(lacking, period.start, period.end,
                                     sorted(LIFETIME_PIN_METRICS))
    pins: list[TopPinStat] = []
    for pin in metrics.top_pins.pins:
        found = batch.pins.get(pin.pin_id)
        if found is not None and pin.pin_id in lacking:
            pin = pin.model_copy(update={
                "comments": found.lifetime.get("TOTAL_COMMENTS"),
                "reactions": found.lifetime.get("TOTAL_REACTIONS"),
            })
        pins.append(pin)
    top = metrics.top_pins.model_copy(update={"pins": pins})
    return metrics.model_copy(update={"top_pins": top})


def _next_pin(
    concept: NextPinConcept, metrics: ChannelMetrics, pins: Sequence[PinRecord], channel_id: str
) -> tuple[PinBrief | None, str | None]:
    source = _destination(concept.based_on_pin_id, metrics.top_pins.pins, pins)
    if source is None:
        return None, (
            "No next Pin: none of the channel's Pins links to an https page to reuse as the "
            "destination; give the concept a destination_url and enqueue it by hand."
        )
    link, board_id, image_url = source
    digest = hashlib.sha256(channel_id.encode()).hexdigest()[:12]
    brief = PinBrief(
        schema_version=1,
        brief_id=f"insight-{metrics.period.end:%Y%m%d}-{digest}",
        channel_id=channel_id,
        kind=concept.kind,
        name=concept.name,
        summary=concept.summary,
        destination_url=link,
        source_image_urls=[image_url] if image_url else [],
        audience=concept.audience,
        keywords=[k[:60] for k in concept.keywords if k.strip()][:20],
        tone=concept.tone,
        board_id=board_id,
    )
    return brief, None


def _destination(
    based_on: str | None, top: Sequence[TopPinStat], pins: Sequence[PinRecord]
) -> tuple[str, str | None, str | None] | None:
    """The link, board and image of the Pin the concept builds on (the chosen top Pin, else the
    first top Pin with an https link, else the newest such Pin)."""
    by_id = {pin.id: pin for pin in pins}
    ranked = sorted(top, key=lambda p: p.pin_id != based_on)  # the chosen one first
    for stat in ranked:
        if _https(stat.link):
            listed = by_id.get(stat.pin_id)
            return str(stat.link), stat.board_id, listed.image_url if listed else None
    newest = sorted(
        (p for p in pins if _https(p.link)),
        key=lambda p: (p.created_at is not None, p.created_at or datetime.min),
        reverse=True,
    )
    if not newest:
        return None
    return str(newest[0].link), newest[0].board_id, newest[0].image_url


def _https(link: str | None) -> bool:
    return bool(link) and str(link).lower().startswith("https://") and len(str(link)) <= 2048
