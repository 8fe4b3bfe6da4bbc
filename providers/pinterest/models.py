"""Typed payloads of the Pinterest v5 endpoints this provider uses.

Two kinds of model live here:

* **Requests** (:class:`PinCreate` and its media sources) mirror the spec's schemas and enforce
  Pinterest's limits locally, so a bad Pin fails before any request with a
  :class:`~providers.pinterest.errors.PinterestValidationError` naming the field
  (``title``, ``media_source.items.2.link``, ...). They forbid unknown fields: nothing the spec
  does not know (such as the removed ``note``) can be sent.
* **Responses** (:class:`Pin`, :class:`Board`, ...) are lenient: they ignore fields they do not
  know and only require ``id``, so a new field from Pinterest never breaks a worker. The ids
  they carry are held to the spec's patterns (digits only for Pin, board, media and account ids):
  an id ends up in stored URLs, Redis keys and request paths, so one that breaks its pattern is
  an ``unexpected_response`` (:func:`~providers.pinterest.client.parse_model`), never stored.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

from providers.pinterest.errors import PinterestValidationError

__all__ = [
    "ALT_TEXT_MAX",
    "CAROUSEL_MAX",
    "CAROUSEL_MIN",
    "DESCRIPTION_MAX",
    "LINK_MAX",
    "SECTION_NAME_MAX",
    "TITLE_MAX",
    "Account",
    "Board",
    "BoardOwner",
    "BoardSection",
    "ImageBase64Source",
    "ImageUrlItem",
    "ImageUrlSource",
    "MediaSource",
    "MediaStatus",
    "MediaUpload",
    "MultipleImageUrlsSource",
    "Pin",
    "PinCreate",
    "PinUpdate",
    "VideoIdSource",
    "require_id",
]

TITLE_MAX = 100
DESCRIPTION_MAX = 800
ALT_TEXT_MAX = 500
LINK_MAX = 2048
SECTION_NAME_MAX = 180
CAROUSEL_MIN = 2
CAROUSEL_MAX = 5

ID_PATTERN = r"^[0-9]+$"  # the spec's ^\d+$, in ASCII: \d also matches other scripts' digits
HEX_COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
BASE64_PATTERN = r"^[a-zA-Z0-9+/=]+$"
WEB_URL_PATTERN = r"^https?://\S+$"

NumericId = Annotated[str, Field(pattern=ID_PATTERN)]
ImageContentType = Literal["image/jpeg", "image/png"]
Title = Annotated[str, Field(max_length=TITLE_MAX)]
Description = Annotated[str, Field(max_length=DESCRIPTION_MAX)]
Link = Annotated[str, Field(max_length=LINK_MAX)]
WebUrl = Annotated[str, Field(pattern=WEB_URL_PATTERN)]

_SOURCE_TYPES = frozenset({"image_url", "image_base64", "multiple_image_urls", "video_id"})
_validating: ContextVar[int] = ContextVar("pinterest_request_validation_depth", default=0)


def require_id(value: str, field: str) -> str:
    """Return ``value`` if it is a numeric Pinterest id, else raise naming ``field``."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise PinterestValidationError(
            f"{field} must be a numeric Pinterest id (digits only), got {value!r:.40}.",
            field=field,
        )
    return value


class _Problem(ValueError):
    """A cross-field rule broken; ``field`` names where to look."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class _Request(BaseModel):
    """A request body: strict, frozen, and failing as ``PinterestValidationError``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def _check(self) -> None:
        """Cross-field rules; raise :class:`_Problem`. Runs after the field checks."""

    @model_validator(mode="wrap")
    @classmethod
    def _as_pinterest_error(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        # Only the outermost model converts, so a nested failure keeps its full field path.
        outermost = _validating.get() == 0
        token = _validating.set(_validating.get() + 1)
        try:
            model = handler(data)
            model._check()
            return model
        except ValidationError as exc:
            if not outermost:
                raise
            raise _validation_error(cls.__name__, exc) from None
        except _Problem as exc:
            if not outermost:
                raise
            raise PinterestValidationError(
                f"{cls.__name__} is not a valid Pinterest request: {exc}.", field=exc.field
            ) from None
        finally:
            _validating.reset(token)


class ImageUrlSource(_Request):
    """A public image Pinterest fetches itself (``source_type: image_url``)."""

    source_type: Literal["image_url"] = "image_url"
    url: WebUrl
    is_standard: bool | None = None


class ImageBase64Source(_Request):
    """Image bytes sent inline (``source_type: image_base64``), JPEG or PNG."""

    source_type: Literal["image_base64"] = "image_base64"
    content_type: ImageContentType
    data: str = Field(pattern=BASE64_PATTERN, repr=False)
    is_standard: bool | None = None


class ImageUrlItem(_Request):
    """One image of a carousel, optionally with its own title, description and link."""

    url: WebUrl
    title: Title | None = None
    description: Description | None = None
    link: Link | None = None


class MultipleImageUrlsSource(_Request):
    """A carousel of 2 to 5 images (``source_type: multiple_image_urls``)."""

    source_type: Literal["multiple_image_urls"] = "multiple_image_urls"
    items: list[ImageUrlItem] = Field(min_length=CAROUSEL_MIN, max_length=CAROUSEL_MAX)
    index: int | None = Field(default=None, ge=0)


class VideoIdSource(_Request):
    """A video uploaded through ``/media`` (``source_type: video_id``) and its cover.

    Pinterest rejects a video Pin without a cover, so exactly one of ``cover_image_url``,
    ``cover_image_data`` (with ``cover_image_content_type``) or ``cover_image_key_frame_time``
    (seconds; past the end means the last frame) is required.
    """

    source_type: Literal["video_id"] = "video_id"
    media_id: NumericId
    cover_image_url: WebUrl | None = None
    cover_image_data: str | None = Field(default=None, pattern=BASE64_PATTERN, repr=False)
    cover_image_content_type: ImageContentType | None = None
    cover_image_key_frame_time: int | None = Field(default=None, ge=0)
    is_standard: bool | None = None

    def _check(self) -> None:
        if (self.cover_image_data is None) != (self.cover_image_content_type is None):
            raise _Problem(
                "cover_image_data and cover_image_content_type go together",
                "cover_image_content_type",
            )
        covers = [self.cover_image_url, self.cover_image_data, self.cover_image_key_frame_time]
        if sum(c is not None for c in covers) != 1:
            raise _Problem(
                "a video Pin needs exactly one cover: cover_image_url, cover_image_data with "
                "cover_image_content_type, or cover_image_key_frame_time (e.g. 0)",
                "cover_image_url",
            )


MediaSource = Annotated[
    ImageUrlSource | ImageBase64Source | MultipleImageUrlsSource | VideoIdSource,
    Field(discriminator="source_type"),
]


class PinCreate(_Request):
    """The body of ``POST /pins``. ``board_id`` and ``media_source`` are required in practice."""

    board_id: NumericId
    media_source: MediaSource
    board_section_id: NumericId | None = None
    title: Title | None = None
    description: Description | None = None
    link: Link | None = None
    alt_text: str | None = Field(default=None, max_length=ALT_TEXT_MAX)
    dominant_color: str | None = Field(default=None, pattern=HEX_COLOR_PATTERN)

    def to_payload(self) -> dict[str, Any]:
        """The JSON body: only fields that are set, all of them known to the spec."""
        return self.model_dump(mode="json", exclude_none=True)


class PinUpdate(_Request):
    """The body of ``PATCH /pins/{pin_id}`` (beta: not every app may call it).

    Only the fields that are set are sent; ``board_id`` (with ``board_section_id``) moves the Pin.
    """

    title: Title | None = None
    description: Description | None = None
    link: Link | None = None
    alt_text: str | None = Field(default=None, max_length=ALT_TEXT_MAX)
    board_id: NumericId | None = None
    board_section_id: NumericId | None = None

    def _check(self) -> None:
        if not self.to_payload():
            raise _Problem("a Pin update must change at least one field", "title")

    def to_payload(self) -> dict[str, Any]:
        """The JSON body: only fields that are set."""
        return self.model_dump(mode="json", exclude_none=True)


def _as_utc(value: datetime) -> datetime:
    """Pinterest's spec says RFC 3339 ``date-time``, yet timestamps without an offset are seen
    (``2026-11-24T10:45:44``): they are UTC, so every parsed timestamp is aware."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
"""A response timestamp, always timezone-aware (UTC when Pinterest wrote no offset)."""


class _Response(BaseModel):
    """A response body: tolerant of fields added by Pinterest after spec 5.23."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Account(_Response):
    """``GET /user_account``: who the token belongs to."""

    id: NumericId | None = None
    username: str | None = None
    account_type: str | None = None
    business_name: str | None = None
    profile_image: str | None = None
    website_url: str | None = None
    about: str | None = None
    board_count: int | None = None
    pin_count: int | None = None
    follower_count: int | None = None
    following_count: int | None = None
    monthly_views: int | None = None


class BoardOwner(_Response):
    """The owner of a board or of a Pin's board."""

    username: str | None = None


class Board(_Response):
    """A board the account owns or collaborates on."""

    id: NumericId
    name: str = ""
    description: str | None = None
    privacy: str | None = None
    owner: BoardOwner | None = None
    pin_count: int | None = None
    follower_count: int | None = None
    collaborator_count: int | None = None
    created_at: UtcDatetime | None = None
    board_pins_modified_at: UtcDatetime | None = None
    is_ads_only: bool | None = None


class BoardSection(_Response):
    """A section of a board; Pins target it with ``board_section_id``.

    The spec gives a section's ``id`` no pattern, yet a Pin's ``board_section_id`` must be
    digits: :attr:`targetable` says whether a Pin can name this one."""

    id: str
    name: str = ""

    @property
    def targetable(self) -> bool:
        return re.fullmatch(ID_PATTERN, self.id) is not None


class Pin(_Response):
    """A Pin as Pinterest returns it (201 on create, 200 on get and in lists)."""

    id: NumericId
    created_at: UtcDatetime | None = None
    link: str | None = None
    title: str | None = None
    description: str | None = None
    alt_text: str | None = None
    dominant_color: str | None = None
    board_id: NumericId | None = None
    board_section_id: NumericId | None = None
    board_owner: BoardOwner | None = None
    parent_pin_id: NumericId | None = None
    is_owner: bool | None = None
    is_standard: bool | None = None
    has_been_promoted: bool | None = None
    creative_type: str | None = None
    pin_metrics: dict[str, Any] | None = None
    media: dict[str, Any] | None = None

    @property
    def url(self) -> str:
        """The public address of the Pin."""
        return f"https://www.pinterest.com/pin/{self.id}/"


class MediaUpload(_Response):
    """A registered video upload: POST the file to ``upload_url`` with ``upload_parameters``."""

    media_id: NumericId
    media_type: str = "video"
    upload_url: str | None = None
    upload_parameters: dict[str, str] = Field(default_factory=dict, repr=False)


class MediaStatus(_Response):
    """``GET /media/{media_id}``: ``registered``, ``processing``, ``succeeded`` or ``failed``."""

    media_id: NumericId
    media_type: str | None = None
    status: str | None = None

    @property
    def succeeded(self) -> bool:
        """Processing finished: the video can be used in ``VideoIdSource``."""
        return self.status == "succeeded"

    @property
    def failed(self) -> bool:
        """Processing failed for good (often a corrupt or unsupported file)."""
        return self.status == "failed"

    @property
    def pending(self) -> bool:
        """Still registered or processing: poll again later."""
        return not (self.succeeded or self.failed)


def _validation_error(model: str, exc: ValidationError) -> PinterestValidationError:
    """Turn pydantic's report into one error naming the first bad field, all problems listed."""
    errors = exc.errors(include_url=False)
    fields = [_field_path(e) for e in errors]
    problems = "; ".join(_describe(f, e) for f, e in zip(fields, errors, strict=True))
    return PinterestValidationError(
        f"{model} is not a valid Pinterest request: {problems}.",
        field=fields[0] if fields else None,
    )


def _field_path(error: ErrorDetails) -> str:
    loc = list(error["loc"])
    parts = [
        str(p)
        for i, p in enumerate(loc)
        if not (p in _SOURCE_TYPES and i > 0 and loc[i - 1] == "media_source")
    ]
    return ".".join(parts) or "body"


def _describe(field: str, error: ErrorDetails) -> str:
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    if kind == "string_too_long":
        size = len(value) if isinstance(value, str) else "too many"
        return (
            f"{field} is {size} characters, Pinterest allows at most {ctx['max_length']}; "
            "shorten it"
        )
    if kind in ("too_short", "too_long"):
        return (
            f"{field} has {ctx.get('actual_length')} items, Pinterest takes "
            f"{CAROUSEL_MIN} to {CAROUSEL_MAX}"
        )
    if kind == "string_pattern_mismatch":
        return f"{field} must match {_PATTERN_HINTS.get(ctx['pattern'], ctx['pattern'])}"
    if kind == "missing":
        return f"{field} is required"
    if kind == "extra_forbidden":
        return f"{field} is not a field Pinterest accepts here; remove it"
    if kind == "value_error":
        return f"{field}: {ctx.get('error', error['msg'])}"
    return f"{field}: {error['msg']}"


_PATTERN_HINTS = {
    ID_PATTERN: "a numeric Pinterest id (digits only)",
    HEX_COLOR_PATTERN: "a hex colour like #6E7874",
    BASE64_PATTERN: "base64 (A-Z, a-z, 0-9, +, /, =; no data: prefix or line breaks)",
    WEB_URL_PATTERN: "an http(s):// URL Pinterest can fetch",
}
