"""Eval assertions: each passes on a good output and fails on the bad one it is there to catch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from pinterest_agent.agents.messages import PinBrief
from pinterest_agent.agents.workbench.assertions import (
    Assertion,
    Context,
    Rubric,
    RubricVerdict,
    column_names,
    field_values,
)

ADAPTER: TypeAdapter[Assertion] = TypeAdapter(Assertion)
BRIEF = PinBrief.model_validate({
    "schema_version": 1, "brief_id": "b-1", "channel_id": "shop", "kind": "product",
    "name": "Linen Throw Blanket", "summary": "A soft linen throw.",
    "destination_url": "https://shop.example.com/p/linen",
    "keywords": ["linen throw blanket", "sage decor"],
})
GOOD = {
    "title": "Linen throw blanket in sage green for calm rooms",
    "description": "A stonewashed linen throw that softens with every wash.",
    "alt_text": "A sage linen throw on a sofa",
    "link": "https://shop.example.com/p/linen",
    "keywords": ["linen throw blanket", "sage decor", "cozy room"],
    "hashtags": ["#linen"],
}


def check(spec: Mapping[str, Any], output: Mapping[str, Any], **ctx: Any) -> bool:
    assertion = ADAPTER.validate_python(spec)
    return assertion.evaluate(Context(output=output, brief=BRIEF, **ctx)).passed


# (assertion, a change to GOOD that it must catch)
CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"type": "max_length", "field": "title", "value": 60}, {"title": "x" * 61}),
    ({"type": "min_length", "field": "description", "value": 20}, {"description": "Short."}),
    ({"type": "keyword_within", "field": "title", "value": 20},
     {"title": "The calmest room you will ever have: linen throw blanket"}),
    ({"type": "contains", "field": "description", "value": ["linen", "wash"]},
     {"description": "A throw that softens."}),
    ({"type": "not_contains", "field": "title", "value": "click here"},
     {"title": "Linen throw blanket: CLICK HERE"}),
    ({"type": "regex", "field": "title", "value": "^[A-Z]"}, {"title": "linen throw blanket"}),
    ({"type": "hashtags", "max": 2}, {"hashtags": ["#a", "#b"], "description": "Soft. #linen"}),
    ({"type": "link_equals_brief"}, {"link": "https://shop.example.com/p/linen?ref=x"}),
    ({"type": "no_invented_url"}, {"description": "Soft linen. More at www.deals.example.com"}),
    ({"type": "json_path", "path": "$.keywords[*]", "count_min": 3}, {"keywords": ["one"]}),
    ({"type": "json_path", "path": "$.keywords[0]", "equals": "linen throw blanket"},
     {"keywords": ["sage decor", "linen throw blanket", "x"]}),
    ({"type": "json_path", "path": "$.hashtags[*]", "exists": False}, {}),
    ({"type": "novelty", "field": "title", "threshold": 0.8,
      "titles": ["Linen throw blanket in sage green for calm rooms!"]}, {}),
]


@pytest.mark.parametrize(("spec", "breakage"), CASES, ids=[c[0]["type"] for c in CASES])
def test_an_assertion_passes_a_good_output_and_fails_the_bad_one(
    spec: dict[str, Any], breakage: dict[str, Any]
) -> None:
    # Given an assertion and an output that meets it (except where the assertion is about
    # something GOOD already has, like hashtags present or a title seen before)
    if spec["type"] not in ("novelty",) and not (spec["type"] == "json_path"
                                                 and spec.get("exists") is False):
        assert check(spec, GOOD), spec
    # When the output breaks the rule
    bad = {**GOOD, **breakage}
    # Then the assertion fails
    assert not check(spec, bad), (spec, bad)


def test_novelty_passes_a_new_title_and_reads_the_channels_titles() -> None:
    # Given the channel's recent titles from the store
    asked: list[tuple[str, int]] = []

    def titles(channel: str, limit: int) -> list[str]:
        asked.append((channel, limit))
        return ["Ten balcony garden ideas", "Linen throw blanket in sage green for calm rooms"]

    spec = {"type": "novelty", "field": "title", "threshold": 0.8}
    # When a title is close to one of them, it fails; a new one passes
    assert not check(spec, GOOD, titles=titles)
    assert check(spec, {**GOOD, "title": "Seagrass baskets for a tidy nursery"}, titles=titles)
    # And the brief's channel was asked for
    assert asked[0] == ("shop", 50)


def test_novelty_without_any_titles_source_fails_saying_why() -> None:
    assertion = ADAPTER.validate_python({"type": "novelty"})
    verdict = assertion.evaluate(Context(output=GOOD, brief=BRIEF))
    assert not verdict.passed and "recent titles" in verdict.detail


def test_grounded_numbers_fails_an_invented_figure() -> None:
    # Given an insight's figures
    figures = {"totals.saves": 1893, "totals.engagement_rate_pct": 10.82}
    spec = {"type": "grounded_numbers"}
    good = {"summary": "Saves reached 1,893 with a 10.8% engagement rate."}
    bad = {"summary": "Saves reached 1,893, up 37% on last month."}
    # Then a stated figure passes (rounded too) and an invented one fails, naming it
    assert check(spec, good, figures=figures)
    assertion = ADAPTER.validate_python(spec)
    verdict = assertion.evaluate(Context(output=bad, figures=figures))
    assert not verdict.passed and "37%" in verdict.detail


def test_rubric_asks_the_judge_and_passes_at_its_threshold() -> None:
    # Given a judge that gives 0.6
    seen: list[str] = []

    def judge(rubric: Rubric, output: Mapping[str, Any]) -> RubricVerdict:
        seen.append(rubric.value)
        return RubricVerdict(score=0.6, reason="Names the product, not the audience.")

    loose = {"type": "rubric", "value": "Names the product and the audience", "threshold": 0.5}
    strict = {**loose, "threshold": 0.7}
    # Then the rubric passes at 0.5, fails at 0.7, and the judge saw the rubric
    assert check(loose, GOOD, judge=judge)
    assert not check(strict, GOOD, judge=judge)
    assert seen == ["Names the product and the audience"] * 2


def test_field_paths_dotted_wildcard_index_and_jsonpath() -> None:
    output = {"suggestions": [{"action": "a", "priority": 1}, {"action": "b", "priority": 2}],
              "next_pin": {"rationale": "r"}}
    assert field_values(output, "suggestions.*.action") == ["a", "b"]
    assert field_values(output, "suggestions.1.priority") == [2]
    assert field_values(output, "next_pin.rationale") == ["r"]
    assert field_values(output, "$.suggestions[?@.priority > 1].action") == ["b"]
    # A rule on a field the output lacks fails
    assert not check({"type": "max_length", "field": "headline", "value": 40}, GOOD)
    # Every matched value must satisfy the rule
    spec = {"type": "max_length", "field": "suggestions.*.action", "value": 1}
    assert check(spec, output)
    assert not check(spec, {"suggestions": [{"action": "a"}, {"action": "too long"}]})


def test_unknown_assertion_types_and_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        ADAPTER.validate_python({"type": "sentiment", "field": "title"})
    with pytest.raises(ValidationError):
        ADAPTER.validate_python({"type": "max_length", "field": "title", "value": 9, "typo": 1})


def test_column_names_are_unique_and_shared_by_equal_assertions() -> None:
    specs = [ADAPTER.validate_python(s) for s in (
        {"type": "max_length", "field": "title", "value": 100},
        {"type": "max_length", "field": "title", "value": 100},
        {"type": "max_length", "field": "title", "value": 100, "name": "short"},
        {"type": "max_length", "field": "title", "value": 90, "name": "short"},
    )]
    assert list(column_names(specs).values()) == ["title<=100", "short", "short #2"]
