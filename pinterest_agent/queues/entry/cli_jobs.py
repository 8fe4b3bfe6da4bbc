"""``pinterest-agent publish | enqueue | jobs``: run, enqueue and inspect jobs."""

from __future__ import annotations

import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pinterest_agent.agents.ids import require_id
from pinterest_agent.errors import WorkerError
from pinterest_agent.queues.entry.cli_support import (
    channel_param,
    echo_json,
    load_settings,
    read_json,
    runtime,
)

if TYPE_CHECKING:
    from pinterest_agent.queues.broker.deadletters import DeadLetterQueue
    from pinterest_agent.queues.settings import Settings

__all__ = ["enqueue", "jobs", "publish"]


# -- one job in-process -------------------------------------------------------------------------
@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def publish(file: Path) -> None:
    """Publish one SocialPost JSON file now, in-process (no broker); print the outcome.

    A video post waits here while Pinterest processes it (until the processing timeout)."""
    from pinterest_agent.agents.video import VideoProcessingError
    from pinterest_agent.queues.jobs import publish as jobs

    rt = runtime()
    payload = read_json(file)
    interval_s = rt.settings.video_poll_interval_s
    while True:
        try:
            outcome = jobs.run_publish(rt, payload)
            break
        except VideoProcessingError:  # the processing timeout ends this loop with an error
            click.echo(f"video still processing at Pinterest; checking again in {interval_s:g}s",
                       err=True)
            time.sleep(interval_s)
        except WorkerError as exc:
            echo_json(jobs.record_post_failure(rt, payload=payload, exc=exc, final=True,
                                               message_id=f"cli-{uuid.uuid4().hex[:12]}",
                                               queue="cli", retries=0))
            raise
    echo_json(outcome)


# -- enqueue ------------------------------------------------------------------------------------
@click.group()
def enqueue() -> None:
    """Put jobs on the queues (as an upstream agent would)."""


@enqueue.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def enqueue_publish(file: Path) -> None:
    """Validate a SocialPost JSON file and enqueue it on the publisher queue."""
    from pinterest_agent.queues.jobs.enqueue import enqueue_post

    settings = load_settings()
    message = enqueue_post(settings, read_json(file))
    echo_json({"message_id": message.message_id, "queue": settings.queue_publisher})


@enqueue.command("brief")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def enqueue_brief(file: Path) -> None:
    """Validate a PinBrief JSON file and enqueue it on the writer queue."""
    from pinterest_agent.agents.messages import PinBrief
    from pinterest_agent.queues.jobs.actors import WRITE_ACTOR, build_broker
    from pinterest_agent.queues.jobs.enqueue import enqueue_message
    from pinterest_agent.queues.jobs.publish import decode_message

    settings = load_settings()
    brief = decode_message(PinBrief, read_json(file))
    message = enqueue_message(build_broker(settings), queue=settings.queue_writer,
                              actor=WRITE_ACTOR,
                              payload=brief.model_dump(mode="json", exclude_none=True))
    echo_json({"message_id": message.message_id, "queue": settings.queue_writer})


@enqueue.command("insights")
@click.argument("channel_ids", nargs=-1, callback=channel_param)
@click.option("--all", "all_channels", is_flag=True, help="Every connected channel.")
def enqueue_insights(channel_ids: tuple[str, ...], all_channels: bool) -> None:
    """Enqueue an InsightsRequest for CHANNEL_IDS (or --all): the weekly trigger, by hand."""
    from pinterest_agent.queues.jobs.actors import INSIGHTS_ACTOR, build_broker
    from pinterest_agent.queues.jobs.enqueue import enqueue_message
    from pinterest_agent.queues.jobs.insights import insights_request

    rt = runtime()
    targets = list(channel_ids) or (rt.store.credentials.channel_ids() if all_channels else [])
    if not targets:
        click.echo("name channels or pass --all (no channel is connected)", err=True)
        sys.exit(1)
    broker = build_broker(rt.settings, rt.redis_client)
    for channel_id in targets:
        message = enqueue_message(broker, queue=rt.settings.queue_insights,
                                  actor=INSIGHTS_ACTOR, payload=insights_request(channel_id))
        click.echo(f"{channel_id}: enqueued (message {message.message_id})")


# -- jobs ---------------------------------------------------------------------------------------
@click.group()
def jobs() -> None:
    """Inspect outcomes and dead-lettered jobs."""


@jobs.command("status")
@click.argument("post_id")
@click.option("--kind", default="post", show_default=True,
              type=click.Choice(["post", "brief", "insight", "message", "update", "catalog"]))
def jobs_status(post_id: str, kind: str) -> None:
    """Print the recorded outcome of a post (or a brief, an insight by channel id, a refused
    message by its dead-letter id, a Pin update by its update id, a channel's last catalog
    sync)."""
    require_id(post_id, "POST_ID")
    rt = runtime()
    outcome = rt.store.outcomes.get(kind, post_id)
    if outcome is None:
        click.echo(f"no outcome recorded for {kind} {post_id!r}", err=True)
        sys.exit(1)
    echo_json(outcome)


FINAL_STATUSES = {"post": ("published", "failed"), "brief": ("drafted", "failed"),
                  "insight": ("ok", "no_data", "no_analytics_access", "failed"),
                  "update": ("applied", "failed", "superseded")}


@jobs.command("wait")
@click.argument("subject_id")
@click.option("--kind", default="post", show_default=True, type=click.Choice(list(FINAL_STATUSES)))
@click.option("--timeout", "timeout_s", default=120.0, show_default=True, type=float,
              help="Seconds to wait.")
def jobs_wait(subject_id: str, kind: str, timeout_s: float) -> None:
    """Wait until a job has a final outcome and print it: exit 0 when it succeeded, 1 when it
    failed or the time ran out (a scheduled post waits for its time).

    While it waits it says, on stderr, where the job is whenever that changes: a post made from
    a brief (the same id) shows its brief's state until the post has one of its own (retrying,
    and why); a post whose brief failed for good ends the wait at once with the brief's outcome."""
    from pinterest_agent.queues.entry.waiting import brief_failed, waiting_on

    require_id(subject_id, "SUBJECT_ID")
    rt = runtime()
    deadline = time.monotonic() + timeout_s
    final = FINAL_STATUSES[kind]
    said = ""
    while True:
        outcome = rt.store.outcomes.get(kind, subject_id)
        if outcome is not None and outcome.get("status") in final:
            echo_json(outcome)
            sys.exit(1 if outcome["status"] == "failed" else 0)
        brief = rt.store.outcomes.get("brief", subject_id) if kind == "post" else None
        if brief_failed(kind, outcome, brief):
            assert brief is not None
            echo_json(brief)
            click.echo(f"error: the brief {subject_id!r} failed, so its post will not be made; "
                       "see `pinterest-agent jobs dead`", err=True)
            sys.exit(1)
        where = waiting_on(kind, subject_id, outcome, brief)
        if time.monotonic() >= deadline:
            break
        if where != said:
            click.echo(f"waiting: {where}", err=True)
            said = where
        time.sleep(0.25)
    click.echo(f"error: {kind} {subject_id!r} has no final outcome after {timeout_s:g}s: "
               f"{where}; see `pinterest-agent jobs status` and `jobs dead`", err=True)
    sys.exit(1)


def _dead_letters(settings: Settings) -> DeadLetterQueue:
    import redis

    from pinterest_agent.queues.broker.deadletters import open_dead_letters

    client: redis.Redis[bytes] = redis.Redis.from_url(settings.redis_url)
    return open_dead_letters(settings, client)


@jobs.command("reindex")
def jobs_reindex() -> None:
    """Index the events recorded before this version (once, after upgrading), so the
    console's filters and post pages find them; safe while workers run."""
    rt = runtime()
    read = rt.store.outcomes.reindex()
    click.echo(f"indexed {read} events of {rt.settings.events_stream}")


@jobs.command("dead")
def jobs_dead() -> None:
    """List dead-lettered jobs with their reasons."""
    settings = load_settings()
    dead = _dead_letters(settings).list()
    if not dead:
        click.echo("no dead-lettered jobs")
        return
    for job in dead:
        when = datetime.fromtimestamp(job.failed_at_ms / 1000, UTC).isoformat(timespec="seconds")
        click.echo(f"{job.dead_id}  {when}  {job.queue}  {job.actor}  retries={job.retries}")
        click.echo(f"    [{job.reason_code}] {job.reason}")


@jobs.command("retry")
@click.argument("job_id")
def jobs_retry(job_id: str) -> None:
    """Put a dead-lettered job back on its queue (by the id `jobs dead` shows)."""
    from pinterest_agent.queues.jobs.actors import build_broker

    require_id(job_id, "JOB_ID")
    settings = load_settings()
    try:
        message = _dead_letters(settings).retry(build_broker(settings), job_id)
    except KeyError:
        click.echo(f"no dead-lettered job {job_id!r} (see `pinterest-agent jobs dead`)", err=True)
        sys.exit(1)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    echo_json({"requeued": message.message_id, "queue": message.queue_name})


