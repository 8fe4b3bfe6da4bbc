"""Fields that must never reach Pinterest as they came: control characters, bidi overrides,
numbers standing in for dates, booleans standing in for numbers. Each is refused, field named."""

from __future__ import annotations

from typing import Any

import pytest

from pinterest_agent.agents.messages import InsightsRequest, PinBrief, SocialPost
from pinterest_agent.queues.jobs.publish import InvalidMessageError, decode_message


def _post(**changes: Any) -> dict[str, Any]:
    post: dict[str, Any] = {
        "schema_version": 1, "post_id": "p-1", "platform": "pinterest", "channel_id": "shop",
        "title": "Linen dress", "description": "A linen dress.\nWith pockets.",
        "link": "https://shop.example/dress", "alt_text": "A dress",
        "media": {"type": "image_url", "url": "https://cdn.shop.example/dress.jpg"},
    }
    post.update(changes)
    return post


def _brief(**changes: Any) -> dict[str, Any]:
    brief: dict[str, Any] = {
        "schema_version": 1, "brief_id": "b-1", "channel_id": "shop", "name": "Linen dress",
        "summary": "A dress.", "destination_url": "https://shop.example/dress",
    }
    brief.update(changes)
    return brief


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "\x00"}, "title"),
        ({"title": "Sale\u202eelas"}, "title"),
        ({"title": "two\nlines"}, "title"),
        ({"description": "bell\x07"}, "description"),
        ({"description": "\u2066isolate"}, "description"),
        ({"alt_text": "a\x1bb"}, "alt_text"),
        ({"alt_text": "\ud800"}, "alt_text"),
        ({"scheduled_at": 12345}, "scheduled_at"),
        ({"scheduled_at": -1}, "scheduled_at"),
        ({"schema_version": True}, "schema_version"),
        ({"media": {"type": "carousel", "items": [
            {"url": "https://cdn.example/a.jpg", "title": "a\x00"},
            {"url": "https://cdn.example/b.jpg"}]}}, "media.carousel.items.0.title"),
        ({"media": {"type": "video", "url": "https://cdn.example/v.mp4",
                    "cover_key_frame_time_s": True}}, "media.video.cover_key_frame_time_s"),
    ],
)
def test_social_post_fields_are_strict(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidMessageError) as info:
        decode_message(SocialPost, _post(**changes))
    assert info.value.field == field, str(info.value)
    assert field.split(".")[-1] in str(info.value)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "a\x00b"}, "name"),
        ({"summary": "\u202e"}, "summary"),
        ({"keywords": ["ok", "b\x0bad"]}, "keywords.1"),
        ({"scheduled_at": 0}, "scheduled_at"),
        ({"publish": 1}, "publish"),
        ({"schema_version": True}, "schema_version"),
    ],
)
def test_brief_fields_are_strict(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidMessageError) as info:
        decode_message(PinBrief, _brief(**changes))
    assert info.value.field == field, str(info.value)


def test_insights_request_numbers_are_numbers() -> None:
    with pytest.raises(InvalidMessageError) as info:
        decode_message(InsightsRequest, {"schema_version": 1, "channel_id": "shop",
                                         "period_days": True})
    assert info.value.field == "period_days"


ARABIC_WITH_MARK = "\u0641\u0633\u062a\u0627\u0646 \u200f\u0643\u062a\u0627\u0646 \U0001f457"


def test_ordinary_text_still_passes() -> None:
    # Newlines and tabs in prose, right-to-left text with its marks, emoji, ISO dates
    post = decode_message(SocialPost, _post(
        description="Line one\n\tLine two", alt_text=ARABIC_WITH_MARK,
        scheduled_at="2026-11-23T09:00:00+01:00"))
    assert post.scheduled_at is not None and post.scheduled_at.hour == 8


def test_deep_documents_are_refused_clearly() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    for payload in (deep, {"schema_version": 1, "x": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]
                                                                     ]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}):
        with pytest.raises(InvalidMessageError) as info:
            decode_message(SocialPost, payload)
        assert info.value.code == "message_too_deep"
