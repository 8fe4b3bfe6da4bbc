"""Video Pins: fetch the file, upload it to Pinterest once, wait until Pinterest has processed it.

The publisher calls :meth:`VideoUploads.ready_media_id` under the post's lease, before it takes
a channel write slot (fetching, uploading and polling never hold one)::

    ledger has a media_id?  no -> stream the file to a temporary file (SSRF-safe, size cap
                                  checked while streaming, refused at its first bytes unless
                                  MP4/MOV: an ``ftyp`` box), POST /media, stream it to the
                                  upload_url with a real Content-Length, delete the file,
                                  ledger.set_media(...) at once: a redelivery never uploads twice
    GET /media/{media_id}   succeeded            -> the media_id (the publisher creates the Pin)
                            failed               -> forget the upload; VideoProcessingFailedError
                            registered/processing -> older than the processing timeout?
                                                      forget it; VideoProcessingTimeoutError
                                                    else VideoProcessingError: poll again later

``VideoProcessingError`` is an expected state, not a failure: the queue layer turns it into a
delayed retry with a budget of its own. A crash between the upload and ``set_media`` costs one
more upload on the next attempt, never a second Pin.

A video is never held in memory: the fetch writes it to ``VideoOptions.tmp_dir`` (the system's
temporary directory by default; not a RAM-backed tmpfs for 2 GB files) and the upload reads it
back in chunks. The file is deleted once the upload is sent, and when any step fails.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from pinterest_agent.agents.messages import VideoMedia
from pinterest_agent.agents.ports import LedgerEntry, PublishLedger
from pinterest_agent.errors import InvalidInputError, TransientError
from pinterest_agent.providers.netsafe import FetchedFile
from pinterest_agent.providers.pinterest import PinterestClient, VideoIdSource

__all__ = [
    "DEFAULT_MAX_VIDEO_BYTES",
    "DEFAULT_VIDEO_PROCESSING_TIMEOUT_S",
    "ApiCall",
    "SourceNotAVideoError",
    "VideoFetcher",
    "VideoOptions",
    "VideoProcessingError",
    "VideoProcessingFailedError",
    "VideoProcessingTimeoutError",
    "VideoSpoolError",
    "VideoUploads",
    "sniff_video",
    "video_source",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_MAX_VIDEO_BYTES = 2 * 1024 * 1024 * 1024
"""2 GiB, what the services users compare this worker with accept."""
DEFAULT_VIDEO_PROCESSING_TIMEOUT_S = 1800.0
SNIFF_BYTES = 12
"""How much of the file :func:`sniff_video` needs: the ``ftyp`` box's size, type and brand."""
_QUICKTIME_BRAND = b"qt  "


class SourceNotAVideoError(InvalidInputError):
    """The video URL's body is not an MP4/MOV file (no ``ftyp`` box at bytes 4-8)."""

    default_code = "source_not_a_video"


class VideoProcessingError(TransientError):
    """Pinterest is still processing the upload: expected, polled again later."""

    default_code = "video_processing"


class VideoProcessingFailedError(InvalidInputError):
    """Pinterest could not process the video (often a corrupt or unsupported file)."""

    default_code = "video_processing_failed"


class VideoProcessingTimeoutError(TransientError):
    """Processing took longer than the timeout; the next attempt uploads the file again."""

    default_code = "video_processing_timeout"


class VideoSpoolError(TransientError):
    """The video could not be written to its temporary file (no room, or no such directory)."""

    default_code = "video_spool_failed"


class VideoFetcher(Protocol):
    """``providers.netsafe.SafeFetcher`` satisfies this."""

    def fetch_to_file(
        self,
        url: str,
        *,
        max_bytes: int,
        directory: str | os.PathLike[str] | None = None,
        head_bytes: int = 0,
        check_head: Callable[[bytes], object] | None = None,
    ) -> AbstractContextManager[FetchedFile]: ...


class ApiCall(Protocol):
    """Runs one call against the channel's API client (refreshing the token once on a 401)."""

    def __call__(self, fn: Callable[[PinterestClient], T], /) -> T: ...


@dataclass(frozen=True, slots=True)
class VideoOptions:
    """``max_bytes``: the largest file fetched; ``processing_timeout_s``: how long after the
    upload Pinterest may take to process it before the attempt gives up; ``tmp_dir``: where the
    file is kept between the fetch and the upload (``None``: the system's temporary directory).
    """

    max_bytes: int = DEFAULT_MAX_VIDEO_BYTES
    processing_timeout_s: float = DEFAULT_VIDEO_PROCESSING_TIMEOUT_S
    tmp_dir: Path | None = None


def sniff_video(data: bytes) -> str:
    """The upload's file name extension (``.mp4`` or ``.mov``) for an ISO media file, or raise
    :class:`SourceNotAVideoError`."""
    if len(data) < 12 or data[4:8] != b"ftyp":
        raise SourceNotAVideoError(
            "the video URL did not return an MP4 or MOV file (no 'ftyp' box at the start); "
            "link the video file itself, not a page or an image",
            field="media.url",
        )
    return ".mov" if data[8:12] == _QUICKTIME_BRAND else ".mp4"


def video_source(media: VideoMedia, media_id: str) -> VideoIdSource:
    """``media_source`` for a processed upload, with the post's cover (key frame 0 if none)."""
    return VideoIdSource(
        media_id=media_id,
        cover_image_url=media.cover_image_url,
        cover_image_key_frame_time=media.key_frame_time_s,
    )


class VideoUploads:
    """The video steps of a publish. Every collaborator is injected."""

    def __init__(
        self,
        *,
        ledger: PublishLedger,
        fetcher: VideoFetcher,
        options: VideoOptions = VideoOptions(),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._ledger = ledger
        self._fetcher = fetcher
        self._options = options
        self._clock = clock

    def ready_media_id(
        self, post_id: str, media: VideoMedia, entry: LedgerEntry | None, call: ApiCall
    ) -> str:
        """The ``media_id`` of the post's processed upload, uploading first when the ledger
        has none. Raises :class:`VideoProcessingError` while Pinterest is still working."""
        if entry is not None and entry.media_id is not None:
            media_id = entry.media_id
            registered_at = entry.media_registered_at or 0.0
        else:
            media_id, registered_at = self._upload(post_id, media, call)
        status = call(lambda api: api.media.get(media_id))
        if status.succeeded:
            return media_id
        if status.failed:
            self._ledger.clear_media(post_id)
            raise VideoProcessingFailedError(
                "Pinterest could not process the video; check it is a valid MP4/MOV "
                "(H.264/H.265, 4 s to 15 min) and send the post again",
                field="media.url", media_id=media_id,
            )
        waited_s = self._clock() - registered_at
        if waited_s > self._options.processing_timeout_s:
            self._ledger.clear_media(post_id)
            raise VideoProcessingTimeoutError(
                f"Pinterest has not finished processing the video {waited_s:.0f} s after the "
                f"upload (limit {self._options.processing_timeout_s:.0f} s); the retry uploads "
                "it again",
                media_id=media_id, status=status.status,
            )
        log.info("video still processing post_id=%s media_id=%s status=%s waited_s=%.0f",
                 post_id, media_id, status.status, waited_s)
        raise VideoProcessingError(
            f"Pinterest is still processing the video (status {status.status})",
            media_id=media_id, post_id=post_id,
        )

    def _upload(self, post_id: str, media: VideoMedia, call: ApiCall) -> tuple[str, float]:
        with ExitStack() as cleanup:  # the temporary file goes, whatever happens
            fetched = self._fetch(media.url, cleanup)
            extension = sniff_video(fetched.head)
            upload = call(lambda api: api.media.register_video())
            registered_at = self._clock()
            call(lambda api: api.media.upload(upload, fetched.path, f"video{extension}"))
        self._ledger.set_media(post_id, upload.media_id, registered_at)
        log.info("video uploaded post_id=%s media_id=%s bytes=%d",
                 post_id, upload.media_id, fetched.size)
        return upload.media_id, registered_at

    def _fetch(self, url: str, cleanup: ExitStack) -> FetchedFile:
        """The file, streamed to a temporary file that *cleanup* deletes; or
        ``source_unreachable`` / ``source_unavailable`` / ``source_too_large`` / ``unsafe_url``
        from the SSRF-safe fetcher, ``source_not_a_video`` at its first bytes, or
        :class:`VideoSpoolError`."""
        try:
            return cleanup.enter_context(self._fetcher.fetch_to_file(
                url, max_bytes=self._options.max_bytes, directory=self._options.tmp_dir,
                head_bytes=SNIFF_BYTES, check_head=sniff_video,
            ))
        except OSError as exc:
            where = self._options.tmp_dir or "the system's temporary directory"
            raise VideoSpoolError(
                f"could not write the video to a temporary file in {where} "
                f"({exc.strerror or exc}); check PINTEREST_AGENT_VIDEO_TMP_DIR exists, is "
                "writable and has room for PINTEREST_AGENT_MAX_VIDEO_BYTES",
            ) from exc
