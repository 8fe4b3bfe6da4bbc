"""The Dramatiq broker and the actors bound to the worker's queues.

Actors are thin: decode, call a function in :mod:`queues.jobs`, translate expected waits into
``Retry``. :func:`build_broker` wires the middleware; :func:`declare_actors` binds the actors
to a broker and a :class:`Runtime`, so tests can build as many isolated workers as they like.

Messages upstream producers send (any language; see the README): actor ``publish_post`` on the
publisher queue with ``args = [<SocialPost JSON object>]``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import CurrentMessage, Retries

from queues import jobs
from queues.middleware import OutcomeMiddleware
from queues.retrying import PERMANENT, as_retry, retry_policy
from queues.runtime import Runtime
from queues.settings import Settings

__all__ = ["PUBLISH_ACTOR", "Actors", "build_broker", "declare_actors"]

log = logging.getLogger(__name__)

PUBLISH_ACTOR = "publish_post"
DEAD_MESSAGE_TTL_MS = 30 * 24 * 3600 * 1000


def build_broker(settings: Settings, client: redis.Redis[bytes] | None = None) -> Any:
    """A Redis broker with the worker's middleware; dead letters are kept 30 days."""
    broker = RedisBroker(
        url=None if client is not None else settings.redis_url,
        client=client,
        namespace=settings.broker_namespace,
        dead_message_ttl=DEAD_MESSAGE_TTL_MS,
    )
    broker.add_middleware(OutcomeMiddleware(), before=Retries)
    broker.add_middleware(CurrentMessage())
    return broker


def outcome_middleware(broker: Any) -> OutcomeMiddleware:
    for middleware in broker.middleware:
        if isinstance(middleware, OutcomeMiddleware):
            return middleware
    middleware = OutcomeMiddleware()
    broker.add_middleware(middleware, before=Retries)
    return middleware


@dataclass(frozen=True)
class Actors:
    publish: Any


def declare_actors(broker: Any, runtime: Runtime) -> Actors:
    settings = runtime.settings
    common: dict[str, Any] = {
        "broker": broker,
        "throws": PERMANENT,
        "retry_when": retry_policy(settings.max_retries),
        "min_backoff": settings.min_backoff_ms,
        "max_backoff": settings.max_backoff_ms,
        "time_limit": settings.actor_time_limit_ms,
    }

    def publish_post(payload: object) -> None:
        message = CurrentMessage.get_current_message()

        def reschedule(delay_ms: int) -> None:
            publish_actor.send_with_options(args=(payload,), delay=delay_ms)

        try:
            jobs.run_publish(runtime, payload, reschedule=reschedule)
        except Exception as exc:
            retry = as_retry(exc)
            if retry is exc:
                raise
            log.info("publish %s: %s", message.message_id if message else "?", retry)
            raise retry from exc

    publish_actor = dramatiq.actor(
        publish_post, actor_name=PUBLISH_ACTOR, queue_name=settings.queue_publisher, **common
    )

    def record_publish_failure(message: Any, exc: BaseException, final: bool) -> None:
        payload = message.args[0] if message.args else None
        cause = exc.__cause__ if isinstance(exc, dramatiq.Retry) and exc.__cause__ else exc
        jobs.record_post_failure(
            runtime,
            payload=payload,
            exc=cause,
            final=final,
            message_id=message.message_id,
            queue=message.queue_name,
            retries=int(message.options.get("retries", 0)),
        )

    outcome_middleware(broker).register(PUBLISH_ACTOR, record_publish_failure)
    return Actors(publish=publish_actor)
