"""``pinterest-agent``: run workers, the sandbox and the demo; connect channels; enqueue and
inspect jobs. Every command reads settings once (:func:`queues.settings.load_settings`).

Loading the CLI imports click and the command modules only; each command imports what it runs
(the settings, Redis, Dramatiq, the LLM client, Pillow) in its body, so that ``--help`` and a
command's start stay quick (``tests/test_cli_startup.py``).

Exit codes: 0 success, 1 the job or input failed (a clear message on stderr), 2 configuration.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from pinterest_agent.errors import ConfigurationError
from pinterest_agent.extras import require_extra
from pinterest_agent.queues.entry.cli_catalog import catalog
from pinterest_agent.queues.entry.cli_channels import channels
from pinterest_agent.queues.entry.cli_console import console, report
from pinterest_agent.queues.entry.cli_insights import insights, scheduler
from pinterest_agent.queues.entry.cli_jobs import enqueue, jobs, publish
from pinterest_agent.queues.entry.cli_model import model
from pinterest_agent.queues.entry.cli_prompts import draft, prompts
from pinterest_agent.queues.entry.cli_support import (
    ReportingGroup,
    check_worker_settings,
    echo_json,
    fail,
    load_settings,
)
from pinterest_agent.queues.entry.cli_trends import trends

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["main"]

@click.group(cls=ReportingGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
def main(verbose: bool) -> None:
    """The Pinterest agent worker."""
    from pinterest_agent.queues.logs import configure_logging

    configure_logging(verbose=verbose)


# -- running ------------------------------------------------------------------------------------
@main.command()
@click.option("--processes", "-p", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--threads", "-t", default=8, show_default=True, type=click.IntRange(min=1))
@click.option("--queues", "-Q", multiple=True, help="Only these queues (default: all).")
def worker(processes: int, threads: int, queues: tuple[str, ...]) -> None:
    """Run the actors (Dramatiq worker processes) against the configured broker."""
    settings = load_settings()
    check_worker_settings(settings)
    argv = [sys.executable, "-m", "dramatiq", "pinterest_agent.queues.entry.worker",
            "--processes", str(processes),
            "--threads", str(threads)]
    if queues:
        argv += ["--queues", *queues]
    from pinterest_agent.queues.entry.metrics_env import metrics_environment

    os.environ.update(metrics_environment(settings))
    os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with Dramatiq's CLI


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option("--https-port", default=None, type=int,
              help="The HTTPS listener (test pages); default: --port + 1.")
@click.option("--latency-ms", default=0, show_default=True, type=int)
@click.option("--listing-lag-ms", default=0, show_default=True, type=int,
              help="Pin listings leave out Pins younger than this (Pinterest's lag).")
@click.option("--env-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the export lines to this file (source it: . ./FILE).")
@click.option("--llm-adversarial", "llm_rate", default=0.0, show_default=True,
              type=click.FloatRange(0, 1), metavar="RATE",
              help="The stand-in model breaks the rules in this share of its answers "
                   "(over-long fields, other links, obeyed injections, invented claims, "
                   "refusals, cut or malformed JSON, 429/500/timeouts).")
@click.option("--llm-seed", default=0, show_default=True, type=int,
              help="Seed of the adversarial draws: the same seed and requests, the same answers.")
@click.option("--llm-misbehaviour", "llm_kinds", multiple=True, metavar="KIND",
              help="Only these kinds of misbehaviour (repeatable; default: all; see "
                   "docs/sandbox.md).")
def sandbox(host: str, port: int, https_port: int | None, latency_ms: int,
            listing_lag_ms: int, env_file: Path | None, llm_rate: float, llm_seed: int,
            llm_kinds: tuple[str, ...]) -> None:
    """Run the local Pinterest (and OpenAI-compatible) sandbox in the foreground, and print the
    settings that point a worker and every command at it.

    The --env-file of an earlier sandbox is removed at once and this one's is written whole when
    the sandbox is ready; when it stops (Ctrl+C, SIGTERM) it removes that file and its TLS
    directory (its CA and private keys)."""
    import contextlib
    import signal

    require_extra("sandbox", "the local sandbox")

    from pinterest_agent.providers.sandbox.adversary import KINDS
    from pinterest_agent.providers.sandbox.analytics_data import populate_channel
    from pinterest_agent.providers.sandbox.server import SandboxServer, describe
    from pinterest_agent.queues.entry.sandbox_env import (
        DEMO_CHANNEL,
        export_lines,
        remove_env_file,
        sandbox_env,
        write_env_file,
    )

    unknown = sorted(set(llm_kinds) - set(KINDS))
    if unknown:
        raise click.BadParameter(f"unknown {', '.join(unknown)}; one of {', '.join(KINDS)}",
                                 param_hint="--llm-misbehaviour")
    if env_file is not None:
        remove_env_file(env_file)  # an earlier sandbox's settings: its CA, tokens, key prefix
    try:
        server = SandboxServer(host, port, latency_ms=latency_ms, https=True,
                               listing_lag_ms=listing_lag_ms,
                               https_port=https_port if https_port is not None else port + 1,
                               llm_adversarial=llm_rate, llm_seed=llm_seed,
                               llm_kinds=llm_kinds or KINDS)
    except OSError as exc:
        fail(ConfigurationError(f"the sandbox cannot listen on {host}:{port} or the next port "
                                f"({exc.strerror}); stop what uses them or pass --port",
                                code="port_in_use"))

    def stop_on_signal(signum: int, frame: FrameType | None) -> None:
        signal.signal(signum, signal.SIG_IGN)  # a second one must not cut the clean-up short
        raise KeyboardInterrupt  # as Ctrl+C: serve_forever stops the server and cleans up

    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        account = server.state.seed_account(DEMO_CHANNEL)
        # 60 Pins over 90 days with their analytics, linking to the sandbox's own HTTPS pages: the
        # insights, the console and the workbench's report have something to read, offline.
        populate_channel(server.state, account.user_id, pins=60, boards=3,
                         link_base=f"{server.https_base_url}/_sandbox/pages")
        env = sandbox_env(server, account)
        click.echo(describe(server, account))
        click.echo("\nPoint a worker and the CLI at it (or source the --env-file):")
        click.echo("\n".join(export_lines(env)))
        click.echo(f"pinterest-agent channels add --channel {DEMO_CHANNEL} "
                   f'--board "$PINTEREST_AGENT_SANDBOX_BOARD"')
        if env_file is not None:
            write_env_file(env_file, env)
            click.echo(f"\n(written to {env_file}; removed when the sandbox stops)")
        click.echo("\nPress Ctrl+C to stop.", nl=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    finally:
        with contextlib.suppress(KeyboardInterrupt):
            server.stop()  # (again: nothing) its TLS directory goes with it
            if env_file is not None:
                remove_env_file(env_file)


@main.command()
@click.option("--keep", is_flag=True, help="Keep the demo's keys in Redis afterwards.")
@click.option("--out", "out_dir", default="pinterest-agent-demo", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Where the rendered image is saved.")
def demo(keep: bool, out_dir: Path) -> None:
    """Run brief -> Pin -> insight offline against the local sandbox and print each step."""
    require_extra("sandbox", "the demo (it runs the local sandbox)")
    from pinterest_agent.queues.entry.demo import run_demo

    run_demo(keep=keep, out_dir=out_dir, echo=click.echo)


@main.command()
def keygen() -> None:
    """Print a new secret key for PINTEREST_AGENT_SECRET_KEY."""
    from pinterest_agent.queues.stores.secrets import SecretBox

    click.echo(SecretBox.generate_key())


@main.command()
@click.option("--model", type=click.Choice(["SocialPost", "PinBrief", "InsightsRequest",
                                           "PostUpdate"]))
def schema(model: str | None) -> None:
    """Print the JSON Schema of the queue messages."""
    from pinterest_agent.agents.messages import InsightsRequest, PinBrief, PostUpdate, SocialPost

    models: dict[str, type[BaseModel]] = {
        "SocialPost": SocialPost, "PinBrief": PinBrief, "InsightsRequest": InsightsRequest,
        "PostUpdate": PostUpdate,
    }
    if model:
        echo_json(models[model].model_json_schema())
    else:
        echo_json({name: m.model_json_schema() for name, m in models.items()})


for command in (channels, enqueue, jobs, publish, insights, scheduler, draft, prompts, console,
                report, catalog, model, trends):
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()
