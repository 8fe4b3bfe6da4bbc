"""Video uploads in the sandbox: ``POST /v5/media``, ``GET /v5/media[/{id}]`` and the S3 stand-in.

``POST /v5/media`` registers a video and points ``upload_url`` at this server
(``/_sandbox/upload/{media_id}``), which wants what S3 wants: a ``multipart/form-data`` POST with
a real Content-Length (411 ``MissingContentLength`` otherwise, as S3 answers streamed bodies),
every ``upload_parameters`` field unchanged, and the ``file`` field last; it answers 204. After the
upload ``GET /v5/media/{id}`` reports ``processing`` for ``state.media_polls`` polls, then
``succeeded`` (``failed`` when the file is empty or contains ``sandbox:fail``).

The upload is parsed as it arrives (python-multipart's streaming parser): the form fields are
kept, the file only as its size and SHA-256 (``Media.size``, ``Media.sha256``), so a 1 GB
upload costs the sandbox no memory either.
"""

from __future__ import annotations

import base64
import hashlib
import io
from typing import TYPE_CHECKING

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from pinterest_agent.providers.sandbox.pinterest import json_body, page_size, user_of
from pinterest_agent.providers.sandbox.routes import (
    BodyStream,
    RouteRegistry,
    SandboxRequest,
    SandboxResponse,
)
from pinterest_agent.providers.sandbox.state import Media, paginate

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

__all__ = ["register"]

FAIL_MARKER = b"sandbox:fail"
MAX_FIELD_BYTES = 64 * 1024
"""A form field other than ``file`` longer than this is refused (S3's policy fields are short)."""


def register(registry: RouteRegistry) -> None:
    """Add the media routes and the upload endpoint."""
    registry.add("POST", "/v5/media", register_media)
    registry.add("GET", "/v5/media", list_media)
    registry.add("GET", "/v5/media/{media_id}", get_media)
    registry.add("POST", "/_sandbox/upload/{media_id}", upload_media, stream_body=True)


def _upload_parameters(media: Media) -> dict[str, str]:
    signature = hashlib.sha256(media.upload_key.encode()).hexdigest()
    return {
        "Content-Type": "multipart/form-data", "key": media.upload_key,
        "policy": base64.b64encode(f"sandbox-policy:{media.id}".encode()).decode(),
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": "SANDBOX/20250101/us-east-1/s3/aws4_request",
        "x-amz-date": "20250101T000000Z", "x-amz-security-token": "sandbox-token",
        "x-amz-signature": signature,
    }


def _media_json(media: Media) -> dict[str, str]:
    return {"media_id": media.id, "media_type": media.media_type, "status": media.status}


def register_media(request: SandboxRequest) -> SandboxResponse:
    user = user_of(request)
    media = request.state.register_media(user.id, str(json_body(request).get("media_type")))
    return SandboxResponse.json({
        "media_id": media.id, "media_type": media.media_type,
        "upload_url": f"{request.base_url}/_sandbox/upload/{media.id}",
        "upload_parameters": _upload_parameters(media),
    }, 201)


def list_media(request: SandboxRequest) -> SandboxResponse:
    user = user_of(request)
    with request.state.lock:
        uploads = [m for m in request.state.records.media.values() if m.owner_id == user.id]
    uploads.sort(key=lambda m: m.seq, reverse=True)
    page, bookmark = paginate(uploads, lambda m: m.seq, request.query_one("bookmark"),
                              page_size(request), newest_first=True)
    return SandboxResponse.json({"items": [_media_json(m) for m in page], "bookmark": bookmark})


def get_media(request: SandboxRequest) -> SandboxResponse:
    media = request.state.media_for(user_of(request).id, request.path_params["media_id"])
    request.state.poll_media(media)
    return SandboxResponse.json(_media_json(media))


def upload_media(request: SandboxRequest) -> SandboxResponse:
    """The S3 stand-in: multipart form with every upload parameter and ``file`` last."""
    if request.header("Content-Length") is None:
        return _s3_error(411, "MissingContentLength",
                         "You must provide the Content-Length HTTP header.")
    with request.state.lock:
        media = request.state.records.media.get(request.path_params["media_id"])
    if media is None:
        return _s3_error(404, "NoSuchUpload", "The specified upload does not exist.")
    if request.content_type != "multipart/form-data":
        return _s3_error(412, "PreconditionFailed", "Bucket POST must be of the enclosure-type "
                                                    "multipart/form-data.")
    form = _read_form(request)
    if isinstance(form, SandboxResponse):
        return form
    if not form.order or form.order[-1] != "file":
        return _s3_error(400, "InvalidArgument", "POST requires exactly one file upload per "
                                                 "request, sent as the last field 'file'.")
    expected = _upload_parameters(media)
    wrong = [name for name, value in expected.items() if form.fields.get(name) != value.encode()]
    if wrong:
        return _s3_error(403, "AccessDenied",
                         f"Invalid according to Policy: missing or wrong {', '.join(wrong)}.")
    if form.file_size == 0 or form.failed:
        with request.state.lock:
            media.status = "failed"
    else:
        request.state.mark_uploaded(media, form.file_size, form.file_hash.hexdigest())
    return SandboxResponse.empty(204)


class _Form:
    """python-multipart's callbacks for an upload: the fields in order, ``file`` kept only as
    its size, SHA-256 and whether it carries :data:`FAIL_MARKER`."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.fields: dict[str, bytes] = {}
        self.file_size = 0
        self.file_hash = hashlib.sha256()
        self.failed = False
        self.too_long = False
        self.ended = False
        self._name = ""
        self._header = b""
        self._value = b""
        self._tail = b""  # the file's last bytes: a marker split across chunks is still found

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_part_data": self._part_data, "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self._name, self._header, self._value = "", b"", b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        if self._header.lower() == b"content-disposition":
            self._name = parse_options_header(self._value)[1].get(b"name", b"").decode("latin-1")
        self._header, self._value = b"", b""

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._name == "file":
            self.file_size += len(chunk)
            self.file_hash.update(chunk)
            self.failed = self.failed or FAIL_MARKER in self._tail + chunk
            self._tail = (self._tail + chunk)[-len(FAIL_MARKER):]
            return
        value = self.fields.get(self._name, b"") + chunk
        self.too_long = self.too_long or len(value) > MAX_FIELD_BYTES
        self.fields[self._name] = value[:MAX_FIELD_BYTES]

    def _part_end(self) -> None:
        self.order.append(self._name)
        if self._name != "file":
            self.fields.setdefault(self._name, b"")

    def _end(self) -> None:
        self.ended = True


def _read_form(request: SandboxRequest) -> _Form | SandboxResponse:
    """Parse the multipart body chunk by chunk, keeping no more than the fields."""
    malformed = _s3_error(400, "MalformedPOSTRequest",
                          "The body of your POST request is not well-formed multipart/form-data.")
    boundary = parse_options_header(request.header("Content-Type"))[1].get(b"boundary")
    if not boundary:
        return malformed
    form = _Form()
    parser = MultipartParser(boundary, form.callbacks())
    body = request.body_stream or BodyStream(io.BytesIO(request.body), len(request.body))
    try:
        while chunk := body.read():
            parser.write(chunk)
    except MultipartParseError:
        return malformed
    if body.remaining:
        return _s3_error(400, "IncompleteBody", "You did not provide the number of bytes "
                                                "specified by the Content-Length HTTP header.")
    return form if form.ended and not form.too_long else malformed


def _s3_error(status: int, code: str, message: str) -> SandboxResponse:
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
           f"<Message>{message}</Message></Error>")
    return SandboxResponse.text(xml, status, content_type="application/xml")
