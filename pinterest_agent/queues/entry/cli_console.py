"""``pinterest-agent console | report``: the web console and the channel report file."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from pinterest_agent.extras import require_extra
from pinterest_agent.queues.entry.cli_support import (
    channel_param,
    check_worker_settings,
    runtime,
)
from pinterest_agent.queues.settings import load_settings

__all__ = ["console", "report"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Beyond loopback only with PINTEREST_AGENT_CONSOLE_PASSWORD set.")
@click.option("--port", default=8086, show_default=True, type=click.IntRange(0, 65535))
def console(host: str, port: int) -> None:
    """Serve the web console (channels, charts, connect, jobs) for operators."""
    require_extra("console", "the web console")
    import uvicorn

    from pinterest_agent.queues.console.access import ConsoleAccess, check_bind
    from pinterest_agent.queues.console.app import create_app

    settings = load_settings()
    check_bind(host, settings.console_password)
    check_worker_settings(settings)
    access = ConsoleAccess.from_setting(settings.console_password,
                                        session_max_age_s=settings.console_session_max_age_s)
    app = create_app(runtime(), access)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Pinterest agent console on http://{shown}:{port}/ (Ctrl+C to stop)", err=True)
    if access.generated:
        # the operator's terminal, never the log: a loopback console without a set password
        click.echo("No PINTEREST_AGENT_CONSOLE_PASSWORD is set; log in with this one-time "
                   f"password (valid until the console stops): "
                   f"{access.password.get_secret_value()}", err=True)
    uvicorn.run(app, host=host, port=port, access_log=False, log_config=None,
                server_header=False, proxy_headers=False)


@click.command()
@click.argument("channel_id", callback=channel_param)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The HTML file to write.")
def report(channel_id: str, out: Path) -> None:
    """Write CHANNEL's page (Overview, Top Pins, Insights, Suggestions) as one offline HTML
    file with inline CSS and SVG charts."""
    require_extra("console", "the report file (the console's pages and charts)")
    from pinterest_agent.queues.console.report import render_report
    from pinterest_agent.queues.stores.figures import ChannelFiguresStore

    rt = runtime()
    figures = ChannelFiguresStore(rt.redis_client, rt.settings.key_prefix).load_raw(channel_id)
    if figures is None and not rt.store.documents.history("insight", channel_id, limit=1):
        click.echo(f"nothing is stored for {channel_id!r} yet: run `pinterest-agent insights "
                   f"run {shlex.quote(channel_id)}` first", err=True)
        sys.exit(1)
    html = render_report(rt, channel_id)
    out.write_text(html, encoding="utf-8")
    click.echo(f"wrote {out} ({len(html.encode()):,} bytes)")
