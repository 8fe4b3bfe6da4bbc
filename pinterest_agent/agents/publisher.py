"""Publish a :class:`SocialPost` as exactly one live Pin.

The steps, each safe to run twice (Dramatiq delivers at least once)::

    ledger says published?  -> done (no request)
    lease the business key  -> another attempt holds it: PublishInFlightError (retry later)
    resolve board, check every media URL Pinterest will fetch (syntax and resolved addresses,
    no request), preflight the destination link (SSRF-safe), get a valid token
    a video?                -> upload it once and wait for processing (agents.video), no write
                               slot held; still processing: VideoProcessingError (poll later)
    ledger says "creating"  -> an earlier attempt's outcome is unknown: look for its Pin on the
                               board (link + title, created after that attempt began); found ->
                               record it, done; not found and that create not settled yet ->
                               PublishSettlingError (list again once it is settled)
    take one of the channel's write slots and mark "creating" in the same round trip (the first
    try in the lease's round trip; a slot passed on by a thread of this process is marked on
    its own), POST /pins within the send window of the mark (one 401 -> refresh token, retry
    once, marked again if the window passed), mark "published"

Pinterest has no idempotency key, so the "creating" mark written *before* the request is what
turns a crash between create and record into a reconcile instead of a second Pin, and the mark's
settle time is what keeps a create Pinterest applies late (after the request's deadline, or after
the sender died) from becoming a second Pin: no attempt creates before it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel

from pinterest_agent.agents.image_refs import image_source
from pinterest_agent.agents.messages import (
    CarouselMedia,
    ImageBase64Media,
    ImageRefMedia,
    ImageUrlMedia,
    SocialPost,
    VideoMedia,
)
from pinterest_agent.agents.ports import (
    ChannelCredentials,
    ImageStore,
    LeaseClaim,
    LedgerEntry,
    PinClaimedError,
    PublishLedger,
    SlotHandle,
    WriteLimiter,
)
from pinterest_agent.agents.tokens import TokenKeeper
from pinterest_agent.agents.video import VideoUploads, video_source
from pinterest_agent.errors import InvalidInputError, TransientError, WorkerError
from pinterest_agent.providers.pinterest import (
    ImageBase64Source,
    ImageUrlSource,
    MultipleImageUrlsSource,
    Pin,
    PinCreate,
    PinterestAuthError,
    PinterestClient,
    PinterestError,
    VideoIdSource,
)

__all__ = [
    "ChannelApi",
    "ChannelBusyError",
    "MissingBoardError",
    "PinterestPublisher",
    "PlatformPublisher",
    "PublishInFlightError",
    "PublishResult",
    "PublishSettlingError",
    "UnsupportedPlatformError",
    "media_urls",
    "new_attempt_id",
    "publish",
    "twin_of",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

PIN_URL = "https://www.pinterest.com/pin/{pin_id}/"
DEFAULT_RECONCILE_PAGES = 3
RECONCILE_CLOCK_SKEW_S = 600.0
SEND_WINDOW_S = 5.0
"""A create is sent within this long of its ``creating`` mark (by the local monotonic clock,
counted from before the mark's round trip), or the post is marked again first (which confirms
the lease and moves the settle time on). The store's settle window is this, plus the request's
total deadline, plus the settle margin; it is shorter than the lease TTL after the mark."""
SETTLE_RETRY_PAD_S = 0.5
"""A settling post comes back this long after its earlier create is settled."""


class PublishInFlightError(TransientError):
    """Another attempt holds this post's lease: expected, retried later, not an error."""

    default_code = "publish_in_flight"


class PublishSettlingError(TransientError):
    """An earlier attempt's create may still be applied (it was sent less than the settle window
    ago) and its Pin is not on the board yet: expected, retried once it is settled
    (``retry_in_s``), then the board is listed again before anything is created."""

    default_code = "publish_settling"

    @property
    def retry_in_s(self) -> float:
        value = self.details.get("retry_in_s")
        return float(value) if isinstance(value, int | float) else 0.0


class ChannelBusyError(TransientError):
    """All of the channel's write slots are taken: expected, retried later."""

    default_code = "channel_busy"


class UnsupportedPlatformError(InvalidInputError):
    default_code = "unsupported_platform"


class MissingBoardError(InvalidInputError):
    default_code = "missing_board"


@dataclass
class _Lease:
    attempt: str
    held: bool = False
    released: bool = False


class _Mark:
    """This attempt's ``creating`` mark: taken with the write slot (or on its own for a slot
    passed on in-process), and renewed before a create whose send window has passed."""

    def __init__(self, ledger: PublishLedger, entry: LedgerEntry) -> None:
        self._ledger = ledger
        self.entry = entry
        self.at: float | None = None
        """``time.monotonic()`` just before the round trip that marked the post."""

    def __call__(self, slot: SlotHandle | None) -> bool:
        """Mark (taking *slot* too when given): False when that slot was not free."""
        started = time.monotonic()
        if not self._ledger.mark_creating(self.entry, slot=slot):
            return False
        self.at = started
        return True

    def marked_at(self, started: float) -> None:
        """The lease script marked the post, in a round trip that began at *started*."""
        self.at = started

    def before_send(self) -> None:
        """Right before each create request: mark again (confirming the lease) unless the
        post was marked within :data:`SEND_WINDOW_S`."""
        if self.at is None or time.monotonic() - self.at > SEND_WINDOW_S:
            self(None)  # LeaseLostError when another attempt holds the post now


@dataclass(frozen=True)
class _Create:
    board_id: str
    pin_create: PinCreate
    api: ChannelApi


@dataclass(frozen=True)
class _Ready:
    """A post's create prepared before the lease, or why it could not be (raised under the
    lease); neither for a video."""

    create: _Create | None = None
    failure: WorkerError | None = None


class _NotNow(Exception):
    """The lease script found a post that must not be created straight away (control flow)."""


class ChannelApi:
    """The channel's API client for one attempt: a 401 refreshes the token once per call (the
    refused request changed nothing), and later calls use the refreshed token."""

    def __init__(
        self, tokens: TokenKeeper, factory: Callable[[str], PinterestClient], channel_id: str,
        token: str,
    ) -> None:
        self._tokens = tokens
        self._factory = factory
        self._channel_id = channel_id
        self.token = token

    def __call__(self, fn: Callable[[PinterestClient], T], /) -> T:
        try:
            return fn(self._factory(self.token))
        except PinterestAuthError:
            self.token = self._tokens.after_unauthorized(self._channel_id, self.token)
            return fn(self._factory(self.token))


class PublishResult(BaseModel):
    post_id: str
    platform: str = "pinterest"
    channel_id: str = ""
    status: Literal["published", "already_published"]
    pin_id: str
    pin_url: str
    board_id: str | None = None
    reconciled: bool = False
    recorded: dict[str, Any] | None = None
    """The outcome recorded together with the Pin (None: the caller records it)."""

    def outcome(self) -> dict[str, Any]:
        """The post's outcome as recorded and announced (``post.published``)."""
        return {
            "status": "published", "platform": self.platform, "channel_id": self.channel_id,
            "pin_id": self.pin_id, "pin_url": self.pin_url, "board_id": self.board_id,
            "reconciled": self.reconciled, "duplicate": self.status == "already_published",
        }


class PlatformPublisher(Protocol):
    def publish(self, post: SocialPost) -> PublishResult: ...


def publish(post: SocialPost, publishers: Mapping[str, PlatformPublisher]) -> PublishResult:
    """Dispatch on ``post.platform``; an unknown platform is a permanent, clearly worded error."""
    publisher = publishers.get(post.platform)
    if publisher is None:
        supported = ", ".join(sorted(publishers)) or "none"
        raise UnsupportedPlatformError(
            f"platform {post.platform!r} is not supported by this worker (supported: {supported}); "
            "send the post to the worker for that platform",
            field="platform",
        )
    return publisher.publish(post)


def to_pin_create(
    post: SocialPost, board_id: str, *, media_id: str | None = None,
    images: ImageStore | None = None,
) -> PinCreate:
    """The ``POST /pins`` body; a video post needs the ``media_id`` of its processed upload, an
    ``image_ref`` post the store holding its image (sent as ``image_base64``)."""
    media = post.media
    source: ImageUrlSource | ImageBase64Source | MultipleImageUrlsSource | VideoIdSource
    if isinstance(media, VideoMedia):
        if media_id is None:
            raise ValueError("a video Pin needs the media_id of its processed upload")
        source = video_source(media, media_id)
    elif isinstance(media, ImageUrlMedia):
        source = ImageUrlSource(url=media.url)
    elif isinstance(media, ImageBase64Media):
        source = ImageBase64Source(content_type=media.content_type, data=media.data)
    elif isinstance(media, ImageRefMedia):
        source = image_source(media, images)
    elif isinstance(media, CarouselMedia):
        source = MultipleImageUrlsSource(
            items=[item.model_dump(exclude_none=True, exclude={"type"}) for item in media.items]
        )
    else:  # pragma: no cover - the union is closed
        raise InvalidInputError("unsupported media type", field="media")
    return PinCreate(
        board_id=board_id,
        board_section_id=post.board_section_id,
        title=post.title,
        description=post.description or None,
        link=post.link,
        alt_text=post.alt_text,
        dominant_color=post.dominant_color,
        media_source=source,
    )


class PinterestPublisher:
    """The Pinterest side of :func:`publish`. Every collaborator is injected.

    ``preflight(link)`` checks the destination link (a request); ``check_media_url(url, field)``
    checks each URL in the media (syntax and resolved addresses, no request) and raises for one
    Pinterest must not be sent (``SafeFetcher.check_reachable`` / ``SafeFetcher.check_url``).
    ``images`` holds the rendered images ``image_ref`` posts refer to.
    """

    def __init__(
        self,
        *,
        tokens: TokenKeeper,
        ledger: PublishLedger,
        api_factory: Callable[[str], PinterestClient],
        write_slot: WriteLimiter,
        preflight: Callable[[str], object] | None,
        video: VideoUploads,
        check_media_url: Callable[[str, str], object] | None,
        check_link: Callable[[str], object] | None = None,
        reconcile_pages: int = DEFAULT_RECONCILE_PAGES,
        clock: Callable[[], float] = time.time,
        images: ImageStore | None = None,
    ) -> None:
        self._images = images
        self._tokens = tokens
        self._ledger = ledger
        self._api_factory = api_factory
        self._write_slot = write_slot
        self._preflight = preflight
        self._check_media_url = check_media_url
        self._check_link = check_link
        self._video = video
        self._reconcile_pages = reconcile_pages
        self._clock = clock

    def validate(self, post: SocialPost) -> None:
        """Everything that can be judged without asking Pinterest or the destination page: the
        link's and the media URLs' syntax and addresses. Runs first, so a bad message never gets
        the answer of an earlier good one with the same ``post_id``."""
        if self._check_link is not None:
            self._check_link(post.link)
        if self._check_media_url is not None:
            for field, url in media_urls(post):
                self._check_media_url(url, field)

    def publish(self, post: SocialPost) -> PublishResult:
        self.validate(post)
        lease = _Lease(new_attempt_id())
        message = post.model_dump_json(exclude_none=True)
        try:
            with ExitStack() as renewal:  # renewal stops before the lease is released
                ready = self._ready(post)
                if ready.create is not None:
                    done, entry = self._publish_ready(post, ready.create, lease, message, renewal)
                    if done is not None:
                        return done
                else:
                    acquired, entry = self._ledger.acquire_lease(
                        post.post_id, lease.attempt, message=message)
                    self._hold(post, lease, acquired, renewal)
                # Read with the lease: no other attempt can change this entry until we release.
                done = self._already_published(post, entry)
                if done is not None:
                    return done
                if ready.failure is not None:  # a post already published never gets here
                    raise ready.failure
                return self._publish_leased(post, entry, lease, ready.create)
        finally:
            if lease.held and not lease.released:
                self._ledger.release_lease(post.post_id, lease.attempt)

    def _hold(self, post: SocialPost, lease: _Lease, acquired: bool, renewal: ExitStack) -> None:
        if not acquired:
            raise PublishInFlightError(
                "another attempt is publishing this post right now", post_id=post.post_id
            )
        lease.held = True
        renewal.enter_context(self._ledger.keep_lease(post.post_id, lease.attempt))

    def _ready(self, post: SocialPost) -> _Ready:
        """Everything a create needs that writes nothing: credentials, board, the request body
        and the destination preflight. Done before the lease, so a new post is leased, takes its
        write slot and is marked ``creating`` in one round trip. A failure here is only raised
        once the lease shows the post is not already published (a published post stays
        published, whatever its link or channel does now)."""
        if isinstance(post.media, VideoMedia):  # uploaded under the lease (agents.video)
            return _Ready()
        try:
            creds, board_id = self._channel(post)
            pin_create = to_pin_create(post, board_id, images=self._images)
            if self._preflight is not None:
                self._preflight(post.link)
            token = self._tokens.access_token_for(creds)
        except WorkerError as exc:
            return _Ready(failure=exc)
        api = ChannelApi(self._tokens, self._api_factory, post.channel_id, token)
        return _Ready(create=_Create(board_id, pin_create, api))

    def _channel(self, post: SocialPost) -> tuple[ChannelCredentials, str]:
        creds = self._tokens.credentials(post.channel_id)
        board_id = post.board_id or creds.default_board_id
        if board_id is None:
            raise MissingBoardError(
                "the post names no board_id and the channel has no default board; add board_id "
                "(see `pinterest-agent channels boards CHANNEL`)",
                field="board_id",
            )
        return creds, board_id

    def _publish_ready(
        self, post: SocialPost, ready: _Create, lease: _Lease, message: str, renewal: ExitStack
    ) -> tuple[PublishResult | None, LedgerEntry | None]:
        """Lease, write slot and ``creating`` in one round trip, then create. Returns the result,
        or the entry read under the lease when it needs the long way (already published, or an
        earlier attempt's create to reconcile first)."""
        mark = _Mark(self._ledger, LedgerEntry(
            post_id=post.post_id, state="creating", board_id=ready.board_id,
            started_at=self._clock(), attempt=lease.attempt,
            twin=twin_of(ready.board_id, post)))
        claim: LeaseClaim | None = None

        def first(slot: SlotHandle | None) -> bool:
            nonlocal claim
            started = time.monotonic()
            claim = self._ledger.claim_for_create(mark.entry, slot=slot, message=message)
            self._hold(post, lease, claim.acquired, renewal)
            if claim.twin is not None:
                raise claim.twin
            if not claim.may_create:
                raise _NotNow
            if claim.marked:
                mark.marked_at(started)
            return claim.marked

        try:
            with self._creating_slot(post, mark, first) as slot:
                result = self._create_and_record(post, ready.pin_create, ready.api,
                                                 ready.board_id, lease, slot, mark)
        except _NotNow:
            assert claim is not None
            return None, claim.entry
        log.info("published post_id=%s pin_id=%s board_id=%s", post.post_id, result.pin_id,
                 ready.board_id)
        return result, None

    @staticmethod
    def _already_published(post: SocialPost, entry: LedgerEntry | None) -> PublishResult | None:
        if entry is None or entry.state != "published" or entry.pin_id is None:
            return None
        log.info("post already published post_id=%s pin_id=%s", post.post_id, entry.pin_id)
        return PublishResult(
            post_id=post.post_id,
            platform=post.platform,
            channel_id=post.channel_id,
            status="already_published",
            pin_id=entry.pin_id,
            pin_url=PIN_URL.format(pin_id=entry.pin_id),
            board_id=entry.board_id,
        )

    def _publish_leased(
        self, post: SocialPost, entry: LedgerEntry | None, lease: _Lease,
        create: _Create | None,
    ) -> PublishResult:
        """The long way, under the lease: a video (*create* is None: it is uploaded first), or
        an earlier attempt's create to settle before this one."""
        if create is None:
            create = self._video_create(post, entry)
        board_id, pin_create, api = create.board_id, create.pin_create, create.api
        adopted = None
        if entry is not None and entry.state == "creating":  # a read: no write slot needed
            adopted = self._adopt(post, board_id, entry, api.token, lease)
            if adopted is None and entry.settle_in_s > 0:
                raise PublishSettlingError(
                    f"an earlier attempt's create may still be applied by Pinterest; its Pin is "
                    f"not on the board yet, so the board is listed again once that create is "
                    f"settled, in {entry.settle_in_s:.1f} s, before anything is created",
                    post_id=post.post_id, retry_in_s=entry.settle_in_s + SETTLE_RETRY_PAD_S)
        if adopted is not None:
            result = adopted
        else:
            mark = _Mark(self._ledger, LedgerEntry(
                post_id=post.post_id, state="creating", board_id=board_id,
                started_at=self._clock(), attempt=lease.attempt,
                twin=twin_of(board_id, post)))
            # Taking a write slot and marking "creating" are one round trip; so are recording
            # the Pin and releasing the lease and the slot.
            with self._creating_slot(post, mark, lambda slot: slot is not None and mark(slot)
                                     ) as slot:
                result = self._create_and_record(post, pin_create, api, board_id, lease, slot,
                                                 mark)
        log.info("%s post_id=%s pin_id=%s board_id=%s",
                 "reconciled" if adopted else "published", post.post_id, result.pin_id, board_id)
        return result

    @contextmanager
    def _creating_slot(
        self, post: SocialPost, mark: _Mark, first: Callable[[SlotHandle | None], bool]
    ) -> Iterator[SlotHandle]:
        """A write slot for the create *mark* describes, the post marked ``creating`` with it.
        ``first`` runs before any wait (taking a slot and marking when it is given one and one
        is free); later tries take a slot and mark together. A slot passed on by another thread
        of this process comes with no round trip, so the post is marked on its own before the
        create (which also confirms the lease). No slot in time: nothing was marked by this
        attempt, and ``ChannelBusyError`` is raised."""
        with self._write_slot(post.channel_id, first=first, take=mark) as slot:
            if slot.handed_over:
                mark(None)  # LeaseLostError if no longer ours
            yield slot

    def _video_create(self, post: SocialPost, entry: LedgerEntry | None) -> _Create:
        """A video post's create, once its upload is processed (fetching, uploading and polling
        happen here, outside the write slot)."""
        assert isinstance(post.media, VideoMedia)
        creds, board_id = self._channel(post)
        if self._preflight is not None:
            self._preflight(post.link)
        api = ChannelApi(self._tokens, self._api_factory, post.channel_id,
                         self._tokens.access_token_for(creds))
        media_id = self._video.ready_media_id(post.post_id, post.media, entry, api)
        return _Create(board_id, to_pin_create(post, board_id, media_id=media_id), api)

    def _create_and_record(
        self, post: SocialPost, pin_create: PinCreate, api: ChannelApi, board_id: str,
        lease: _Lease, slot: SlotHandle, mark: _Mark,
    ) -> PublishResult:
        """Create the Pin, then record it with its outcome, releasing the lease and the slot,
        in one step."""
        result = self._result(post, self._create(post, pin_create, api, mark).id, board_id,
                              reconciled=False)
        passed = slot.pass_on()  # the write is done: a waiting thread may send its own now
        result.recorded = self._ledger.mark_published(
            post.post_id, result.pin_id, board_id, release=lease.attempt,
            slot=None if passed else slot, outcome=result.outcome())
        lease.released = True
        return result

    def _create(self, post: SocialPost, pin_create: PinCreate, api: ChannelApi,
                mark: _Mark) -> Pin:
        def send(client: PinterestClient) -> Pin:
            mark.before_send()
            return client.pins.create(pin_create)

        try:
            # A 401 means the Pin was not created: the client refreshes once and tries again.
            return api(send)
        except PinterestError as exc:
            if _definitely_not_created(exc):
                self._ledger.clear_creating(post.post_id, mark.entry.attempt)
            else:  # it ended without saying: settled the margin from now, not from the mark
                self._ledger.settle_after_answer(post.post_id, mark.entry.attempt)
            raise

    def _adopt(
        self, post: SocialPost, board_id: str, entry: LedgerEntry, token: str, lease: _Lease
    ) -> PublishResult | None:
        """The earlier attempt's Pin, recorded for this post, when the board shows it: a Pin of
        the post's board, link and title, created after that attempt began (give or take the
        clocks' skew) and claimed by no other post. No other post of the same board, link and
        title can have had a create unsettled meanwhile (the twin key), so an unclaimed one is
        this post's own."""
        for pin in self._candidates(post, board_id, entry, token):
            result = self._result(post, pin.id, board_id, reconciled=True)
            try:
                result.recorded = self._ledger.mark_published(
                    post.post_id, pin.id, board_id, release=lease.attempt,
                    outcome=result.outcome())
            except PinClaimedError:  # recorded for another post since it was listed
                continue
            lease.released = True
            return result
        return None

    def _candidates(
        self, post: SocialPost, board_id: str, entry: LedgerEntry, token: str
    ) -> Iterator[Pin]:
        since = entry.started_at - RECONCILE_CLOCK_SKEW_S
        api = self._api_factory(token)
        for pin in api.boards.pins(board_id, max_pages=self._reconcile_pages):
            if pin.link != post.link or (pin.title or "") != post.title:
                continue
            created = pin.created_at
            if created is not None and _epoch(created) < since:
                continue
            owner = self._ledger.pin_owners([pin.id]).get(pin.id, post.post_id)
            if owner != post.post_id:
                log.info("not adopting pin_id=%s for post_id=%s: it is post %s's", pin.id,
                         post.post_id, owner)
                continue
            yield pin

    @staticmethod
    def _result(post: SocialPost, pin_id: str, board_id: str, *, reconciled: bool) -> PublishResult:
        return PublishResult(
            post_id=post.post_id,
            platform=post.platform,
            channel_id=post.channel_id,
            status="published",
            pin_id=pin_id,
            pin_url=PIN_URL.format(pin_id=pin_id),
            board_id=board_id,
            reconciled=reconciled,
        )


def twin_of(board_id: str, post: SocialPost) -> str:
    """The post's reconciliation fingerprint: what reconciling recognises its Pin by (board,
    link and title), hashed. Posts that share one are twins: one at a time may be creating."""
    key = "\n".join((board_id, post.link, post.title or ""))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def new_attempt_id() -> str:
    """A unique id for one publish attempt; it starts with the worker's process id, so a lease
    can be traced to the process holding it (the chaos benchmark attributes kills by it)."""
    return f"{os.getpid()}-{uuid.uuid4().hex}"


def media_urls(post: SocialPost) -> list[tuple[str, str]]:
    """``(field, url)`` for every URL in the post's media: Pinterest fetches the image,
    carousel and cover URLs itself; the worker fetches the video."""
    media = post.media
    if isinstance(media, ImageUrlMedia):
        return [("media.url", media.url)]
    if isinstance(media, CarouselMedia):
        return [(f"media.items[{i}].url", item.url) for i, item in enumerate(media.items)]
    if isinstance(media, VideoMedia):
        urls = [("media.url", media.url)]
        if media.cover_image_url is not None:
            urls.append(("media.cover_image_url", media.cover_image_url))
        return urls
    return []


def _definitely_not_created(exc: WorkerError) -> bool:
    """A 4xx answer (auth, validation, rate limit) means Pinterest did not create the Pin."""
    status = exc.details.get("status")
    return isinstance(status, int) and 400 <= status < 500


def _epoch(value: datetime | str) -> float:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.timestamp()
