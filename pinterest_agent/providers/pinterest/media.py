"""Video media: register an upload, send the file to S3, poll until Pinterest has processed it.

The flow is three steps a worker runs as separate messages: :meth:`Media.register_video`,
:meth:`Media.upload` (a multipart POST to ``upload_url`` with every ``upload_parameters`` field
and the file as ``file``, with a real ``Content-Length``: S3 answers 411 to a chunked body, and
no Pinterest token), then :meth:`Media.get` until ``succeeded`` (``failed`` is terminal).

An upload from a file is streamed: httpx's multipart encoder sizes a real file with ``fstat``
up front (so the request carries its ``Content-Length``) and reads it in 64 KiB chunks while
sending, so a 2 GB video costs no more memory than a small one.
"""

from __future__ import annotations

import mimetypes
import os
from contextlib import ExitStack
from typing import TYPE_CHECKING, BinaryIO

import httpx

from pinterest_agent.providers.deadlines import DEADLINE_EXTENSION
from pinterest_agent.providers.pinterest.errors import (
    PinterestError,
    PinterestPermanentError,
    PinterestTransientError,
    PinterestValidationError,
    response_summary,
)
from pinterest_agent.providers.pinterest.models import MediaStatus, MediaUpload, require_id

if TYPE_CHECKING:
    from pinterest_agent.providers.pinterest.client import PinterestClient

__all__ = ["DEFAULT_UPLOAD_TIMEOUT_S", "Media"]

#: A large video to S3 takes longer than an API call: the upload's own total deadline.
DEFAULT_UPLOAD_TIMEOUT_S = 300.0


class Media:
    """``api.media``: video uploads."""

    def __init__(self, api: PinterestClient) -> None:
        self._api = api

    def register_video(self) -> MediaUpload:
        """``POST /media``: reserve a ``media_id`` and get the S3 upload form."""
        upload = self._api.post_model(MediaUpload, "/media", json={"media_type": "video"})
        self._check_upload_url(upload)
        return upload

    def _check_upload_url(self, upload: MediaUpload) -> None:
        """``upload_url`` must be an absolute https URL (http only while the API itself is plain
        http: a local sandbox), with a host and no credentials: the file goes there."""
        try:
            url = httpx.URL(upload.upload_url or "")
        except httpx.InvalidURL:
            url = None
        schemes = {"https", self._api.http.base_url.scheme} - {""}
        if url is None or url.scheme not in schemes or not url.host or url.userinfo:
            raise PinterestTransientError(
                f"Pinterest answered POST /media with an upload_url that is not an absolute "
                f"https URL ({(upload.upload_url or '(none)')[:120]!r}); the video is registered "
                "again on the retry: report it with the request id if it repeats.",
                code="unexpected_response", method="POST", path="/media",
                media_id=upload.media_id)

    def upload(
        self,
        upload: MediaUpload,
        source: bytes | os.PathLike[str],
        filename: str,
        *,
        timeout_s: float | None = None,
    ) -> None:
        """POST ``source`` (the bytes, or the path of a file, streamed) to ``upload.upload_url``
        as the form S3 expects, with a real ``Content-Length``, within ``timeout_s`` in all
        (the client's ``upload_deadline_s`` by default) instead of an API call's deadline.

        Repeating an upload overwrites the same key, so a timeout here is plainly transient.
        """
        if not upload.upload_url or not upload.upload_parameters:
            raise PinterestValidationError(
                f"Media {upload.media_id} has no upload_url/upload_parameters; register the "
                "video again with register_video().",
                field="upload",
            )
        if timeout_s is None:
            timeout_s = self._api.upload_deadline_s
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        with ExitStack() as files:
            body: bytes | BinaryIO
            if isinstance(source, bytes):
                body, size = source, len(source)
            else:
                body = files.enter_context(open(source, "rb"))
                size = os.fstat(body.fileno()).st_size
            if size == 0:
                raise PinterestValidationError("The video file is empty.", field="data")
            request = self._api.http.build_request(
                "POST",
                upload.upload_url,
                data=dict(upload.upload_parameters),
                files={"file": (filename, body, content_type)},
                timeout=httpx.Timeout(timeout_s),
                extensions={DEADLINE_EXTENSION: timeout_s},
            )
            self._api.send(request, idempotent=True, recast=_upload_refused)

    def get(self, media_id: str) -> MediaStatus:
        """``GET /media/{media_id}``: the upload's processing status."""
        return self._api.get_model(MediaStatus, f"/media/{require_id(media_id, 'media_id')}")


def _upload_refused(error: PinterestError, response: httpx.Response) -> PinterestError:
    """S3 refusing the form is not a board or Pin problem: say what to do about an upload."""
    if not isinstance(error, PinterestPermanentError):
        return error  # 5xx and network trouble stay transient
    return PinterestPermanentError(
        f"{response_summary(response)}. The upload store refused the file: register the video "
        "again (upload forms expire) and check the file is a supported video within the size "
        "limit.",
        code="upload_rejected",
        **error.details,
    )
