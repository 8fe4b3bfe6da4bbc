"""The one exception tree of the worker.

Every failure the worker can name derives from :class:`WorkerError` and is split by what the
worker must *do* about it::

    WorkerError                      code: str (machine-readable), message: str (human sentence)
    ├── TransientError               retry with backoff (network blips, 5xx, known flaky codes)
    │   └── RateLimitedError         retry after ``retry_after_s`` when the platform said so
    ├── PermanentError               fail now; the message is kept in the dead-letter queue
    │   ├── InvalidInputError        the job itself is wrong (``field`` names what to fix)
    │   └── AuthError                the channel's token is refused; reconnect the channel
    └── ConfigurationError           the operator's setup is wrong (missing key, bad base URL)

Boundaries (``providers.pinterest``, the LLM seam, ...) subclass these, so a caller may catch
``PinterestError`` to know *where* it failed, or ``TransientError`` to know *what to do*.

Errors carry data (``code``, ``message``, ``details``) and render all of it into ``str(exc)``,
because Dramatiq keeps only the exception's type name and text in a dead-lettered message.
They pickle cleanly (``__reduce__``) so they survive process boundaries.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthError",
    "ConfigurationError",
    "InvalidInputError",
    "PermanentError",
    "RateLimitedError",
    "TransientError",
    "WorkerError",
]


class WorkerError(Exception):
    """Base of every error the worker raises on purpose."""

    default_code = "error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details: dict[str, Any] = {k: v for k, v in details.items() if v is not None}

    def __str__(self) -> str:
        extra = " ".join(f"{k}={v}" for k, v in self.details.items())
        return f"[{self.code}] {self.message}" + (f" ({extra})" if extra else "")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.code, self.details))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view for outcome records and events."""
        return {"code": self.code, "message": self.message, "error_type": type(self).__name__,
                **{k: v for k, v in self.details.items() if isinstance(v, str | int | float)}}


def _rebuild(
    cls: type[WorkerError], message: str, code: str, details: dict[str, Any]
) -> WorkerError:
    return cls(message, code=code, **details)


class TransientError(WorkerError):
    """Worth retrying: the same request may succeed later."""

    default_code = "transient"


class RateLimitedError(TransientError):
    """The platform asked us to slow down; ``retry_after_s`` is its hint when it gave one."""

    default_code = "rate_limited"

    @property
    def retry_after_s(self) -> float | None:
        value = self.details.get("retry_after_s")
        return float(value) if value is not None else None


class PermanentError(WorkerError):
    """Retrying cannot help; record the failure and keep the message for an operator."""

    default_code = "permanent"


class InvalidInputError(PermanentError):
    """The job's content is wrong. ``details['field']`` names the field when there is one."""

    default_code = "invalid_input"

    @property
    def field(self) -> str | None:
        value = self.details.get("field")
        return str(value) if value is not None else None


class AuthError(PermanentError):
    """The platform refused the channel's credentials (after one refresh, if one was possible)."""

    default_code = "auth_failed"


class ConfigurationError(WorkerError):
    """The operator's configuration is wrong or missing; the message says which setting."""

    default_code = "configuration"
