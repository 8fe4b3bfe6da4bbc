"""Apply a :class:`PostUpdate` to a live Pin (``PATCH /pins/{pin_id}``) at most once.

The publisher's second action, with the same rules as a create::

    validate (the new link's syntax and addresses)      -> a bad message fails at once
    ledger says this update_id was applied or superseded -> done (no request)
    lease the Pin (one update of a Pin at a time)       -> held: UpdateInFlightError (retry later)
    a newer revision of this Pin was applied            -> superseded (no request)
    preflight the new link, valid token, a write slot, PATCH (one 401 -> refresh, retry once)
    record applied and the Pin's revision in one round trip

Unlike a create, an update is idempotent at Pinterest (the same fields sent twice leave the Pin as
once), so an attempt whose outcome is unknown (a timeout, a 5xx) is simply sent again: nothing to
reconcile. What must not happen is an *older* update landing after a newer one: each update
carries the ``revision`` of the item it was written from, and the ledger keeps the highest
revision applied per Pin.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Literal, Protocol

from pydantic import BaseModel

from pinterest_agent.agents.messages import PostUpdate
from pinterest_agent.agents.ports import WriteLimiter
from pinterest_agent.agents.publisher import (
    ChannelApi,
    PublishInFlightError,
    UnsupportedPlatformError,
)
from pinterest_agent.agents.tokens import TokenKeeper
from pinterest_agent.providers.pinterest import PinterestClient, PinUpdate

__all__ = [
    "PinUpdater",
    "UpdateInFlightError",
    "UpdateLedger",
    "UpdateResult",
    "to_pin_update",
]

log = logging.getLogger(__name__)


class UpdateInFlightError(PublishInFlightError):
    """Another update of the same Pin is being sent: expected, retried later, not an error."""

    default_code = "update_in_flight"


class UpdateResult(BaseModel):
    update_id: str
    pin_id: str
    status: Literal["applied", "already_applied", "superseded"]
    revision: int
    fields: list[str]


class UpdateLedger(Protocol):
    """Where updates are recorded (``queues.stores.update_ledger.RedisUpdateLedger``)."""

    def status(self, update_id: str) -> str | None:
        """``applied`` or ``superseded`` once the update reached its end, else None."""
        ...

    def acquire(self, pin_id: str, attempt: str) -> bool:
        """Lease the Pin for one update attempt (short TTL, renewed while held)."""
        ...

    def keep(self, pin_id: str, attempt: str) -> AbstractContextManager[None]:
        """Renew the lease while the block runs."""
        ...

    def release(self, pin_id: str, attempt: str) -> None: ...

    def revision(self, pin_id: str) -> int | None:
        """The highest revision applied to the Pin, if any."""
        ...

    def finish(self, update: PostUpdate, status: Literal["applied", "superseded"]) -> None:
        """Record the update's end (and, when applied, raise the Pin's revision to its own)."""
        ...


def to_pin_update(update: PostUpdate) -> PinUpdate:
    """The ``PATCH /pins/{pin_id}`` body: only the fields the update sets."""
    return PinUpdate(
        title=update.title,
        description=update.description,
        link=update.link,
        alt_text=update.alt_text,
        board_id=update.board_id,
        board_section_id=update.board_section_id,
    )


class PinUpdater:
    """Every collaborator is injected, as for :class:`agents.publisher.PinterestPublisher`.

    ``check_link(url)`` judges the new link without a request; ``preflight(url)`` fetches it.
    """

    def __init__(
        self,
        *,
        tokens: TokenKeeper,
        ledger: UpdateLedger,
        api_factory: Callable[[str], PinterestClient],
        write_slot: WriteLimiter,
        preflight: Callable[[str], object] | None,
        check_link: Callable[[str], object] | None = None,
    ) -> None:
        self._tokens = tokens
        self._ledger = ledger
        self._api_factory = api_factory
        self._write_slot = write_slot
        self._preflight = preflight
        self._check_link = check_link

    def update(self, update: PostUpdate) -> UpdateResult:
        if update.platform != "pinterest":
            raise UnsupportedPlatformError(
                f"platform {update.platform!r} is not supported by this worker (supported: "
                "pinterest); send the update to the worker for that platform", field="platform")
        body = to_pin_update(update)  # local limits first
        if update.link is not None and self._check_link is not None:
            self._check_link(update.link)
        done = self._ledger.status(update.update_id)
        if done is not None:
            return self._result(update, body, "already_applied" if done == "applied"
                                else "superseded")
        attempt = uuid.uuid4().hex
        if not self._ledger.acquire(update.pin_id, attempt):
            raise UpdateInFlightError("another update of this Pin is being sent right now",
                                      pin_id=update.pin_id)
        try:
            with self._ledger.keep(update.pin_id, attempt):
                return self._update_leased(update, body)
        finally:
            self._ledger.release(update.pin_id, attempt)

    def _update_leased(self, update: PostUpdate, body: PinUpdate) -> UpdateResult:
        done = self._ledger.status(update.update_id)  # read again under the lease
        if done is not None:
            return self._result(update, body, "already_applied" if done == "applied"
                                else "superseded")
        applied = self._ledger.revision(update.pin_id)
        if applied is not None and applied > update.revision:
            self._ledger.finish(update, "superseded")
            log.info("update %s superseded: Pin %s already has revision %d > %d",
                     update.update_id, update.pin_id, applied, update.revision)
            return self._result(update, body, "superseded")
        if update.link is not None and self._preflight is not None:
            self._preflight(update.link)
        creds = self._tokens.credentials(update.channel_id)
        api = ChannelApi(self._tokens, self._api_factory, update.channel_id,
                         self._tokens.access_token_for(creds))
        with self._write_slot(update.channel_id):
            api(lambda client: client.pins.update(update.pin_id, body))
        self._ledger.finish(update, "applied")
        log.info("updated pin_id=%s update_id=%s fields=%s", update.pin_id, update.update_id,
                 ",".join(body.to_payload()))
        return self._result(update, body, "applied")

    @staticmethod
    def _result(update: PostUpdate, body: PinUpdate,
                status: Literal["applied", "already_applied", "superseded"]) -> UpdateResult:
        return UpdateResult(update_id=update.update_id, pin_id=update.pin_id, status=status,
                            revision=update.revision, fields=sorted(body.to_payload()))
