"""Message text is plain text (issue 23, defect 3): briefs and posts from upstream reach the
writer and Pinterest with their markup stripped and entities decoded; line separators on one
line, and links holding a quote, ``<`` or ``>``, are refused with the field named."""

from __future__ import annotations

from typing import Any

import pytest

from pinterest_agent.agents.messages import PinBrief, PostUpdate, SocialPost
from pinterest_agent.providers.netsafe import UnsafeURLError, parse_url
from pinterest_agent.queues.jobs.publish import InvalidMessageError, decode_message
from tests.test_strict_fields import _brief, _post

ISSUE_TITLE = "<script>alert(1)</script>Caf&eacute; &amp; Co \u2013 Mug <b>bold</b>"
ISSUE_BRIEF_NAME = '<B>Linen</B> Throw: <img src=x onerror="alert(1)"> Linen Throw'


def test_a_brief_from_upstream_is_plain_text() -> None:
    brief = decode_message(PinBrief, _brief(
        name=ISSUE_BRIEF_NAME, summary="<p>Stonewashed <i>linen</i>.</p><p>130&nbsp;x 170</p>",
        keywords=["<b>linen</b> throw", "sage &amp; oat"], tone="<em>warm</em>",
        board_hint="Home &amp; Living", audience="a < b"))
    assert brief.name == "Linen Throw: Linen Throw"
    assert brief.summary == "Stonewashed linen.\n130 x 170"
    assert brief.keywords == ["linen throw", "sage & oat"]
    assert (brief.tone, brief.board_hint, brief.audience) == ("warm", "Home & Living", "a < b")


def test_a_post_from_upstream_is_plain_text() -> None:
    post = decode_message(SocialPost, _post(
        title=ISSUE_TITLE, description="Mug <b>bold</b><br>350 ml",
        alt_text="A terracotta mug\non a <i>shelf</i>"))
    assert post.title == "Café & Co \u2013 Mug bold"
    assert post.description == "Mug bold\n350 ml"
    assert post.alt_text == "A terracotta mug on a shelf"  # alt text is read on one line


def test_an_update_is_plain_text() -> None:
    update = PostUpdate(schema_version=1, update_id="u-1", platform="pinterest",
                        channel_id="shop", pin_id="1", title=ISSUE_TITLE)
    assert update.title == "Café & Co \u2013 Mug bold"


@pytest.mark.parametrize(
    ("model", "payload", "field"),
    [
        (SocialPost, _post(title="Linen\u2028dress"), "title"),
        (SocialPost, _post(title="Linen&#x2028;dress"), "title"),
        (SocialPost, _post(alt_text="A\u2029dress"), "alt_text"),
        (PinBrief, _brief(name="Linen\u2028dress"), "name"),
        (PinBrief, _brief(keywords=["linen\u2029dress"]), "keywords.0"),
        (PinBrief, _brief(board_hint="Home\u2028Decor"), "board_hint"),
    ],
)
def test_line_separators_are_refused_on_one_line(
    model: Any, payload: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidMessageError, match="separator") as info:
        decode_message(model, payload)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("payload", "field", "says"),
    [
        (_post(title="<img src=x"), "title", "nothing but markup"),
        (_post(title="Sale&#x202e;elas"), "title", "bidirectional override"),
        (_post(description="bell&#7;"), "description", "control character"),
        (_post(link='https://shop.example/dress"onmouseover="x'), "link", "percent-encode"),
        (_post(link="https://shop.example/<b>"), "link", "percent-encode"),
        (_post(media={"type": "image_url", "url": "https://cdn.example/a>b.jpg"}),
         "media.image_url.url", "percent-encode"),
    ],
)
def test_markup_only_text_decoded_controls_and_markup_in_links_are_refused(
    payload: dict[str, Any], field: str, says: str
) -> None:
    with pytest.raises(InvalidMessageError, match=says) as info:
        decode_message(SocialPost, payload)
    assert info.value.field == field


@pytest.mark.parametrize("url", ['https://shop.example/a"b', "https://shop.example/<b>",
                                 "https://shop.example/?q=>"])
def test_the_publishers_url_guard_refuses_quotes_and_angle_brackets(url: str) -> None:
    with pytest.raises(UnsafeURLError, match="percent-encode"):
        parse_url(url)
