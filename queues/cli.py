"""``pinterest-agent``: run workers, the sandbox and the demo; connect channels; enqueue and
inspect jobs. Every command reads settings once (:func:`queues.settings.load_settings`).

Exit codes: 0 success, 1 the job or input failed (a clear message on stderr), 2 configuration.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import webbrowser
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import BaseModel

from agents.messages import InsightsRequest, PinBrief, SocialPost
from providers.errors import ConfigurationError, WorkerError
from queues.settings import Settings, load_settings

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])


def _fail(exc: WorkerError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2 if isinstance(exc, ConfigurationError) else 1)


def reports_errors(func: F) -> F:
    """Turn the worker's typed errors into a one-line message and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except WorkerError as exc:
            _fail(exc)

    return wrapper  # type: ignore[return-value]


def _runtime() -> Any:
    from queues.runtime import Runtime

    return Runtime.build(load_settings())


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str, sort_keys=False))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        from queues.jobs import InvalidMessageError

        raise InvalidMessageError(
            f"{path} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from exc


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
def main(verbose: bool) -> None:
    """The Pinterest agent worker."""
    from queues.logs import configure_logging

    configure_logging(verbose=verbose)


# -- running ------------------------------------------------------------------------------------
@main.command()
@click.option("--processes", "-p", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--threads", "-t", default=8, show_default=True, type=click.IntRange(min=1))
@click.option("--queues", "-Q", multiple=True, help="Only these queues (default: all).")
def worker(processes: int, threads: int, queues: tuple[str, ...]) -> None:
    """Run the actors (Dramatiq worker processes) against the configured Redis."""
    settings = load_settings()
    if settings.secret_key is None:
        _fail(ConfigurationError("set PINTEREST_AGENT_SECRET_KEY (see `pinterest-agent keygen`)"))
    argv = [sys.executable, "-m", "dramatiq", "queues.entry", "--processes", str(processes),
            "--threads", str(threads)]
    if queues:
        argv += ["--queues", *queues]
    os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with Dramatiq's CLI


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option("--latency-ms", default=0, show_default=True, type=int)
def sandbox(host: str, port: int, latency_ms: int) -> None:
    """Run the local Pinterest (and OpenAI-compatible) sandbox in the foreground."""
    from providers.sandbox.server import serve

    serve(host, port, latency_ms=latency_ms)


@main.command()
@click.option("--keep", is_flag=True, help="Keep the demo's keys in Redis afterwards.")
@reports_errors
def demo(keep: bool) -> None:
    """Run the main job offline against the local sandbox and print the outcome."""
    from queues.demo import run_demo

    run_demo(keep=keep, echo=click.echo)


@main.command()
def keygen() -> None:
    """Print a new secret key for PINTEREST_AGENT_SECRET_KEY."""
    from queues.store import SecretBox

    click.echo(SecretBox.generate_key())


@main.command()
@click.option("--model", type=click.Choice(["SocialPost", "PinBrief", "InsightsRequest"]))
def schema(model: str | None) -> None:
    """Print the JSON Schema of the queue messages."""
    models: dict[str, type[BaseModel]] = {
        "SocialPost": SocialPost, "PinBrief": PinBrief, "InsightsRequest": InsightsRequest
    }
    if model:
        _echo_json(models[model].model_json_schema())
    else:
        _echo_json({name: m.model_json_schema() for name, m in models.items()})


# -- one job in-process -------------------------------------------------------------------------
@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@reports_errors
def publish(file: Path) -> None:
    """Publish one SocialPost JSON file now, in-process (no broker); print the outcome."""
    from queues import jobs

    runtime = _runtime()
    payload = _read_json(file)
    try:
        outcome = jobs.run_publish(runtime, payload)
    except WorkerError as exc:
        jobs.record_post_failure(runtime, payload=payload, exc=exc, final=True,
                                 message_id="cli", queue="cli", retries=0)
        raise
    _echo_json(outcome)


# -- enqueue ------------------------------------------------------------------------------------
@main.group()
def enqueue() -> None:
    """Put jobs on the queues (as an upstream agent would)."""


@enqueue.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@reports_errors
def enqueue_publish(file: Path) -> None:
    """Validate a SocialPost JSON file and enqueue it on the publisher queue."""
    from queues.enqueue import enqueue_post

    settings = load_settings()
    message = enqueue_post(settings, _read_json(file))
    _echo_json({"message_id": message.message_id, "queue": settings.queue_publisher})


# -- jobs ---------------------------------------------------------------------------------------
@main.group()
def jobs() -> None:
    """Inspect outcomes and dead-lettered jobs."""


@jobs.command("status")
@click.argument("post_id")
@click.option("--kind", default="post", show_default=True, type=click.Choice(["post", "brief"]))
def jobs_status(post_id: str, kind: str) -> None:
    """Print the recorded outcome of a post (or brief)."""
    runtime = _runtime()
    outcome = runtime.store.outcomes.get(kind, post_id)
    if outcome is None:
        click.echo(f"no outcome recorded for {kind} {post_id!r}", err=True)
        sys.exit(1)
    _echo_json(outcome)


def _dead_letters(settings: Settings) -> Any:
    import redis

    from queues.deadletters import DeadLetters

    client: redis.Redis[bytes] = redis.Redis.from_url(settings.redis_url)
    return DeadLetters(client, settings.broker_namespace,
                       [settings.queue_publisher, settings.queue_writer, settings.queue_insights])


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
        click.echo(f"    {job.last_error or '(no reason recorded)'}")


@jobs.command("retry")
@click.argument("job_id")
def jobs_retry(job_id: str) -> None:
    """Put a dead-lettered job back on its queue (by the id `jobs dead` shows)."""
    from queues.actors import build_broker

    settings = load_settings()
    try:
        message = _dead_letters(settings).retry(build_broker(settings), job_id)
    except KeyError:
        click.echo(f"no dead-lettered job {job_id!r} (see `pinterest-agent jobs dead`)", err=True)
        sys.exit(1)
    _echo_json({"requeued": message.message_id, "queue": message.queue_name})


# -- channels -----------------------------------------------------------------------------------
@main.group()
def channels() -> None:
    """Connect and inspect Pinterest accounts."""


@channels.command("add")
@click.option("--channel", "channel_id", required=True)
@click.option("--access-token", envvar="PINTEREST_AGENT_IMPORT_ACCESS_TOKEN", prompt=True,
              hide_input=True)
@click.option("--refresh-token", envvar="PINTEREST_AGENT_IMPORT_REFRESH_TOKEN", default="")
@click.option("--expires-in", default=30 * 24 * 3600, show_default=True, type=int)
@click.option("--board", "board_id", default=None, help="Default board id for posts.")
@reports_errors
def channels_add(channel_id: str, access_token: str, refresh_token: str, expires_in: int,
                 board_id: str | None) -> None:
    """Import existing tokens (checked with GET /user_account, stored encrypted)."""
    from queues.connect import import_tokens

    creds = import_tokens(_runtime(), channel_id, access_token=access_token,
                          refresh_token=refresh_token or None, expires_in_s=expires_in,
                          default_board_id=board_id)
    click.echo(f"channel {creds.channel_id} connected as {creds.username}")


@channels.command("connect")
@click.option("--channel", "channel_id", required=True)
@click.option("--port", default=8085, show_default=True, type=int,
              help="Loopback callback port; register http://127.0.0.1:PORT/callback on the app.")
@click.option("--no-browser", is_flag=True, help="Only print the authorization URL.")
@click.option("--board", "board_id", default=None)
@reports_errors
def channels_connect(channel_id: str, port: int, no_browser: bool, board_id: str | None) -> None:
    """Connect an account with OAuth (loopback callback)."""
    from queues.connect import connect_with_oauth

    def open_url(url: str) -> None:
        click.echo(f"Open this URL to approve the app:\n  {url}")
        if not no_browser:
            webbrowser.open(url)

    creds = connect_with_oauth(_runtime(), channel_id, port=port, open_url=open_url,
                               default_board_id=board_id)
    click.echo(f"channel {creds.channel_id} connected as {creds.username}")


@channels.command("list")
def channels_list() -> None:
    """List connected channels (never their tokens)."""
    runtime = _runtime()
    for channel_id in runtime.store.credentials.channel_ids():
        creds = runtime.store.credentials.get(channel_id)
        if creds is None:
            continue
        expires = datetime.fromtimestamp(creds.expires_at, UTC).isoformat(timespec="seconds")
        click.echo(f"{channel_id}  user={creds.username}  token_expires={expires}  "
                   f"default_board={creds.default_board_id or '-'}")


@channels.command("boards")
@click.argument("channel_id")
@reports_errors
def channels_boards(channel_id: str) -> None:
    """List a channel's boards (all pages)."""
    runtime = _runtime()
    api = runtime.pinterest_api(runtime.tokens.access_token(channel_id))
    for board in api.boards.list():
        click.echo(f"{board.id}  {board.name}  privacy={board.privacy}")


if __name__ == "__main__":  # pragma: no cover
    main()
