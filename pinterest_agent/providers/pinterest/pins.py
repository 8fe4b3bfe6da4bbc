"""Pins: create, read, update and delete (``/pins``, ``/pins/{pin_id}``).

Pinterest has no idempotency key: a ``POST /pins`` that timed out or got a 5xx may still have
made the Pin. Such errors carry ``outcome_unknown=True``; reconcile with
:meth:`providers.pinterest.boards.Boards.pins` before creating again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pinterest_agent.providers.pinterest.models import Pin, PinCreate, PinUpdate, require_id

if TYPE_CHECKING:
    from pinterest_agent.providers.pinterest.client import PinterestClient

__all__ = ["Pins"]


class Pins:
    """``api.pins``: publish and inspect Pins."""

    def __init__(self, api: PinterestClient) -> None:
        self._api = api

    def create(self, pin: PinCreate) -> Pin:
        """Check ``pin`` against Pinterest's limits again, then ``POST /pins``.

        The re-check catches instances built with ``model_construct``; it raises
        ``PinterestValidationError`` naming the field before any request is sent.
        """
        checked = PinCreate.model_validate(pin.model_dump(exclude_none=True))
        return self._api.post_model(Pin, "/pins", json=checked.to_payload())

    def get(self, pin_id: str, *, pin_metrics: bool = False) -> Pin:
        """One Pin; with ``pin_metrics`` its 90-day and lifetime metrics too."""
        path = f"/pins/{require_id(pin_id, 'pin_id')}"
        return self._api.get_model(Pin, path, params={"pin_metrics": pin_metrics or None})

    def update(self, pin_id: str, changes: PinUpdate) -> Pin:
        """``PATCH /pins/{pin_id}`` with the fields ``changes`` sets (checked again first).

        The endpoint is in beta: an app without it gets 403/404 from Pinterest. Sending the
        same changes twice leaves the Pin as once, so a retry after an unknown outcome is safe.
        """
        checked = PinUpdate.model_validate(changes.model_dump(exclude_none=True))
        path = f"/pins/{require_id(pin_id, 'pin_id')}"
        return self._api.patch_model(Pin, path, json=checked.to_payload())

    def delete(self, pin_id: str) -> None:
        """Delete a Pin (204). A Pin already gone raises ``PinterestNotFoundError``."""
        self._api.request("DELETE", f"/pins/{require_id(pin_id, 'pin_id')}")
