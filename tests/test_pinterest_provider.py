"""The Pinterest v5 provider against a fake Pinterest (``httpx.MockTransport``).

Every request the provider sends is checked against the official spec by the fake (see
``tests/conftest_pinterest.py``); an unrouted request fails the test, which is how the local
limit tests prove nothing was sent.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from providers.errors import (
    AuthError,
    ConfigurationError,
    InvalidInputError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from providers.pinterest import (
    ImageBase64Source,
    ImageUrlSource,
    MediaUpload,
    MultipleImageUrlsSource,
    PinCreate,
    PinterestAuthError,
    PinterestClient,
    PinterestConfigurationError,
    PinterestError,
    PinterestNotFoundError,
    PinterestPermanentError,
    PinterestRateLimitedError,
    PinterestSpamError,
    PinterestTransientError,
    PinterestValidationError,
    VideoIdSource,
    error_from_response,
)
from providers.pinterest.client import DEFAULT_MAX_RESPONSE_BYTES, MAX_PAGE_SIZE
from providers.pinterest.errors import PaginationLoopError, TooManyPagesError
from providers.pinterest.models import Board, Pin
from providers.pinterest.pager import DEFAULT_PAGE_CAP
from tests.conftest_pinterest import (
    UPLOAD_URL,
    FakePinterest,
    board,
    ids,
    json_body,
    pages,
    pin,
    raise_,
    respond,
)

IMAGE = ImageUrlSource(url="https://cdn.example.com/pin.jpg")


def image_pin(**overrides: Any) -> PinCreate:
    fields: dict[str, Any] = {"board_id": "111", "media_source": IMAGE, **overrides}
    return PinCreate(**fields)


# --- account and boards -------------------------------------------------------------------


def test_user_account_sends_the_bearer_token() -> None:
    fake = FakePinterest(
        {("GET", "/user_account"): respond(200, {"id": "42", "username": "maker", "x": 1})}
    )

    account = fake.client("tok-abc").user_account()

    assert (account.id, account.username) == ("42", "maker")
    assert fake.only("GET", "/user_account").headers["Authorization"] == "Bearer tok-abc"


def test_boards_list_follows_bookmarks_across_three_pages_with_page_size_250() -> None:
    # Given three pages chained by bookmarks
    fake = FakePinterest({("GET", "/boards"): pages(
        {"items": [board("1"), board("2")], "bookmark": "bm-1"},
        {"items": [board("3")], "bookmark": "bm-2"},
        {"items": [board("4"), board("5")], "bookmark": None},
    )})

    # When every board is listed
    boards = fake.client().boards.list(privacy="ALL")

    # Then all five came back, each request asked for 250 and carried the previous bookmark
    assert ids(boards) == ["1", "2", "3", "4", "5"]
    sent = [dict(r.url.params) for r in fake.requests]
    assert sent == [
        {"privacy": "ALL", "page_size": "250"},
        {"privacy": "ALL", "page_size": "250", "bookmark": "bm-1"},
        {"privacy": "ALL", "page_size": "250", "bookmark": "bm-2"},
    ]


def test_boards_list_stops_with_pagination_loop_when_a_bookmark_repeats() -> None:
    # Given a server that answers every page of GET /boards with the same bookmark
    fake = FakePinterest({("GET", "/boards"): respond(200, {"items": [board("1")],
                                                            "bookmark": "same"})})
    # When the boards are listed
    with pytest.raises(PaginationLoopError) as caught:
        fake.client().boards.list()
    # Then the walk stopped after the second page with a transient pagination_loop
    assert len(fake.requests) == 2
    assert [r.url.params.get("bookmark") for r in fake.requests] == [None, "same"]
    assert caught.value.code == "pagination_loop"
    assert isinstance(caught.value, TransientError)
    assert "GET /boards (page 2)" in caught.value.message


def _endless(request: httpx.Request) -> httpx.Response:
    """A listing that never ends: every page hands out a new bookmark."""
    page = int(request.url.params.get("bookmark") or "0") + 1
    return httpx.Response(200, json={"items": [board(str(page))], "bookmark": str(page)})


def test_a_listing_longer_than_the_page_cap_fails_with_too_many_pages() -> None:
    # Given a listing that never ends and a client capped at 3 pages
    fake = FakePinterest({("GET", "/boards"): _endless})
    api = PinterestClient(fake.http(), "token", page_cap=3)
    # When the boards are listed
    with pytest.raises(TooManyPagesError) as caught:
        api.boards.list()
    # Then exactly 3 pages were read, and the error says which setting to raise
    assert len(fake.requests) == 3
    assert caught.value.code == "too_many_pages"
    assert isinstance(caught.value, ConfigurationError)
    assert "PINTEREST_AGENT_MAX_PAGES" in caught.value.message


def test_the_default_page_cap_reads_100000_pins_and_stops_an_endless_listing() -> None:
    # Given the default cap: 100,000 Pins at 250 a page fit in it
    assert DEFAULT_PAGE_CAP * MAX_PAGE_SIZE >= 100_000
    # When a listing that never ends is walked with the default client
    fake = FakePinterest({("GET", "/boards"): _endless})
    with pytest.raises(TooManyPagesError):
        fake.client().boards.list()
    # Then it stopped at the cap
    assert len(fake.requests) == DEFAULT_PAGE_CAP


def test_a_partial_scan_stops_quietly_before_the_cap() -> None:
    fake = FakePinterest({("GET", "/boards/7/pins"): _endless})
    api = PinterestClient(fake.http(), "token", page_cap=3)
    assert len(list(api.boards.pins("7", max_pages=3))) == 3
    assert len(fake.requests) == 3


def test_empty_string_bookmark_ends_pagination() -> None:
    fake = FakePinterest({("GET", "/boards"): respond(200, {"items": [], "bookmark": ""})})

    assert fake.client().boards.list() == []
    assert len(fake.requests) == 1


def test_boards_get_and_create() -> None:
    fake = FakePinterest({
        ("GET", "/boards/123"): respond(200, board("123", "Recipes")),
        ("POST", "/boards"): respond(201, board("124", "Dinners")),
    })
    api = fake.client()

    assert api.boards.get("123").name == "Recipes"
    created = api.boards.create("Dinners", privacy="SECRET")

    assert created.id == "124"
    assert json_body(fake.only("POST", "/boards")) == {"name": "Dinners", "privacy": "SECRET"}


def test_board_sections_list_and_create() -> None:
    fake = FakePinterest({
        ("GET", "/boards/9/sections"): pages(
            {"items": [{"id": "1", "name": "Salads"}], "bookmark": "b"},
            {"items": [{"id": "2", "name": "Soups"}], "bookmark": None},
        ),
        ("POST", "/boards/9/sections"): respond(201, {"id": "3", "name": "Pies"}),
    })
    api = fake.client()

    assert [s.name for s in api.boards.sections("9")] == ["Salads", "Soups"]
    assert api.boards.create_section("9", "Pies").id == "3"
    assert json_body(fake.only("POST", "/boards/9/sections")) == {"name": "Pies"}


def test_board_pins_are_lazy_and_capped_by_max_pages() -> None:
    fake = FakePinterest({("GET", "/boards/7/pins"): pages(
        {"items": [pin("30"), pin("29")], "bookmark": "b1"},
        {"items": [pin("28")], "bookmark": "b2"},
        {"items": [pin("27")], "bookmark": None},
    )})

    found = fake.client().boards.pins("7", max_pages=2)
    assert fake.requests == []  # nothing sent until iterated

    assert ids(found) == ["30", "29", "28"]
    assert [r.url.params.get("page_size") for r in fake.requests] == ["100", "100"]


# --- pins ---------------------------------------------------------------------------------


def test_create_pin_sends_only_known_fields() -> None:
    fake = FakePinterest({("POST", "/pins"): respond(201, pin("555", title="Soup"))})

    created = fake.client().pins.create(image_pin(title="Soup", link="https://example.com/soup",
                                                  dominant_color="#6E7874"))

    assert created.id == "555"
    assert created.url == "https://www.pinterest.com/pin/555/"
    assert json_body(fake.only("POST", "/pins")) == {
        "board_id": "111",
        "title": "Soup",
        "link": "https://example.com/soup",
        "dominant_color": "#6E7874",
        "media_source": {"source_type": "image_url", "url": "https://cdn.example.com/pin.jpg"},
    }


@pytest.mark.parametrize(
    "source",
    [
        ImageBase64Source(content_type="image/png", data="iVBORw0KGgo="),
        MultipleImageUrlsSource(items=[{"url": "https://a.example/1.jpg", "title": "One"},
                                       {"url": "https://a.example/2.jpg"}]),
        VideoIdSource(media_id="77", cover_image_key_frame_time=0),
        VideoIdSource(media_id="77", cover_image_url="https://a.example/cover.jpg"),
    ],
    ids=["base64", "carousel", "video-keyframe", "video-cover-url"],
)
def test_create_pin_with_every_media_source(source: Any) -> None:
    fake = FakePinterest({("POST", "/pins"): respond(201, pin("556"))})

    fake.client().pins.create(image_pin(media_source=source, board_section_id="5"))

    sent = json_body(fake.only("POST", "/pins"))
    assert sent["media_source"]["source_type"] == source.source_type
    assert "note" not in sent


def test_get_pin_with_metrics_and_delete() -> None:
    fake = FakePinterest({
        ("GET", "/pins/555"): respond(200, pin("555", pin_metrics={"90d": {"impression": 3}})),
        ("DELETE", "/pins/555"): respond(204),
    })
    api = fake.client()

    got = api.pins.get("555", pin_metrics=True)
    api.pins.delete("555")

    assert got.pin_metrics == {"90d": {"impression": 3}}
    assert fake.only("GET", "/pins/555").url.params["pin_metrics"] == "true"


def test_create_revalidates_a_pin_built_without_validation() -> None:
    fake = FakePinterest()
    sneaky = PinCreate.model_construct(board_id="111", media_source=IMAGE, title="x" * 101)

    with pytest.raises(PinterestValidationError) as caught:
        fake.client().pins.create(sneaky)

    assert caught.value.field == "title"
    assert fake.requests == []


def test_timestamps_without_an_offset_are_read_as_utc() -> None:
    # Given timestamps written with and without a UTC offset
    naive = Pin.model_validate({"id": "1", "created_at": "2025-01-02T03:04:05"})
    zulu = Pin.model_validate({"id": "1", "created_at": "2025-01-02T03:04:05Z"})
    shifted = Board.model_validate({"id": "2",
                                    "board_pins_modified_at": "2025-01-02T04:04:05+01:00"})
    # Then every parsed timestamp is aware, and the offset-less one is UTC
    assert naive.created_at == zulu.created_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert shifted.board_pins_modified_at == naive.created_at
    assert naive.created_at is not None and naive.created_at.tzinfo is not None


# --- local limits -------------------------------------------------------------------------

CAROUSEL_ITEM = {"url": "https://a.example/1.jpg"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "t" * 101}, "title"),
        ({"description": "d" * 801}, "description"),
        ({"alt_text": "a" * 501}, "alt_text"),
        ({"link": "https://e.com/" + "l" * 2035}, "link"),
        ({"board_id": "board-1"}, "board_id"),
        ({"board_section_id": "12a"}, "board_section_id"),
        ({"dominant_color": "red"}, "dominant_color"),
        ({"dominant_color": "#12345"}, "dominant_color"),
        ({"note": "legacy field"}, "note"),
        ({"board_id": None}, "board_id"),
        ({"media_source": None}, "media_source"),
        ({"media_source": {"source_type": "image_url", "url": "ftp://x"}}, "media_source.url"),
        ({"media_source": {"source_type": "image_base64", "content_type": "image/png",
                           "data": "data:image/png;base64,AAAA"}}, "media_source.data"),
        ({"media_source": {"source_type": "image_base64", "content_type": "image/gif",
                           "data": "AAAA"}}, "media_source.content_type"),
        ({"media_source": {"source_type": "multiple_image_urls", "items": [CAROUSEL_ITEM]}},
         "media_source.items"),
        ({"media_source": {"source_type": "multiple_image_urls", "items": [CAROUSEL_ITEM] * 6}},
         "media_source.items"),
        ({"media_source": {"source_type": "multiple_image_urls",
                           "items": [CAROUSEL_ITEM, {**CAROUSEL_ITEM, "title": "t" * 101}]}},
         "media_source.items.1.title"),
        ({"media_source": {"source_type": "video_id", "media_id": "v1",
                           "cover_image_key_frame_time": 0}}, "media_source.media_id"),
        ({"media_source": {"source_type": "video_id", "media_id": "1"}}, "media_source"),
    ],
)
def test_pin_limits_are_enforced_locally_naming_the_field(
    fields: dict[str, Any], field: str
) -> None:
    given: dict[str, Any] = {"board_id": "111", "media_source": IMAGE, **fields}
    given = {k: v for k, v in given.items() if v is not None}

    with pytest.raises(PinterestValidationError) as caught:
        PinCreate(**given)

    assert caught.value.field == field
    assert caught.value.code == "invalid_field"
    assert isinstance(caught.value, InvalidInputError)
    assert field.split(".")[-1] in caught.value.message


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "t" * 100, "description": "d" * 800, "alt_text": "a" * 500,
         "link": "https://e.com/" + "l" * 2034, "dominant_color": "#6e7874"},
        {"media_source": MultipleImageUrlsSource(items=[CAROUSEL_ITEM] * 5)},
        {"media_source": VideoIdSource(media_id="1", cover_image_data="AAAA",
                                       cover_image_content_type="image/jpeg")},
    ],
)
def test_values_at_the_limits_are_accepted(fields: dict[str, Any]) -> None:
    assert image_pin(**fields).board_id == "111"


def test_video_cover_data_needs_its_content_type() -> None:
    with pytest.raises(PinterestValidationError) as caught:
        VideoIdSource(media_id="1", cover_image_data="AAAA")

    assert caught.value.field == "cover_image_content_type"


@pytest.mark.parametrize(
    "call",
    [
        lambda api: api.boards.get("12/../34"),
        lambda api: api.boards.sections("abc"),
        lambda api: api.boards.create_section("1", "s" * 181),
        lambda api: api.boards.create_section("1", " "),
        lambda api: api.boards.create(""),
        lambda api: api.boards.create("Name", privacy="FRIENDS"),
        lambda api: api.boards.list(privacy="EVERYONE"),
        lambda api: api.boards.pins("x1"),
        lambda api: api.boards.pins("1", page_size=251),
        lambda api: api.pins.get("pin-1"),
        lambda api: api.pins.delete("\uff11\uff12"),  # full-width digits are not an id
        lambda api: api.media.get("m1"),
    ],
)
def test_path_ids_and_arguments_are_checked_before_sending(call: Any) -> None:
    fake = FakePinterest()

    with pytest.raises(PinterestValidationError):
        call(fake.client())

    assert fake.requests == []


def test_a_section_name_of_180_characters_is_accepted() -> None:
    fake = FakePinterest({("POST", "/boards/1/sections"): respond(201, {"id": "2", "name": "s"})})

    fake.client().boards.create_section("1", "s" * 180)


# --- error mapping ------------------------------------------------------------------------

RID = {"x-pinterest-rid": "rid-123"}


@pytest.mark.parametrize(
    ("method", "path", "status", "body", "headers", "kind", "code"),
    [
        ("GET", "/boards/1", 429, {"code": 8, "message": "Rate limited"},
         {"Retry-After": "30"}, PinterestRateLimitedError, "rate_limited"),
        ("POST", "/pins", 429, {"code": 8, "message": "Too many", "message_detail":
                                "Your request was blocked as spam"}, {},
         PinterestSpamError, "spam_blocked"),
        ("POST", "/pins", 429, {"code": 8, "message": "Request flagged as SPAM"}, {},
         PinterestSpamError, "spam_blocked"),
        ("GET", "/boards/1", 500, {"code": 0, "message": "Internal"}, {},
         PinterestTransientError, "pinterest_unavailable"),
        ("GET", "/boards/1", 503, {"code": 0, "message": "Unavailable"}, {},
         PinterestTransientError, "pinterest_unavailable"),
        ("POST", "/pins", 400, {"code": 2787, "message": "Sorry! Something went wrong on our end."},
         {}, PinterestTransientError, "pinterest_unavailable"),
        ("POST", "/pins", 400, {"code": 1, "message": "Sorry we could not fetch the image."}, {},
         PinterestTransientError, "media_fetch_failed"),
        ("POST", "/pins", 400, {"code": 1, "message": "Unable to reach the URL"}, {},
         PinterestTransientError, "media_fetch_failed"),
        ("GET", "/boards/1", 404, {"code": 40, "message": "Board not found."}, {},
         PinterestNotFoundError, "board_not_found"),
        ("POST", "/pins", 400, {"code": 40, "message": "Board not found."}, {},
         PinterestNotFoundError, "board_not_found"),
        ("GET", "/pins/5", 404, {"code": 50, "message": "Pin not found."}, {},
         PinterestNotFoundError, "pin_not_found"),
        ("GET", "/boards/1", 401, {"code": 2, "message": "Authentication failed."}, {},
         PinterestAuthError, "auth_failed"),
        ("GET", "/boards/1", 401, {"code": 3, "message": "Your token does not have sufficient "
                                   "permissions to perform this operation."}, {},
         PinterestAuthError, "insufficient_scope"),
        ("POST", "/pins", 403, {"code": 29, "message": "Apps with Trial access may not create "
                                "Pins in production https://api.pinterest.com - use API Sandbox "
                                "https://api-sandbox.pinterest.com instead."}, {},
         PinterestConfigurationError, "trial_app"),
        ("GET", "/boards/1", 403, {"code": 7, "message": "Not authorized to access board or Pin."},
         {}, PinterestPermanentError, "forbidden"),
        ("POST", "/pins", 400, {"code": 1, "message": "Invalid request: constraint: maxItems=5"},
         {}, PinterestPermanentError, "bad_request"),
        ("GET", "/boards/1", 502, "<html><body>Bad Gateway</body></html>", {},
         PinterestTransientError, "pinterest_unavailable"),
    ],
)
def test_error_mapping(
    method: str, path: str, status: int, body: Any, headers: dict[str, str],
    kind: type[PinterestError], code: str,
) -> None:
    # Given Pinterest answers with an error
    answer = respond(status, text=body, headers={**RID, **headers}) if isinstance(body, str) \
        else respond(status, body, {**RID, **headers})
    fake = FakePinterest({(method, path): answer})
    api = fake.client()

    # When the provider makes the call
    with pytest.raises(PinterestError) as caught:
        if method == "POST":
            api.pins.create(image_pin())
        elif path.startswith("/pins"):
            api.pins.get(path.rsplit("/", 1)[1])
        else:
            api.boards.get("1")

    # Then the error has the expected type, code and data
    error = caught.value
    assert type(error) is kind
    assert error.code == code
    assert error.status == status
    assert error.request_id == "rid-123"
    assert error.details["path"] == f"/v5{path}"
    if isinstance(body, dict):
        assert error.pinterest_code == body["code"]
        assert body["message"] in error.message


def test_error_kinds_tell_the_worker_what_to_do() -> None:
    assert issubclass(PinterestRateLimitedError, RateLimitedError)
    assert issubclass(PinterestRateLimitedError, TransientError)
    assert issubclass(PinterestSpamError, PermanentError)
    assert not issubclass(PinterestSpamError, TransientError)
    assert issubclass(PinterestNotFoundError, PermanentError)
    assert issubclass(PinterestAuthError, AuthError)
    assert issubclass(PinterestConfigurationError, ConfigurationError)
    assert issubclass(PinterestValidationError, InvalidInputError)


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [({"Retry-After": "30"}, 30.0), ({"x-ratelimit-reset": "12"}, 12.0), ({}, None),
     ({"Retry-After": "soon"}, None)],
)
def test_rate_limit_hint_comes_from_headers(
    headers: dict[str, str], retry_after: float | None
) -> None:
    request = httpx.Request("GET", "https://api.pinterest.test/v5/boards")
    response = httpx.Response(429, json={"code": 8, "message": "slow down"}, headers=headers,
                              request=request)

    error = error_from_response(response)

    assert isinstance(error, PinterestRateLimitedError)
    assert error.retry_after_s == retry_after


def test_trial_app_error_says_to_use_the_sandbox() -> None:
    response = httpx.Response(403, json={"code": 29, "message": "Apps with Trial access ..."})

    error = error_from_response(response)

    assert "https://api-sandbox.pinterest.com/v5" in error.message


def test_error_from_response_tolerates_odd_bodies() -> None:
    for response in (
        httpx.Response(502, text="<html>Bad Gateway</html>"),
        httpx.Response(400, json=["not", "an", "envelope"]),
        httpx.Response(400, json={"code": "x", "message": None}),
        httpx.Response(500),
    ):
        error = error_from_response(response)
        assert error.status == response.status_code
        assert error.pinterest_code is None


def test_s3_xml_errors_keep_their_code() -> None:
    xml = "<Error><Code>AccessDenied</Code><Message>Policy expired</Message></Error>"

    error = error_from_response(httpx.Response(403, text=xml))

    assert "AccessDenied: Policy expired" in error.message
    assert isinstance(error, PinterestPermanentError)


def test_5xx_on_create_marks_the_outcome_unknown() -> None:
    fake = FakePinterest({("POST", "/pins"): respond(500, {"code": 2787, "message": "Sorry!"})})

    with pytest.raises(PinterestTransientError) as caught:
        fake.client().pins.create(image_pin())

    assert caught.value.outcome_unknown is True


def test_timeout_on_create_is_transient_with_unknown_outcome() -> None:
    fake = FakePinterest({("POST", "/pins"): raise_(httpx.ReadTimeout("read timed out"))})

    with pytest.raises(PinterestTransientError) as caught:
        fake.client().pins.create(image_pin())

    assert caught.value.code == "network"
    assert caught.value.outcome_unknown is True
    assert caught.value.details["outcome_unknown"] is True
    assert "reconcile" in caught.value.message


@pytest.mark.parametrize(
    ("method", "exc"),
    [("POST", httpx.ConnectError("refused")), ("POST", httpx.ConnectTimeout("connect")),
     ("GET", httpx.ReadTimeout("read")), ("GET", httpx.RemoteProtocolError("eof"))],
)
def test_network_failures_that_cannot_have_applied_a_write(method: str, exc: Exception) -> None:
    path = "/pins" if method == "POST" else "/boards/1"
    fake = FakePinterest({(method, path): raise_(exc)})
    api = fake.client()

    with pytest.raises(PinterestTransientError) as caught:
        api.pins.create(image_pin()) if method == "POST" else api.boards.get("1")

    assert caught.value.code == "network"
    assert caught.value.outcome_unknown is False
    assert "outcome_unknown" not in caught.value.details


def test_errors_survive_pickling_with_their_data() -> None:
    response = httpx.Response(429, json={"code": 8, "message": "slow"},
                              headers={"Retry-After": "5", **RID})

    error = pickle.loads(pickle.dumps(error_from_response(response)))  # noqa: S301 - our own

    assert type(error) is PinterestRateLimitedError
    assert (error.retry_after_s, error.request_id, error.status) == (5.0, "rid-123", 429)
    assert "rid-123" in str(error)


def test_non_2xx_answers_are_logged_with_the_request_id(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakePinterest({("GET", "/boards/1"): respond(404, {"code": 40, "message": "no"}, RID)})

    with caplog.at_level(logging.INFO, logger="providers.pinterest"), \
            pytest.raises(PinterestNotFoundError):
        fake.client().boards.get("1")

    record = caplog.records[-1]
    assert record.name == "providers.pinterest"
    assert all(part in record.getMessage() for part in ("GET", "/v5/boards/1", "404", "rid-123"))


def test_an_unreadable_success_body_is_an_unexpected_response() -> None:
    fake = FakePinterest({
        ("GET", "/boards/1"): respond(200, text="not json"),
        ("POST", "/pins"): respond(201, {"no": "id"}),
    })
    api = fake.client()

    with pytest.raises(PinterestPermanentError) as read:
        api.boards.get("1")
    with pytest.raises(PinterestTransientError) as write:
        api.pins.create(image_pin())

    assert read.value.code == write.value.code == "unexpected_response"
    assert write.value.outcome_unknown is True


# --- media --------------------------------------------------------------------------------

UPLOAD = {
    "media_id": "9001",
    "media_type": "video",
    "upload_url": UPLOAD_URL,
    "upload_parameters": {
        "x-amz-date": "20250101T000000Z",
        "x-amz-signature": "sig",
        "x-amz-security-token": "sts-token",
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "key": "uploads/a/b/c",
        "policy": "cG9saWN5",
        "x-amz-credential": "cred/s3/aws4_request",
        "Content-Type": "multipart/form-data",
    },
}


def test_video_upload_flow() -> None:
    # Given Pinterest registers the upload and S3 accepts it
    fake = FakePinterest({
        ("POST", "/media"): respond(201, UPLOAD),
        ("POST", UPLOAD_URL): respond(204),
        ("GET", "/media/9001"): respond(200, {"media_id": "9001", "media_type": "video",
                                              "status": "succeeded"}),
    })
    api = fake.client()
    video = b"\x00\x00\x00\x18ftypmp42" * 1000

    # When the video is registered, uploaded and polled
    upload = api.media.register_video()
    api.media.upload(upload, video, "clip.mp4")
    status = api.media.get(upload.media_id)

    # Then the S3 form carried every parameter plus the file, with a real length and no token
    assert json_body(fake.only("POST", "/media")) == {"media_type": "video"}
    s3 = fake.requests[1]
    assert str(s3.url) == UPLOAD_URL
    assert "Authorization" not in s3.headers
    assert "transfer-encoding" not in s3.headers
    assert int(s3.headers["Content-Length"]) == len(s3.content)
    assert s3.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    for name, value in UPLOAD["upload_parameters"].items():  # type: ignore[attr-defined]
        assert f'name="{name}"\r\n\r\n{value}\r\n'.encode() in s3.content
    assert b'name="file"; filename="clip.mp4"' in s3.content
    assert s3.content.index(b'name="file"') > s3.content.index(b'name="policy"')
    assert video in s3.content
    assert status.succeeded and not status.pending


@pytest.mark.parametrize(("status", "pending", "failed"),
                         [("registered", True, False), ("processing", True, False),
                          ("failed", False, True)])
def test_media_status(status: str, pending: bool, failed: bool) -> None:
    fake = FakePinterest({("GET", "/media/1"): respond(200, {"media_id": "1",
                                                             "media_type": "video",
                                                             "status": status})})

    got = fake.client().media.get("1")

    assert (got.pending, got.failed) == (pending, failed)


def test_upload_needs_an_upload_form_and_bytes() -> None:
    api = FakePinterest().client()

    with pytest.raises(PinterestValidationError):
        api.media.upload(MediaUpload(media_id="1"), b"data", "a.mp4")
    with pytest.raises(PinterestValidationError):
        api.media.upload(MediaUpload.model_validate(UPLOAD), b"", "a.mp4")


def test_an_upload_refused_by_s3_says_to_register_again() -> None:
    xml = "<Error><Code>AccessDenied</Code><Message>Policy expired</Message></Error>"
    fake = FakePinterest({("POST", UPLOAD_URL): respond(403, text=xml)})

    with pytest.raises(PinterestPermanentError) as caught:
        fake.client().media.upload(MediaUpload.model_validate(UPLOAD), b"data", "a.mp4")

    assert caught.value.code == "upload_rejected"
    assert "AccessDenied: Policy expired" in caught.value.message
    assert "register the video again" in caught.value.message


def test_upload_timeout_is_transient_and_safe_to_repeat() -> None:
    fake = FakePinterest({("POST", UPLOAD_URL): raise_(httpx.WriteTimeout("slow"))})

    with pytest.raises(PinterestTransientError) as caught:
        fake.client().media.upload(MediaUpload.model_validate(UPLOAD), b"data", "a.mp4")

    assert caught.value.outcome_unknown is False


def test_a_client_without_a_token_asks_to_connect_the_channel() -> None:
    with pytest.raises(PinterestAuthError) as caught:
        FakePinterest().client("")

    assert caught.value.code == "missing_token"


def test_client_repr_hides_the_token() -> None:
    assert "secret-token" not in repr(FakePinterest().client("secret-token"))


# --- ids and URLs Pinterest sends back ------------------------------------------------------

@pytest.mark.parametrize("pin_id", ["1/../../v5/boards/", "12a", "", "\u0661\u0662", "1\n"])
def test_a_pin_id_outside_the_spec_pattern_is_never_stored(pin_id: str) -> None:
    # Given Pinterest answers a create with an id that breaks the spec's ^\d+$
    fake = FakePinterest({("POST", "/pins"): respond(201, {"id": pin_id, "board_id": "1"})})
    # Then it is an unexpected answer (a write: reconcile first), not a Pin with a pin_url
    with pytest.raises(PinterestTransientError) as info:
        fake.client().pins.create(image_pin())
    assert info.value.code == "unexpected_response" and info.value.outcome_unknown


@pytest.mark.parametrize(
    ("route", "body"),
    [(("GET", "/boards/1"), {"id": "../1"}),
     (("GET", "/media/9001"), {"media_id": "9001x", "media_type": "video"}),
     (("GET", "/user_account"), {"id": "me; DROP", "username": "u"})],
)
def test_ids_in_read_answers_follow_the_spec(route: tuple[str, str], body: dict[str, Any]
                                             ) -> None:
    fake = FakePinterest({route: respond(200, body)})
    api = fake.client()
    read = {"/boards/1": lambda: api.boards.get("1"), "/media/9001": lambda: api.media.get("9001"),
            "/user_account": api.user_account}[route[1]]
    with pytest.raises(PinterestPermanentError) as info:
        read()
    assert info.value.code == "unexpected_response"


@pytest.mark.parametrize("upload_url", ["http://uploads.example/", "/relative/path",
                                        "ftp://uploads.example/", "https://user:pw@s3.test/",
                                        "https:///no-host", None])
def test_an_upload_url_that_is_not_absolute_https_is_refused(upload_url: str | None) -> None:
    # Given Pinterest registers a video with an upload_url the file must not be sent to
    fake = FakePinterest({("POST", "/media"): respond(201, {**UPLOAD, "upload_url": upload_url})})
    # Then registering fails with a typed error, before any byte is sent anywhere
    with pytest.raises(PinterestTransientError) as info:
        fake.client().media.register_video()
    assert info.value.code == "unexpected_response"
    assert len(fake.requests) == 1


# --- the size of an answer --------------------------------------------------------------------

def _streamed(status: int, size: int, *, declare: bool, chunk: int = 1 << 20
              ) -> Callable[[httpx.Request], httpx.Response]:
    """An answer of *size* bytes sent in chunks, with or without a Content-Length."""
    sent: list[int] = []

    def body() -> Iterator[bytes]:
        left = size
        while left > 0:
            sent.append(min(chunk, left))
            yield b" " * min(chunk, left)
            left -= chunk

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "application/json", "x-pinterest-rid": "rid-big"}
        if declare:
            headers["content-length"] = str(size)
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(b"")
                              if size == 0 else _Chunks(body()))

    handler.sent = sent  # type: ignore[attr-defined]
    return handler


class _Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks


@pytest.mark.parametrize("declare", [True, False], ids=["content-length", "chunked"])
def test_an_answer_over_the_cap_is_not_read(declare: bool) -> None:
    # Given Pinterest answers a board read with 50 MiB
    handler = _streamed(200, 50 << 20, declare=declare)
    fake = FakePinterest({("GET", "/boards/1"): handler})
    # Then reading stops at the cap with a typed error, not 150 MB of memory
    with pytest.raises(PinterestPermanentError) as info:
        fake.client().boards.get("1")
    assert info.value.code == "response_too_large" and info.value.request_id == "rid-big"
    assert sum(handler.sent) <= DEFAULT_MAX_RESPONSE_BYTES + (1 << 20)  # type: ignore[attr-defined]


def test_a_write_answered_over_the_cap_is_reconciled() -> None:
    fake = FakePinterest({("POST", "/pins"): _streamed(201, 20 << 20, declare=False)})
    with pytest.raises(PinterestTransientError) as info:
        fake.client().pins.create(image_pin())
    assert info.value.code == "response_too_large" and info.value.outcome_unknown


def test_an_error_over_the_cap_is_still_mapped_by_its_status() -> None:
    fake = FakePinterest({("GET", "/boards/1"): _streamed(503, 20 << 20, declare=False)})
    with pytest.raises(PinterestTransientError) as info:
        fake.client().boards.get("1")
    assert info.value.status == 503
