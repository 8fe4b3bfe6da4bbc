"""Video uploads in the sandbox: ``POST /v5/media``, ``GET /v5/media[/{id}]`` and the S3 stand-in.

``POST /v5/media`` registers a video and points ``upload_url`` at this server
(``/_sandbox/upload/{media_id}``), which wants what S3 wants: a ``multipart/form-data`` POST with
a real Content-Length (411 ``MissingContentLength`` otherwise, as S3 answers streamed bodies),
every ``upload_parameters`` field unchanged, and the ``file`` field last; it answers 204. After the
upload ``GET /v5/media/{id}`` reports ``processing`` for ``state.media_polls`` polls, then
``succeeded`` (``failed`` when the file is empty or contains ``sandbox:fail``).
"""

from __future__ import annotations

import base64
import hashlib
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

from providers.sandbox.pinterest import json_body, page_size, user_of
from providers.sandbox.routes import RouteRegistry, SandboxRequest, SandboxResponse
from providers.sandbox.state import Media, paginate

__all__ = ["register"]

FAIL_MARKER = b"sandbox:fail"


def register(registry: RouteRegistry) -> None:
    """Add the media routes and the upload endpoint."""
    registry.add("POST", "/v5/media", register_media)
    registry.add("GET", "/v5/media", list_media)
    registry.add("GET", "/v5/media/{media_id}", get_media)
    registry.add("POST", "/_sandbox/upload/{media_id}", upload_media)


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
    fields = _multipart_fields(request)
    names = [name for name, _ in fields]
    if not names or names[-1] != "file":
        return _s3_error(400, "InvalidArgument", "POST requires exactly one file upload per "
                                                 "request, sent as the last field 'file'.")
    values = dict(fields)
    expected = _upload_parameters(media)
    wrong = [name for name, value in expected.items() if values.get(name) != value.encode()]
    if wrong:
        return _s3_error(403, "AccessDenied",
                         f"Invalid according to Policy: missing or wrong {', '.join(wrong)}.")
    content = values["file"]
    if not content or FAIL_MARKER in content:
        with request.state.lock:
            media.status = "failed"
    else:
        request.state.mark_uploaded(media, len(content))
    return SandboxResponse.empty(204)


def _multipart_fields(request: SandboxRequest) -> list[tuple[str, bytes]]:
    header = f"Content-Type: {request.header('Content-Type')}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(header + request.body)
    fields: list[tuple[str, bytes]] = []
    for part in message.iter_parts() if message.is_multipart() else ():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str):
            fields.append((name, payload if isinstance(payload, bytes) else b""))
    return fields


def _s3_error(status: int, code: str, message: str) -> SandboxResponse:
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
           f"<Message>{message}</Message></Error>")
    return SandboxResponse.text(xml, status, content_type="application/xml")
