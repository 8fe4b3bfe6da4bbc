"""SSRF guard: every address form that reaches the worker's own network is refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from pinterest_agent.providers.netsafe import (
    DestinationUnreachableError,
    FetchFailedError,
    FetchTooLargeError,
    SafeFetcher,
    UnsafeURLError,
)


def fixed_resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1",
        "::ffff:169.254.169.254", "2002:7f00:1::1", "64:ff9b::a00:1", "::127.0.0.1",
        "fd00:ec2::254",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    # Given a host that resolves to a non-public address
    fetcher = SafeFetcher(resolver=fixed_resolver({"evil.example": [address]}))
    # Then the request is refused before any connection
    with pytest.raises(UnsafeURLError) as info:
        fetcher.check_url("https://evil.example/page")
    assert info.value.code == "unsafe_url"


def test_any_bad_address_among_several_refuses() -> None:
    fetcher = SafeFetcher(resolver=fixed_resolver({"mixed.example": ["93.184.216.34", "10.0.0.1"]}))
    with pytest.raises(UnsafeURLError):
        fetcher.check_url("https://mixed.example/")


@pytest.mark.parametrize(
    "url", ["ftp://x.example/a", "file:///etc/passwd", "https://user:pw@x.example/", "/relative"]
)
def test_bad_schemes_and_credentials_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError):
        SafeFetcher(resolver=fixed_resolver({"x.example": ["93.184.216.34"]})).check_url(url)


def test_literal_ip_in_url_is_checked() -> None:
    with pytest.raises(UnsafeURLError):
        SafeFetcher().check_url("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(UnsafeURLError):
        SafeFetcher().check_url("http://[::ffff:7f00:1]/")


def test_loopback_needs_the_explicit_setting() -> None:
    with pytest.raises(UnsafeURLError):
        SafeFetcher().check_url("http://127.0.0.1:8080/")
    checked = SafeFetcher(allow_loopback=True).check_url("http://127.0.0.1:8080/")
    assert checked.addresses == ("127.0.0.1",)
    # loopback allowance does not open private ranges
    with pytest.raises(UnsafeURLError):
        SafeFetcher(allow_loopback=True).check_url("http://10.0.0.1/")


def test_the_url_is_sent_unchanged_with_its_host_name() -> None:
    # Given a resolver answering a public address (the network itself replaced for the test)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    fetcher = SafeFetcher(
        resolver=fixed_resolver({"shop.example": ["93.184.216.34"]}),
        transport=httpx.MockTransport(handler),
    )
    # When the link is preflighted
    assert fetcher.check_reachable("https://shop.example/p?token=abc") == 200
    # Then the URL is not rewritten to an IP: the connection is pinned at connect time (see
    # tests/test_netsafe_connect.py) and TLS is checked against the name, with no SNI override
    assert seen[0].url.host == "shop.example"
    assert seen[0].headers["host"] == "shop.example"
    assert "sni_hostname" not in seen[0].extensions


def test_redirect_to_private_address_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "http://10.0.0.7/admin"})

    fetcher = SafeFetcher(
        resolver=fixed_resolver({"shop.example": ["93.184.216.34"]}),
        transport=httpx.MockTransport(handler),
    )
    with pytest.raises(UnsafeURLError):
        fetcher.fetch("https://shop.example/img.jpg", max_bytes=1000)


def test_head_refused_falls_back_to_one_byte_get() -> None:
    methods: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        methods.append((request.method, request.headers.get("range")))
        return httpx.Response(405 if request.method == "HEAD" else 206)

    fetcher = SafeFetcher(
        resolver=fixed_resolver({"shop.example": ["93.184.216.34"]}),
        transport=httpx.MockTransport(handler),
    )
    assert fetcher.check_reachable("https://shop.example/") == 206
    assert methods == [("HEAD", None), ("GET", "bytes=0-0")]


def test_broken_destination_is_a_permanent_error() -> None:
    fetcher = SafeFetcher(
        resolver=fixed_resolver({"shop.example": ["93.184.216.34"]}),
        transport=httpx.MockTransport(lambda request: httpx.Response(404)),
    )
    with pytest.raises(DestinationUnreachableError) as info:
        fetcher.check_reachable("https://shop.example/gone")
    assert info.value.code == "destination_unreachable"
    assert "404" in str(info.value)


def test_fetch_size_cap_and_404() -> None:
    big = httpx.MockTransport(lambda r: httpx.Response(200, content=b"x" * 5000))
    fetcher = SafeFetcher(resolver=fixed_resolver({"a.example": ["93.184.216.34"]}), transport=big)
    with pytest.raises(FetchTooLargeError):
        fetcher.fetch("https://a.example/big", max_bytes=1000)
    missing = httpx.MockTransport(lambda r: httpx.Response(404))
    fetcher = SafeFetcher(
        resolver=fixed_resolver({"a.example": ["93.184.216.34"]}), transport=missing
    )
    with pytest.raises(FetchFailedError):
        fetcher.fetch("https://a.example/none", max_bytes=1000)


class _Pages(BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        self.send_response(200 if self.path == "/ok" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self.do_HEAD()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture()
def local_pages() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_real_loopback_server_with_allowance(local_pages: str) -> None:
    fetcher = SafeFetcher(allow_loopback=True)
    assert fetcher.check_reachable(f"{local_pages}/ok") == 200
    with pytest.raises(DestinationUnreachableError):
        fetcher.check_reachable(f"{local_pages}/missing")
