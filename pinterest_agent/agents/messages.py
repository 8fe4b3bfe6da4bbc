"""The versioned messages upstream agents put on the queues.

Each model carries ``schema_version``; ``pinterest-agent schema`` prints their JSON Schema so a
producer in any language can validate before enqueueing. Limits mirror Pinterest's v5 spec
(``PinCreate``: title 100, description 800, alt_text 500, link 2048) so bad input is rejected
before any request, with the field named.

Every text a Pin shows (titles, descriptions, alt text, a brief's name, summary, keywords...) is
plain text once validated (:func:`agents.plain_text.plain_text`): tags stripped, character
references decoded, whitespace normalised; one that holds nothing but markup, a control
character or a bidi override (typed or as a character reference), or, on one line, U+2028 or
U+2029, is refused. Links are never read as text: one with a quote, ``<`` or ``>`` is refused.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    field_validator,
    model_validator,
)

from pinterest_agent.agents.ids import ID_PATTERN
from pinterest_agent.agents.plain_text import plain_text

__all__ = [
    "SCHEMA_VERSION",
    "CarouselItem",
    "CarouselMedia",
    "FlatProse",
    "ImageBase64Media",
    "ImageRefMedia",
    "ImageUrlMedia",
    "InsightsRequest",
    "Line",
    "Media",
    "PinBrief",
    "PostUpdate",
    "Prose",
    "SocialPost",
    "TrendKeyword",
    "UpdateTarget",
    "VideoMedia",
]

SCHEMA_VERSION = 1

IMAGE_MAX_BYTES = 20 * 1024 * 1024
"""Pinterest's largest image."""
IMAGE_BASE64_MAX = 4 * -(-IMAGE_MAX_BYTES // 3)
"""That image in base64: 27,962,028 characters."""
TITLE_MAX = 100
DESCRIPTION_MAX = 800
ALT_TEXT_MAX = 500
LINK_MAX = 2048

_ID_RE = ID_PATTERN
PIN_LAYOUTS = ("band", "split", "collage", "typographic")
"""The Pin designs the renderer knows (``agents.design.layouts``)."""
_PIN_ID_RE = r"^[0-9]+$"  # Pinterest's ^\d+$ in ASCII (\d matches every script's digits)
_HEX_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")


_NOT_IN_LINKS = frozenset('"<>')


def _no_markup(url: str) -> str:
    found = next((c for c in url if c in _NOT_IN_LINKS), None)
    if found is not None:
        raise ValueError(f"must not contain {found!r} (percent-encode it: a link is not text)")
    return url


def _https(url: str) -> str:
    _no_markup(url)
    if not url.lower().startswith("https://"):
        raise ValueError("must be an https:// URL (Pinterest Pins link to secure pages)")
    if len(url) > LINK_MAX:
        raise ValueError(f"must be at most {LINK_MAX} characters")
    return url


def _web_url(url: str) -> str:
    _no_markup(url)
    if not url.lower().startswith(("https://", "http://")):
        raise ValueError("must be an http(s):// URL")
    return url


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_PROSE_WHITESPACE = frozenset("\n\r\t")


_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff]")
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _unsafe_character(text: str, allowed: frozenset[str]) -> str | None:
    """The first character not allowed in message text, described (None when all are fine)."""
    found = (_UNSAFE if allowed else _UNSAFE_LINE).search(text)
    if found is None:
        return None
    char = found.group()
    if char in _BIDI_CONTROLS:
        return f"a bidirectional override (U+{ord(char):04X})"
    if "\ud800" <= char <= "\udfff":
        return f"an unpaired surrogate (U+{ord(char):04X})"
    return f"a control character (U+{ord(char):04X})"


def _refuse_unsafe(text: str, allowed: frozenset[str]) -> None:
    found = _unsafe_character(text, allowed)
    if found is not None:
        where = " on one line" if not allowed else ""
        raise ValueError(f"must be plain text{where}; it contains {found}")


def _plain(text: str, allowed: frozenset[str], *, one_line: bool) -> str:
    """*text* as plain text, refusing what plain text must not hold, before and after its
    character references are decoded (``&#x202e;`` is a bidi override too)."""
    _refuse_unsafe(text, allowed)
    plain = plain_text(text, one_line=one_line)  # LineSeparatorError is a ValueError
    _refuse_unsafe(plain, frozenset() if one_line else allowed)
    if not plain and text.strip():
        raise ValueError("must be text; it holds nothing but markup")
    return plain


def _line(text: str) -> str:
    """One line of plain text: no control characters (newlines included), no bidi overrides,
    no line or paragraph separator."""
    return _plain(text, frozenset(), one_line=True)


def _prose(text: str) -> str:
    """Plain text that may span lines: tabs and newlines, but no other control characters and
    no bidirectional overrides (they can make a Pin read differently from what was checked)."""
    return _plain(text, _PROSE_WHITESPACE, one_line=False)


def _flat(text: str) -> str:
    """Text that may arrive with line breaks but is used on one line (alt text, read aloud):
    line breaks become spaces; U+2028 and U+2029 are refused as on any line."""
    return _plain(text, _PROSE_WHITESPACE, one_line=True)


def _no_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    return value


def _iso_datetime(value: object) -> object:
    if not isinstance(value, str | datetime):
        raise ValueError("must be an ISO 8601 string with an offset, e.g. 2026-11-23T09:00:00Z")
    return value


Line = Annotated[str, AfterValidator(_line)]
Prose = Annotated[str, AfterValidator(_prose)]
FlatProse = Annotated[str, AfterValidator(_flat)]
StrictInt = Annotated[int, Strict()]
Version = Annotated[Literal[1], BeforeValidator(_no_bool)]
Instant = Annotated[datetime, BeforeValidator(_iso_datetime)]

HttpsLink = Annotated[str, Field(max_length=LINK_MAX), AfterValidator(_https)]
WebUrl = Annotated[str, Field(max_length=LINK_MAX), AfterValidator(_web_url)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class ImageUrlMedia(_Message):
    """A public image Pinterest fetches itself (``media_source.source_type = image_url``)."""

    type: Literal["image_url"] = "image_url"
    url: WebUrl


class ImageBase64Media(_Message):
    """Image bytes sent inline (``image_base64``): for private assets. At most Pinterest's
    20 MiB image; the bytes travel in the message, so prefer ``image_url`` for large images."""

    type: Literal["image_base64"] = "image_base64"
    content_type: Literal["image/jpeg", "image/png"]
    data: str = Field(pattern=r"^[a-zA-Z0-9+/=]+$", min_length=4, max_length=IMAGE_BASE64_MAX,
                      repr=False)


class ImageRefMedia(_Message):
    """A rendered image the worker stored itself, by content hash (``image_ref``).

    The writer sends this to the publisher instead of the image's bytes: the image is stored
    once for ``PINTEREST_AGENT_IMAGE_TTL_DAYS`` days (counted from the post's ``scheduled_at``
    when later), and the publisher sends it to Pinterest as ``image_base64``. A reference to an
    image no longer stored fails with ``image_expired``. Upstream producers send
    ``image_url`` or ``image_base64`` instead.
    """

    type: Literal["image_ref"] = "image_ref"
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$",
                        description="SHA-256 (hex) of the stored image's bytes.")
    content_type: Literal["image/jpeg", "image/png"]


class CarouselItem(_Message):
    url: WebUrl
    title: Line | None = Field(default=None, max_length=TITLE_MAX)
    description: Prose | None = Field(default=None, max_length=DESCRIPTION_MAX)
    link: HttpsLink | None = None


class CarouselMedia(_Message):
    """2 to 5 images (``multiple_image_urls``)."""

    type: Literal["carousel"] = "carousel"
    items: list[CarouselItem] = Field(min_length=2, max_length=5)


class VideoMedia(_Message):
    """A video Pin (MP4 or MOV): the worker fetches the file, uploads it to Pinterest, waits
    for processing and creates the Pin from the upload (``video_id``).

    The cover is ``cover_image_url`` or the frame at ``cover_key_frame_time_s``, not both;
    with neither, the first frame (key frame 0) is the cover.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "not": {
                "properties": {
                    "cover_image_url": {"type": "string"},
                    "cover_key_frame_time_s": {"type": "integer"},
                },
                "required": ["cover_image_url", "cover_key_frame_time_s"],
            }
        }
    )

    type: Literal["video"] = "video"
    url: WebUrl = Field(description="The MP4/MOV file; fetched by the worker (SSRF-safe).")
    cover_image_url: HttpsLink | None = Field(
        default=None, description="Cover image Pinterest fetches; or use cover_key_frame_time_s."
    )
    cover_key_frame_time_s: StrictInt | None = Field(
        default=None, ge=0,
        description="Second of the video used as the cover (past the end: the last frame). "
        "With no cover given, 0.",
    )

    @model_validator(mode="after")
    def _one_cover(self) -> VideoMedia:
        if self.cover_image_url is not None and self.cover_key_frame_time_s is not None:
            raise ValueError(
                "give one cover: cover_image_url or cover_key_frame_time_s, not both"
            )
        return self

    @property
    def key_frame_time_s(self) -> int | None:
        """The key frame to use as the cover: None when a cover image is given, else 0 by
        default (Pinterest refuses a video Pin without a cover)."""
        if self.cover_image_url is not None:
            return None
        return self.cover_key_frame_time_s if self.cover_key_frame_time_s is not None else 0


Media = Annotated[
    ImageUrlMedia | ImageBase64Media | ImageRefMedia | CarouselMedia | VideoMedia,
    Field(discriminator="type"),
]


class SocialPost(_Message):
    """A finished post to publish, on ``agent__social-publisher``.

    ``post_id`` is the business key: the same ``post_id`` is published at most once, however many
    times the message is delivered or enqueued.
    """

    schema_version: Version = Field(
        description="Message format version; this worker reads version 1."
    )
    post_id: str = Field(pattern=_ID_RE, description="Upstream's unique id for this post.")
    platform: str = Field(min_length=1, max_length=40, description='"pinterest" is supported.')
    channel_id: str = Field(pattern=_ID_RE, description="A channel connected to this worker.")
    board_id: str | None = Field(default=None, pattern=_PIN_ID_RE)
    board_section_id: str | None = Field(default=None, pattern=_PIN_ID_RE)
    title: Line = Field(min_length=1, max_length=TITLE_MAX)
    description: Prose = Field(default="", max_length=DESCRIPTION_MAX)
    link: HttpsLink
    alt_text: FlatProse | None = Field(default=None, max_length=ALT_TEXT_MAX)
    dominant_color: str | None = Field(default=None, description="Hex colour like #6E7874.")
    media: Media
    scheduled_at: Instant | None = Field(
        default=None, description="Publish no earlier than this instant (ISO 8601 with offset)."
    )

    @field_validator("dominant_color")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is not None and not _HEX_RE.match(value):
            raise ValueError("must be a hex colour like #6E7874")
        return value

    @field_validator("scheduled_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a UTC offset, e.g. 2026-11-23T09:00:00Z")
        return value.astimezone(UTC) if value is not None else None


class UpdateTarget(_Message):
    """The Pin a brief's new copy goes to (``PinBrief.update_of``)."""

    pin_id: str = Field(pattern=_PIN_ID_RE)
    revision: StrictInt = Field(
        ge=0, description="Later revisions win: an older update never overwrites a newer one."
    )


class TrendKeyword(BaseModel):
    """A keyword Pinners are searching now (Pinterest Trends), offered to the writer with its
    figures so the Pin's record can say where it came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keyword: Line = Field(min_length=1, max_length=100)
    trend_type: Literal["growing", "monthly", "yearly", "seasonal"]
    region: str = Field(min_length=2, max_length=20, pattern=r"^[A-Z+]+$")
    pct_growth_wow: float | None = Field(default=None, description="Growth week over week, %.")
    pct_growth_mom: float | None = Field(default=None, description="Growth month over month, %.")
    pct_growth_yoy: float | None = Field(default=None, description="Growth year over year, %.")


class PinBrief(_Message):
    """A product or article to turn into a Pin, on ``agent__social-post-writer``."""

    schema_version: Version
    brief_id: str = Field(pattern=_ID_RE, description="Upstream's unique id; also the post id.")
    channel_id: str = Field(pattern=_ID_RE)
    kind: Literal["product", "recipe", "how-to", "article", "other"] = "other"
    name: Line = Field(min_length=1, max_length=200)
    summary: Prose = Field(min_length=1, max_length=4000)
    destination_url: HttpsLink
    source_image_urls: list[WebUrl] = Field(default_factory=list, max_length=5)
    audience: Prose | None = Field(default=None, max_length=300)
    keywords: list[Annotated[Line, Field(min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=20
    )
    tone: Line | None = Field(default=None, max_length=100)
    locale: str = Field(default="en-US", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    board_hint: Line | None = Field(default=None, max_length=180)
    board_id: str | None = Field(default=None, pattern=_PIN_ID_RE)
    scheduled_at: Instant | None = None
    publish: Annotated[bool, Strict()] = False
    # Catalog variations (all optional; a plain brief leaves them out).
    board_section_id: str | None = Field(default=None, pattern=_PIN_ID_RE)
    layout: Literal["band", "split", "collage", "typographic"] | None = Field(
        default=None,
        description="The Pin's design: band (headline band on the photo, the default), split "
        "(photo above a text panel), collage (2-3 of the source images) or typographic (no "
        "photo; also used when the brief has no image and image generation is off).",
    )
    title_angle: Line | None = Field(
        default=None, max_length=60,
        description="How this Pin's title approaches the subject (a variation of an earlier "
        "Pin): search, benefit, question, occasion or detail.",
    )
    avoid_titles: list[Annotated[Line, Field(max_length=TITLE_MAX)]] = Field(
        default_factory=list, max_length=20,
        description="Titles of earlier Pins of the same item: the new title must differ.",
    )
    update_of: UpdateTarget | None = Field(
        default=None,
        description="Rewrite the copy of this existing Pin instead of making a new one: the "
        "writer writes copy only and hands the publisher a PostUpdate.",
    )
    use_trends: Annotated[bool, Strict()] = Field(
        default=True,
        description="Offer the writer the channel's trending keywords (Pinterest Trends) that "
        "match this brief; false keeps the Pin to the brief's own words.",
    )
    trend_keywords: list[TrendKeyword] = Field(
        default_factory=list, max_length=10,
        description="Trending keywords the writer may use besides the brief's; the worker "
        "fills it from the channel's Pinterest Trends when it is empty and use_trends is true.",
    )

    @field_validator("scheduled_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a UTC offset, e.g. 2026-11-23T09:00:00Z")
        return value.astimezone(UTC) if value is not None else None


class PostUpdate(_Message):
    """Change an existing Pin (``PATCH /pins/{pin_id}``), on ``agent__social-publisher``.

    ``update_id`` is the business key: one ``update_id`` is applied at most once. Of several
    updates of one Pin, the one with the highest ``revision`` wins: an older one arriving late is
    recorded as ``superseded`` and not sent. ``board_id`` (with ``board_section_id``) moves the
    Pin, e.g. to an archive board when its product is sold out.
    """

    schema_version: Version
    update_id: str = Field(pattern=_ID_RE, description="Unique id of this change.")
    platform: str = Field(min_length=1, max_length=40, description='"pinterest" is supported.')
    channel_id: str = Field(pattern=_ID_RE)
    pin_id: str = Field(pattern=_PIN_ID_RE)
    revision: StrictInt = Field(default=0, ge=0)
    post_id: str | None = Field(default=None, pattern=_ID_RE,
                                description="The post that made the Pin, for the record.")
    title: Line | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    description: Prose | None = Field(default=None, max_length=DESCRIPTION_MAX)
    link: HttpsLink | None = None
    alt_text: FlatProse | None = Field(default=None, max_length=ALT_TEXT_MAX)
    board_id: str | None = Field(default=None, pattern=_PIN_ID_RE)
    board_section_id: str | None = Field(default=None, pattern=_PIN_ID_RE)

    @model_validator(mode="after")
    def _changes_something(self) -> PostUpdate:
        fields = (self.title, self.description, self.link, self.alt_text, self.board_id,
                  self.board_section_id)
        if all(value is None for value in fields):
            raise ValueError("an update changes at least one of title, description, link, "
                             "alt_text, board_id, board_section_id")
        return self


class InsightsRequest(_Message):
    """Ask for one channel's weekly insight, on ``agent__pinterest-insights``."""

    schema_version: Version
    channel_id: str = Field(pattern=_ID_RE)
    period_days: StrictInt = Field(default=30, ge=7, le=89)
    requested_at: Instant | None = None

