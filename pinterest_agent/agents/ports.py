"""What the agents need from the outside world, as Protocols.

The Redis implementations live in ``queues/stores/store.py``; tests may pass in-memory ones.
Agents only ever see these interfaces, so they run without a broker or a Redis server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, SecretStr

from pinterest_agent.errors import TransientError

__all__ = [
    "ChannelCredentials",
    "CredentialStore",
    "ImageStore",
    "LeaseLostError",
    "LedgerEntry",
    "PinClaimedError",
    "PublishLedger",
    "SlotHandle",
    "TwinCreatingError",
    "WriteLimiter",
]


class ChannelCredentials(BaseModel):
    """One connected Pinterest account, stored encrypted; ``SecretStr`` keeps tokens out of logs."""

    model_config = ConfigDict(extra="ignore")

    channel_id: str
    platform: Literal["pinterest"] = "pinterest"
    access_token: SecretStr
    refresh_token: SecretStr | None = None
    expires_at: float
    refresh_token_expires_at: float | None = None
    scope: str = ""
    account_id: str | None = None
    username: str | None = None
    default_board_id: str | None = None
    updated_at: float = 0.0


class CredentialStore(Protocol):
    def get(self, channel_id: str) -> ChannelCredentials | None: ...

    def put(self, credentials: ChannelCredentials) -> None: ...

    def lock(self, channel_id: str) -> AbstractContextManager[None]:
        """A per-channel mutex held across processes (token refresh)."""
        ...


LedgerState = Literal["leased", "uploaded", "creating", "published"]
"""``leased``: an attempt began (its message is kept for the reconciler), nothing sent yet;
``uploaded``: a video is uploaded to Pinterest (``media_id``), no create sent yet;
``creating``: a create may have been sent, with the write slot held (reconcile before another,
and create again only once it is settled); ``published``: done."""


class LedgerEntry(BaseModel):
    """What the worker knows about one business key's publish."""

    post_id: str
    state: LedgerState
    pin_id: str | None = None
    board_id: str | None = None
    started_at: float = 0.0
    attempt: str = ""
    media_id: str | None = None
    """A video post's upload, kept through ``creating`` so no attempt uploads it twice."""
    media_registered_at: float | None = None
    """When that upload was registered (epoch seconds): the processing timeout counts from it."""
    settle_in_s: float = 0.0
    """For a ``creating`` entry read with a lease: how long until the create it marks is settled
    (sent within its send window, ended by its total deadline, and given the settle margin to be
    applied and listed), by the store's clock. Until then no other attempt may create."""
    twin: str = ""
    """With a ``creating`` mark: the post's reconciliation fingerprint (its board, link and
    title, hashed; see :func:`agents.publisher.twin_of`). Only one post of a fingerprint may
    have a create unsettled at a time, so a Pin found by reconciling is never another's."""


@dataclass(frozen=True)
class LeaseClaim:
    """What ``PublishLedger.claim_for_create`` did, in one round trip."""

    acquired: bool
    """This attempt holds the post's lease (False: another attempt does)."""
    may_create: bool = False
    """The post was new (or only leased before): no earlier create to settle, so it may be
    created as soon as a write slot is held."""
    marked: bool = False
    """The write slot passed in was free, is now taken, and the post is marked ``creating``:
    send the create now. (``may_create`` without ``marked``: the post stays ``leased`` until a
    slot is taken together with the mark.)"""
    entry: LedgerEntry | None = None
    """The entry read under the lease when the post may not be created straight away
    (published, or an earlier attempt's create or upload to settle first)."""
    twin: TwinCreatingError | None = None
    """Set when another post with the same board, link and title has a create unsettled: this
    post may not be created until that one is recorded or settled (the lease is held)."""


class TwinCreatingError(TransientError):
    """Another post with the same board, link and title (``details['holder']``) has a create that
    is not settled yet. Reconciliation recognises a Pin by its board, link and title, so a Pin
    created for this post now could be taken for that one's, or the other way round: this post
    waits (an expected wait, not a failure) until that one is recorded or settled."""

    default_code = "twin_creating"


class PinClaimedError(TransientError):
    """The Pin being recorded for a post is already recorded for another post
    (``details['owner']``): a Pin is never given to two posts."""

    default_code = "pin_claimed"


class LeaseLostError(TransientError):
    """This attempt's lease lapsed (Redis was unreachable longer than its TTL) and it may no longer
    be the only one: it stops before creating anything, and is retried."""

    default_code = "lease_lost"


class PublishLedger(Protocol):
    """Idempotency records: at most one live Pin per ``post_id``."""

    def get(self, post_id: str) -> LedgerEntry | None: ...

    def acquire_lease(
        self, post_id: str, attempt: str, *, message: str | None = None
    ) -> tuple[bool, LedgerEntry | None]:
        """Claim the business key for one attempt (False when another attempt holds it) and
        read its entry in the same round trip; the entry is authoritative while the lease is held.
        A post not yet published is marked ``leased`` (keeping *message*, the post as JSON, so
        an attempt that never finishes can be driven again) and becomes due for reconciling.
        """
        ...

    def claim_for_create(
        self, creating: LedgerEntry, *, slot: SlotHandle | None, message: str | None = None
    ) -> LeaseClaim:
        """``acquire_lease`` for ``creating.attempt`` and, when the post may be created now (no
        entry, or only ``leased``) and *slot* is given and free, ``mark_creating`` with
        *creating*, taking the slot: one round trip where three steps were."""
        ...

    def keep_lease(self, post_id: str, attempt: str) -> AbstractContextManager[None]:
        """Keep the (short-lived) lease alive while the block runs."""
        ...

    def release_lease(self, post_id: str, attempt: str) -> None: ...

    def mark_creating(self, entry: LedgerEntry, *, slot: SlotHandle | None = None) -> bool:
        """Persisted right *before* the create request (the write slot held): a crash after it
        leaves a trace to reconcile, and the time the create is settled (no other attempt creates
        before then). It renews the lease for its whole TTL. A stored ``media_id`` is kept.
        Raises ``LeaseLostError`` when ``entry.attempt`` no longer holds the lease (then another
        attempt may be running: this one must not create).

        With ``slot`` it also takes that write slot, in the same round trip: False (nothing
        marked) when the channel's slots are all taken."""
        ...

    def set_media(self, post_id: str, media_id: str, at: float) -> None:
        """Record a video upload right after it is sent, so a redelivery never uploads twice
        (state ``uploaded`` unless the entry already has a state)."""
        ...

    def clear_media(self, post_id: str) -> None:
        """Forget the post's upload (processing failed or timed out): the next attempt uploads
        again. An entry left with nothing else to say is removed."""
        ...

    def mark_published(
        self, post_id: str, pin_id: str, board_id: str, *, release: str | None = None,
        slot: SlotHandle | None = None, outcome: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Record the Pin; with ``release`` also release that attempt's lease, with ``slot`` that
        write slot, with ``outcome`` the post's outcome and its ``post.published`` event, all in
        one step (so a Pin is never recorded without its outcome). Returns the stored outcome
        (the one kept, when a final one was stored before), or None without ``outcome``.
        Raises ``PinClaimedError``, recording nothing, when the Pin is recorded for another
        post."""
        ...

    def pin_owners(self, pin_ids: Sequence[str]) -> dict[str, str]:
        """The post each of *pin_ids* is recorded for, for those recorded (the claim
        ``mark_published`` takes)."""
        ...

    def settle_after_answer(self, post_id: str, attempt: str) -> None:
        """*attempt*'s create ended without telling whether it was applied (a 5xx answer, or cut
        off at its deadline): it is settled the settle margin from now, when that is sooner
        than its mark said. Another attempt's mark is left alone."""
        ...

    def clear_creating(self, post_id: str, attempt: str = "") -> None:
        """The create was definitely refused (or never sent); nothing to reconcile next time (a
        stored video upload stays, back in state ``uploaded``). With *attempt*, only that
        attempt's mark is cleared: another attempt's stays to be settled."""
        ...


@dataclass
class SlotHandle:
    """One held write slot. ``PublishLedger.mark_published`` may release it in the same round
    trip (then ``released`` is set and leaving the block does nothing more).

    ``pass_on()``, called once the slot's write is done, hands the slot to a thread of the same
    process that is waiting for one, with no Redis round trip; True means it did, and the caller
    must then neither release it nor use it again. ``handed_over`` says this holder got the slot
    that way (no Redis round trip confirmed anything when it did)."""

    key: str
    holder: str
    limit: int = 1
    ttl_ms: int = 0
    wake_key: str = ""
    released: bool = False
    handed_over: bool = False
    pass_on: Callable[[], bool] = field(default=lambda: False, repr=False)


class ImageStore(Protocol):
    """Rendered images by content hash, kept for a while (the writer stores, the publisher
    reads): messages, drafts, outcomes and events carry the hash, never the bytes."""

    def put(self, data: bytes, *, due_at: float | None = None) -> str:
        """Store *data* once (the same bytes are stored once) and return its SHA-256 (hex).
        It is kept for the store's TTL after *due_at* (epoch seconds; now when ``None`` or
        past); storing it again only ever extends that."""
        ...

    def get(self, sha256: str) -> bytes | None:
        """The image's bytes, or ``None`` when it expired or was never stored."""
        ...

    def exists(self, sha256: str) -> bool:
        """Whether the image is still stored."""
        ...


class WriteLimiter(Protocol):
    def __call__(
        self,
        channel_id: str,
        *,
        first: Callable[[SlotHandle | None], bool] | None = None,
        take: Callable[[SlotHandle], bool] | None = None,
    ) -> AbstractContextManager[SlotHandle]:
        """Hold one of the channel's write slots, or raise ``ChannelBusy``.

        ``first`` runs once, before any waiting: with a new slot when this process may try one
        in Redis straight away (it takes the slot itself, atomically with whatever else it
        records, and says whether it got it), or with None when the thread is going to wait for
        one in-process. ``take(slot)`` takes the slot itself at each later try. The limiter
        still waits, renews, hands over and releases."""
        ...

