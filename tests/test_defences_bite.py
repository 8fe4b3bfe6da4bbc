"""Each of the writer's and designer's defences is what stops a bad Pin.

For every defence (each rule of ``COPY_RULES``, the final link guard of ``write_copy``, the
grounding of the copy and of the design's headline) the same end-to-end path runs twice: the real
``openai`` client against the sandbox's stand-in in its adversarial mode, breaking every answer
in the one way that defence is there for (rate 1, seed 7). With the defence in place the outcome
is safe: a typed failure after the repair round (every answer misbehaves, so the repair cannot
help). With the defence removed (monkeypatched away) the same answers produce a bad Pin.

Two pairs of defences back each other up, and the test says so rather than hiding it: the link
rule and the final link guard (either alone keeps the brief's link: the rule sends the answer
back, the guard overwrites it), and the hashtag count rule and the hashtags-in-description rule
(the schema allows at most three hashtags in the list, so a count over three always has one in
the description). For those, removing one is still safe and removing both is not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import pytest

from pinterest_agent.agents import writer
from pinterest_agent.agents.design import designer
from pinterest_agent.agents.design.designer import design_result
from pinterest_agent.agents.design.scene_map import PINTEREST
from pinterest_agent.agents.llm import (
    LLMOutputInvalidError,
    OpenAIStructuredLLM,
    make_openai_client,
)
from pinterest_agent.agents.messages import PinBrief
from pinterest_agent.agents.text_rules import find_urls, hashtags_in, keyword_position
from pinterest_agent.agents.writer import PinCopy, post_description, write_copy
from pinterest_agent.prompts.loader import PromptLibrary
from pinterest_agent.providers.sandbox.adversary import INVENTED_KEYWORDS
from pinterest_agent.providers.sandbox.server import SandboxServer
from tests.conftest_llm import TEST_API_KEY, load_brief

SEED = 7
EARLIER = "Linen Throw Blanket in Sage Green"


@dataclass(frozen=True)
class Outcome:
    """What the path produced: the Pin's words, or the typed failure."""

    copy: PinCopy | None = None
    headline: str | None = None
    failure: LLMOutputInvalidError | None = None


@dataclass(frozen=True)
class Defence:
    name: str
    kind: str
    """The adversarial kind that breaks the rule this defence enforces."""
    bad: Callable[[Outcome, PinBrief], bool]
    """Whether the outcome is a bad Pin (a rule broken in what would be published)."""
    remove: Sequence[str]
    """What to take away: rule function names of ``writer``, or "link guard",
    "headline grounding"."""
    backed_up_by: Sequence[str] = field(default=())
    """Defences that still hold when this one alone is removed."""
    brief_changes: dict[str, object] = field(default_factory=dict)
    design: bool = False


def words(outcome: Outcome) -> str:
    assert outcome.copy is not None
    c = outcome.copy
    return " ".join([c.title, c.description, c.alt_text, *c.keywords, *c.hashtags])


DEFENCES = [
    Defence("link rule", "other_link", remove=["link_rule"], backed_up_by=["link guard"],
            bad=lambda o, b: o.copy is not None and o.copy.link != b.destination_url),
    Defence("link guard", "other_link", remove=["link guard"], backed_up_by=["link_rule"],
            bad=lambda o, b: o.copy is not None and o.copy.link != b.destination_url),
    Defence("url in text rule", "url_in_text", remove=["url_in_text_rule"],
            bad=lambda o, b: o.copy is not None and bool(find_urls(o.copy.description))),
    Defence("hashtag count rule", "hashtag_heavy", remove=["hashtag_count_rule"],
            backed_up_by=["hashtags_in_description_rule"],
            bad=lambda o, b: o.copy is not None and len(hashtags_in(post_description(o.copy)))
            > writer.HASHTAGS_MAX),
    Defence("hashtags in description rule", "hashtags_in_description",
            remove=["hashtags_in_description_rule"],
            bad=lambda o, b: o.copy is not None and bool(hashtags_in(o.copy.description))),
    Defence("description length rule", "long_description", remove=["description_length_rule"],
            bad=lambda o, b: o.copy is not None
            and len(post_description(o.copy)) > writer.DESCRIPTION_MAX),
    Defence("repeated title rule", "repeat_title", remove=["repeated_title_rule"],
            brief_changes={"avoid_titles": [EARLIER]},
            bad=lambda o, b: o.copy is not None and o.copy.title == EARLIER),
    Defence("keyword rule", "keyword_late", remove=["keyword_rule"],
            bad=lambda o, b: o.copy is not None and (
                keyword_position(b.keywords[0], o.copy.title) or 999) > writer.KEYWORD_WITHIN),
    Defence("keyword source rule", "invented_keywords", remove=["keyword_source_rule"],
            bad=lambda o, b: o.copy is not None
            and any(keyword in o.copy.keywords for keyword in INVENTED_KEYWORDS)),
    Defence("copy grounding", "invented_claims", remove=["grounding_rule"],
            bad=lambda o, b: o.copy is not None
            and any(claim in words(o) for claim in ("Made in USA", "$19.99", "organic"))),
    Defence("headline grounding", "invented_claims", remove=["headline grounding"], design=True,
            bad=lambda o, b: o.headline is not None and "$19.99" in o.headline),
]


@pytest.fixture()
def adversarial(fresh_sandbox: SandboxServer) -> Iterator[SandboxServer]:
    yield fresh_sandbox
    fresh_sandbox.state.llm.reset()


def remove(monkeypatch: pytest.MonkeyPatch, names: Sequence[str]) -> None:
    """Take the named defences out of the code under test for this test."""
    rules = [name for name in names if hasattr(writer, name)]
    if rules:
        kept = tuple(rule for rule in writer.COPY_RULES if rule.__name__ not in rules)
        assert len(kept) == len(writer.COPY_RULES) - len(rules)
        monkeypatch.setattr(writer, "COPY_RULES", kept)
    if "link guard" in names:
        monkeypatch.setattr(writer, "force_brief_link", lambda copy, brief: copy)
    if "headline grounding" in names:
        monkeypatch.setattr(designer, "grounding_problems", lambda fields, grounds: [])


def run_path(sandbox: SandboxServer, defence: Defence) -> tuple[Outcome, PinBrief]:
    """The brief through the real client and the adversarial stand-in: the writer, or (for the
    headline) the designer given good copy."""
    brief = load_brief("product").model_copy(update=defence.brief_changes)
    sandbox.state.llm.configure(rate=1.0, seed=SEED, kinds=[defence.kind])
    client = make_openai_client(api_key=TEST_API_KEY, base_url=sandbox.base_url + "/openai/v1",
                                timeout_s=5, max_retries=0)
    llm = OpenAIStructuredLLM(client, model="sandbox-stand-in", prompts=PromptLibrary(),
                              mode="json_schema")
    try:
        if defence.design:
            copy = PinCopy(title=brief.name, description=brief.summary, alt_text="A throw.",
                           link=brief.destination_url, keywords=brief.keywords[:3], hashtags=[])
            spec = design_result(brief, copy, llm, PINTEREST).spec
            return Outcome(headline=spec.headline), brief
        return Outcome(copy=write_copy(brief, llm).copy), brief
    except LLMOutputInvalidError as exc:
        return Outcome(failure=exc), brief
    finally:
        client.close()


@pytest.mark.parametrize("defence", DEFENCES, ids=lambda d: d.name)
def test_with_the_defence_the_outcome_is_safe(
    adversarial: SandboxServer, defence: Defence
) -> None:
    # Given a model that breaks every answer in the way this defence is there for
    # When the path runs with every defence in place
    outcome, brief = run_path(adversarial, defence)
    # Then it ends in a typed failure after the repair round, and no bad Pin
    assert outcome.failure is not None and outcome.failure.code == "llm_output_invalid"
    assert "after one repair round" in str(outcome.failure)
    assert not defence.bad(outcome, brief)
    assert adversarial.state.llm.as_dict()["served"] == {defence.kind: 2}  # answer and repair


@pytest.mark.parametrize("defence", [d for d in DEFENCES if not d.backed_up_by],
                         ids=lambda d: d.name)
def test_without_the_defence_a_bad_pin_is_made(
    adversarial: SandboxServer, defence: Defence, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the same model, and the code under test without this one defence
    remove(monkeypatch, defence.remove)
    # When the path runs
    outcome, brief = run_path(adversarial, defence)
    # Then the bad answer goes through, first time, into what would be published
    assert outcome.failure is None, outcome.failure
    assert defence.bad(outcome, brief), outcome


@pytest.mark.parametrize("defence", [d for d in DEFENCES if d.backed_up_by],
                         ids=lambda d: d.name)
def test_a_backed_up_defence_holds_alone_and_both_removed_make_a_bad_pin(
    adversarial: SandboxServer, defence: Defence, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the code under test without this defence, but with the one that backs it up
    with monkeypatch.context() as patched:
        remove(patched, defence.remove)
        outcome, brief = run_path(adversarial, defence)
    # Then the outcome is still safe (a typed failure, or the copy with the brief's link)
    assert not defence.bad(outcome, brief), outcome
    # And without both, the bad answer goes through
    adversarial.state.llm.reset()
    remove(monkeypatch, [*defence.remove, *defence.backed_up_by])
    outcome, brief = run_path(adversarial, defence)
    assert outcome.failure is None and defence.bad(outcome, brief), outcome


def test_every_copy_rule_has_its_defence_case() -> None:
    covered = {name for d in DEFENCES for name in d.remove}
    assert {rule.__name__ for rule in writer.COPY_RULES} <= covered
