"""The writer: a ``PinBrief`` becomes Pinterest copy (``PinCopy``) through the LLM seam.

The model fills ``PinCopy`` from the ``pin_copy`` template; pydantic enforces the hard limits and
:func:`copy_problems` the rules a schema cannot say (:data:`COPY_RULES`, one function each: the
link unchanged, no URLs in the text, few hashtags and none in the description, the description
with its hashtags within 800 characters, no earlier Pin's title, the main keyword early in the
title, nothing the brief does not state: see :mod:`agents.grounding`). Any problem gets the
seam's one repair round, then ``LLMOutputInvalidError``.

The model's answer is plain text where it becomes ``PinCopy``: its title, description, alt text,
keywords are validated as message text is (:mod:`agents.messages`, through
:func:`agents.plain_text.plain_text`: markup stripped, entities decoded, whitespace normalised;
control characters, bidi overrides, line separators on one line and markup-only text refused, so
the repair round names them); a hashtag is ``#`` and word characters only.

The link is never the model's to choose: whatever it answers, the returned copy's ``link`` is the
brief's ``destination_url``, and an answer that tried another link (or put any URL in the text,
e.g. because the brief carried a prompt injection) is sent back for repair or fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from pinterest_agent.agents.grounding import brief_grounds, grounding_problems
from pinterest_agent.agents.llm import LLMResult, StructuredLLM
from pinterest_agent.agents.messages import FlatProse, Line, PinBrief, Prose, TrendKeyword
from pinterest_agent.agents.text_rules import (
    find_urls,
    hashtags_in,
    keyword_position,
    plain_words,
)

__all__ = [
    "ALT_TEXT_MAX",
    "COPY_RULES",
    "DESCRIPTION_MAX",
    "DESCRIPTION_TARGET",
    "HASHTAGS_MAX",
    "KEYWORDS_MAX",
    "KEYWORD_WITHIN",
    "TEMPLATE",
    "TITLE_MAX",
    "CopyRule",
    "PinCopy",
    "WriterResult",
    "copy_limits",
    "copy_problems",
    "copy_variables",
    "description_length_rule",
    "force_brief_link",
    "grounding_rule",
    "hashtag_count_rule",
    "hashtags_in_description_rule",
    "keyword_rule",
    "keyword_source",
    "keyword_source_rule",
    "link_rule",
    "offered_trends",
    "post_description",
    "repeated_title_rule",
    "trends_used",
    "url_in_text_rule",
    "write_copy",
]

TEMPLATE = "pin_copy"
TITLE_MAX = 100
DESCRIPTION_TARGET = 500
DESCRIPTION_MAX = 800
ALT_TEXT_MAX = 500
HASHTAGS_MAX = 3
KEYWORDS_MAX = 8
KEYWORD_WITHIN = 40
"""The main keyword must start within this many characters of the title."""

log = logging.getLogger(__name__)

Hashtag = Annotated[str, Field(pattern=r"^#\w{1,50}$")]
"""``#`` and word characters: plain text by its pattern (which the model sees in the schema)."""
Keyword = Annotated[Line, Field(min_length=1, max_length=60)]


class PinCopy(BaseModel):
    """The words of one Pin."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    title: Line = Field(min_length=1, max_length=TITLE_MAX)
    description: Prose = Field(min_length=1, max_length=DESCRIPTION_MAX)
    alt_text: FlatProse = Field(min_length=1, max_length=ALT_TEXT_MAX)
    link: str = Field(min_length=1, max_length=2048)
    keywords: list[Keyword] = Field(max_length=KEYWORDS_MAX)
    hashtags: list[Hashtag] = Field(max_length=HASHTAGS_MAX)


@dataclass(frozen=True, slots=True)
class WriterResult:
    """The copy (``link`` always the brief's) and the LLM call that wrote it."""

    copy: PinCopy
    llm: LLMResult[PinCopy]


def copy_limits() -> dict[str, int]:
    return {
        "title_max": TITLE_MAX,
        "keyword_within": KEYWORD_WITHIN,
        "description_target": DESCRIPTION_TARGET,
        "description_max": DESCRIPTION_MAX,
        "alt_text_max": ALT_TEXT_MAX,
        "keywords_max": KEYWORDS_MAX,
        "hashtags_max": HASHTAGS_MAX,
    }


def copy_variables(brief: PinBrief) -> dict[str, Any]:
    """The ``pin_copy`` template's variables: the brief's facts (as data), the limits, and the
    trending keywords it may use (``trends``: keyword and growth, empty when none)."""
    facts = brief.model_dump(
        mode="json",
        include={"kind", "name", "summary", "destination_url", "audience", "keywords", "tone",
                 "locale", "title_angle", "avoid_titles"},
        exclude_none=True,
    )
    if not facts.get("avoid_titles"):
        facts.pop("avoid_titles", None)
    trends = [{"keyword": trend.keyword, "growth": _growth_words(trend)}
              for trend in offered_trends(brief)]
    return {"brief": facts, "locale": brief.locale, "limits": copy_limits(),
            "angle": brief.title_angle, "trends": trends}


def offered_trends(brief: PinBrief) -> list[TrendKeyword]:
    """The trending keywords the writer may use for *brief* (none when it opted out)."""
    return list(brief.trend_keywords) if brief.use_trends else []


def _growth_words(trend: TrendKeyword) -> str:
    parts = [f"{value:+.0f}% {span}" for value, span in (
        (trend.pct_growth_wow, "week on week"), (trend.pct_growth_mom, "month on month"),
        (trend.pct_growth_yoy, "year on year")) if value is not None]
    return ", ".join(parts) or trend.trend_type


def post_description(copy: PinCopy) -> str:
    """The Pin's description: the copy's description with its hashtags after it."""
    return " ".join([copy.description, *copy.hashtags]) if copy.hashtags else copy.description


def link_rule(copy: PinCopy, brief: PinBrief) -> list[str]:
    """The link is the brief's ``destination_url``, character for character."""
    if copy.link == brief.destination_url:
        return []
    return [f"link must be exactly {brief.destination_url} (the brief's destination_url, "
            "character for character)"]


def url_in_text_rule(copy: PinCopy, brief: PinBrief) -> list[str]:
    """No URL or domain in the title, description, alt text or keywords."""
    problems = []
    for field, text in (("title", copy.title), ("description", copy.description),
                        ("alt_text", copy.alt_text), ("keywords", " ".join(copy.keywords))):
        urls = find_urls(text)
        if urls:
            problems.append(
                f"{field} contains a URL ({urls[0]}); write no URLs or domains in the text, "
                "the link field carries the destination"
            )
    return problems


def hashtag_count_rule(copy: PinCopy, brief: PinBrief) -> list[str]:
    """At most ``HASHTAGS_MAX`` hashtags, in the list and in the description together."""
    tags = len(copy.hashtags) + len(hashtags_in(copy.description))
    return [f"use at most {HASHTAGS_MAX} hashtags in total, not {tags}"] \
        if tags > HASHTAGS_MAX else []


def hashtags_in_description_rule(copy: PinCopy, brief: PinBrief) -> list[str]:
    """Hashtags go in the hashtags list, none in the description."""
    return ["put hashtags in the hashtags list, not inside the description"] \
        if hashtags_in(copy.description) else []


def description_length_rule(copy: PinCopy, brief: PinBrief) -> list[str]:
    """The description with its hashtags after it fits Pinterest's ``DESCRIPTION_MAX``."""
    if len(post_description(copy)) <= DESCRIPTION_MAX:
        return []
    return [f"description plus hashtags must fit in {DESCRIPTION_MAX} characters; shorten the "
            f"description (aim for {DESCRIPTION_TARGET})"]


def repeated_title_rule(copy: PinCopy, brief: PinBrief) -> list[str]:
    """The title is none of the item's earlier Pins' (``avoid_titles``)."""
    earlier = {_comparable(title) for title in brief.avoid_titles}
    if _comparable(copy.title) not in earlier:
        return []
    return ["title repeats an earlier Pin's title for the same item; write a different title "
            f"(angle: {brief.title_angle or 'another angle'}), not one of: "
            + "; ".join(brief.avoid_titles)]


def keyword_rule(copy: PinCopy, brief: PinBrief) -> list[str]:
    """The brief's main keyword starts within ``KEYWORD_WITHIN`` characters of the title."""
    if not brief.keywords:
        return []
    main = brief.keywords[0]
    position = keyword_position(main, copy.title)
    if position is not None and position <= KEYWORD_WITHIN:
        return []
    return [f"title must contain the main keyword {main!r} within its first "
            f"{KEYWORD_WITHIN} characters"]


def grounding_rule(copy: PinCopy, brief: PinBrief) -> list[str]:
    """Nothing the brief does not state (:mod:`agents.grounding`)."""
    return grounding_problems(
        {"title": copy.title, "description": copy.description, "alt_text": copy.alt_text,
         "keywords": copy.keywords, "hashtags": copy.hashtags},
        brief_grounds(brief),
    )


def keyword_source_rule(copy: PinCopy, brief: PinBrief) -> list[str]:
    """Every keyword comes from the brief (its keywords, name, summary or audience) or from the
    trending keywords it was offered: none is invented."""
    invented = [keyword for keyword in copy.keywords if keyword_source(keyword, brief) is None]
    if not invented:
        return []
    offered = [trend.keyword for trend in offered_trends(brief)]
    allowed = "the brief's keywords or words" + (
        " or these trending keywords: " + "; ".join(offered) if offered else "")
    return ["keywords must come from " + allowed + "; drop or replace: "
            + "; ".join(repr(keyword) for keyword in invented)]


def keyword_source(keyword: str, brief: PinBrief) -> str | TrendKeyword | None:
    """Where a Pin keyword comes from: ``"brief"``, the trend it matches, or None (invented).
    Compared as words, case, punctuation and plurals aside."""
    words = plain_words(keyword)
    if not words:
        return "brief"
    for own in brief.keywords:
        if plain_words(own) == words:
            return "brief"
    for trend in offered_trends(brief):
        if plain_words(trend.keyword) == words:
            return trend
    text = plain_words(" ".join([brief.name, brief.summary, brief.audience or ""]))
    span = len(words)
    if any(text[start:start + span] == words for start in range(len(text) - span + 1)):
        return "brief"
    return None


def trends_used(copy: PinCopy, brief: PinBrief) -> list[TrendKeyword]:
    """The offered trending keywords the copy uses, each once: as one of its keywords, or in
    its title or description (for the Pin's record)."""
    text = plain_words(" ".join([copy.title, copy.description]))
    used: list[TrendKeyword] = []
    for trend in offered_trends(brief):
        words = plain_words(trend.keyword)
        in_keywords = any(plain_words(keyword) == words for keyword in copy.keywords)
        in_text = bool(words) and any(text[i:i + len(words)] == words
                                      for i in range(len(text) - len(words) + 1))
        if (in_keywords or in_text) and trend not in used:
            used.append(trend)
    return used


CopyRule = Callable[[PinCopy, PinBrief], list[str]]
COPY_RULES: tuple[CopyRule, ...] = (
    link_rule, url_in_text_rule, hashtag_count_rule, hashtags_in_description_rule,
    description_length_rule, repeated_title_rule, keyword_rule, keyword_source_rule,
    grounding_rule,
)
"""What :func:`copy_problems` checks, in order; each rule is a function of the copy and brief."""


def copy_problems(copy: PinCopy, brief: PinBrief) -> list[str]:
    """The rules ``PinCopy``'s schema cannot express (:data:`COPY_RULES`), as sentences the
    model can act on."""
    return [problem for rule in COPY_RULES for problem in rule(copy, brief)]


def force_brief_link(copy: PinCopy, brief: PinBrief) -> PinCopy:
    """The copy with the brief's ``destination_url`` as its link: the last guard, after the
    checks (which already send any other link back), so no path returns another link."""
    if copy.link == brief.destination_url:
        return copy
    return copy.model_copy(update={"link": brief.destination_url})


def _comparable(title: str) -> str:
    """A title as compared with earlier ones: case, punctuation and spacing ignored."""
    return " ".join("".join(c if c.isalnum() else " " for c in title.casefold()).split())


def write_copy(brief: PinBrief, llm: StructuredLLM) -> WriterResult:
    """Ask the model for the brief's copy; the link is forced to the brief's destination."""
    result = llm.generate(
        template=TEMPLATE,
        variables=copy_variables(brief),
        output=PinCopy,
        check=lambda copy: copy_problems(copy, brief),
    )
    copy = force_brief_link(result.value, brief)
    if len(copy.description) > DESCRIPTION_TARGET:
        log.info(
            "pin description over the %d-character target: %d characters (brief %s)",
            DESCRIPTION_TARGET, len(copy.description), brief.brief_id,
        )
    return WriterResult(copy=copy, llm=result)
