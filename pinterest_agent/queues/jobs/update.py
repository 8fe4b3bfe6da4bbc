"""The ``update_pin`` actor's work: a ``PostUpdate`` message -> ``PATCH /pins/{pin_id}`` once ->
an outcome (kind ``update``, id ``update_id``) and an ``update.applied`` event.

The :class:`~agents.pin_updates.PinUpdater` is built once per runtime from the same token keeper,
write slots and SSRF-safe checks as the publisher.
"""

from __future__ import annotations

from typing import Any

from pinterest_agent.agents.messages import PostUpdate
from pinterest_agent.agents.pin_updates import PinUpdater
from pinterest_agent.queues.jobs.publish import decode_message
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.stores.update_ledger import RedisUpdateLedger

__all__ = ["pin_updater", "run_update"]

_EXTRA = "pin_updater"


def pin_updater(runtime: Runtime) -> PinUpdater:
    """The runtime's one updater (built on first use)."""
    found = runtime.extras.get(_EXTRA)
    if isinstance(found, PinUpdater):
        return found
    settings = runtime.settings
    checks = runtime.checks  # the verdicts publishing keeps, shared by the fleet in Redis
    updater = PinUpdater(
        tokens=runtime.tokens,
        ledger=RedisUpdateLedger(runtime.redis_client, settings.key_prefix,
                                 runtime.store.renewer,
                                 lease_ttl_ms=int(settings.claim_ttl_s * 1000)),
        api_factory=runtime.pinterest_api,
        write_slot=runtime.write_slots,
        preflight=checks.check_reachable,
        check_link=checks.check_link,
    )
    runtime.extras[_EXTRA] = updater
    return updater


def run_update(runtime: Runtime, payload: object) -> dict[str, Any]:
    """Apply one ``PostUpdate`` message and record its outcome; returns the outcome."""
    update = decode_message(PostUpdate, payload)
    result = pin_updater(runtime).update(update)
    outcome = {
        "status": "applied" if result.status != "superseded" else "superseded",
        "duplicate": result.status == "already_applied",
        "channel_id": update.channel_id,
        "pin_id": result.pin_id,
        "post_id": update.post_id,
        "revision": result.revision,
        "fields": result.fields,
    }
    event = "update.applied" if result.status == "applied" else None
    return runtime.store.outcomes.record("update", update.update_id, outcome, event=event)
