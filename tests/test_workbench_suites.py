"""Eval suites: packaged, from files, globs and inline data, and the errors a broken one gives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pinterest_agent.agents.design.designer import design_variables
from pinterest_agent.agents.design.scene_map import SCENE_MAP
from pinterest_agent.agents.workbench.errors import SuiteError
from pinterest_agent.agents.workbench.suites import Case, load_suite, packaged_suites
from pinterest_agent.agents.workbench.tasks import prepare
from pinterest_agent.agents.writer import PinCopy, copy_variables
from tests.conftest_llm import BRIEFS, load_brief


def test_the_three_packaged_suites_load() -> None:
    assert packaged_suites() == ["channel_insight", "design_spec", "pin_copy"]
    for name in packaged_suites():
        suite = load_suite(name)
        assert suite.task == name and suite.template == name and suite.cases
        assert suite.source == f"packaged:{name}"
        for case in suite.cases:  # every case is usable by its task
            prepare(suite.task, case)


def write_suite(folder: Path, body: str) -> Path:
    path = folder / "suite.yaml"
    path.write_text(body)
    return path


def test_cases_from_a_file_a_glob_and_inline_data_over_defaults(tmp_path: Path) -> None:
    # Given brief files next to a suite that names one, globs them all, and adds one inline
    briefs = tmp_path / "briefs"
    shutil.copytree(BRIEFS, briefs)
    path = write_suite(tmp_path, """
task: pin_copy
threshold: 0.5
defaults: {brief: {channel_id: from-defaults, locale: en-GB}}
cases:
  - brief: briefs/recipe.json
  - glob: "briefs/*.json"
    assert: [{type: contains, field: title, value: x}]
  - id: inline
    brief: {kind: other, name: Inline, summary: An inline brief.,
            destination_url: "https://example.com/a", keywords: [inline]}
assert:
  - {type: max_length, field: title, value: 100}
""")
    # When it is loaded
    suite = load_suite(path)
    # Then the file case is named after the file, the glob gives one case per file, the inline
    # case merges over the defaults, and repeated names are made unique
    ids = [case.id for case in suite.cases]
    assert ids == ["recipe", "article", "how-to", "product", "recipe-2", "inline"]
    recipe = suite.cases[0]
    assert recipe.data["brief"]["name"] == load_brief("recipe").name
    assert recipe.data["brief"]["channel_id"] == "channel-demo"  # the file wins over defaults
    inline = suite.cases[-1]
    assert inline.data["brief"]["channel_id"] == "from-defaults"
    assert inline.data["brief"]["locale"] == "en-GB"
    # And the glob's own assertion applies to its cases only
    assert len(suite.cases[1].assertions) == 2 and len(inline.assertions) == 1
    assert list(suite.columns.values()) == ["title<=100", "title~x"]


def test_task_variables_are_the_workers_own() -> None:
    # Given a case holding a sample brief (and no copy)
    brief = load_brief("recipe")
    case = Case("c", {"brief": brief.model_dump(mode="json")}, {}, ())
    # Then pin_copy renders with the writer's variables
    assert prepare("pin_copy", case).variables == copy_variables(brief)
    # And design_spec with the designer's, the brief's own words standing in for the copy
    design = prepare("design_spec", case)
    stand_in = PinCopy(title=brief.name, description=brief.summary[:500],
                       alt_text=f"Photo of {brief.name}", link=brief.destination_url,
                       keywords=brief.keywords, hashtags=[])
    assert design.brief == brief
    assert design.variables == design_variables(brief, stand_in, SCENE_MAP["pinterest"])


def test_channel_insight_cases_take_a_figure_table_or_a_stored_insight(tmp_path: Path) -> None:
    # Given a stored insight (as `insights show` prints it) as a case file
    suite = load_suite("channel_insight")
    figures = dict(suite.cases[0].data["figures"])
    insight = {"schema_version": 1, "channel_id": "shop", "generated_at": "2026-11-25T06:00:00Z",
               "status": "no_data", "summary": "Nothing yet.", "figures": figures}
    (tmp_path / "insight.json").write_text(json.dumps(insight))
    path = write_suite(tmp_path, "task: channel_insight\ncases: [{figures: insight.json}]\n")
    [case] = load_suite(path).cases
    # Then the figures are the insight's, and the writer's check knows the top Pins
    prepared = prepare("channel_insight", case)
    assert prepared.figures == figures
    assert prepared.variables["period_days"] == 30


@pytest.mark.parametrize(("body", "message"), [
    ("task: pin_copy\ncases: [{glob: 'nothing/*.json'}]\n", "matches no file"),
    ("task: pin_copy\ncases: [{brief: missing.json}]\n", "does not exist"),
    ("task: pin_copy\ncases: []\n", "cases"),
    ("task: tweet\ncases: [{brief: {}}]\n", "task"),
    ("task: pin_copy\ncases: [{brief: {}}]\nassert: [{type: vibes}]\n", "assert"),
    ("task: [pin_copy\n", "not valid YAML"),
])
def test_a_broken_suite_is_refused_with_a_reason(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(SuiteError, match=message) as info:
        load_suite(write_suite(tmp_path, body))
    assert info.value.code == "eval_suite_invalid"


def test_a_case_the_task_cannot_use_names_the_case(tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path, "task: pin_copy\ncases: [{id: bad, brief: {}}]\n"))
    with pytest.raises(SuiteError, match="case 'bad'"):
        prepare(suite.task, suite.cases[0])


def test_an_unknown_suite_name_lists_the_packaged_ones() -> None:
    with pytest.raises(SuiteError, match="pin_copy"):
        load_suite("no-such-suite")
