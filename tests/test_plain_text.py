"""``plain_text``: the one function every title, description, alt text, headline, keyword and
hashtag goes through where it enters (feeds, messages, the model's answers)."""

from __future__ import annotations

import random

import pytest

from pinterest_agent.agents.plain_text import LineSeparatorError, plain_text

ISSUE_TITLE = "<script>alert(1)</script>Caf&eacute; &amp; Co \u2013 Mug <b>bold</b>"
"""The title a Pin was published with, from Merchant XML and RSS (issue 23)."""
ISSUE_BRIEF_NAME = '<B>Linen</B> Throw: <img src=x onerror="alert(1)"> Linen Throw'
"""A brief's name that became a Pin's title and the hashtag ``#BLinenBThrow`` (issue 23)."""


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (ISSUE_TITLE, "Café & Co \u2013 Mug bold"),
        (ISSUE_BRIEF_NAME, "Linen Throw: Linen Throw"),
        ("<img src=x", ""),  # the headline drawn on an image: a tag cut off is still a tag
        ("<style>b { color: red }</style>Mug", "Mug"),
        ("<template><p>hidden</p></template>Mug", "Mug"),
        ("x <!-- a comment --> y", "x y"),
        ("&amp;lt;b&amp;gt; is bold", "&lt;b&gt; is bold"),  # double-encoded: stays that text
        ("a < b and 5 > 3", "a < b and 5 > 3"),
        ("<3 linen", "<3 linen"),
        ("AT&T & R&D", "AT&T & R&D"),
        ("Mug<br>Blue", "Mug Blue"),
        ("  Linen \t\n throw  ", "Linen throw"),
        ("Linen&nbsp;throw", "Linen throw"),
    ],
)
def test_one_line_text_is_plain(given: str, expected: str) -> None:
    assert plain_text(given, one_line=True) == expected


def test_prose_keeps_its_lines_and_block_elements_break_them() -> None:
    given = "<p>Stonewashed  linen.</p><p>Softer with<br/>every wash.</p>\n\n\n<ul><li>Sage</li>" \
            "<li>Oat</li></ul>"
    assert plain_text(given, one_line=False) == \
        "Stonewashed linen.\nSofter with\nevery wash.\nSage\nOat"


def test_plain_text_is_unchanged_by_a_second_pass() -> None:
    for text in ("Café & Co \u2013 Mug", "a < b and 5 > 3", "AT&T", "<3 linen",
                 "Line one\nLine two"):
        assert plain_text(text, one_line="\n" not in text) == text


@pytest.mark.parametrize("given", ["Linen\u2028Throw", "Linen\u2029Throw", "Linen&#x2028;Throw",
                                   "<b>Linen</b>&#8233;Throw"])
def test_line_separators_are_refused_on_one_line(given: str) -> None:
    with pytest.raises(LineSeparatorError, match="separator"):
        plain_text(given, one_line=True)


def test_line_separators_are_line_breaks_in_prose() -> None:
    assert plain_text("Linen\u2028Throw\u2029Sage", one_line=False) == "Linen\nThrow\nSage"


def test_empty_and_none_are_empty() -> None:
    assert plain_text(None, one_line=True) == "" == plain_text("", one_line=False)


def test_text_that_skips_the_parser_is_what_the_parser_would_give() -> None:
    # Text with no tag or reference opening skips nh3 (the hot path of a 100,000-row feed);
    # for any mix of the characters that matter, that shortcut gives what nh3 would
    from pinterest_agent.agents import plain_text as module

    rng = random.Random(23)
    alphabet = ["<", ">", "&", "#", ";", "/", "!", "?", "a", "B", "3", " ", "\n", "\t", "=",
                '"', "'", "-", "é", "amp", "lt", "b>", "p>", "x"]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        for one_line in (True, False):
            with_parser = module._markup_to_text(text)
            expected = (" ".join(with_parser.split()) if one_line else "\n".join(
                line for line in (" ".join(x.split()) for x in with_parser.splitlines()) if line))
            assert plain_text(text, one_line=one_line) == expected, text
