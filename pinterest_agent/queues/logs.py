"""Logging for the worker's processes: one format, secrets redacted, no record too long.

The code never logs secrets on purpose; :class:`SafeFormatter` is the second line of defence
against a library or an exception echoing an ``Authorization`` header or a token field. It works
on the *formatted* record, so the message, the exception's text and its traceback are all
covered, and it caps each record (:data:`MAX_RECORD_CHARS`), so a huge message body that a
library prints (Dramatiq logs a failing message with its arguments) cannot flood the log.
"""

from __future__ import annotations

import logging
import re

__all__ = [
    "MAX_RECORD_CHARS",
    "NOISY_HTTP_LOGGERS",
    "SafeFormatter",
    "configure_logging",
    "install",
    "quiet_http_clients",
    "redact",
]

MAX_RECORD_CHARS = 8_000
"""A record longer than this keeps its head and tail around a note of what was cut."""

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_PATTERNS = [
    re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)((?:access|refresh)_token|client_secret|api_key|secret_key|code|password)"
               r"([\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\b(pina|pinr|sk)[-_][A-Za-z0-9_-]{12,}"),
]


_TRIGGERS = ("bearer", "basic", "_token", "secret", "api_key", "code", "password", "pina",
             "pinr", "sk-", "sk_")
"""Lower-case text every pattern's match contains: a line with none of them (most lines) is
returned as it is, without running the patterns."""


def redact(text: str) -> str:
    """``text`` with token-looking values replaced by ``[redacted]``."""
    lowered = text.lower()
    if not any(trigger in lowered for trigger in _TRIGGERS):
        return text
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(0)[: len(m.group(1)) + 1] + "[redacted]", text)
    return text


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    keep = limit // 2
    return f"{text[:keep]} ... [{len(text) - 2 * keep:,} characters cut] ... {text[-keep:]}"


class SafeFormatter(logging.Formatter):
    """Formats with ``inner`` (any formatter), then redacts and caps the whole text."""

    def __init__(self, inner: logging.Formatter | None = None, *,
                 max_chars: int = MAX_RECORD_CHARS) -> None:
        super().__init__(_FORMAT)
        self._inner = inner or logging.Formatter(_FORMAT)
        self._max_chars = max_chars

    def format(self, record: logging.LogRecord) -> str:
        return _cap(redact(self._inner.format(record)), self._max_chars)


def install(logger: logging.Logger | None = None) -> None:
    """Wrap the formatter of every handler of *logger* (the root by default) in
    :class:`SafeFormatter`; handlers already wrapped are left alone."""
    for handler in (logger or logging.getLogger()).handlers:
        if not isinstance(handler.formatter, SafeFormatter):
            handler.setFormatter(SafeFormatter(handler.formatter))


def configure_logging(*, verbose: bool = False) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    quiet_http_clients()
    # pika logs every connection attempt, and a refused one with its traceback; a command that
    # cannot reach RabbitMQ says so in one line of its own.
    logging.getLogger("pika").setLevel(logging.DEBUG if verbose else logging.CRITICAL)


NOISY_HTTP_LOGGERS = ("httpx", "httpcore", "httpx2", "httpcore2")
"""HTTP clients that log every request line at INFO (full URLs: queries may hold tokens); the
openai client uses the ``httpx2`` fork."""


def quiet_http_clients() -> None:
    for noisy in NOISY_HTTP_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
