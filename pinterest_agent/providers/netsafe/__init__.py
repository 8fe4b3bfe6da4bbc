"""SSRF-safe outbound HTTP for job-supplied URLs (destination links, source images, media URLs).

- :mod:`~providers.netsafe.urls`: strict URL syntax, and the redacted form for errors and logs;
- :mod:`~providers.netsafe.policy`: the one block policy for addresses and host names;
- :mod:`~providers.netsafe.guard`: resolve once, check every address, order for connecting;
- :mod:`~providers.netsafe.lookup`: host lookups that cannot outlive the caller's deadline;
- :mod:`~providers.netsafe.backend`: the connect-time guard (httpcore backend, httpx transport);
- :mod:`~providers.netsafe.classify`: permanent vs transient failures, ``Retry-After``;
- :mod:`~providers.netsafe.fetcher`: :class:`SafeFetcher`, what the worker calls;
- :mod:`~providers.netsafe.errors`: the errors, with their tree.
"""

from pinterest_agent.providers.netsafe.errors import (
    DestinationUnavailableError,
    DestinationUnreachableError,
    FetchFailedError,
    FetchTooLargeError,
    FetchUnavailableError,
    HostLookupError,
    HostNotFoundError,
    UnsafeURLError,
)
from pinterest_agent.providers.netsafe.fetcher import (
    CheckedURL,
    FetchedBody,
    FetchedFile,
    SafeFetcher,
)
from pinterest_agent.providers.netsafe.guard import AddressGuard, Resolver, system_resolver
from pinterest_agent.providers.netsafe.policy import AddressPolicy
from pinterest_agent.providers.netsafe.urls import parse_url, redact

__all__ = [
    "AddressGuard",
    "AddressPolicy",
    "CheckedURL",
    "DestinationUnavailableError",
    "DestinationUnreachableError",
    "FetchFailedError",
    "FetchTooLargeError",
    "FetchUnavailableError",
    "FetchedBody",
    "FetchedFile",
    "HostLookupError",
    "HostNotFoundError",
    "Resolver",
    "SafeFetcher",
    "UnsafeURLError",
    "parse_url",
    "redact",
    "system_resolver",
]
