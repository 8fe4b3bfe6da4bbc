"""``pinterest-agent channels``: connect and inspect Pinterest accounts."""

from __future__ import annotations

import webbrowser
from datetime import UTC, datetime

import click

from pinterest_agent.queues.entry.cli_support import channel_param, runtime

__all__ = ["channels"]


@click.group()
def channels() -> None:
    """Connect and inspect Pinterest accounts."""


@channels.command("add")
@click.option("--channel", "channel_id", required=True, callback=channel_param,
              help="The channel's id: 1 to 128 ASCII letters, digits and '._:@-'.")
@click.option("--access-token", envvar="PINTEREST_AGENT_IMPORT_ACCESS_TOKEN", prompt=True,
              hide_input=True)
@click.option("--refresh-token", envvar="PINTEREST_AGENT_IMPORT_REFRESH_TOKEN", default="")
@click.option("--expires-in", default=30 * 24 * 3600, show_default=True, type=int)
@click.option("--board", "board_id", default=None, help="Default board id for posts.")
def channels_add(channel_id: str, access_token: str, refresh_token: str, expires_in: int,
                 board_id: str | None) -> None:
    """Import existing tokens (checked with GET /user_account, stored encrypted)."""
    from pinterest_agent.queues.connect import import_tokens

    creds = import_tokens(runtime(), channel_id, access_token=access_token,
                          refresh_token=refresh_token or None, expires_in_s=expires_in,
                          default_board_id=board_id)
    click.echo(f"channel {creds.channel_id} connected as {creds.username}")


@channels.command("connect")
@click.option("--channel", "channel_id", required=True, callback=channel_param,
              help="The channel's id: 1 to 128 ASCII letters, digits and '._:@-'.")
@click.option("--port", default=8085, show_default=True, type=int,
              help="Loopback callback port; register http://127.0.0.1:PORT/callback on the app.")
@click.option("--no-browser", is_flag=True, help="Only print the authorization URL.")
@click.option("--board", "board_id", default=None)
def channels_connect(channel_id: str, port: int, no_browser: bool, board_id: str | None) -> None:
    """Connect an account with OAuth (loopback callback)."""
    from pinterest_agent.queues.connect import connect_with_oauth

    def open_url(url: str) -> None:
        click.echo(f"Open this URL to approve the app:\n  {url}")
        if not no_browser:
            webbrowser.open(url)

    creds = connect_with_oauth(runtime(), channel_id, port=port, open_url=open_url,
                               default_board_id=board_id)
    click.echo(f"channel {creds.channel_id} connected as {creds.username}")


@channels.command("list")
def channels_list() -> None:
    """List connected channels (never their tokens)."""
    rt = runtime()
    tenants = rt.tenants.all()
    for channel_id in rt.store.credentials.channel_ids():
        creds = rt.store.credentials.get(channel_id)
        if creds is None:
            continue
        expires = datetime.fromtimestamp(creds.expires_at, UTC).isoformat(timespec="seconds")
        tenant = tenants.get(channel_id)
        click.echo(f"{channel_id}  user={creds.username}  token_expires={expires}  "
                   f"default_board={creds.default_board_id or '-'}"
                   f"{f'  tenant={tenant}' if tenant else ''}")


@channels.command("boards")
@click.argument("channel_id", callback=channel_param)
def channels_boards(channel_id: str) -> None:
    """List a channel's boards (all pages)."""
    rt = runtime()
    api = rt.pinterest_api(rt.tokens.access_token(channel_id))
    for board in api.boards.list():
        click.echo(f"{board.id}  {board.name}  privacy={board.privacy}")




@channels.command("set")
@click.option("--channel", "channel_id", required=True, callback=channel_param,
              help="The channel's id.")
@click.option("--trends-region", "region", default=None, metavar="REGION",
              help="Its Pinterest Trends region (US, GB+IE, DE+AT+CH, AU+NZ, ...), or "
                   "'default' to follow the trends_region setting.")
@click.option("--interests", default=None, metavar="LIST",
              help="Its Trends interests, comma-separated (home_decor,food_and_drinks), 'all' "
                   "for every interest, or 'default' to follow the trends_interests setting.")
@click.option("--tenant", default=None, metavar="NAME",
              help="The tenant (agency, platform) that owns it: its channels share the "
                   "tenant_turns setting's turns; 'none' makes it its own tenant again. An id "
                   "like a channel's.")
def channels_set(channel_id: str, region: str | None, interests: str | None,
                 tenant: str | None) -> None:
    """Set a channel's own settings (its Trends region and interests, its tenant) and print
    them."""
    from pinterest_agent.agents.ids import require_id
    from pinterest_agent.errors import InvalidInputError
    from pinterest_agent.providers.pinterest.trends_models import parse_interests, parse_region

    if region is None and interests is None and tenant is None:
        raise InvalidInputError("nothing to set: pass --trends-region, --interests and/or "
                                "--tenant", code="nothing_to_set")
    owner = None if tenant is None or tenant == "none" else require_id(tenant, "tenant")
    changes: dict[str, object] = {}
    if region is not None:
        changes["region"] = None if region.strip().lower() == "default" else parse_region(region)
    if interests is not None:
        wanted = interests.strip().lower()
        changes["interests"] = (None if wanted == "default" else
                                () if wanted == "all" else parse_interests(interests))
    rt = runtime()
    if changes:
        rt.trend_settings.put(channel_id, rt.trend_settings.get(channel_id).model_copy(
            update=changes))
    if tenant is not None:
        rt.tenants.put(channel_id, owner)
    if channel_id not in rt.store.credentials.channel_ids():
        click.echo(f"note: {channel_id!r} is not connected yet; its settings wait for it",
                   err=True)
    _show_trend_profile(channel_id)


@channels.command("show")
@click.argument("channel_id", callback=channel_param)
def channels_show(channel_id: str) -> None:
    """Print a channel's own settings (its Trends region and interests, its tenant if it has
    one) and where each comes from."""
    _show_trend_profile(channel_id)


def _show_trend_profile(channel_id: str) -> None:
    rt = runtime()
    profile = rt.trend_profile(channel_id)
    tenant = rt.tenants.get(channel_id)
    default = " (default)"
    click.echo(f"{channel_id}  trends_region={profile.region}"
               f"{default if profile.region_is_default else ''}  "
               f"interests={','.join(profile.interests) or 'all'}"
               f"{default if profile.interests_are_default else ''}"
               f"{f'  tenant={tenant}' if tenant else ''}")


@channels.command("rekey")
def channels_rekey() -> None:
    """Re-encrypt every stored credential with the first key of PINTEREST_AGENT_SECRET_KEY.

    Rotate by setting the variable to NEW,OLD, running this, then dropping OLD."""
    rt = runtime()
    count = rt.store.credentials.rekey()
    click.echo(f"{count} channel credential(s) re-encrypted with the first secret key")
