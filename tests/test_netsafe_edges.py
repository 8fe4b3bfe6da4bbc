"""URL edges that used to escape the error tree: an ``xn--`` host that is not valid IDNA, a
fully qualified host with a trailing dot, and a redirect whose ``Location`` is not a URL."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

import providers.netsafe as netsafe
from providers.sandbox.server import SandboxServer

PUBLIC = "93.184.216.34"
BAD_IDNA = ["https://xn--ls8h.la/", "https://xn--.la/", "https://shop.xn--ls8h.la/p"]


def public_resolver(host: str, port: int) -> list[str]:
    return [PUBLIC]


@pytest.mark.parametrize("url", BAD_IDNA)
def test_an_invalid_idna_host_is_an_unsafe_url(url: str) -> None:
    # Given a link whose xn-- label does not decode (U+1F4A9 is not allowed in a host name)
    fetcher = netsafe.SafeFetcher(resolver=public_resolver, timeout_s=1.0)
    # Then every way in refuses it as unsafe_url (permanent), never an untyped idna error
    with pytest.raises(netsafe.UnsafeURLError):
        netsafe.parse_url(url)
    with pytest.raises(netsafe.UnsafeURLError):
        fetcher.check_link(url)
    with pytest.raises(netsafe.UnsafeURLError):
        fetcher.check_reachable(url)
    with pytest.raises(netsafe.UnsafeURLError):
        fetcher.fetch(url, max_bytes=100)


def _redirecting_to(location: bytes) -> netsafe.SafeFetcher:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/start":
            return httpx.Response(302, headers=[(b"location", location)])
        return httpx.Response(200, content=b"x")

    return netsafe.SafeFetcher(transport=httpx.MockTransport(answer), resolver=public_resolver)


@pytest.mark.parametrize("location", [b"https://xn--ls8h.la/", b"//xn--ls8h.la/x"])
def test_a_redirect_to_an_invalid_idna_host_is_an_unsafe_url(location: bytes) -> None:
    fetcher = _redirecting_to(location)
    with pytest.raises(netsafe.UnsafeURLError):
        fetcher.check_reachable("https://shop.test/start")
    with pytest.raises(netsafe.UnsafeURLError):
        fetcher.fetch("https://shop.test/start", max_bytes=100)


@pytest.mark.parametrize("location", [b"http://[::1", b"//[bad", b"http://shop.test/\x01"])
def test_a_malformed_location_is_permanent(location: bytes) -> None:
    # Given a page that redirects to something that is not a URL
    fetcher = _redirecting_to(location)
    # Then the link is unreachable (permanent), not "could not be reached for now"
    with pytest.raises(netsafe.DestinationUnreachableError) as link:
        fetcher.check_reachable("https://shop.test/start")
    assert "malformed Location" in link.value.message
    # And so is a source
    with pytest.raises(netsafe.FetchFailedError) as source:
        fetcher.fetch("https://shop.test/start", max_bytes=100)
    assert source.value.code == "source_unreachable"


def test_a_trailing_dot_names_the_same_host() -> None:
    target = netsafe.parse_url("https://Shop.Test.:8443/p?q=1")
    assert (target.host, target.port, target.url) == ("shop.test", 8443, "https://shop.test:8443/p?q=1")
    with pytest.raises(netsafe.UnsafeURLError):
        netsafe.parse_url("https://shop.test../")


@pytest.fixture
def localhost_fetcher(fresh_sandbox: SandboxServer) -> Iterator[netsafe.SafeFetcher]:
    looked_up: list[str] = []

    def loopback(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["127.0.0.1"]

    fetcher = netsafe.SafeFetcher(allow_loopback=True, resolver=loopback, timeout_s=2.0,
                                  extra_ca_file=str(fresh_sandbox.ca_file))
    fetcher.looked_up = looked_up  # type: ignore[attr-defined]
    yield fetcher
    fetcher.close()


def test_a_trailing_dot_host_passes_the_certificate_check(
    fresh_sandbox: SandboxServer, localhost_fetcher: netsafe.SafeFetcher
) -> None:
    # Given a page on a host whose certificate names "localhost", linked as "localhost."
    port = httpx.URL(fresh_sandbox.https_base_url).port
    url = f"https://localhost.:{port}/_sandbox/pages/ok"
    # Then it is reached (TLS checks the certificate against "localhost"), not refused as a
    # certificate mismatch
    assert localhost_fetcher.check_reachable(url) == 200
    assert localhost_fetcher.fetch(url, max_bytes=100_000).content
    assert set(localhost_fetcher.looked_up) == {"localhost"}  # type: ignore[attr-defined]
