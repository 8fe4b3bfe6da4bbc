"""The guard at connect time: every address checked, tried in RFC 8305 order with fallback, TLS
verified against the host name the job named, connections pooled per host name.

Real sockets on loopback (``allow_loopback=True``); a fake resolver maps test host names to
loopback addresses; where a test needs an address to fail in a way loopback cannot (a connect
timeout), a recording connector under the guard injects that failure.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpcore
import pytest

import pinterest_agent.providers.netsafe as netsafe
from pinterest_agent.providers.sandbox.server import SandboxServer


class RecordingConnector(httpcore.NetworkBackend):
    """Real sockets, recording each address dialled; *refuse* / *time_out* addresses fail."""

    def __init__(self, *, refuse: Iterable[str] = (), time_out: Iterable[str] = ()) -> None:
        self.dialled: list[str] = []
        self._refuse = set(refuse)
        self._time_out = set(time_out)
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        self.dialled.append(host)
        if host in self._refuse:
            raise httpcore.ConnectError("[Errno 111] Connection refused (injected)")
        if host in self._time_out:
            raise httpcore.ConnectTimeout("timed out (injected)")
        return self._sockets.connect_tcp(host, port, timeout, local_address, socket_options)


class _Pages(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hosts: list[str] = []

    def do_HEAD(self) -> None:
        self.hosts.append(self.headers.get("Host", ""))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self.do_HEAD()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture()
def ipv4_pages() -> Iterator[tuple[int, list[str]]]:
    """An HTTP server on 127.0.0.1 only (nothing listens on ::1 at its port); yields its port and
    the Host headers it received."""
    hosts: list[str] = []
    handler = type("Pages", (_Pages,), {"hosts": hosts})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hosts
    server.shutdown()
    server.server_close()


def test_dual_stack_host_falls_back_to_ipv4_when_ipv6_refuses(
    ipv4_pages: tuple[int, list[str]],
) -> None:
    # Given a host whose resolver answers IPv6 first, and a server reachable over IPv4 only
    port, _ = ipv4_pages
    fetcher = netsafe.SafeFetcher(
        resolver=lambda host, p: ["::1", "127.0.0.1"], allow_loopback=True
    )
    # When the link is preflighted
    status = fetcher.check_reachable(f"http://dual.example:{port}/page")
    # Then the refused IPv6 connection falls back to IPv4 and the link answers
    assert status == 200


def test_ipv6_connect_timeout_falls_back_to_ipv4(ipv4_pages: tuple[int, list[str]]) -> None:
    # Given a dual-stack host whose IPv6 address does not answer (the connect times out)
    port, _ = ipv4_pages
    v6 = "2606:4700:4700::1111"
    connector = RecordingConnector(time_out=[v6])
    fetcher = netsafe.SafeFetcher(
        resolver=lambda host, p: [v6, "127.0.0.1"], allow_loopback=True, connector=connector
    )
    # When the link is preflighted
    assert fetcher.check_reachable(f"http://dual.example:{port}/page") == 200
    # Then IPv6 was tried first and IPv4 answered
    assert connector.dialled == [v6, "127.0.0.1"]


def test_addresses_are_tried_in_rfc8305_order_with_families_interleaved() -> None:
    # Given a host with two IPv6 and two IPv4 addresses, none of which answers
    v6a, v6b = "2606:4700::1", "2606:4700::2"
    v4a, v4b = "93.184.216.34", "93.184.216.35"
    connector = RecordingConnector(refuse=[v6a, v6b, v4a, v4b])
    fetcher = netsafe.SafeFetcher(
        resolver=lambda host, p: [v6a, v6b, v4a, v4b], connector=connector
    )
    # When the link is preflighted
    with pytest.raises(netsafe.DestinationUnavailableError) as info:
        fetcher.check_reachable("https://shop.example/")
    # Then each address was tried once, families interleaved, IPv6 first as the resolver said,
    # and the failure is transient (a refused connection may pass)
    assert connector.dialled == [v6a, v4a, v6b, v4b]
    assert info.value.code == "destination_unavailable"


def test_connection_order_keeps_the_resolvers_preference() -> None:
    from pinterest_agent.providers.netsafe.guard import connection_order
    from pinterest_agent.providers.netsafe.policy import literal_address

    def order(*answers: str) -> list[str]:
        return [str(ip) for ip in connection_order(
            [a for a in (literal_address(x) for x in answers) if a is not None]
        )]

    # IPv4 first when the resolver (RFC 6724) put it first; no string sort either way
    assert order("93.184.216.34", "2606::1", "2606::2") == ["93.184.216.34", "2606::1", "2606::2"]
    assert order("2606::1", "2606::2", "9.9.9.9", "10.0.0.1") == [
        "2606::1", "9.9.9.9", "2606::2", "10.0.0.1"]
    assert order("9.9.9.9", "9.9.9.9") == ["9.9.9.9"]


def test_the_connection_goes_to_the_checked_address_with_the_url_unchanged(
    ipv4_pages: tuple[int, list[str]],
) -> None:
    # Given a name the (fake) resolver maps to loopback
    port, hosts = ipv4_pages
    lookups: list[tuple[str, int]] = []

    def resolve(host: str, p: int) -> list[str]:
        lookups.append((host, p))
        return ["127.0.0.1"]

    connector = RecordingConnector()
    fetcher = netsafe.SafeFetcher(resolver=resolve, allow_loopback=True, connector=connector)
    # When the link is preflighted
    assert fetcher.check_reachable(f"http://shop.example:{port}/p?token=abc") == 200
    # Then the name was resolved once, the checked address dialled, and the name sent as Host
    assert lookups == [("shop.example", port)]
    assert connector.dialled == ["127.0.0.1"]
    assert hosts == [f"shop.example:{port}"]


def _https_port(sandbox: SandboxServer) -> int:
    port = urlsplit(sandbox.https_base_url).port
    assert port is not None
    return port


def test_tls_is_verified_against_each_host_name_even_with_a_pooled_connection(
    sandbox: SandboxServer,
) -> None:
    # Given one fetcher (as one serves every job) that trusts the sandbox's CA, whose certificate
    # names localhost and 127.0.0.1, and a resolver sending every name to 127.0.0.1
    port = _https_port(sandbox)
    fetcher = netsafe.SafeFetcher(
        resolver=lambda host, p: ["127.0.0.1"], allow_loopback=True,
        extra_ca_file=str(sandbox.ca_file),
    )
    # When a link on localhost is preflighted (its connection stays in the pool)
    assert fetcher.check_reachable(f"https://localhost:{port}/_sandbox/pages/a") == 200
    # Then a link on a name the certificate does not cover, same IP and port, is refused, as a
    # fresh fetcher refuses it, permanently (retrying cannot fix a certificate)
    for each in (fetcher, netsafe.SafeFetcher(resolver=lambda host, p: ["127.0.0.1"],
                                              allow_loopback=True,
                                              extra_ca_file=str(sandbox.ca_file))):
        with pytest.raises(netsafe.DestinationUnreachableError) as info:
            each.check_reachable(f"https://not-on-the-cert.test:{port}/_sandbox/pages/a")
        assert "certificate" in info.value.message
        assert "not-on-the-cert.test" in info.value.message


def test_pooled_connections_are_reused_for_the_same_host_only(sandbox: SandboxServer) -> None:
    # Given a fetcher over a connector that counts connections
    port = _https_port(sandbox)
    connector = RecordingConnector()
    fetcher = netsafe.SafeFetcher(
        resolver=lambda host, p: ["127.0.0.1"], allow_loopback=True,
        extra_ca_file=str(sandbox.ca_file), connector=connector,
    )
    # When three links on the same host are preflighted
    for page in ("a", "b", "c"):
        assert fetcher.check_reachable(f"https://localhost:{port}/_sandbox/pages/{page}") == 200
    # Then one connection served them all
    assert connector.dialled == ["127.0.0.1"]
    # And another host name on the same address and port gets a connection of its own
    assert fetcher.check_reachable(f"https://127.0.0.1:{port}/_sandbox/pages/d") == 200
    assert connector.dialled == ["127.0.0.1", "127.0.0.1"]


def test_a_redirect_is_guarded_at_connect_time_too(sandbox: SandboxServer) -> None:
    # Given a public-looking name that resolves to a private address, reached by a redirect
    connector = RecordingConnector()
    fetcher = netsafe.SafeFetcher(
        resolver=lambda host, p: ["127.0.0.1"] if host == "127.0.0.1" else ["10.0.0.9"],
        allow_loopback=True, connector=connector,
    )
    target = "http://innocent.example/admin"
    # When a page redirects to it
    with pytest.raises(netsafe.UnsafeURLError) as info:
        fetcher.check_reachable(f"{sandbox.base_url}/_sandbox/redirect?to={target}")
    # Then the hop is refused before it is dialled, and the error names the hop
    assert "10.0.0.9" in info.value.message
    assert info.value.details["url"] == "http://innocent.example/admin"
    assert "10.0.0.9" not in connector.dialled


def test_connect_attempts_are_capped() -> None:
    answers = [f"93.184.216.{n}" for n in range(1, 9)]
    connector = RecordingConnector(refuse=answers)
    fetcher = netsafe.SafeFetcher(resolver=lambda host, p: answers, connector=connector,
                                  max_connect_attempts=3)
    with pytest.raises(netsafe.DestinationUnavailableError):
        fetcher.check_reachable("https://many.example/")
    assert connector.dialled == answers[:3]
