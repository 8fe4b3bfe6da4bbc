"""Connect a Pinterest account: OAuth with a loopback callback, or an import of existing tokens.

The OAuth flow: a one-time ``state`` is stored in Redis under a flow id with a TTL, the user
approves the app in a browser, Pinterest redirects to ``http://127.0.0.1:PORT/callback`` (register
that redirect URI on the app), the callback's ``state`` is consumed once and compared in constant
time, the code is exchanged (HTTP Basic app credentials), the granted scopes are checked, the
token is verified with ``GET /user_account``, and the credentials are stored encrypted.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from pydantic import SecretStr

from pinterest_agent.agents.ids import require_channel_id
from pinterest_agent.agents.ports import ChannelCredentials
from pinterest_agent.errors import AuthError, ConfigurationError, InvalidInputError
from pinterest_agent.providers.pinterest import PinterestOAuth, TokenSet, check_scopes
from pinterest_agent.queues.runtime import Runtime

__all__ = [
    "OAuthStart",
    "OAuthStateError",
    "begin_oauth",
    "connect_with_oauth",
    "finish_oauth",
    "import_tokens",
    "set_default_board",
    "store_tokens",
]

log = logging.getLogger(__name__)

DEFAULT_CALLBACK_TIMEOUT_S = 300.0


class OAuthStateError(AuthError):
    default_code = "oauth_state_mismatch"


@dataclass(frozen=True)
class _Callback:
    code: str | None
    state: str | None
    error: str | None


def _callback_server(port: int, results: queue.Queue[_Callback]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != "/callback":
                self.send_error(404)
                return
            query = parse_qs(parts.query)
            results.put(
                _Callback(
                    code=query.get("code", [None])[0],
                    state=query.get("state", [None])[0],
                    error=query.get("error", [None])[0],
                )
            )
            body = b"Pinterest account received. You can close this tab."
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # the query holds the code: never log it
            return

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def store_tokens(
    runtime: Runtime,
    channel_id: str,
    tokens: TokenSet,
    *,
    default_board_id: str | None = None,
) -> ChannelCredentials:
    """Verify *tokens* against Pinterest and store them encrypted as *channel_id*."""
    require_channel_id(channel_id)
    api = runtime.pinterest_api(tokens.access_token.get_secret_value())
    account = api.user_account()  # proves the token works and names the account
    if default_board_id is None:
        boards = api.boards.list()
        default_board_id = boards[0].id if len(boards) == 1 else None
    credentials = ChannelCredentials(
        channel_id=channel_id,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_at=tokens.expires_at,
        refresh_token_expires_at=tokens.refresh_token_expires_at,
        scope=tokens.scope,
        account_id=account.id,
        username=account.username,
        default_board_id=default_board_id,
        updated_at=time.time(),
    )
    runtime.store.credentials.put(credentials)
    log.info("channel %s connected as %s", channel_id, account.username)
    return credentials


def import_tokens(
    runtime: Runtime,
    channel_id: str,
    *,
    access_token: str,
    refresh_token: str | None,
    expires_in_s: int,
    scope: str = "",
    default_board_id: str | None = None,
) -> ChannelCredentials:
    """``channels add``: store tokens obtained elsewhere, after checking they work."""
    require_channel_id(channel_id)
    if not access_token:
        raise InvalidInputError("an access token is required", field="access_token")
    tokens = TokenSet(
        access_token=SecretStr(access_token),
        refresh_token=SecretStr(refresh_token) if refresh_token else None,
        scope=scope or runtime.settings.pinterest_scopes,
        expires_at=time.time() + expires_in_s,
    )
    return store_tokens(runtime, channel_id, tokens, default_board_id=default_board_id)


@dataclass(frozen=True)
class OAuthStart:
    """An authorization request: where to send the user, and the flow id its state is kept
    under (the caller keeps the flow id: a CLI in memory, the console in its session)."""

    flow_id: str
    url: str
    scopes: list[str]


def _oauth(runtime: Runtime) -> PinterestOAuth:
    oauth = runtime.oauth
    if not isinstance(oauth, PinterestOAuth):
        raise ConfigurationError(
            "set PINTEREST_AGENT_PINTEREST_APP_ID and PINTEREST_AGENT_PINTEREST_APP_SECRET "
            "to connect accounts with OAuth"
        )
    return oauth


def begin_oauth(runtime: Runtime, *, redirect_uri: str) -> OAuthStart:
    """Issue a one-time ``state`` (kept in Redis under a new flow id, with a TTL) and build
    Pinterest's authorization URL for the configured scopes."""
    oauth = _oauth(runtime)
    flow_id = uuid.uuid4().hex
    state = secrets.token_urlsafe(32)
    runtime.store.oauth_states.save(flow_id, state)
    scopes = [s for s in runtime.settings.pinterest_scopes.split(",") if s]
    url = oauth.authorization_url(redirect_uri=redirect_uri, state=state, scopes=scopes)
    return OAuthStart(flow_id=flow_id, url=url, scopes=scopes)


def finish_oauth(
    runtime: Runtime,
    channel_id: str,
    *,
    flow_id: str,
    redirect_uri: str,
    code: str | None,
    state: str | None,
    error: str | None = None,
    default_board_id: str | None = None,
) -> ChannelCredentials:
    """The callback: consume the state once (constant-time compare), exchange the code, check
    the granted scopes, verify the account and store the credentials encrypted."""
    oauth = _oauth(runtime)
    if error:
        raise AuthError(f"Pinterest reported {error!r} instead of a code", code="oauth_denied")
    if not state or not runtime.store.oauth_states.consume(flow_id, state):
        raise OAuthStateError(
            "the OAuth callback's state does not match the one issued (or was already used); "
            "start connecting again"
        )
    if not code:
        raise AuthError("the OAuth callback carried no code", code="oauth_no_code")
    tokens = oauth.exchange_code(code=code, redirect_uri=redirect_uri)
    check_scopes(tokens.scope, [s for s in runtime.settings.pinterest_scopes.split(",") if s])
    return store_tokens(runtime, channel_id, tokens, default_board_id=default_board_id)


def set_default_board(runtime: Runtime, channel_id: str, board_id: str) -> ChannelCredentials:
    """Make ``board_id`` the channel's default board (posts without a board go there)."""
    store = runtime.store.credentials
    with store.lock(channel_id):  # a token refresh rewrites the same record
        credentials = store.get(channel_id)
        if credentials is None:
            raise InvalidInputError(f"channel {channel_id!r} is not connected",
                                    field="channel_id")
        updated = credentials.model_copy(update={"default_board_id": board_id,
                                                 "updated_at": time.time()})
        store.put(updated)
    runtime.tokens.forget(channel_id)
    return updated


def connect_with_oauth(
    runtime: Runtime,
    channel_id: str,
    *,
    port: int,
    open_url: Callable[[str], None],
    timeout_s: float = DEFAULT_CALLBACK_TIMEOUT_S,
    default_board_id: str | None = None,
) -> ChannelCredentials:
    """Run the authorization-code flow with a loopback callback on *port*."""
    require_channel_id(channel_id)
    _oauth(runtime)
    results: queue.Queue[_Callback] = queue.Queue()
    server = _callback_server(port, results)
    redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/callback"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        start = begin_oauth(runtime, redirect_uri=redirect_uri)
        open_url(start.url)
        try:
            callback = results.get(timeout=timeout_s)
        except queue.Empty as exc:
            raise AuthError(
                f"no OAuth callback within {timeout_s:.0f}s; run `channels connect` again",
                code="oauth_timeout",
            ) from exc
    finally:
        server.shutdown()
        server.server_close()
    return finish_oauth(runtime, channel_id, flow_id=start.flow_id, redirect_uri=redirect_uri,
                        code=callback.code, state=callback.state, error=callback.error,
                        default_board_id=default_board_id)
