"""The local sandbox's URLs in the files the CLI reads.

The samples under ``fixtures/`` (the walkthrough's brief and post, the sample feed) link to the
sandbox's pages and images wherever it listens: they name its URLs as
``${PINTEREST_AGENT_SANDBOX_URL}`` and ``${PINTEREST_AGENT_SANDBOX_HTTPS_URL}``, which
:func:`resolve_sandbox_urls` replaces with the settings ``sandbox_url`` and ``sandbox_https_url``
(set by sourcing the env file ``pinterest-agent sandbox`` writes). Only these two names are
replaced, only in files given on the command line (never in a message off a queue), and a file
naming one that is not set is refused with what to do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pinterest_agent.errors import ConfigurationError

if TYPE_CHECKING:
    from pinterest_agent.queues.settings import Settings

__all__ = ["PLACEHOLDERS", "resolve_sandbox_urls"]

#: Each placeholder and the setting that replaces it.
PLACEHOLDERS: dict[str, str] = {
    "${PINTEREST_AGENT_SANDBOX_URL}": "sandbox_url",
    "${PINTEREST_AGENT_SANDBOX_HTTPS_URL}": "sandbox_https_url",
}


def resolve_sandbox_urls(data: bytes, settings: Settings, source: object) -> bytes:
    """*data* (a file's bytes) with each sandbox placeholder replaced by its setting; a
    placeholder whose setting is unset is a :class:`ConfigurationError` naming *source*."""
    for placeholder, name in PLACEHOLDERS.items():
        marker = placeholder.encode("ascii")
        if marker not in data:
            continue
        value: str | None = getattr(settings, name)
        if value is None:
            raise ConfigurationError(
                f"{source} names {placeholder}, the local sandbox's URL: start the sandbox "
                "(pinterest-agent sandbox --env-file sandbox.env) and source what it writes "
                "(. ./sandbox.env)", code="sandbox_url_unset")
        data = data.replace(marker, value.rstrip("/").encode("utf-8"))
    return data
