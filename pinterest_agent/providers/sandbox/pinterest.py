"""Pinterest v5 resources in the sandbox: user account, boards, sections and pins.

Every handler authenticates the bearer token (401 ``{"code": 2, "message": "Authentication
failed."}`` when missing, unknown or expired) and answers in the spec's shapes; the server has
already checked the request against the spec. Behaviour worth knowing in tests:

- Lists use ``bookmark`` / ``page_size`` (default 25); boards oldest first, pins newest first.
- ``POST /v5/pins`` needs ``board_id`` and ``media_source`` (the spec marks neither required).
  A board that does not exist answers 404 code 40, someone else's board 403 code 7.
  ``image_url`` containing ``unreachable`` answers 400 ``Sorry we could not fetch the image.``;
  ``image_base64`` must decode to a real JPEG or PNG; ``multiple_image_urls`` takes 2-5 items;
  ``video_id`` needs a ``succeeded`` media upload (see :mod:`providers.sandbox.media`) and a
  cover; ``pin_url`` (beta) is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any

from pinterest_agent.providers.pinterest.contract import load_contract
from pinterest_agent.providers.sandbox.routes import (
    ApiError,
    RouteRegistry,
    SandboxRequest,
    SandboxResponse,
)
from pinterest_agent.providers.sandbox.state import Board, Pin, Section, User, iso, paginate

__all__ = ["json_body", "page_size", "pin_metrics_of", "register", "user_of"]

DEFAULT_PAGE_SIZE = 25
MAX_IMAGE_BYTES = 20 * 1024 * 1024
IMAGE_SIZES = {"150x150": (150, 150), "400x300": (400, 300), "600x": (600, 900),
               "1200x": (1200, 1800)}
MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",)}


def register(registry: RouteRegistry) -> None:
    """Add the Pinterest v5 user, board, section and pin routes."""
    registry.add("GET", "/v5/user_account", user_account)
    registry.add("GET", "/v5/boards", list_boards)
    registry.add("POST", "/v5/boards", create_board)
    registry.add("GET", "/v5/boards/{board_id}", get_board)
    registry.add("PATCH", "/v5/boards/{board_id}", update_board)
    registry.add("DELETE", "/v5/boards/{board_id}", delete_board)
    registry.add("GET", "/v5/boards/{board_id}/sections", list_sections)
    registry.add("POST", "/v5/boards/{board_id}/sections", create_section)
    registry.add("GET", "/v5/boards/{board_id}/pins", list_board_pins)
    registry.add("GET", "/v5/boards/{board_id}/sections/{section_id}/pins", list_section_pins)
    registry.add("GET", "/v5/pins", list_pins)
    registry.add("POST", "/v5/pins", create_pin)
    registry.add("GET", "/v5/pins/{pin_id}", get_pin)
    registry.add("PATCH", "/v5/pins/{pin_id}", update_pin)
    registry.add("DELETE", "/v5/pins/{pin_id}", delete_pin)


# -- helpers ----------------------------------------------------------------------------------


def user_of(request: SandboxRequest) -> User:
    """The user of the request's bearer token (401 code 2 otherwise).

    When ``state.enforce_scopes`` is on, the token must also hold one of the scope sets the spec
    lists for the operation (401 code 3 otherwise, as Pinterest answers).
    """
    state = request.state
    user = state.authenticate(request.bearer_token)
    if state.enforce_scopes and request.bearer_token:
        alternatives = load_contract().required_scopes(request.method, request.path)
        granted = set(state.token_scope(request.bearer_token).replace(" ", ",").split(","))
        if alternatives and not any(needed <= granted for needed in alternatives):
            missing = ", ".join(sorted(min(alternatives, key=lambda s: len(s - granted))
                                       - granted))
            raise ApiError(401, 3, "Your token does not have sufficient permissions to access "
                                   f"this resource (missing scopes: {missing}).")
    return user


def json_body(request: SandboxRequest) -> dict[str, Any]:
    """The request's JSON object body (400 code 1 otherwise)."""
    body = request.json
    if not isinstance(body, dict):
        raise ApiError(400, 1, "Expected a JSON object body.")
    return body


def page_size(request: SandboxRequest) -> int:
    """The request's ``page_size`` (Pinterest's default 25)."""
    return int(request.query_one("page_size") or DEFAULT_PAGE_SIZE)


def _image_url(request: SandboxRequest, name: str, size: str = "600x900") -> str:
    return f"{request.base_url}/_sandbox/images/{name}-{size}.jpg"


def _images(request: SandboxRequest, name: str) -> dict[str, dict[str, object]]:
    return {key: {"url": _image_url(request, name, f"{w}x{h}"), "width": w, "height": h}
            for key, (w, h) in IMAGE_SIZES.items()}


def _board_json(request: SandboxRequest, board: Board) -> dict[str, Any]:
    state = request.state
    with state.lock:
        owner = state.records.users[board.owner_id].username
        pins = state.pins_on_board(board.id)
    return {
        "id": board.id, "name": board.name, "description": board.description,
        "privacy": board.privacy, "owner": {"username": owner}, "pin_count": len(pins),
        "follower_count": board.follower_count, "collaborator_count": 0,
        "created_at": iso(board.created_at), "board_pins_modified_at": iso(board.modified_at),
        "is_ads_only": False,
        "media": {
            "image_cover_url": _image_url(request, f"pin-{pins[0].id}", "400x300") if pins
            else None,
            "pin_thumbnail_urls": [_image_url(request, f"pin-{p.id}", "150x150")
                                   for p in pins[:4]],
        },
    }


def _pin_json(request: SandboxRequest, pin: Pin, *, metrics: bool) -> dict[str, Any]:
    with request.state.lock:
        owner = request.state.records.users[pin.owner_id].username
    if "images" not in pin.media and "items" not in pin.media:  # generated Pins: host them too
        _point_images_at(request, pin)
    body: dict[str, Any] = {
        "id": pin.id, "created_at": iso(pin.created_at), "board_id": pin.board_id,
        "board_owner": {"username": owner}, "is_owner": True, "is_standard": True,
        "has_been_promoted": False, "creative_type": pin.creative_type, "media": pin.media,
        "parent_pin_id": None, "pin_metrics": pin_metrics_of(pin) if metrics else None,
        **pin.fields,
    }
    return body


def pin_metrics_of(pin: Pin) -> dict[str, dict[str, int]]:
    """A Pin's ``pin_metrics`` (deterministic by id); the analytics' lifetime figures agree."""
    digest = hashlib.sha256(pin.id.encode()).digest()
    impression, clicks, outbound = 100 + digest[0] * 7, digest[1] % 50, digest[2] % 20
    return {
        "90d": {"pin_click": clicks, "impression": impression, "clickthrough": outbound},
        "lifetime_metrics": {"pin_click": clicks, "impression": impression,
                             "clickthrough": outbound, "reaction": digest[3] % 10,
                             "comment": digest[4] % 5},
    }


def _flag(request: SandboxRequest, name: str) -> bool:
    return (request.query_one(name) or "").lower() == "true"


# -- user and boards --------------------------------------------------------------------------


def user_account(request: SandboxRequest) -> SandboxResponse:
    user = user_of(request)
    state = request.state
    return SandboxResponse.json({
        "account_type": "BUSINESS", "id": user.id, "username": user.username,
        "business_name": user.username, "about": "", "website_url": "",
        "profile_image": _image_url(request, f"avatar-{user.id}", "150x150"),
        "board_count": len(state.boards_of(user.id)), "pin_count": len(state.pins_of(user.id)),
        "follower_count": 0, "following_count": 0, "monthly_views": 0,
    })


def list_boards(request: SandboxRequest) -> SandboxResponse:
    user = user_of(request)
    boards = request.state.boards_of(user.id)
    privacy = request.query_one("privacy")
    if privacy and privacy != "ALL":
        wanted = {"PUBLIC_AND_SECRET": {"PUBLIC", "SECRET"}}.get(privacy, {privacy})
        boards = [b for b in boards if b.privacy in wanted]
    page, bookmark = paginate(boards, lambda b: b.seq, request.query_one("bookmark"),
                              page_size(request), newest_first=False)
    return SandboxResponse.json({"items": [_board_json(request, b) for b in page],
                                 "bookmark": bookmark})


def create_board(request: SandboxRequest) -> SandboxResponse:
    user = user_of(request)
    body = json_body(request)
    name, privacy = body.get("name"), body.get("privacy") or "PUBLIC"
    if body.get("is_ads_only"):
        name, privacy = "Ad-only Pins", "PROTECTED"
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, 1, "Board name is required.")
    board = request.state.create_board(user.id, name, description=body.get("description"),
                                       privacy=str(privacy))
    return SandboxResponse.json(_board_json(request, board), 201)


def get_board(request: SandboxRequest) -> SandboxResponse:
    board = request.state.board_for(user_of(request).id, request.path_params["board_id"])
    return SandboxResponse.json(_board_json(request, board))


def update_board(request: SandboxRequest) -> SandboxResponse:
    board = request.state.board_for(user_of(request).id, request.path_params["board_id"])
    body = json_body(request)
    with request.state.lock:
        board.name = str(body.get("name", board.name))
        board.description = body.get("description", board.description)
        board.privacy = str(body.get("privacy", board.privacy))
    return SandboxResponse.json(_board_json(request, board))


def delete_board(request: SandboxRequest) -> SandboxResponse:
    board = request.state.board_for(user_of(request).id, request.path_params["board_id"])
    request.state.delete_board(board)
    return SandboxResponse.empty()


def list_sections(request: SandboxRequest) -> SandboxResponse:
    board = request.state.board_for(user_of(request).id, request.path_params["board_id"])
    page, bookmark = paginate(request.state.sections_of(board.id), lambda s: s.seq,
                              request.query_one("bookmark"), page_size(request),
                              newest_first=False)
    return SandboxResponse.json({"items": [{"id": s.id, "name": s.name} for s in page],
                                 "bookmark": bookmark})


def create_section(request: SandboxRequest) -> SandboxResponse:
    board = request.state.board_for(user_of(request).id, request.path_params["board_id"])
    name = json_body(request).get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, 400, "Invalid board section parameters.")
    if any(s.name == name for s in request.state.sections_of(board.id)):
        raise ApiError(409, 409, f"A section called {name!r} already exists on this board.")
    section = request.state.create_section(board.id, name)
    return SandboxResponse.json({"id": section.id, "name": section.name}, 201)


def _section(request: SandboxRequest, board: Board, section_id: str) -> Section:
    with request.state.lock:
        section = request.state.records.sections.get(section_id)
    if section is None or section.board_id != board.id:
        raise ApiError(404, 404, "Board section not found.")
    return section


# -- pins -----------------------------------------------------------------------------------


def _pin_page(request: SandboxRequest, pins: list[Pin]) -> SandboxResponse:
    pins = request.state.listed(pins)  # a listing may lag behind creates (listing_lag_ms)
    kinds = request.query.get("creative_types")
    if kinds:
        wanted = {kind for value in kinds for kind in value.split(",")}
        pins = [p for p in pins if p.creative_type in wanted]
    page, bookmark = paginate(pins, lambda p: p.seq, request.query_one("bookmark"),
                              page_size(request), newest_first=True)
    metrics = _flag(request, "pin_metrics")
    return SandboxResponse.json({"items": [_pin_json(request, p, metrics=metrics) for p in page],
                                 "bookmark": bookmark})


def list_board_pins(request: SandboxRequest) -> SandboxResponse:
    board = request.state.board_for(user_of(request).id, request.path_params["board_id"])
    return _pin_page(request, request.state.pins_on_board(board.id))


def list_section_pins(request: SandboxRequest) -> SandboxResponse:
    board = request.state.board_for(user_of(request).id, request.path_params["board_id"])
    section = _section(request, board, request.path_params["section_id"])
    pins = [p for p in request.state.pins_on_board(board.id)
            if p.fields.get("board_section_id") == section.id]
    return _pin_page(request, pins)


def list_pins(request: SandboxRequest) -> SandboxResponse:
    return _pin_page(request, request.state.pins_of(user_of(request).id))


def create_pin(request: SandboxRequest) -> SandboxResponse:
    user = user_of(request)
    body = json_body(request)
    board_id, source = body.get("board_id"), body.get("media_source")
    if not board_id:
        raise ApiError(400, 1, "board_id is required.")
    if not isinstance(source, dict):
        raise ApiError(400, 1, "media_source is required.")
    board = _target_board(request, user, str(board_id))
    section_id = body.get("board_section_id")
    if section_id:
        _section(request, board, str(section_id))
    media, creative_type = _media_for(request, user, source)
    fields = {key: body.get(key) for key in
              ("title", "description", "link", "alt_text", "dominant_color", "board_section_id")}
    pin = request.state.add_pin(user.id, board.id, fields, media, creative_type)
    _point_images_at(request, pin)
    return SandboxResponse.json(_pin_json(request, pin, metrics=False), 201)


def _target_board(request: SandboxRequest, user: User, board_id: str) -> Board:
    with request.state.lock:
        board = request.state.records.boards.get(board_id)
    if board is None:
        raise ApiError(404, 40, "Board not found.")
    if board.owner_id != user.id:
        raise ApiError(403, 7, "Not authorized to access board or Pin.")
    return board


def _point_images_at(request: SandboxRequest, pin: Pin) -> None:
    """Emulate Pinterest re-hosting the image(s): URLs served by this sandbox."""
    if pin.media.get("media_type") == "image":
        pin.media["images"] = _images(request, f"pin-{pin.id}")
    elif pin.media.get("media_type") == "multiple_images":
        for index, item in enumerate(pin.media["items"]):
            item["images"] = _images(request, f"pin-{pin.id}-{index}")
    elif pin.media.get("media_type") == "video":
        pin.media["cover_image_url"] = _image_url(request, f"pin-{pin.id}-cover", "1080x1920")
        pin.media["images"] = _images(request, f"pin-{pin.id}-cover")


def _media_for(request: SandboxRequest, user: User,
               source: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    kind = source.get("source_type")
    if kind == "image_url":
        _fetchable(str(source.get("url", "")))
        return {"media_type": "image"}, "REGULAR"
    if kind == "image_base64":
        _real_image(str(source.get("data", "")), str(source.get("content_type", "")))
        return {"media_type": "image"}, "REGULAR"
    if kind in ("multiple_image_urls", "multiple_image_base64"):
        items = source.get("items") or []
        if not 2 <= len(items) <= 5:
            raise ApiError(400, 1, f"Carousel needs 2 to 5 images (constraint: maxItems=5), "
                                   f"got {len(items)}.")
        for item in items:
            if kind == "multiple_image_urls":
                _fetchable(str(item.get("url", "")))
            else:
                _real_image(str(item.get("data", "")), str(item.get("content_type", "")))
        return {"media_type": "multiple_images", "items": [
            {"item_type": "image", "title": i.get("title"), "description": i.get("description"),
             "link": i.get("link")} for i in items]}, "CAROUSEL"
    if kind == "video_id":
        return _video(request, user, source), "VIDEO"
    raise ApiError(400, 1, f"media_source {kind!r} is not available to this app.")


def _fetchable(url: str) -> None:
    if "unreachable" in url:
        raise ApiError(400, 1, "Sorry we could not fetch the image.")


def _real_image(data: str, content_type: str) -> None:
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, 1, "Image data is not valid base64.") from exc
    if len(raw) > MAX_IMAGE_BYTES:
        raise ApiError(400, 1, "Image is too large (20 MB at most).")
    kind = next((k for k, magics in MAGIC.items() if raw.startswith(magics)), None)
    if kind is None:
        raise ApiError(400, 1, "Image data is not a JPEG or PNG image.")
    if kind != content_type:
        raise ApiError(400, 1, f"Image data is {kind} but content_type says {content_type}.")


def _video(request: SandboxRequest, user: User, source: Mapping[str, Any]) -> dict[str, Any]:
    media = request.state.media_for(user.id, str(source.get("media_id", "")))
    if media.status != "succeeded":
        raise ApiError(400, 1, f"Media {media.id} is not ready (status: {media.status}).")
    if source.get("cover_image_data"):
        _real_image(str(source["cover_image_data"]), str(source.get("cover_image_content_type")))
    elif not (source.get("cover_image_url") or "cover_image_key_frame_time" in source):
        raise ApiError(400, 1, "Video Pins need a cover: set cover_image_url or "
                               "cover_image_content_type and cover_image_data, or "
                               "cover_image_key_frame_time.")
    return {"media_type": "video", "duration": 15000.0, "width": 1080, "height": 1920,
            "video_url": None}


def get_pin(request: SandboxRequest) -> SandboxResponse:
    pin = request.state.pin_for(user_of(request).id, request.path_params["pin_id"])
    return SandboxResponse.json(_pin_json(request, pin, metrics=_flag(request, "pin_metrics")))


def update_pin(request: SandboxRequest) -> SandboxResponse:
    user = user_of(request)
    pin = request.state.pin_for(user.id, request.path_params["pin_id"])
    body = json_body(request)
    board = _target_board(request, user, str(body["board_id"])) if "board_id" in body else None
    with request.state.lock:
        if board is not None:
            pin.board_id = board.id
        for key in ("title", "description", "link", "alt_text", "board_section_id"):
            if key in body:
                pin.fields[key] = body[key]
    return SandboxResponse.json(_pin_json(request, pin, metrics=False))


def delete_pin(request: SandboxRequest) -> SandboxResponse:
    pin = request.state.pin_for(user_of(request).id, request.path_params["pin_id"])
    request.state.delete_pin(pin)
    return SandboxResponse.empty()
