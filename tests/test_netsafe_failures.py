"""Honest failure classes: what cannot work fails now, what may pass is retried.

Requests go to the local sandbox over real sockets (``allow_loopback=True``); name-resolution
failures come from a fake resolver raising what ``getaddrinfo`` raises.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import dramatiq
import pytest

import pinterest_agent.providers.netsafe as netsafe
from pinterest_agent.errors import PermanentError, TransientError
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.broker.retrying import as_retry

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture()
def fetcher(fresh_sandbox: SandboxServer) -> Iterator[netsafe.SafeFetcher]:
    safe = netsafe.SafeFetcher(allow_loopback=True, extra_ca_file=str(fresh_sandbox.ca_file),
                               timeout_s=2.0)
    yield safe
    safe.close()


PERMANENT_STATUSES = [400, 401, 403, 404, 405, 410, 451]
TRANSIENT_STATUSES = [408, 429, 500, 502, 503, 504]


@pytest.mark.parametrize("status", PERMANENT_STATUSES)
def test_4xx_is_permanent(
    fetcher: netsafe.SafeFetcher, fresh_sandbox: SandboxServer, status: int
) -> None:
    url = f"{fresh_sandbox.https_base_url}/_sandbox/status/{status}"
    with pytest.raises(netsafe.DestinationUnreachableError) as link:
        fetcher.check_reachable(url)
    assert link.value.code == "destination_unreachable" and link.value.details["status"] == status
    with pytest.raises(netsafe.FetchFailedError) as source:
        fetcher.fetch(url, max_bytes=1000)
    assert source.value.code == "source_unreachable"


@pytest.mark.parametrize("status", TRANSIENT_STATUSES)
def test_5xx_408_and_429_are_transient(
    fetcher: netsafe.SafeFetcher, fresh_sandbox: SandboxServer, status: int
) -> None:
    url = f"{fresh_sandbox.https_base_url}/_sandbox/status/{status}"
    with pytest.raises(netsafe.DestinationUnavailableError) as link:
        fetcher.check_reachable(url)
    assert link.value.code == "destination_unavailable"
    assert isinstance(link.value, TransientError)
    with pytest.raises(netsafe.FetchUnavailableError) as source:
        fetcher.fetch(url, max_bytes=1000)
    assert source.value.code == "source_unavailable"


@pytest.mark.parametrize(
    ("header", "expected_s"),
    [("120", 120.0), (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
     (format_datetime(NOW - timedelta(seconds=30), usegmt=True), 0.0), ("9999999", 900.0),
     ("soon", None)],
    ids=["seconds", "http-date", "date-in-the-past", "capped", "unreadable"],
)
def test_retry_after_is_kept_as_a_hint(
    fresh_sandbox: SandboxServer, header: str, expected_s: float | None
) -> None:
    # Given a page answering 429 with a Retry-After header, and a fetcher whose clock says NOW
    fresh_sandbox.state.faults.add("*", r"/_sandbox/pages/busy", status=429,
                                   headers={"Retry-After": header})
    fetcher = netsafe.SafeFetcher(allow_loopback=True, extra_ca_file=str(fresh_sandbox.ca_file),
                                  clock=NOW.timestamp)
    # When the link is preflighted
    with pytest.raises(netsafe.DestinationUnavailableError) as info:
        fetcher.check_reachable(f"{fresh_sandbox.https_base_url}/_sandbox/pages/busy")
    # Then the hint is in seconds from now, within the cap
    assert info.value.details.get("retry_after_s") == expected_s


def test_the_retry_path_honours_the_hint() -> None:
    # Given transient fetch errors with and without a server hint
    hinted = netsafe.DestinationUnavailableError("answered 503", status=503, retry_after_s=3.0)
    plain = netsafe.FetchUnavailableError("answered 502", status=502)
    # Then the hinted one is retried after the hint (plus jitter), the other with the backoff
    retry = as_retry(hinted)
    assert isinstance(retry, dramatiq.Retry)
    assert 3000 <= retry.delay <= 3750
    assert as_retry(plain) is plain


def raising(errno: int, text: str) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        raise socket.gaierror(errno, text)

    return resolve


@pytest.mark.parametrize(
    ("resolver", "kind"),
    [
        (raising(socket.EAI_NONAME, "Name or service not known"), PermanentError),
        (lambda host, port: [], PermanentError),
        (raising(socket.EAI_AGAIN, "Temporary failure in name resolution"), TransientError),
        (raising(socket.EAI_FAIL, "Non-recoverable failure in name resolution"),
         TransientError),
    ],
    ids=["nxdomain", "no-address", "eai-again", "eai-fail"],
)
def test_dns_failures_are_split(
    resolver: Callable[[str, int], list[str]], kind: type[Exception]
) -> None:
    fetcher = netsafe.SafeFetcher(resolver=resolver)
    with pytest.raises(kind) as link:
        fetcher.check_reachable("https://shop.example/p")
    expected = "destination_unreachable" if kind is PermanentError else "destination_unavailable"
    assert link.value.code == expected  # type: ignore[attr-defined]
    with pytest.raises(kind) as source:
        fetcher.fetch("https://cdn.example/a.jpg", max_bytes=10)
    expected = "source_unreachable" if kind is PermanentError else "source_unavailable"
    assert source.value.code == expected  # type: ignore[attr-defined]
    with pytest.raises(kind):
        fetcher.check_url("https://cdn.example/a.jpg")


def test_a_timeout_is_transient(fetcher: netsafe.SafeFetcher, fresh_sandbox: SandboxServer) -> None:
    # Given a page that answers only after the fetcher's timeout
    fresh_sandbox.state.faults.add("*", r"/_sandbox/pages/slow", hang_s=5.0, status=200)
    with pytest.raises(netsafe.DestinationUnavailableError) as info:
        fetcher.check_reachable(f"{fresh_sandbox.https_base_url}/_sandbox/pages/slow")
    assert "did not answer" in info.value.message


def test_a_refused_connection_is_transient() -> None:
    # Given a port nothing listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fetcher = netsafe.SafeFetcher(allow_loopback=True)
    with pytest.raises(netsafe.DestinationUnavailableError):
        fetcher.check_reachable(f"http://127.0.0.1:{port}/page")
    with pytest.raises(netsafe.FetchUnavailableError):
        fetcher.fetch(f"http://127.0.0.1:{port}/a.jpg", max_bytes=10)


@pytest.fixture()
def hang_up_port() -> Iterator[int]:
    """A server that accepts connections and closes them without answering (a reset)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.recv(4096)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    listener.close()


def test_a_connection_closed_without_an_answer_is_transient(hang_up_port: int) -> None:
    fetcher = netsafe.SafeFetcher(allow_loopback=True)
    with pytest.raises(netsafe.DestinationUnavailableError):
        fetcher.check_reachable(f"http://127.0.0.1:{hang_up_port}/page")


def test_a_redirect_loop_is_permanent(
    fetcher: netsafe.SafeFetcher, fresh_sandbox: SandboxServer
) -> None:
    # Given a page that redirects to itself forever
    fresh_sandbox.state.faults.add("*", r"/_sandbox/pages/loop", status=302,
                                   headers={"Location": "/_sandbox/pages/loop"})
    with pytest.raises(netsafe.DestinationUnreachableError) as info:
        fetcher.check_reachable(f"{fresh_sandbox.https_base_url}/_sandbox/pages/loop")
    # Then it stops after the redirect limit (HEAD, then the one-byte GET)
    assert "redirects more than 5 times" in info.value.message
    hits = (fresh_sandbox.state.request_count("HEAD", "/_sandbox/pages/loop")
            + fresh_sandbox.state.request_count("GET", "/_sandbox/pages/loop"))
    assert hits <= 2 * 6


def test_error_urls_keep_the_port_and_drop_the_query(
    fetcher: netsafe.SafeFetcher, fresh_sandbox: SandboxServer
) -> None:
    base = fresh_sandbox.https_base_url
    with pytest.raises(netsafe.DestinationUnreachableError) as info:
        fetcher.check_reachable(f"{base}/_sandbox/status/404?token=secret")
    assert info.value.details["url"] == f"{base}/_sandbox/status/404"
    assert "secret" not in str(info.value)
    assert netsafe.redact("https://u:p@[::1]:8443/a/b?x=1#f") == "https://[::1]:8443/a/b"
