"""Trending keywords in the copy, grounded: a Pin's keywords come from its brief or from the
trending keywords it was offered, and its record says which trend each came from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pinterest_agent.agents.messages import PinBrief, TrendKeyword
from pinterest_agent.agents.writer import (
    PinCopy,
    copy_problems,
    copy_variables,
    keyword_source,
    trends_used,
)
from pinterest_agent.prompts.loader import PromptLibrary
from tests.conftest_llm import load_brief
from tests.helpers import wait_for

LINEN = TrendKeyword(keyword="Sage green bedroom ideas", trend_type="growing", region="US",
                     pct_growth_wow=12.0, pct_growth_mom=48.5, pct_growth_yoy=210.0)
OTHER = TrendKeyword(keyword="summer linen outfits", trend_type="seasonal", region="US",
                     pct_growth_mom=30.0)


def _brief(**changes: object) -> PinBrief:
    return load_brief("product").model_copy(update={"trend_keywords": [LINEN, OTHER], **changes})


def _copy(brief: PinBrief, keywords: list[str], description: str = "") -> PinCopy:
    return PinCopy.model_construct(
        title="Linen throw blanket in sage green for calm rooms",
        description=description or "A stonewashed linen throw that gets softer every wash.",
        alt_text="A sage green linen throw folded over a pale sofa arm.",
        link=brief.destination_url, keywords=keywords, hashtags=[])


def test_keywords_from_the_brief_or_the_offered_trends_pass() -> None:
    brief = _brief()
    copy = _copy(brief, ["linen throw blankets", "sage green bedroom idea", "calm living room"])
    # plural and case aside; "calm living room" is in neither
    problems = copy_problems(copy, brief)
    assert problems == ["keywords must come from the brief's keywords or words or these trending "
                        "keywords: Sage green bedroom ideas; summer linen outfits; drop or "
                        "replace: 'calm living room'"]
    assert copy_problems(_copy(brief, ["linen throw blankets", "sage green bedroom idea",
                                       "natural living room"]), brief) == []


def test_an_invented_keyword_is_sent_back() -> None:
    brief = _brief()
    problems = copy_problems(_copy(brief, ["linen throw blanket", "boho wedding decor"]), brief)
    assert any("'boho wedding decor'" in problem for problem in problems)


def test_a_brief_that_opts_out_is_offered_no_trend_and_may_not_use_one() -> None:
    brief = _brief(use_trends=False)
    assert copy_variables(brief)["trends"] == []
    problems = copy_problems(_copy(brief, ["sage green bedroom ideas"]), brief)
    assert problems and "trending" not in problems[0]
    assert keyword_source("sage green bedroom ideas", brief) is None


def test_the_record_names_each_trend_the_copy_used_with_its_figures() -> None:
    brief = _brief()
    copy = _copy(brief, ["linen throw blanket", "sage green bedroom ideas"])
    assert trends_used(copy, brief) == [LINEN]
    assert keyword_source("Sage-green bedroom ideas", brief) == LINEN
    in_text = _copy(brief, ["linen throw blanket"],
                    description="Perfect for summer linen outfits and lazy afternoons.")
    assert trends_used(in_text, brief) == [OTHER]


def test_the_prompt_offers_the_trends_with_their_growth_only_when_there_are_some() -> None:
    library = PromptLibrary()
    with_trends = library.render("pin_copy", copy_variables(_brief()))
    assert '"Sage green bedroom ideas" (+12% week on week, +48% month on month, +210% year on ' \
           'year)' in with_trends.system
    plain = library.render("pin_copy", copy_variables(load_brief("product")))
    assert "trending" not in plain.system and "Pinners are searching" not in plain.system


# --- the writer job, on real Redis and worker threads, against the sandbox ----------------------


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: Any, tmp_path: Any) -> Any:
    from pydantic import SecretStr

    from tests.conftest import make_settings

    return make_settings(prefix, fresh_sandbox,
                         openai_base_url=f"{fresh_sandbox.base_url}/openai/v1",
                         openai_api_key=SecretStr("sandbox-key"), media_dir=tmp_path / "media")

def _runner_brief(sandbox: Any, **changes: object) -> dict[str, Any]:
    from tests.test_write_worker import brief

    data = brief(sandbox, "product")
    data.update(brief_id="trend-brief-1", name="Linen Christmas Table Runner in Sage",
                summary="A stonewashed linen runner for a calm Christmas table, 40 x 200 cm.",
                keywords=["linen christmas table runner", "christmas table"], **changes)
    return data


@pytest.mark.redis
@pytest.mark.parametrize("use_trends", [True, False])
def test_the_writer_is_offered_the_channels_matching_trends_and_records_them(
    use_trends: bool, fresh_sandbox: Any, channel: Any,
    start_worker: Callable[..., Any],
) -> None:
    from pinterest_agent.providers.sandbox.openai_compat import chat_requests
    from tests.test_write_worker import enqueue_brief

    running = start_worker()
    payload = _runner_brief(fresh_sandbox, use_trends=use_trends)
    enqueue_brief(running, payload)
    outcome = wait_for(lambda: (running.runtime.store.outcomes.get("brief", "trend-brief-1")
                                or {}).get("status") in ("drafted", "failed")
                       and running.runtime.store.outcomes.get("brief", "trend-brief-1"))
    assert outcome["status"] == "drafted", outcome
    prompts = " ".join(str(m.get("content")) for r in chat_requests(fresh_sandbox.state)
                       for m in r.get("messages", []))
    trends_asked = fresh_sandbox.state.request_count(
        "GET", "/v5/trends/keywords/{region}/top/{trend_type}")
    if use_trends:
        # the sandbox's "christmas table decor" is rising in December: offered with its growth
        assert outcome["trends_offered"] >= 1
        assert '"christmas table decor" (' in prompts
        assert trends_asked == 1
    else:
        assert outcome["trends_offered"] == 0 and trends_asked == 0
        assert "Pinners are searching" not in prompts
    # the stand-in copies the brief's keywords: none is recorded as a trend's
    assert outcome["trend_keywords"] == []
