"""The Dramatiq broker and the actors bound to the worker's queues.

Actors are thin: decode, call a function in :mod:`queues.jobs.publish`, translate expected waits
into ``Retry``. :func:`build_broker` wires the middleware; :func:`declare_actors` binds the actors
to a broker and a :class:`Runtime`, so tests can build as many isolated workers as they like.

Messages upstream producers send (any language; see the README): actor ``publish_post`` on the
publisher queue with ``args = [<SocialPost JSON object>]``; actor ``write_post`` on the writer
queue with ``args = [<PinBrief JSON object>]``; actor ``build_insight`` on the insights queue
with ``args = [<InsightsRequest JSON object>]``; actor ``update_pin`` on the publisher queue with
``args = [<PostUpdate JSON object>]``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import dramatiq
import dramatiq.middleware
import redis
from dramatiq.middleware import CurrentMessage, Retries

from pinterest_agent.agents.messages import PostUpdate, SocialPost
from pinterest_agent.queues.broker.brokers import (
    AcceptHook,
    BrokerMaintenance,
    QuarantiningRabbitmqBroker,
    QuarantiningRedisBroker,
)
from pinterest_agent.queues.broker.deadletters import DEAD_MESSAGE_TTL_MS
from pinterest_agent.queues.broker.envelopes import Rejected
from pinterest_agent.queues.broker.outcome_middleware import FailureRecorder, OutcomeMiddleware
from pinterest_agent.queues.broker.retrying import (
    PERMANENT,
    DurableRetries,
    WaitCounter,
    as_retry,
    failure_cause,
    is_control_flow,
    retry_policy,
    video_poll_budget,
)
from pinterest_agent.queues.broker.shutdown import AbortReadsAtShutdown
from pinterest_agent.queues.broker.tracing_middleware import TracingMiddleware
from pinterest_agent.queues.broker.watchdog import ThreadWatchdog
from pinterest_agent.queues.jobs import insights, publish, update, write
from pinterest_agent.queues.jobs.preflight_ahead import parked_preflight, prefetch_hook
from pinterest_agent.queues.jobs.reconciler import Reconciler, ReconcilerMiddleware
from pinterest_agent.queues.jobs.schedule import schedule_post
from pinterest_agent.queues.jobs.turns import FairDispatch, TurnSweeper
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from pinterest_agent.queues.stores.turns import ChannelTurns

__all__ = [
    "INSIGHTS_ACTOR",
    "PUBLISH_ACTOR",
    "UPDATE_ACTOR",
    "WRITE_ACTOR",
    "Actors",
    "build_broker",
    "declare_actors",
]

log = logging.getLogger(__name__)

PUBLISH_ACTOR = "publish_post"
WRITE_ACTOR = "write_post"
INSIGHTS_ACTOR = "build_insight"
UPDATE_ACTOR = "update_pin"


def broker_system(settings: Settings) -> str:
    """``messaging.system`` of the worker's spans: the broker behind Dramatiq."""
    return "rabbitmq" if settings.broker_url is not None else "redis"


def build_broker(settings: Settings, client: redis.Redis[bytes] | None = None) -> Any:
    """The worker's broker with its middleware: RabbitMQ when ``broker_url`` is set, else the
    Redis at ``redis_url`` (*client*, when given); dead letters are kept 30 days."""
    middleware = [DurableRetries() if kind is Retries else kind()
                  for kind in dramatiq.middleware.default_middleware]
    broker: QuarantiningRedisBroker | QuarantiningRabbitmqBroker
    if settings.broker_url is not None:
        broker = QuarantiningRabbitmqBroker(
            middleware=middleware,
            url=settings.broker_url,
            dead_message_ttl=DEAD_MESSAGE_TTL_MS,
            max_message_bytes=settings.max_message_bytes,
            max_depth=settings.max_message_depth,
        )
    else:
        broker = QuarantiningRedisBroker(
            middleware=middleware,
            url=None if client is not None else settings.redis_url,
            client=client,
            namespace=settings.broker_namespace,
            dead_message_ttl=DEAD_MESSAGE_TTL_MS,
            heartbeat_timeout=settings.broker_heartbeat_timeout_ms,
            max_message_bytes=settings.max_message_bytes,
            max_depth=settings.max_message_depth,
        )
    broker.add_middleware(OutcomeMiddleware(), before=Retries)
    broker.add_middleware(WaitCounter(), after=Retries)
    broker.add_middleware(CurrentMessage())
    broker.add_middleware(ThreadWatchdog())
    broker.add_middleware(AbortReadsAtShutdown())
    if settings.tracing_enabled:  # outermost: the job's span holds every other hook's work
        broker.add_middleware(TracingMiddleware(system=broker_system(settings)),
                              before=type(broker.middleware[0]))
    if settings.metrics_enabled:  # queue side: messages, errors, retries, durations by queue
        from dramatiq.middleware.prometheus import Prometheus

        broker.add_middleware(Prometheus())
    if isinstance(broker, QuarantiningRedisBroker):  # RabbitMQ redelivers a dead consumer's own
        broker.add_middleware(BrokerMaintenance(
            interval_s=settings.broker_maintenance_interval_s))
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
    write: Any
    insights: Any
    reconciler: Reconciler
    update: Any = None


def declare_actors(broker: Any, runtime: Runtime) -> Actors:
    settings = runtime.settings
    common: dict[str, Any] = {
        "broker": broker,
        "throws": PERMANENT,
        "retry_when": retry_policy(
            settings.max_retries,
            video_poll_budget=video_poll_budget(
                processing_timeout_s=settings.video_processing_timeout_s,
                poll_interval_s=settings.video_poll_interval_s,
                max_retries=settings.max_retries,
            ),
            rate_limit_budget_s=settings.rate_limit_budget_s,
        ),
        "min_backoff": settings.min_backoff_ms,
        "max_backoff": settings.max_backoff_ms,
        "time_limit": settings.actor_time_limit_ms,
    }

    dispatch = fair_dispatch(broker, runtime)

    def publish_post(payload: object) -> None:
        def reschedule(delay_ms: int) -> None:
            publish_actor.send_with_options(args=(payload,), delay=delay_ms)

        message = CurrentMessage.get_current_message()
        if dispatch is None or message is None:
            _run(publish.run_publish, runtime, payload, reschedule=reschedule)
            return
        with dispatch.job(message) as turn:
            # A post due now asks for its channel's turn first: a backlog parks at the cost of
            # one round trip each; the rest ask right before publishing (run_publish).
            due = publish.due_channel(payload, now_s=time.time())
            if due is not None and not turn.take(due):
                return
            _run(publish.run_publish, runtime, payload, reschedule=reschedule,
                 turn=turn.take)

    publish_actor = dramatiq.actor(
        publish_post, actor_name=PUBLISH_ACTOR, queue_name=settings.queue_publisher, **common
    )

    def update_pin(payload: object) -> None:
        _run(update.run_update, runtime, payload)

    update_actor = dramatiq.actor(
        update_pin, actor_name=UPDATE_ACTOR, queue_name=settings.queue_publisher, **common
    )

    def write_post(payload: object) -> None:
        def hand_off(post: SocialPost) -> str:
            due = schedule_post(runtime, post)  # a time moved in the console wins
            delay = publish.delay_ms_until(due)
            message = publish_actor.send_with_options(
                args=(post.model_dump(mode="json", exclude_none=True),), delay=delay)
            if delay is not None and due is not None:
                # Until its time comes the post's outcome says when (a published one stays).
                runtime.store.outcomes.record("post", post.post_id, {
                    "status": "scheduled", "scheduled_at": due.isoformat(),
                    "channel_id": post.channel_id})
            return str(message.message_id)

        def hand_off_update(post_update: PostUpdate) -> str:
            message = update_actor.send(post_update.model_dump(mode="json", exclude_none=True))
            return str(message.message_id)

        _run(write.run_write, runtime, payload, hand_off=hand_off,
             hand_off_update=hand_off_update)

    write_actor = dramatiq.actor(
        write_post, actor_name=WRITE_ACTOR, queue_name=settings.queue_writer, **common
    )

    def build_insight(payload: object) -> None:
        _run(insights.run_insights, runtime, payload)

    insights_actor = dramatiq.actor(
        build_insight, actor_name=INSIGHTS_ACTOR, queue_name=settings.queue_insights, **common
    )

    def quarantined(queue: str, dead_id: str, raw: bytes | None, rejected: Rejected) -> None:
        publish.record_rejection(runtime, dead_id=dead_id, queue=queue, error=rejected.as_error(),
                              raw=raw)

    broker.on_quarantine = quarantined
    if runtime.ahead is not None:  # publish jobs find their link preflighted
        hook = prefetch_hook(runtime.ahead.submit, queue_name=settings.queue_publisher,
                             actor_name=PUBLISH_ACTOR)
        broker.on_accepted = hook if dispatch is None else skip_backlogged(hook, dispatch)
        broker.prefetch_scale = {settings.queue_publisher:
                                 settings.preflight_ahead_prefetch_scale}
    reconciler = Reconciler(runtime, lambda post: publish_actor.send(post))
    broker.add_middleware(ReconcilerMiddleware(reconciler,
                                               interval_s=settings.reconcile_interval_s))
    middleware = outcome_middleware(broker)
    dead_id = broker.dead_id
    middleware.register(PUBLISH_ACTOR, _recorder(runtime, "post", "post_id", "post", dead_id))
    middleware.register(WRITE_ACTOR, _recorder(runtime, "brief", "brief_id", "post", dead_id))
    middleware.register(INSIGHTS_ACTOR,
                        _recorder(runtime, "insight", "channel_id", "insight", dead_id))
    middleware.register(UPDATE_ACTOR,
                        _recorder(runtime, "update", "update_id", "update", dead_id))
    return Actors(publish=publish_actor, write=write_actor, insights=insights_actor,
                  reconciler=reconciler, update=update_actor)


def skip_backlogged(hook: AcceptHook, dispatch: FairDispatch) -> AcceptHook:
    """*hook*, except for a post of a channel whose backlog this process is parking: its link
    is preflighted when it comes next in line (``FairDispatch``'s ``ahead`` hook), not now."""

    def accepted(queue: str, envelope: Mapping[str, Any]) -> None:
        args = envelope.get("args")
        post = args[0] if isinstance(args, list) and len(args) == 1 else None
        channel = post.get("channel_id") if isinstance(post, dict) else None
        if isinstance(channel, str) and dispatch.parking(channel):
            return
        hook(queue, envelope)

    return accepted


def fair_dispatch(broker: Any, runtime: Runtime) -> FairDispatch | None:
    """Turns for the publisher queue's channels (None when ``channel_turns`` is 0), with the
    sweep that hands them on running in each worker."""
    settings = runtime.settings
    if settings.channel_turns == 0:
        return None
    turns = ChannelTurns(runtime.redis_client, runtime.renewer, prefix=settings.key_prefix,
                         queue=settings.queue_publisher, limit=settings.channel_turns,
                         ttl_ms=int(settings.claim_ttl_s * 1000),
                         tenant_limit=settings.tenant_turns)
    ahead = runtime.ahead
    dispatch = FairDispatch(
        turns, broker.enqueue,
        depth=lambda: int(broker.queue_depth(settings.queue_publisher)),
        # parked posts next in line get their link preflighted before their turn comes
        ahead=parked_preflight(ahead.submit) if ahead is not None else None)
    broker.add_middleware(TurnSweeper(dispatch, interval_s=settings.turns_sweep_interval_s))
    broker.divert = dispatch.divert  # a backlog parks where it is fetched
    return dispatch


def _run(job: Any, runtime: Runtime, payload: object, **kwargs: Any) -> None:
    """Run a job, turning expected waits and rate limits into Dramatiq ``Retry``."""
    try:
        job(runtime, payload, **kwargs)
    except Exception as exc:
        poll_ms = max(1, int(runtime.settings.video_poll_interval_s * 1000))
        retry = as_retry(exc, video_poll_delay_ms=poll_ms)
        if retry is exc:
            raise
        log.info("job will be retried: %s", retry)
        raise retry from exc


def _waiting(runtime: Runtime, message: Any) -> None:
    """A post waiting (in flight, busy, video processing, rate limited): tell the ledger when its
    next attempt is due, so the reconciler leaves it alone until then."""
    post_id = publish.subject_id(message.args[0] if message.args else None, "post_id")
    delay = message.options.get("retry_in_ms")
    if post_id is not None and delay is not None:
        runtime.store.ledger.reschedule(post_id, int(delay))


def _recorder(runtime: Runtime, kind: str, id_field: str, event_prefix: str,
              dead_id: Callable[[Any], str]) -> FailureRecorder:
    def record(message: Any, exc: BaseException, final: bool) -> None:
        if not final and is_control_flow(exc):
            if kind == "post":
                _waiting(runtime, message)
            return
        payload = message.args[0] if message.args else None
        cause = failure_cause(exc)
        publish.record_failure(
            runtime,
            kind=kind,
            id_field=id_field,
            event_prefix=event_prefix,
            payload=payload,
            exc=cause,
            final=final,
            message_id=message.message_id,
            dead_id=dead_id(message),
            queue=message.queue_name,
            retries=int(message.options.get("retries", 0)),
            retry_in_ms=message.options.get("retry_in_ms"),
        )

    return record
