"""The sandbox's own endpoints under ``/_sandbox/``: control, test pages and generated images.

Control (JSON in, JSON out; never subject to faults)::

    GET    /_sandbox/stats            record and request counts
    POST   /_sandbox/reset            forget everything
    POST   /_sandbox/seed             {"username", "board_name", "scope", "expired_access_token"}
                                      -> {user_id, username, access_token, refresh_token, board_id}
    POST   /_sandbox/expire_tokens    expire every access token
    POST   /_sandbox/latency          {"latency_ms": N} global latency
    POST   /_sandbox/listing_lag      {"listing_lag_ms": N} Pin listings leave out Pins younger
                                      than N ms (Pinterest's listings are eventually consistent)
    GET    /_sandbox/faults           the active faults
    POST   /_sandbox/faults           add one (fields of ``FaultRegistry.add``) -> 201
    DELETE /_sandbox/faults[/{id}]    drop all faults, or one

Pages for link preflight, images and videos for fetches (GET and HEAD)::

    /_sandbox/pages/{anything}        200 text/html
    /_sandbox/status/{code}           that status
    /_sandbox/redirect?to=URL         302 to URL
    /_sandbox/images/{name}           a generated JPEG (PNG when name ends in .png); a ``WxH`` in
                                      the name sets the size, e.g. ``hero-1000x1500.jpg``
    /_sandbox/videos/{name}           a small fake MP4 (MOV when name ends in .mov): an ``ftyp``
                                      box and an ``mdat`` box of bytes seeded by ``name``; a name
                                      containing ``fail`` carries ``sandbox:fail``, so the upload's
                                      processing ends ``failed``
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import asdict
from functools import lru_cache
from typing import Any

from pinterest_agent.providers.sandbox.routes import (
    ApiError,
    RouteRegistry,
    SandboxRequest,
    SandboxResponse,
)
from pinterest_agent.providers.sandbox.state import DEFAULT_SCOPE

__all__ = ["generated_image", "generated_video", "register"]

_SIZE = re.compile(r"(\d{1,4})x(\d{1,4})")
DEFAULT_IMAGE_SIZE = (600, 900)


def register(registry: RouteRegistry) -> None:
    """Add the ``/_sandbox/`` routes."""
    registry.add("GET", "/_sandbox/stats", stats)
    registry.add("POST", "/_sandbox/reset", reset)
    registry.add("POST", "/_sandbox/seed", seed)
    registry.add("POST", "/_sandbox/expire_tokens", expire_tokens)
    registry.add("POST", "/_sandbox/latency", latency)
    registry.add("POST", "/_sandbox/listing_lag", listing_lag)
    registry.add("GET", "/_sandbox/faults", list_faults)
    registry.add("POST", "/_sandbox/faults", add_fault)
    registry.add("DELETE", "/_sandbox/faults", clear_faults)
    registry.add("DELETE", "/_sandbox/faults/{fault_id}", remove_fault)
    registry.add("GET", "/_sandbox/pages/{rest:path}", page)
    registry.add("GET", "/_sandbox/status/{code}", status_page)
    registry.add("GET", "/_sandbox/redirect", redirect)
    registry.add("GET", "/_sandbox/images/{name}", image)
    registry.add("GET", "/_sandbox/videos/{name}", video)


def _json_object(request: SandboxRequest) -> dict[str, Any]:
    data = request.json if request.body else {}
    if not isinstance(data, dict):
        raise ApiError(400, 1, "Expected a JSON object.")
    return data


def stats(request: SandboxRequest) -> SandboxResponse:
    return SandboxResponse.json(request.state.stats())


def reset(request: SandboxRequest) -> SandboxResponse:
    request.state.reset()
    return SandboxResponse.json({"reset": True})


def seed(request: SandboxRequest) -> SandboxResponse:
    data = _json_object(request)
    result = request.state.seed_account(
        str(data.get("username", "sandbox_user")),
        board_name=str(data.get("board_name", "Sandbox board")),
        scope=str(data.get("scope", DEFAULT_SCOPE)),
        expired_access_token=bool(data.get("expired_access_token", False)),
    )
    return SandboxResponse.json(asdict(result), 201)


def expire_tokens(request: SandboxRequest) -> SandboxResponse:
    return SandboxResponse.json({"expired": request.state.expire_access_tokens()})


def latency(request: SandboxRequest) -> SandboxResponse:
    value = _json_object(request).get("latency_ms", 0)
    if not isinstance(value, int) or value < 0:
        raise ApiError(400, 1, "latency_ms must be a non-negative integer.")
    request.state.latency_ms = value
    return SandboxResponse.json({"latency_ms": value})


def listing_lag(request: SandboxRequest) -> SandboxResponse:
    value = _json_object(request).get("listing_lag_ms", 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ApiError(400, 1, "listing_lag_ms must be a non-negative integer.")
    request.state.listing_lag_ms = value
    return SandboxResponse.json({"listing_lag_ms": value})


def list_faults(request: SandboxRequest) -> SandboxResponse:
    return SandboxResponse.json({"items": [f.as_dict() for f in request.state.faults.list()]})


def add_fault(request: SandboxRequest) -> SandboxResponse:
    try:
        fault = request.state.faults.add_json(_json_object(request))
    except (ValueError, TypeError, re.error) as exc:
        raise ApiError(400, 1, f"Invalid fault: {exc}") from exc
    return SandboxResponse.json(fault.as_dict(), 201)


def clear_faults(request: SandboxRequest) -> SandboxResponse:
    request.state.faults.clear()
    return SandboxResponse.empty()


def remove_fault(request: SandboxRequest) -> SandboxResponse:
    raw = request.path_params["fault_id"]
    if not raw.isdigit() or not request.state.faults.remove(int(raw)):
        raise ApiError(404, 404, "Fault not found.")
    return SandboxResponse.empty()


def page(request: SandboxRequest) -> SandboxResponse:
    name = request.path_params["rest"]
    html = (f"<!doctype html><html><head><title>Sandbox page {name}</title></head>"
            f"<body><h1>Sandbox page</h1><p>{name}</p></body></html>")
    return SandboxResponse.text(html, content_type="text/html; charset=utf-8")


def status_page(request: SandboxRequest) -> SandboxResponse:
    raw = request.path_params["code"]
    if not raw.isdigit() or not 100 <= int(raw) <= 599:
        raise ApiError(400, 1, "Status must be a number between 100 and 599.")
    code = int(raw)
    if code in (204, 304) or code < 200:
        return SandboxResponse.empty(code)
    return SandboxResponse.text(f"status {code}\n", code)


def redirect(request: SandboxRequest) -> SandboxResponse:
    target = request.query_one("to")
    if not target:
        raise ApiError(400, 1, "Missing 'to'.")
    return SandboxResponse.redirect(target)


def image(request: SandboxRequest) -> SandboxResponse:
    name = request.path_params["name"]
    fmt = "PNG" if name.lower().endswith(".png") else "JPEG"
    found = _SIZE.search(name)
    width, height = (int(found[1]), int(found[2])) if found else DEFAULT_IMAGE_SIZE
    if not (1 <= width <= 4000 and 1 <= height <= 4000):
        raise ApiError(400, 1, "Image size must be between 1x1 and 4000x4000.")
    data = generated_image(name, width, height, fmt)
    content_type = "image/png" if fmt == "PNG" else "image/jpeg"
    return SandboxResponse(200, data, {"Content-Type": content_type})


@lru_cache(maxsize=64)
def generated_image(name: str, width: int, height: int, fmt: str = "JPEG") -> bytes:
    """A small deterministic picture: a two-tone gradient seeded by ``name``, or, for a name
    starting with ``product-``, a still life of an object (``providers.sandbox.still_life``)."""
    from PIL import Image, ImageDraw

    from pinterest_agent.providers.sandbox.still_life import still_life

    if name.startswith("product-"):
        picture = still_life(name, width, height)
    else:
        digest = hashlib.sha256(name.encode()).digest()
        top, bottom = digest[:3], digest[3:6]
        picture = Image.new("RGB", (width, height))
        draw = ImageDraw.Draw(picture)
        for y in range(height):
            mix = y / max(height - 1, 1)
            colour = tuple(int(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True))
            draw.line([(0, y), (width, y)], fill=colour)
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, quality=85) if fmt == "JPEG" else picture.save(buffer, fmt)
    return buffer.getvalue()


def video(request: SandboxRequest) -> SandboxResponse:
    name = request.path_params["name"]
    quicktime = name.lower().endswith(".mov")
    content_type = "video/quicktime" if quicktime else "video/mp4"
    return SandboxResponse(200, generated_video(name), {"Content-Type": content_type})


@lru_cache(maxsize=64)
def generated_video(name: str) -> bytes:
    """Bytes that look like an MP4 (or MOV) to a sniffer: ``ftyp`` then ``mdat``. Not playable;
    the sandbox's media processing only looks for the ``sandbox:fail`` marker."""
    brand = b"qt  " if name.lower().endswith(".mov") else b"isom"
    compatible = brand + (b"mp41" if brand == b"isom" else b"")
    ftyp = _box(b"ftyp", brand + (0x200).to_bytes(4, "big") + compatible)
    payload = b"".join(hashlib.sha256(f"{name}:{i}".encode()).digest() for i in range(32))
    if "fail" in name:
        payload += b"sandbox:fail"
    return ftyp + _box(b"mdat", payload)


def _box(kind: bytes, body: bytes) -> bytes:
    return (8 + len(body)).to_bytes(4, "big") + kind + body
