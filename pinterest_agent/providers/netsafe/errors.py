"""What the SSRF-safe fetcher raises, split by what the worker must do about it::

    InvalidInputError (permanent)
    ├── UnsafeURLError                unsafe_url: bad syntax, or a host that is (or resolves to)
    │                                 a non-public address or a metadata name
    └── FetchTooLargeError            source_too_large
    PermanentError
    ├── DestinationUnreachableError   destination_unreachable: no such host, 4xx (not 408/429),
    │                                 a certificate not valid for the host, a redirect loop
    ├── FetchFailedError              source_unreachable: the same, for a source image or video
    └── HostNotFoundError             the name does not exist (raised at connect time; the
                                      fetcher reports it as one of the two above)
    TransientError
    ├── DestinationUnavailableError   destination_unavailable: timeout, refused or reset
    │                                 connection, temporary DNS failure, 5xx, 408, 429
    ├── FetchUnavailableError         source_unavailable: the same, for a source image or video
    └── HostLookupError               the resolver failed for now (reported as one of the two above)

The transient errors may carry ``retry_after_s`` (the server's ``Retry-After``), which the retry
path honours.
"""

from __future__ import annotations

from pinterest_agent.errors import InvalidInputError, PermanentError, TransientError

__all__ = [
    "DestinationUnavailableError",
    "DestinationUnreachableError",
    "FetchFailedError",
    "FetchTooLargeError",
    "FetchUnavailableError",
    "HostLookupError",
    "HostNotFoundError",
    "UnsafeURLError",
]


class UnsafeURLError(InvalidInputError):
    """The URL is not one the worker will fetch or pass on (syntax, or a non-public address)."""

    default_code = "unsafe_url"


class DestinationUnreachableError(PermanentError):
    """The Pin's destination link cannot work: fix the link or the page."""

    default_code = "destination_unreachable"


class DestinationUnavailableError(TransientError):
    """The destination link failed in a way that may pass (timeout, 5xx, 429, DNS hiccup)."""

    default_code = "destination_unavailable"


class FetchFailedError(PermanentError):
    """A source URL (image, video) cannot work: no such host, 4xx, or a bad certificate."""

    default_code = "source_unreachable"


class FetchUnavailableError(TransientError):
    """A source URL failed in a way that may pass (timeout, 5xx, 429, DNS hiccup)."""

    default_code = "source_unavailable"


class FetchTooLargeError(InvalidInputError):
    default_code = "source_too_large"


class HostNotFoundError(PermanentError):
    """The host name does not exist (NXDOMAIN) or has no address."""

    default_code = "host_not_found"


class HostLookupError(TransientError):
    """The resolver could not answer for now (EAI_AGAIN, a server failure)."""

    default_code = "host_lookup_failed"
