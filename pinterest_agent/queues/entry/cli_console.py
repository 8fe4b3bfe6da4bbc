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
    load_settings,
    runtime,
)

__all__ = ["console", "report"]


@click.command()
@click.option("--host", default=None,
              help="The address to listen on [default: PINTEREST_AGENT_CONSOLE_HOST or "
                   "127.0.0.1]. Beyond loopback only with PINTEREST_AGENT_CONSOLE_PASSWORD set.")
@click.option("--port", default=None, type=click.IntRange(0, 65535),
              help="[default: PINTEREST_AGENT_CONSOLE_PORT or 8086]")
@click.option("--forwarded-allow-ips", default=None, metavar="IPS",
              help="Comma-separated addresses or networks of TLS proxies trusted with "
                   "X-Forwarded-Proto and X-Forwarded-For, as uvicorn's [default: "
                   "PINTEREST_AGENT_CONSOLE_FORWARDED_ALLOW_IPS, else none].")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="A host name browsers use to reach the console (through a proxy); "
                   "repeatable. Other Host headers get 400.")
def console(host: str | None, port: int | None, forwarded_allow_ips: str | None,
            allowed_hosts: tuple[str, ...]) -> None:
    """Serve the web console (channels, charts, connect, jobs) for operators."""
    require_extra("console", "the web console")
    import uvicorn

    from pinterest_agent.queues.console.access import ConsoleAccess, check_bind
    from pinterest_agent.queues.console.app import create_app
    from pinterest_agent.queues.console.network import ConsoleNetwork, listen

    settings = load_settings()
    network = ConsoleNetwork.from_settings(settings, host=host, port=port,
                                           forwarded_allow_ips=forwarded_allow_ips,
                                           allowed_hosts=allowed_hosts)
    check_bind(network.host, settings.console_password)
    network.check()
    check_worker_settings(settings)
    access = ConsoleAccess.from_setting(settings.console_password,
                                        session_max_age_s=settings.console_session_max_age_s)
    app = create_app(runtime(), access, network)
    sock = listen(network)  # before a password is printed: a port in use exits 2 here
    click.echo(f"Pinterest agent console on {network.url()} (Ctrl+C to stop)", err=True)
    if access.generated:
        # the operator's terminal, never the log: a loopback console without a set password
        click.echo("No PINTEREST_AGENT_CONSOLE_PASSWORD is set; log in with this one-time "
                   f"password (valid until the console stops): "
                   f"{access.password.get_secret_value()}", err=True)
    # proxy headers are the app's own middleware (trusted proxies only), not uvicorn's default
    server = uvicorn.Server(uvicorn.Config(app, access_log=False, log_config=None,
                                           server_header=False, proxy_headers=False))
    with sock:
        server.run(sockets=[sock])


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
