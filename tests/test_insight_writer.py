"""``build_insight`` end to end on the recorded fixture channel, with a scripted LLM.

The LLM may only state figures it was given; an answer inventing one gets exactly one repair
round, then the job fails with ``LLMOutputInvalidError``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pinterest_agent.agents.insights.figures import ungrounded_numbers
from pinterest_agent.agents.insights.followers import InMemoryFollowerSnapshotStore
from pinterest_agent.agents.insights.models import FigureValue
from pinterest_agent.agents.insights.writer import (
    InsightDraft,
    NextPinConcept,
    SuggestionDraft,
    build_insight,
)
from pinterest_agent.agents.llm import LLMOutputInvalidError, ScriptedLLM
from pinterest_agent.agents.messages import InsightsRequest, PinBrief
from pinterest_agent.providers.pinterest.analytics import AnalyticsAPI
from tests.fake_analytics import FIXTURE_NOW, FixturePinterest, error

REQUEST = InsightsRequest(schema_version=1, channel_id="shop", period_days=7)
CAKE = "900000000000001"
DECOR = "900000000000004"


def concept(based_on: str | None = CAKE, rationale: str = "Recipes save at 5% across "
            "2,800 impressions.") -> NextPinConcept:
    return NextPinConcept(
        based_on_pin_id=based_on,
        kind="recipe",
        name="Vegan chocolate cupcakes",
        summary="A one-bowl vegan cupcake variation of the best-saved cake Pin.",
        audience="Home bakers looking for easy vegan desserts",
        keywords=["vegan cupcakes", "easy vegan dessert", "one bowl cake"],
        tone="warm",
        rationale=rationale,
    )


def grounded(summary: str | None = None, **overrides: Any) -> InsightDraft:
    values: dict[str, Any] = {
        "summary": summary or (
            "Impressions rose 28.6% to 9,000 and saves reached 220, an engagement rate of 6.89%. "
            "How-to Pins save best at 7.5%, and recipes bring 39.43% of impressions. The last 3 "
            "days are provisional."
        ),
        "suggestions": [
            SuggestionDraft(priority=2, action="Publish two more recipe Pins on Saturday.",
                            rationale="Saturday averages 130.0 engagements, 68.5% above a "
                            "typical day.", figure="peak_days.1.avg_engagements"),
            SuggestionDraft(priority=1, action="Turn the Monstera how-to into a series.",
                            rationale="It saves at 6.0% on 1,500 impressions.",
                            figure="top_pins.1.save_rate_pct"),
            SuggestionDraft(priority=3, action="Schedule Pins around 18:00 UTC.",
                            rationale="An estimate: Pins published at 18h earn 125 engagements "
                            "each.", figure="peak_hours.1.avg_engagements_per_pin"),
        ],
        "next_pin": concept(),
    }
    values.update(overrides)
    return InsightDraft(**values)


def run(
    llm: ScriptedLLM,
    fake: FixturePinterest | None = None,
    store: InMemoryFollowerSnapshotStore | None = None,
) -> Any:
    analytics = AnalyticsAPI((fake or FixturePinterest()).client(), clock=lambda: FIXTURE_NOW)
    return build_insight(
        REQUEST, analytics=analytics, snapshots=store or InMemoryFollowerSnapshotStore(),
        llm=llm, clock=lambda: FIXTURE_NOW,
    )


def test_a_grounded_answer_becomes_an_insight_with_a_ready_brief() -> None:
    # Given an LLM that cites only the figures it was given
    llm = ScriptedLLM().enqueue(InsightDraft, grounded())
    store = InMemoryFollowerSnapshotStore()
    # When the insight is built
    insight = run(llm, store=store)
    # Then it is complete, its suggestions ordered and tied to figures
    assert insight.status == "ok" and insight.schema_version == 1
    assert [s.priority for s in insight.suggestions] == [1, 2, 3]
    assert insight.suggestions[0].figure == "top_pins.1.save_rate_pct"
    assert insight.suggestions[0].figure_value == 6.0
    assert insight.metrics.totals.current.saves == 220
    assert insight.provenance.template == "channel_insight" and not insight.provenance.repaired
    # And the next Pin is a brief the writer accepts as is, linking to the Pin it builds on
    brief = PinBrief.model_validate(insight.next_pin.model_dump())
    assert brief.destination_url == "https://example.com/recipes/vegan-chocolate-cake"
    assert brief.board_id == "800000000000001" and brief.channel_id == "shop"
    assert brief.brief_id.startswith("insight-20240610-")
    # And the LLM saw the figures as delimited data, nothing else
    user = llm.calls[0].messages[1]["content"]
    assert user.startswith("<figures>{") and '"totals.saves": 220' in user
    # And this run's follower snapshot was stored for next week
    assert [s.total for s in store.load("shop")] == [2000]
    assert insight.metrics.followers.status == "no_history"


def test_an_invented_figure_is_sent_back_once_and_the_repair_is_kept() -> None:
    # Given an LLM that first invents a growth figure, then corrects itself
    invented = grounded("Impressions rose 48% to 9,000 and saves reached 220.")
    llm = ScriptedLLM().enqueue(InsightDraft, invented, grounded())
    # When the insight is built
    insight = run(llm)
    # Then the repair round named the invented number, and the corrected answer was used
    assert len(llm.calls) == 2
    repair = llm.calls[1].messages[-1]["content"]
    assert "'48%'" in repair and "summary" in repair
    assert "48%" not in insight.summary
    assert insight.provenance.repaired is True


def test_an_answer_that_invents_figures_twice_is_rejected() -> None:
    bad = grounded(suggestions=[
        SuggestionDraft(priority=1, action="Post 14 Pins a week.", rationale="Saves double "
                        "to 440 when you do.", figure="totals.saves"),
        SuggestionDraft(priority=2, action="Use video.", rationale="Video gets 3.5x reach.",
                        figure="video.reach"),
        SuggestionDraft(priority=2, action="Post on Sunday.", rationale="Sunday is good.",
                        figure="peak_days.1.weekday"),
    ])
    llm = ScriptedLLM().enqueue(InsightDraft, bad, bad)
    with pytest.raises(LLMOutputInvalidError) as caught:
        run(llm)
    text = str(caught.value)
    assert "'440'" in text and "'14'" in text and "'3.5x'" in text
    assert "'video.reach' is not a figure name" in text
    assert "priorities are [1, 2, 2]" in text
    assert llm.remaining() == 0


def test_the_concept_must_build_on_a_top_pin() -> None:
    llm = ScriptedLLM().enqueue(
        InsightDraft, grounded(next_pin=concept(based_on="123")), grounded()
    )
    run(llm)
    assert "not a top Pin" in llm.calls[1].messages[-1]["content"]


def test_a_top_pin_without_an_https_link_hands_the_destination_to_the_next_one() -> None:
    # Pin 4 links to an http:// page, which a PinBrief cannot carry
    llm = ScriptedLLM().enqueue(InsightDraft, grounded(next_pin=concept(based_on=DECOR)))
    insight = run(llm)
    assert insight.next_pin.destination_url == "https://example.com/plants/repot-monstera"


def test_top_pins_without_lifetime_figures_in_the_listing_are_completed() -> None:
    fake = FixturePinterest()
    insight = run(ScriptedLLM().enqueue(InsightDraft, grounded()), fake=fake)
    # Pin 2 had no pin_metrics in the listing: one lifetime request completes it (one request
    # for every such top Pin, however many, so a warm run from the cache stays cheap)
    lifetime = [r for r in fake.requests if r.url.path.endswith("/pins/analytics")
                and "TOTAL_COMMENTS" in r.url.params["metric_types"]]
    assert len(lifetime) == 1
    assert lifetime[0].url.params.get_list("pin_ids") == ["900000000000002"]
    assert fake.paths().count("/pins/analytics") == 2
    pin = next(p for p in insight.metrics.top_pins.pins if p.pin_id == "900000000000002")
    assert (pin.comments, pin.reactions) == (0, 0)


def test_no_analytics_access_is_a_clear_insight_not_a_crash() -> None:
    # Given a Trial app: Pinterest refuses the account analytics
    fake = FixturePinterest(
        account_refusal=lambda: error(403, 403, "Not authorized to access the user account "
                                      "analytics.")
    )
    llm = ScriptedLLM()
    # When the insight is built
    insight = run(llm, fake=fake)
    # Then it says so, with no suggestions, and the LLM was never asked
    assert insight.status == "no_analytics_access"
    assert "Standard access" in insight.summary
    assert insight.suggestions == [] and insight.next_pin is None
    assert llm.calls == []


def test_a_channel_without_pins_gets_a_no_data_insight() -> None:
    fake = FixturePinterest()
    fake.pages = [{"items": [], "bookmark": None}]
    store = InMemoryFollowerSnapshotStore()
    insight = run(ScriptedLLM(), fake=fake, store=store)
    assert insight.status == "no_data"
    assert "no Pins yet" in (insight.status_detail or "")
    assert len(store.load("shop")) == 1  # the snapshot still starts the history


def test_rate_limits_from_analytics_propagate_for_the_actor_to_retry() -> None:
    fake = FixturePinterest(account_refusal=lambda: httpx.Response(
        429, json={"code": 8, "message": "Too many requests."}))
    with pytest.raises(Exception, match="Rate limited"):
        run(ScriptedLLM(), fake=fake)


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("Saves rose 33% (from 165 to 220).", []),
        ("Saves rose 33.3%, impressions 9k, about 9,000.", []),
        ("Engagement is 6.9% (was 6.6%).", []),
        ("Saturday is 1.7x a typical day.", []),
        ("Post at 6 pm UTC or 18:00.", []),
        ("Post at 7 pm.", ["7 pm"]),
        ("Since 2024-06-04 things improved.", []),
        ("Since 2024-06-01 things improved.", ["2024-06-01"]),
        ("Impressions dropped 12%.", ["12%"]),
        ("Aim for 3 Pins on Saturday.", ["3"]),  # no figure is 3: small counts are not free
        ("Aim for 30 Pins.", ["30"]),
        ("Reach 10,000 impressions.", ["10,000"]),
        ("Impressions were about 7,000 before.", []),
        ("It was 1.5M.", ["1.5M"]),
        ("Publish 14 Pins.", ["14"]),  # 14.08 is a percentage, not a count
        ("The share is 14.08 of all impressions.", []),  # a percentage quoted exactly
        ("Recipes take 14% of impressions.", []),
        ("Saves are 220% up.", ["220%"]),
    ],
)
def test_numbers_are_matched_against_the_figures_as_people_round_them(
    text: str, bad: list[str]
) -> None:
    figures: dict[str, FigureValue] = {
        "saves": 220, "previous.saves": 165, "saves_pct": 33.3, "impressions": 9000,
        "previous.impressions": 7000, "rate_pct": 6.89, "previous.rate_pct": 6.57,
        "peak.index": 1.69, "share_pct": 14.08, "hour": 18, "since": "2024-06-04",
    }
    assert ungrounded_numbers(text, figures) == bad
