"""Plain text from whatever a feed, a brief, a post or a model sends: :func:`plain_text`.

Every text that becomes a Pin's title, description, alt text, image headline, keyword or hashtag
goes through it where it enters (feed items, message fields, the model's answers), so markup
never reaches a Pin: ``<script>alert(1)</script>Caf&eacute; &amp; Co <b>Mug</b>`` becomes
``Café & Co Mug``.

The HTML is read by `nh3 <https://nh3.readthedocs.io>`_ (the Rust sanitizer ammonia over
html5ever, the HTML5 parser browsers' rules are written for): it reads tags and character
references as a browser would, drops ``script``, ``style`` and ``template`` with their content
and every other tag but a few block elements, which it writes back in one canonical form
(``<p>``, ``</p>``, ``<br>``: no attributes) so they can become line breaks; its escaped output
is then decoded once with :func:`html.unescape`. So ``a < b`` and ``5 > 3`` stay text (a ``<``
that does not open a tag is text to HTML5 too), and text that *spells* markup stays that text:
``&amp;lt;b&amp;gt;`` becomes ``&lt;b&gt;``, not a tag. (nh3 over BeautifulSoup: an HTML5
parser rather than ``html.parser``'s approximation, script content gone without a walk of the
tree, and a few microseconds a call where a feed has 100,000 rows; bleach is deprecated.)

Whitespace is normalised: on one line, every run of whitespace (newlines included) is one
space; in prose, each line's runs are one space and blank lines are dropped. U+2028 and U+2029
(line and paragraph separators) are refused in one-line text (:class:`LineSeparatorError`): a
title or headline that carries one may render on two lines wherever it is shown, and the sender
should know rather than have it silently changed; in prose they are line breaks.

Text in which no ``<`` opens a tag (a letter, ``/``, ``!`` or ``?`` after it) and no ``&`` starts a
character reference (``#`` or a letter after it) cannot hold markup and skips the parser: to
HTML5 such a ``<`` or ``&`` is text, so the parser would give it back unchanged (Google's own
category paths, ``Home & Garden > Linens & Bedding``, are that kind of text).
"""

from __future__ import annotations

import html
import re

import nh3

__all__ = ["LINE_SEPARATORS", "LineSeparatorError", "plain_text"]

LINE_SEPARATORS = frozenset("\u2028\u2029")
"""Refused in one-line text."""
_MAY_BE_MARKUP = re.compile(r"<[A-Za-z/!?]|&[#A-Za-z]")
"""Where a tag, comment or character reference could start (anything else is text to HTML5)."""
DROPPED_WITH_CONTENT = frozenset({"script", "style", "template"})
"""Elements whose content is code or inert markup, never text a reader sees."""
BLOCKS = frozenset({"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
                    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
                    "header", "hr", "li", "ol", "p", "pre", "section", "table", "tr", "ul"})
"""Elements that start a new line of text (kept by nh3 in canonical form, then turned into
line breaks)."""
_BREAKS = tuple(form for tag in sorted(BLOCKS) for form in (f"<{tag}>", f"</{tag}>"))


class LineSeparatorError(ValueError):
    """One-line text with U+2028 or U+2029 in it (a ``ValueError``, so a pydantic validator
    reports it for its field)."""


def _markup_to_text(value: str) -> str:
    cleaned = nh3.clean(value, tags=set(BLOCKS), clean_content_tags=set(DROPPED_WITH_CONTENT),
                        attributes={}, strip_comments=True, link_rel=None)
    # Only the allowed block elements are left, with no attributes, in nh3's canonical form
    # (any ``<`` of the text itself is escaped as ``&lt;``): each is a line break.
    for form in _BREAKS:
        if form in cleaned:
            cleaned = cleaned.replace(form, "\n")
    return html.unescape(cleaned)


def plain_text(value: str | None, *, one_line: bool) -> str:
    """*value* as plain text: tags stripped (``script``/``style`` with their content),
    character references decoded once, whitespace normalised.

    ``one_line``: all of it on one line (titles, alt text, headlines, keywords, hashtags,
    names); raises :class:`LineSeparatorError` when it holds U+2028 or U+2029, typed or as a
    character reference. Otherwise prose: line breaks kept, blank lines dropped.
    """
    if not value:
        return ""
    text = _markup_to_text(value) if _MAY_BE_MARKUP.search(value) else value
    if one_line:
        found = next((c for c in LINE_SEPARATORS if c in text), None)  # str's own search
        if found is not None:
            name = "line" if found == "\u2028" else "paragraph"
            raise LineSeparatorError(
                f"contains a {name} separator (U+{ord(found):04X}); one-line text cannot "
                "hold one, send a space instead")
        return " ".join(text.split())
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
