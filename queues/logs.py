"""Logging for the worker's processes: one format, and a filter that redacts token-looking text.

The code never logs secrets on purpose; the filter is a second line of defence against a library
or an exception message echoing an ``Authorization`` header or a token field.
"""

from __future__ import annotations

import logging
import re

__all__ = ["RedactSecrets", "configure_logging"]

_PATTERNS = [
    re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)((?:access|refresh)_token|client_secret|api_key|code)([\"']?\s*[:=]\s*[\"']?)"
               r"[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\b(pina|pinr|sk)[-_][A-Za-z0-9_-]{12,}"),
]


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        for pattern in _PATTERNS:
            redacted = pattern.sub(lambda m: m.group(0)[: len(m.group(1)) + 1] + "[redacted]",
                                   redacted)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(*, verbose: bool = False) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    )
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
