"""What the writer and the designer make is plain text (issue 23, defect 3): a brief carrying
markup, and a model answering with markup, end in a Pin whose title, description, alt text,
keywords, hashtags and drawn headline hold none."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PIL import ImageDraw

from pinterest_agent.agents.design.designer import DesignSpec, design_result
from pinterest_agent.agents.design.scene_map import PINTEREST
from pinterest_agent.agents.drafting import draft_post
from pinterest_agent.agents.llm import OpenAIStructuredLLM, ScriptedLLM, make_openai_client
from pinterest_agent.agents.messages import PinBrief
from pinterest_agent.agents.writer import PinCopy, write_copy
from pinterest_agent.prompts.loader import PromptLibrary
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.jobs.publish import decode_message
from tests.conftest_llm import TEST_API_KEY, FixtureFetcher, load_brief

ISSUE_BRIEF_NAME = '<B>Linen</B> Throw: <img src=x onerror="alert(1)"> Linen Throw'
"""The brief's name a Pin was titled with, its hashtag ``#BLinenBThrow`` and its headline
``<img src=x`` (issue 23)."""
MARKUP = ("<", ">", "&amp;", "img", "script", "steal")


def issue_payload() -> dict[str, Any]:
    payload = load_brief("product").model_dump(mode="json", exclude_none=True)
    payload.update(name=ISSUE_BRIEF_NAME, keywords=["<B>Linen</B> Throw"],
                   summary="<p>A stonewashed <b>linen</b> throw &amp; a fringe.</p>"
                           "<script>steal()</script><p>Softer with every wash.</p>")
    return payload


def test_a_brief_with_markup_becomes_a_pin_without_any(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the issue's brief as upstream sent it, and the sandbox's rule-blind stand-in (it
    # titles the Pin and heads the image with the brief's name, tags it with its first keyword)
    brief = decode_message(PinBrief, issue_payload())
    client = make_openai_client(api_key=TEST_API_KEY, base_url=sandbox.base_url + "/openai/v1",
                                timeout_s=5, max_retries=0)
    llm = OpenAIStructuredLLM(client, model="sandbox-stand-in", prompts=PromptLibrary())
    drawn: list[str] = []
    draw_text = ImageDraw.ImageDraw.text

    def record(self: ImageDraw.ImageDraw, xy: Any, text: Any, *args: Any, **kwargs: Any) -> None:
        drawn.append(str(text))
        draw_text(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", record)
    # When it is drafted
    draft = draft_post(brief, llm=llm, fetcher=FixtureFetcher())
    # Then every text of the Pin, and every text drawn on its image, is plain
    post = draft.post
    assert post.title == "Linen Throw: Linen Throw"
    assert draft.copy.hashtags == ["#LinenThrow"]
    assert post.description.startswith("A stonewashed linen throw & a fringe.\n"
                                       "Softer with every wash.")
    assert draft.design.headline == "Linen Throw: Linen Throw"
    assert " ".join(drawn).split() == ["Linen", "Throw:", "Linen", "Throw"]
    for text in (post.title, post.description, post.alt_text or "", *draft.copy.keywords,
                 draft.design.headline):
        assert not any(mark in text for mark in MARKUP), text


def copy_answer(**changes: Any) -> str:
    brief = load_brief("product")
    answer: dict[str, Any] = {
        "title": "Linen throw blanket in sage green",
        "description": "A stonewashed linen throw that gets softer with every wash.",
        "alt_text": "A sage green linen throw on a sofa.",
        "link": brief.destination_url,
        "keywords": ["linen throw blanket"],
        "hashtags": ["#linenthrow"],
    }
    answer.update(changes)
    return json.dumps(answer)


def test_a_model_answer_with_markup_becomes_plain_copy_without_a_repair() -> None:
    # Given a model that answers with markup and entities in every text field
    llm = ScriptedLLM().enqueue(PinCopy, copy_answer(
        title="<b>Linen throw blanket</b> in sage &amp; oat",
        description="<p>A stonewashed linen throw.</p><script>x()</script><p>Softer &amp; softer"
                    ".</p>",
        alt_text="A sage <i>linen</i> throw\non a sofa.",
        keywords=["<em>linen throw blanket</em>"]))
    # When the writer takes it
    copy = write_copy(load_brief("product"), llm).copy
    # Then the copy is plain text, and the answer was not sent back
    assert copy.title == "Linen throw blanket in sage & oat"
    assert copy.description == "A stonewashed linen throw.\nSofter & softer."
    assert copy.alt_text == "A sage linen throw on a sofa."
    assert copy.keywords == ["linen throw blanket"]
    assert len(llm.calls) == 1 and llm.remaining() == 0


@pytest.mark.parametrize(("field", "value"), [("title", "Linen throw blanket\u2028in sage"),
                                              ("alt_text", "A linen throw\u2029on a sofa."),
                                              ("hashtags", ["#<b>linen</b>"])])
def test_a_line_separator_or_markup_in_a_hashtag_is_sent_back(field: str, value: Any) -> None:
    llm = ScriptedLLM().enqueue(PinCopy, copy_answer(**{field: value}), copy_answer())
    copy = write_copy(load_brief("product"), llm).copy
    assert len(llm.calls) == 2  # the repair round named the field
    assert field in llm.calls[1].messages[-1]["content"]
    assert "\u2028" not in copy.title and "\u2029" not in copy.alt_text
    assert copy.hashtags == ["#linenthrow"]


def design_answer(headline: str) -> str:
    return json.dumps({"headline": headline, "layout": "band_bottom",
                       "palette": ["#264653", "#F1FAEE"], "dominant_color": "#F1FAEE",
                       "focal_point": {"x": 0.5, "y": 0.5}, "subject": None,
                       "image_prompt": None})


def test_the_headline_on_the_image_is_plain_text() -> None:
    # Given a model whose headline is a cut-off tag, then one with markup around the words
    brief = load_brief("product")
    copy = PinCopy.model_validate_json(copy_answer())
    llm = ScriptedLLM().enqueue(DesignSpec, design_answer("<img src=x"),
                                design_answer("<b>Linen</b> throw &amp; sage"))
    # When the designer takes them
    spec = design_result(brief, copy, llm, PINTEREST).spec
    # Then the tag alone was sent back as no text, and the headline drawn is plain
    assert "nothing but markup" in llm.calls[1].messages[-1]["content"]
    assert spec.headline == "Linen throw & sage"
