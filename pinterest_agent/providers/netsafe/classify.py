"""Which fetch failures are permanent and which may pass, for a destination link or a source.

=========================================================  ==========================
failure                                                    kind
=========================================================  ==========================
the host does not exist (NXDOMAIN) or has no address       permanent
TLS certificate not valid for the host                     permanent
4xx except 408 and 429; more redirects than allowed        permanent
timeout, refused or reset connection, broken answer        transient
not finished within the call's total deadline              transient
temporary DNS failure (EAI_AGAIN, a server failure)        transient
5xx, 408, 429 (``Retry-After`` kept as ``retry_after_s``)  transient
=========================================================  ==========================

A :class:`Role` names the error classes: ``destination_unreachable`` /
``destination_unavailable`` for the Pin's link, ``source_unreachable`` / ``source_unavailable``
for a source image or video.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import httpx

from pinterest_agent.errors import PermanentError, TransientError, WorkerError
from pinterest_agent.providers.deadlines import Deadline
from pinterest_agent.providers.netsafe.errors import (
    DestinationUnavailableError,
    DestinationUnreachableError,
    FetchFailedError,
    FetchUnavailableError,
    HostLookupError,
    HostNotFoundError,
)
from pinterest_agent.providers.retry_after import parse_retry_after

__all__ = ["LINK", "SOURCE", "Role", "parse_retry_after", "status_failure", "transport_failure"]


@dataclass(frozen=True, slots=True)
class Role:
    """What a fetched URL is for, and the errors its failures become."""

    subject: str
    fix: str
    permanent: type[PermanentError]
    transient: type[TransientError]


LINK = Role("the destination link", "fix the link or the page",
            DestinationUnreachableError, DestinationUnavailableError)
SOURCE = Role("the source URL", "check that the URL is right and public",
              FetchFailedError, FetchUnavailableError)


def status_failure(
    role: Role, status: int, headers: Mapping[str, str], *, url: str, now: datetime,
    max_retry_after_s: float,
) -> WorkerError | None:
    """The error for an HTTP answer with *status*, or ``None`` below 400."""
    if status < 400:
        return None
    if status >= 500 or status in (408, 429):
        retry_after = parse_retry_after(headers.get("retry-after"), now=now,
                                        cap_s=max_retry_after_s)
        return role.transient(
            f"{role.subject} answered HTTP {status}; the job is retried later",
            url=url, status=status, retry_after_s=retry_after,
        )
    return role.permanent(f"{role.subject} answered HTTP {status}; {role.fix}",
                          url=url, status=status)


def _certificate_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def transport_failure(
    role: Role, exc: httpx.TransportError | HostNotFoundError | HostLookupError, *, url: str,
    timeout_s: float, deadline: Deadline | None = None,
) -> WorkerError:
    """The error for a request that got no HTTP answer; *deadline*, when it has passed, is
    what the message names."""
    if isinstance(exc, HostNotFoundError):
        return role.permanent(f"{role.subject} cannot be reached: {exc.message}; {role.fix}",
                              url=url)
    if isinstance(exc, HostLookupError):
        return role.transient(f"{role.subject} cannot be reached for now: {exc.message}",
                              url=url)
    if deadline is not None and deadline.expired:
        return role.transient(
            f"{role.subject} {deadline.describe()} ({type(exc).__name__}); the job is retried "
            "later", url=url, deadline_s=deadline.seconds,
        )
    if isinstance(exc, httpx.TimeoutException):
        return role.transient(
            f"{role.subject} did not answer within {timeout_s:g} s ({type(exc).__name__})",
            url=url,
        )
    certificate = _certificate_error(exc)
    if certificate is not None:
        return role.permanent(
            f"{role.subject}'s TLS certificate is not valid for its host "
            f"({certificate.verify_message or certificate.reason}); {role.fix}",
            url=url,
        )
    return role.transient(
        f"{role.subject} could not be reached ({type(exc).__name__}: {exc})", url=url
    )
