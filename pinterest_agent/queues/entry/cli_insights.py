"""``pinterest-agent insights | scheduler``: weekly channel insights."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

import click

from pinterest_agent.queues.entry.cli_support import (
    channel_param,
    echo_json,
    load_settings,
    runtime,
)

__all__ = ["insights", "scheduler"]


@click.group()
def insights() -> None:
    """Channel insights: run one now, show the latest, use its next Pin concept."""


@insights.command("run")
@click.argument("channel_id", callback=channel_param)
def insights_run(channel_id: str) -> None:
    """Build CHANNEL's insight now, in-process; store it and print it."""
    from pinterest_agent.queues.jobs.insights import insights_request, run_insights

    insight = run_insights(runtime(), insights_request(channel_id))
    echo_json(insight.model_dump(mode="json", exclude_none=True))


@insights.command("show")
@click.argument("channel_id", callback=channel_param)
def insights_show(channel_id: str) -> None:
    """Print CHANNEL's latest stored insight."""
    from pinterest_agent.queues.jobs.insights import latest_insight

    insight = latest_insight(runtime(), channel_id)
    if insight is None:
        click.echo(f"no insight stored for {channel_id!r} yet (try `insights run`)", err=True)
        sys.exit(1)
    echo_json(insight.model_dump(mode="json", exclude_none=True))


@insights.command("next")
@click.argument("channel_id", callback=channel_param)
@click.option("--enqueue", "send", is_flag=True, help="Send it to the writer queue as is.")
def insights_next(channel_id: str, send: bool) -> None:
    """Print the next Pin concept (a ready PinBrief) of CHANNEL's latest insight."""
    from pinterest_agent.queues.jobs.next_pin import next_pin_brief, send_next_pin

    rt = runtime()
    brief = next_pin_brief(rt, channel_id)
    if brief is None:
        click.echo(f"{channel_id!r} has no insight with a next Pin concept yet", err=True)
        sys.exit(1)
    echo_json(brief)
    if send:
        sent = send_next_pin(rt, brief)
        click.echo(f"enqueued on {sent.queue} (message {sent.message_id})", err=True)


@click.command()
@click.option("--once", is_flag=True, help="Tick once (fire a due or missed period) and exit.")
def scheduler(once: bool) -> None:
    """Enqueue one InsightsRequest per channel per period (cron setting, UTC). Safe to run on
    several machines: each period fires once; a missed period fires when a scheduler starts."""
    from pinterest_agent.queues.jobs.actors import INSIGHTS_ACTOR, build_broker
    from pinterest_agent.queues.jobs.enqueue import enqueue_message
    from pinterest_agent.queues.jobs.insights import insights_request
    from pinterest_agent.queues.jobs.scheduler import WeeklyTrigger

    settings = load_settings()
    rt = runtime()
    broker = build_broker(settings, rt.redis_client)

    def enqueue(channel_id: str) -> None:
        enqueue_message(broker, queue=settings.queue_insights, actor=INSIGHTS_ACTOR,
                        payload=insights_request(channel_id))

    trigger = WeeklyTrigger(rt.redis_client, cron=settings.insights_cron,
                            key_prefix=settings.key_prefix, enqueue=enqueue,
                            list_channels=rt.store.credentials.channel_ids)
    if once:
        click.echo(f"enqueued {trigger.tick()} insights job(s)")
        return
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    click.echo(f"scheduler running (cron {settings.insights_cron!r} UTC); Ctrl+C to stop")
    trigger.run_forever(stop)
