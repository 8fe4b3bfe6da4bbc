"""Strict parsing of job-supplied URLs, and their redacted form for errors and logs.

Browsers, Python's ``urllib``, httpx and Pinterest do not read odd URLs the same way (a backslash
is a path separator to a browser and part of the host or user name to ``urllib``), so anything
odd is refused rather than guessed: only ``http``/``https``, no user info (not even an empty
``@``), no backslashes, whitespace, control characters or unencoded ``"``, ``<``, ``>`` (RFC 3986
never allows them; a link is not text to decode), a host, a valid port, no
percent-encoded host, no host name that is not valid IDNA (``xn--ls8h.la``: an ``xn--`` label
that does not decode).

A fully qualified name's trailing dot (``shop.test.``) names the same host: one is stripped from
``host`` and from ``url`` (what is requested, so TLS checks the certificate against
``shop.test``); a name ending in two dots is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import httpx
import idna

from pinterest_agent.providers.netsafe.errors import UnsafeURLError
from pinterest_agent.providers.netsafe.policy import literal_address

__all__ = ["MAX_URL_LENGTH", "TargetURL", "parse_url", "redact"]

MAX_URL_LENGTH = 8192


@dataclass(frozen=True, slots=True)
class TargetURL:
    """A URL that passed :func:`parse_url`: ``host`` is what a connection would be made to
    (lower case, IDNA-encoded, IPv6 without brackets, no trailing dot), ``url`` what to request
    (the URL given, with the host's trailing dot removed)."""

    url: str
    scheme: str
    host: str
    port: int


def redact(url: str) -> str:
    """Scheme, host, port and path: never the user info or the query (it may carry tokens)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "<an unparsable URL>"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return f"{parts.scheme}://{netloc}{parts.path}"[:300]


def _refuse(reason: str, url: str) -> UnsafeURLError:
    return UnsafeURLError(f"{reason}; send a plain public http(s) URL", url=redact(url))


_WHITESPACE_OR_CONTROL = re.compile("[\x00-\x20\x7f]")
_MARKUP = re.compile('["<>]')


def _split(url: str) -> SplitResult:
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(f"the URL is longer than {MAX_URL_LENGTH} characters", url)
    if "\\" in url:
        raise _refuse("the URL contains a backslash", url)
    if _WHITESPACE_OR_CONTROL.search(url):
        raise _refuse("the URL contains whitespace or control characters", url)
    if _MARKUP.search(url):
        raise _refuse('the URL contains ", < or > (percent-encode them)', url)
    try:
        return urlsplit(url)
    except ValueError as exc:
        raise _refuse(f"the URL cannot be parsed ({exc})", url) from exc


def parse_url(url: str) -> TargetURL:
    """Check *url*'s syntax; raise :class:`UnsafeURLError` for anything odd."""
    parts = _split(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise _refuse(f"only http(s) URLs are accepted, not {parts.scheme or 'a relative URL'!r}",
                      url)
    if "@" in parts.netloc:
        raise _refuse("URLs with user info (credentials before '@') are refused", url)
    host = parts.hostname
    if not host:
        raise _refuse("the URL has no host", url)
    if "%" in host:
        raise _refuse("the URL's host is percent-encoded", url)
    try:
        port = parts.port
    except ValueError as exc:
        raise _refuse("the URL's port is not valid", url) from exc
    if port is None:
        port = 443 if scheme == "https" else 80
    if literal_address(host) is None:  # a name: read it as the HTTP client will connect to it
        try:
            parsed = httpx.URL(url)
            host = parsed.raw_host.decode("ascii")
            if any(label.startswith("xn--") for label in host.split(".")):
                idna.decode(host)  # httpx would, on the first label only, at send time
        except (httpx.InvalidURL, UnicodeError) as exc:  # idna.IDNAError is a UnicodeError
            raise _refuse(f"the URL's host is not a valid name ({exc})", url) from exc
        if host.endswith("."):
            host = host[:-1]
            if not host or host.endswith("."):
                raise _refuse("the URL's host name ends in more than one dot", url)
            url = str(parsed.copy_with(host=host))
        if not host:
            raise _refuse("the URL has no host", url)
    return TargetURL(url=url, scheme=scheme, host=host, port=port)
