"""The worker's Redis store: credentials (encrypted), idempotency ledger, outcomes, events.

Keys (``P`` is the ``key_prefix`` setting)::

    P:channels                  hash  channel_id -> Fernet token of ChannelCredentials JSON
    P:channel-lock:{id}         lock  held while a channel's token is refreshed
    P:publish:{post_id}         hash  ledger entry (state leased|uploaded|creating|published,
                                      pin_id, board_id, started_at, attempt, settle_at, media_id,
                                      media_registered_at, message until published)
    P:publish-lease:{post_id}   str   the attempt holding the business key (short TTL, renewed
                                      while the attempt runs)
    P:publish-open              zset  post ids not yet published, by when they are due for the
                                      reconciler (their message is kept in the ledger entry)
    P:outcome:{kind}:{id}       str   latest outcome JSON (kind: post, brief, insight; expires
                                      after ``outcome_ttl_days``; the ledger does not expire)
    P:oauth-state:{flow}        str   one-time OAuth state (TTL, consumed once)
    P:followers:{channel}       list  follower snapshots (JSON)
    P:insight:{channel}         list  ChannelInsight JSON, newest first
    P:draft:{post_id}           str   a drafted SocialPost JSON (its rendered image as a
                                      reference, ``image_ref``)
    P:image:{sha256}            str   a rendered image's bytes, stored once (SET NX), expiring
                                      ``image_ttl_days`` after its post is due
    P:dead-reason:{dead_id}     str   why a dead letter is there ({code, message}; 30 days)
    P:schedule:{post_id}        hash  a Pin waiting for its time (``stores/schedule.py``)
    P:trend-settings:{channel}  str   a channel's trends region and interests
    P:trends:{region}:{type}:{filters}  str  a day's cached trends answer (``stores/trends.py``)
    <events_stream>             stream  post.drafted / post.published / post.failed / insight.ready

Outcomes and their event are written in one MULTI/EXEC so a reader never sees one without the
other. Nothing here logs a token.

One module per store (``credentials``, ``ledger``, ``outcomes``, ``oauth_states``,
``documents``, ``images``, ``followers``); :class:`Store` bundles them."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from pinterest_agent.queues.broker.deadletters import DeadReasons
from pinterest_agent.queues.stores.credentials import CredentialVault
from pinterest_agent.queues.stores.documents import Documents
from pinterest_agent.queues.stores.followers import RedisFollowerSnapshots
from pinterest_agent.queues.stores.keys import Keys
from pinterest_agent.queues.stores.ledger import (
    DEFAULT_RECONCILE_AFTER_MS,
    DEFAULT_SETTLE_MARGIN_MS,
    DEFAULT_SETTLE_MS,
    RedisPublishLedger,
)
from pinterest_agent.queues.stores.oauth_states import OAuthStates
from pinterest_agent.queues.stores.outcomes import OutcomeLog
from pinterest_agent.queues.stores.renewal import DEFAULT_CLAIM_TTL_MS, Renewer
from pinterest_agent.queues.stores.riders import Riders
from pinterest_agent.queues.stores.schedule import ScheduleBook
from pinterest_agent.queues.stores.secrets import SecretBox

__all__ = ["Store"]


@dataclass(frozen=True)
class Store:
    """Every part of the store, sharing one Redis client and key prefix."""

    client: redis.Redis[bytes]
    renewer: Renewer
    credentials: CredentialVault
    ledger: RedisPublishLedger
    outcomes: OutcomeLog
    oauth_states: OAuthStates
    documents: Documents
    follower_snapshots: RedisFollowerSnapshots
    dead_reasons: DeadReasons
    schedule: ScheduleBook
    riders: Riders
    """Writes a job queues for its next script round trip (the ledger's lease)."""

    @classmethod
    def build(
        cls,
        client: redis.Redis[bytes],
        box: SecretBox,
        *,
        prefix: str = "pinterest-agent",
        events_stream: str = "pinterest-agent:events",
        clock: Callable[[], float] = time.time,
        outcome_ttl_s: int | None = None,
        renewer: Renewer | None = None,
        lease_ttl_ms: int = DEFAULT_CLAIM_TTL_MS,
        reconcile_after_ms: int = DEFAULT_RECONCILE_AFTER_MS,
        settle_ms: int = DEFAULT_SETTLE_MS,
        settle_margin_ms: int = DEFAULT_SETTLE_MARGIN_MS,
    ) -> Store:
        keys = Keys(prefix)
        renewer = renewer or Renewer(client)
        outcomes = OutcomeLog(client, keys, events_stream, clock, ttl_s=outcome_ttl_s)
        riders = Riders(client)
        return cls(
            client=client,
            renewer=renewer,
            credentials=CredentialVault(client, box, keys),
            ledger=RedisPublishLedger(client, keys, renewer, lease_ttl_ms=lease_ttl_ms,
                                      reconcile_after_ms=reconcile_after_ms, settle_ms=settle_ms,
                                      settle_margin_ms=settle_margin_ms,
                                      outcomes=outcomes, riders=riders),
            outcomes=outcomes,
            oauth_states=OAuthStates(client, keys),
            documents=Documents(client, keys, riders),
            follower_snapshots=RedisFollowerSnapshots(client, keys),
            dead_reasons=DeadReasons(client, prefix),
            schedule=ScheduleBook(client, keys),
            riders=riders,
        )
