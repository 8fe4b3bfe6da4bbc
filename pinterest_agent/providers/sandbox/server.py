"""The sandbox HTTP server: a threaded, keep-alive stdlib server on loopback and its dispatcher.

:class:`SandboxServer` owns a :class:`~providers.sandbox.state.SandboxState` and a
:class:`~providers.sandbox.routes.RouteRegistry` filled by the route modules in
:data:`ROUTE_MODULES` (each exposes ``register(registry)``; optional ones that are missing or fail
to import are skipped). Every request goes through :func:`dispatch`: count it, apply global
latency and faults, check requests under ``/v5/`` against Pinterest's OpenAPI spec with openapi-core
(the spec's 400 ``{"code": 1, "message": ...}`` on a violation, naming it), run the handler, stamp
``x-pinterest-rid``. With ``validate_responses=True`` (the test suite's sandboxes) every answer a
handler gives to a spec operation is checked against the spec too; violations are logged and kept
in ``SandboxServer.response_violations`` for the caller to fail on.

    with SandboxServer() as sandbox:
        account = sandbox.state.seed_account()
        httpx.get(sandbox.api_base + "/boards", headers={"Authorization": "Bearer " + ...})

``serve()`` runs one in the foreground for ``pinterest-agent sandbox --port N``.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import secrets
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from pinterest_agent.providers.sandbox.faults import Fault
from pinterest_agent.providers.sandbox.routes import (
    ApiError,
    BodyStream,
    RouteRegistry,
    SandboxRequest,
    SandboxResponse,
)
from pinterest_agent.providers.sandbox.state import DEFAULT_APP_ID, DEFAULT_APP_SECRET, SandboxState

if TYPE_CHECKING:
    from pinterest_agent.providers.sandbox.tls import SandboxTLS

__all__ = [
    "REQUIRED_ROUTE_MODULES",
    "ROUTE_MODULES",
    "SandboxServer",
    "describe",
    "dispatch",
    "serve",
]

log = logging.getLogger(__name__)

#: Route modules always loaded (they are part of this package).
REQUIRED_ROUTE_MODULES: tuple[str, ...] = (
    "pinterest_agent.providers.sandbox.control",
    "pinterest_agent.providers.sandbox.oauth",
    "pinterest_agent.providers.sandbox.pinterest",
    "pinterest_agent.providers.sandbox.media",
)
#: Route modules loaded when present (owned by other parts of the project).
ROUTE_MODULES: tuple[str, ...] = (
    "pinterest_agent.providers.sandbox.analytics",
    "pinterest_agent.providers.sandbox.trends",
    "pinterest_agent.providers.sandbox.openai_compat",
    "pinterest_agent.providers.sandbox.openai_models",
    "pinterest_agent.providers.sandbox.insight_answers",
    "pinterest_agent.providers.sandbox.rubric_answers",
    "pinterest_agent.providers.sandbox.category_answers",
)
_CONTROL_PREFIX = "/_sandbox/"
_FAULT_EXEMPT = ("/_sandbox/faults", "/_sandbox/reset", "/_sandbox/seed", "/_sandbox/stats",
                 "/_sandbox/latency", "/_sandbox/listing_lag", "/_sandbox/llm")

RequestCheck = Callable[[SandboxRequest], list[str]]
ResponseCheck = Callable[[SandboxRequest, SandboxResponse], None]


def build_registry(optional: Sequence[str] = ROUTE_MODULES) -> RouteRegistry:
    """A registry with the built-in routes and every importable optional route module."""
    registry = RouteRegistry()
    for name in REQUIRED_ROUTE_MODULES:
        importlib.import_module(name).register(registry)
    for name in optional:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                log.warning("sandbox route module %s failed to import: %s", name, exc)
            continue
        except Exception:  # a broken plug-in must not take the sandbox down
            log.exception("sandbox route module %s failed to import", name)
            continue
        register = getattr(module, "register", None)
        if callable(register):
            register(registry)
    return registry


def contract_check(request: SandboxRequest) -> list[str]:
    """Pinterest's OpenAPI violations of a ``/v5/`` request as received (none for other paths)."""
    if not request.path.startswith("/v5/") or request.method == "HEAD":
        return []
    from pinterest_agent.providers.pinterest.contract import load_contract

    return load_contract().validate_request(
        request.method, request.path, request.query, request.body or None,
        request.header("Content-Type"),
    )


def response_contract_check(request: SandboxRequest, response: SandboxResponse) -> list[str]:
    """Pinterest's OpenAPI violations of the answer to a ``/v5/`` spec operation (else none)."""
    if not request.path.startswith("/v5/") or request.method == "HEAD":
        return []
    from pinterest_agent.providers.pinterest.contract import load_contract

    contract = load_contract()
    if contract.operation_id(request.method, request.path) is None:
        return []
    return contract.validate_response(
        request.method, request.path, response.status, response.body or None
    )


def dispatch(
    registry: RouteRegistry,
    request: SandboxRequest,
    check: RequestCheck | None = contract_check,
    response_check: ResponseCheck | None = None,
) -> SandboxResponse:
    """Answer one request: faults, latency, contract check, handler, request id.

    ``response_check`` sees every answer of a handler (not the injected faults, which break the
    spec on purpose).
    """
    state = request.state
    matched = registry.match(request.method, request.path)
    template = matched[0].pattern if matched else request.path
    state.record_request(request.method, template, request.path)
    if state.latency_ms:
        state.stopping.wait(state.latency_ms / 1000)
    fault = None if request.path.startswith(_FAULT_EXEMPT) else state.faults.take(
        request.method, request.path
    )
    if fault is not None and not fault.after:
        _delay(state, fault)
    if fault is not None and fault.status is not None and not fault.after:
        response = _fault_response(fault)
    else:
        response = _answer(registry, request, matched, check)
        if response_check is not None:
            response_check(request, response)
        if fault is not None and fault.after:
            _delay(state, fault)  # the request took effect; the answer is late (or never comes)
        if fault is not None and fault.status is not None:
            response = _fault_response(fault)
    response.headers.setdefault("x-pinterest-rid", secrets.token_hex(8))
    return response


def _answer(
    registry: RouteRegistry,
    request: SandboxRequest,
    matched: tuple[Any, dict[str, str]] | None,
    check: RequestCheck | None,
) -> SandboxResponse:
    if matched is None:
        allowed = registry.allowed_methods(request.path)
        if allowed:
            response = SandboxResponse.error(405, 405, "Method not allowed.")
            response.headers["Allow"] = ", ".join(allowed)
            return response
        return SandboxResponse.error(404, 404, f"No sandbox route for {request.path}.")
    request.route, request.path_params = matched
    try:
        violations = check(request) if check is not None else []
        if violations:
            return SandboxResponse.error(400, 1, "; ".join(violations))
        return request.route.handler(request)
    except ApiError as exc:
        return exc.response()
    except Exception as exc:
        log.exception("sandbox handler for %s %s crashed", request.method, request.path)
        return SandboxResponse.error(500, 2787, f"Sandbox handler crashed: {exc!r}")


def _delay(state: SandboxState, fault: Fault) -> None:
    latency_ms = state.faults.delay_ms(fault)
    if latency_ms:
        state.stopping.wait(latency_ms / 1000)
    if fault.hang_s:
        state.stopping.wait(fault.hang_s)


def _fault_response(fault: Fault) -> SandboxResponse:
    assert fault.status is not None
    body = fault.response_body
    if body is None:
        response = SandboxResponse.empty(fault.status)
    elif isinstance(body, str):
        response = SandboxResponse.text(body, fault.status)
    else:
        response = SandboxResponse.json(body, fault.status)
    response.headers.update(fault.headers)
    return response


class _Handler(BaseHTTPRequestHandler):
    """Reads one HTTP/1.1 request at a time from a keep-alive connection and dispatches it."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _HTTPServer
    timeout: ClassVar[float | None] = 60.0

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the stdlib's per-request stderr line (benchmarks send thousands)."""

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.track(self.connection, add=False)

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is not None:
            return self.rfile.read(int(length))
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return b""

    def _body_stream(self, registry: RouteRegistry, path: str) -> BodyStream | None:
        """A chunked reader for a ``stream_body`` route's body of known length, else None."""
        length = self.headers.get("Content-Length", "")
        if not length.isdigit() or length == "0":
            return None
        matched = registry.match(self.command, path)
        if matched is None or not matched[0].stream_body:
            return None
        return BodyStream(self.rfile, int(length))

    def _handle(self) -> None:
        sandbox = self.server.sandbox
        split = urlsplit(self.path)
        stream = self._body_stream(sandbox.registry, split.path or "/")
        request = SandboxRequest(
            method=self.command,
            path=split.path or "/",
            query=parse_qs(split.query, keep_blank_values=True),
            headers=self.headers,  # type: ignore[arg-type]
            body=self._read_body() if stream is None else b"",
            state=sandbox.state,
            base_url=self.server.base_url,
            body_stream=stream,
        )
        response = dispatch(sandbox.registry, request, sandbox.check, sandbox.response_check)
        if stream is not None:
            stream.drain()  # a refused upload's rest, so the connection stays in step
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status not in (204, 304):
            self.send_header("Content-Length", str(len(response.body)))
        if sandbox.state.stopping.is_set():
            self.close_connection = True
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and response.status not in (204, 304):
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], sandbox: SandboxServer, *,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.scheme = "https" if tls is not None else "http"
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)
        if tls is not None:  # the handshake happens in the handler thread, not in accept()
            self.socket = tls.wrap_socket(self.socket, server_side=True,
                                          do_handshake_on_connect=False)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"{self.scheme}://{host!s}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Dropped connections and failed TLS handshakes are routine; log them quietly."""
        log.debug("sandbox connection from %s ended with an error", client_address,
                  exc_info=True)

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class SandboxServer:
    """A local, stateful emulation of Pinterest v5 (plus plug-in routes) on loopback.

    ``validate_requests`` (default on) answers a request that breaks Pinterest's spec with the
    spec's 400; ``validate_responses`` (off by default, on in the test suite) checks every answer
    of a handler against the spec and appends each violation, as ``"METHOD /path -> status:
    violation"``, to :attr:`response_violations`.

    ``state_options`` go to :class:`SandboxState` (``access_token_ttl_s``, ``refresh_token_ttl_s``,
    ``code_ttl_s``, ``media_polls``, ``enforce_scopes``, ``clock``, and ``llm_adversarial``,
    ``llm_seed``, ``llm_kinds`` for the stand-in model's adversarial mode,
    :mod:`~providers.sandbox.adversary`). With ``https=True`` a second
    listener serves the same routes over TLS (``https_base_url``), with a throwaway CA in
    ``ca_file`` for clients that must trust it (e.g. link preflight of ``https://`` pages).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        app_id: str = DEFAULT_APP_ID,
        app_secret: str = DEFAULT_APP_SECRET,
        latency_ms: int = 0,
        seed: int = 0,
        validate_requests: bool = True,
        validate_responses: bool = False,
        https: bool = False,
        https_port: int = 0,
        state: SandboxState | None = None,
        registry: RouteRegistry | None = None,
        **state_options: Any,
    ) -> None:
        self.state = state or SandboxState(
            app_id=app_id, app_secret=app_secret, latency_ms=latency_ms, seed=seed,
            **state_options,
        )
        self.registry = registry or build_registry()
        self.check: RequestCheck | None = contract_check if validate_requests else None
        self.response_check: ResponseCheck | None = (
            self._record_response_violations if validate_responses else None
        )
        self.response_violations: list[str] = []
        self._violations_lock = threading.Lock()
        self._httpd = _HTTPServer((host, port), self)
        self._listeners = [self._httpd]
        self.tls: SandboxTLS | None = None
        if https:
            from pinterest_agent.providers.sandbox.tls import make_tls

            self.tls = make_tls()
            self._listeners.append(
                _HTTPServer((host, https_port), self, tls=self.tls.server_context())
            )
        self._threads: list[threading.Thread] = []
        if validate_requests or validate_responses:  # load the spec now, not on a request
            from pinterest_agent.providers.pinterest.contract import load_contract

            load_contract()

    def _record_response_violations(
        self, request: SandboxRequest, response: SandboxResponse
    ) -> None:
        found = response_contract_check(request, response)
        if not found:
            return
        lines = [f"{request.method} {request.path} -> {response.status}: {v}" for v in found]
        log.warning("sandbox answer breaks Pinterest's spec: %s", "; ".join(lines))
        with self._violations_lock:
            self.response_violations.extend(lines)

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT``"""
        return self._httpd.base_url

    @property
    def api_base(self) -> str:
        """The Pinterest API base, ``http://HOST:PORT/v5``."""
        return self.base_url + "/v5"

    @property
    def oauth_url(self) -> str:
        """The authorize page, ``http://HOST:PORT/oauth/``."""
        return self.base_url + "/oauth/"

    @property
    def https_base_url(self) -> str:
        """``https://HOST:TLS_PORT`` (only with ``https=True``)."""
        if len(self._listeners) < 2:
            raise RuntimeError("this sandbox was started without https=True")
        return self._listeners[1].base_url

    @property
    def ca_file(self) -> Path | None:
        """The PEM file of the CA that signed the HTTPS listener's certificate, if any."""
        return self.tls.ca_file if self.tls is not None else None

    def start(self) -> SandboxServer:
        """Serve in daemon threads; returns self."""
        if not self._threads:
            self.state.stopping.clear()
            for listener in self._listeners:
                thread = threading.Thread(
                    target=listener.serve_forever, kwargs={"poll_interval": 0.05},
                    name=f"sandbox-{listener.server_address[1]}", daemon=True,
                )
                thread.start()
                self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving, end sleeping faults, close open keep-alive connections and remove the
        TLS directory (its CA and private keys)."""
        self.state.stopping.set()
        if self._threads:
            for listener in self._listeners:
                listener.shutdown()
            for thread in self._threads:
                thread.join()
            self._threads.clear()
        for listener in self._listeners:
            listener.close_connections()
            listener.server_close()
        if self.tls is not None:
            self.tls.cleanup()  # its private keys do not outlive it

    def serve_forever(self) -> None:
        """Serve until interrupted (Ctrl+C) or stopped from another thread."""
        self.start()
        try:
            while not self.state.stopping.wait(0.5):
                pass
        finally:
            self.stop()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(host: str = "127.0.0.1", port: int = 8765, **options: Any) -> None:
    """Run a sandbox in the foreground, printing its URLs and a ready demo token."""
    server = SandboxServer(host, port, **options)
    account = server.state.seed_account("demo")
    print(describe(server, account) + "\nPress Ctrl+C to stop.", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


def describe(server: SandboxServer, account: Any) -> str:
    """The sandbox's URLs, app credentials and the seeded account, one per line."""
    lines = [
        f"Pinterest sandbox listening on {server.base_url}",
        f"  API base     {server.api_base}",
        f"  OAuth page   {server.oauth_url}",
        *([f"  HTTPS pages  {server.https_base_url}/_sandbox/pages/... (CA {server.ca_file})"]
          if server.tls else []),
        f"  app id       {server.state.app_id}",
        f"  app secret   {server.state.app_secret}",
        f"  demo user    {account.username} (board {account.board_id})",
        f"  access token {account.access_token}",
        f"  refresh tok. {account.refresh_token}",
        "Control: GET /_sandbox/stats, POST /_sandbox/seed, /_sandbox/reset, /_sandbox/faults,"
        " /_sandbox/llm",
    ]
    adversary = server.state.llm.as_dict()
    if adversary["rate"] > 0:
        lines.append(f"  stand-in model breaks the rules in {adversary['rate']:.0%} of answers "
                     f"(seed {adversary['seed']}; kinds: {', '.join(adversary['kinds'])})")
    return "\n".join(lines)
