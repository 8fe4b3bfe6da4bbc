"""Connect a Pinterest account in the browser: connect -> Pinterest -> callback -> board.

``POST /connect`` issues the one-time OAuth ``state`` (:func:`queues.connect.begin_oauth`; the
flow id and the channel id wait in the signed session) and sends the browser to Pinterest.
``GET /connect/callback`` consumes the state, exchanges the code, checks the scopes, verifies the
account and stores the credentials encrypted (:func:`queues.connect.finish_oauth`), then shows
the account's boards (every page) to pick the default board or create one. Register
``http://HOST:PORT/connect/callback`` as a redirect URI of the Pinterest app.
"""

from __future__ import annotations

import logging

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pinterest_agent.agents.ids import InvalidIdError, is_id, require_channel_id
from pinterest_agent.providers.pinterest.boards import BOARD_PRIVACY
from pinterest_agent.queues.connect import begin_oauth, finish_oauth, set_default_board
from pinterest_agent.queues.console.access import csrf_protected
from pinterest_agent.queues.console.context import console_of, render

__all__ = ["routes"]

log = logging.getLogger(__name__)


def _redirect_uri(request: Request) -> str:
    return str(request.url_for("connect_callback"))


def connect_page(request: Request) -> Response:
    return render(request, "connect.html", error=None,
                  redirect_uri=_redirect_uri(request), channel_id="")


@csrf_protected
def connect_start(request: Request, form: FormData) -> Response:
    channel_id = str(form.get("channel_id") or "").strip()
    try:
        require_channel_id(channel_id)  # the CLI's check: an id accepted here works there
    except InvalidIdError as exc:
        return render(request, "connect.html", status_code=400, channel_id=channel_id,
                      redirect_uri=_redirect_uri(request), error=exc.message)
    start = begin_oauth(console_of(request).runtime, redirect_uri=_redirect_uri(request))
    request.session["oauth"] = {"flow": start.flow_id, "channel": channel_id}
    log.info("console: connecting channel %s (OAuth flow %s)", channel_id, start.flow_id)
    return RedirectResponse(start.url, status_code=303)


def connect_callback(request: Request) -> Response:
    pending = request.session.pop("oauth", None)
    if not isinstance(pending, dict):
        raise HTTPException(400, "No connection was started from this browser (or it was "
                                 "already finished); press Connect Pinterest again.")
    channel_id = str(pending["channel"])
    query = request.query_params
    finish_oauth(console_of(request).runtime, channel_id, flow_id=str(pending["flow"]),
                 redirect_uri=_redirect_uri(request), code=query.get("code"),
                 state=query.get("state"), error=query.get("error"))
    return RedirectResponse(request.url_for("choose_board", channel=channel_id).path,
                            status_code=303)


def _channel_id(request: Request) -> str:
    channel_id = str(request.path_params["channel"])
    if not is_id(channel_id):
        raise HTTPException(404, "No such channel: a channel id is 1 to 128 ASCII letters, "
                                 "digits and '._:@-'.")
    return channel_id


def board_page(request: Request) -> Response:
    runtime = console_of(request).runtime
    channel_id = _channel_id(request)
    credentials = runtime.tokens.credentials(channel_id)
    api = runtime.pinterest_api(runtime.tokens.access_token_for(credentials))
    boards = api.boards.list()  # every page
    return render(request, "boards.html", channel_id=channel_id, boards=boards,
                  username=credentials.username, current=credentials.default_board_id,
                  privacies=sorted(BOARD_PRIVACY), error=None)


@csrf_protected
def choose_board(request: Request, form: FormData) -> Response:
    runtime = console_of(request).runtime
    channel_id = _channel_id(request)
    board_id = str(form.get("board_id") or "")
    new_name = str(form.get("new_board") or "").strip()
    if board_id == "new":
        if not new_name:
            raise HTTPException(400, "Name the new board, or pick an existing one.")
        privacy = str(form.get("privacy") or "PUBLIC")
        api = runtime.pinterest_api(runtime.tokens.access_token(channel_id))
        board_id = api.boards.create(new_name, privacy=privacy).id
    elif not board_id.isdigit():
        raise HTTPException(400, "Pick a board.")
    set_default_board(runtime, channel_id, board_id)
    log.info("console: channel %s default board %s", channel_id, board_id)
    return RedirectResponse(request.url_for("channel_overview", channel=channel_id).path,
                            status_code=303)


routes = [
    Route("/connect", connect_page, methods=["GET"], name="connect"),
    Route("/connect", connect_start, methods=["POST"], name="connect_start"),
    Route("/connect/callback", connect_callback, methods=["GET"], name="connect_callback"),
    Route("/channels/{channel}/board", board_page, methods=["GET"], name="board_page"),
    Route("/channels/{channel}/board", choose_board, methods=["POST"], name="choose_board"),
]
