"""The errors of the LLM seam, split by what the worker must do about them::

    LLMError (WorkerError)                      where: the LLM boundary
    ├── LLMUnavailableError (TransientError)    connection failure, timeout, 5xx: retry the job
    │   └── LLMRateLimitedError (RateLimitedError)  429: retry after ``retry_after_s``
    ├── LLMRefusalError (PermanentError)        the model refused, or the content filter stopped it
    ├── LLMTruncatedError (PermanentError)      finish_reason "length": the answer hit the token cap
    ├── LLMOutputInvalidError (PermanentError)  still wrong after the repair round; lists problems
    ├── LLMRequestError (PermanentError)        the server rejected the request (400/422)
    └── LLMConfigurationError (ConfigurationError)  no key, bad key, bad base URL, unknown model,
                                                quota exhausted: the operator must fix a setting

``LLMTruncatedError`` is *permanent* on purpose: the same prompt with the same token cap almost
always truncates again, and Dramatiq's retries would pay for the same failure up to eight times.
The fix is an operator's (a larger ``max_output_tokens``) or a template's (ask for less).
"""

from __future__ import annotations

from pinterest_agent.errors import (
    ConfigurationError,
    PermanentError,
    RateLimitedError,
    TransientError,
    WorkerError,
)

__all__ = [
    "LLMConfigurationError",
    "LLMError",
    "LLMOutputInvalidError",
    "LLMRateLimitedError",
    "LLMRefusalError",
    "LLMRequestError",
    "LLMTruncatedError",
    "LLMUnavailableError",
]


class LLMError(WorkerError):
    """Anything that went wrong at the LLM boundary."""

    default_code = "llm_error"


class LLMUnavailableError(LLMError, TransientError):
    """The model server could not be reached or failed (connection, timeout, 5xx)."""

    default_code = "llm_unavailable"


class LLMRateLimitedError(LLMUnavailableError, RateLimitedError):
    """The model server said 429; ``retry_after_s`` holds its hint when it gave one."""

    default_code = "llm_rate_limited"


class LLMRefusalError(LLMError, PermanentError):
    """The model refused to answer (a ``refusal`` message or ``finish_reason`` content_filter)."""

    default_code = "llm_refusal"


class LLMTruncatedError(LLMError, PermanentError):
    """The answer stopped at the output-token cap (``finish_reason`` "length")."""

    default_code = "llm_truncated"


class LLMOutputInvalidError(LLMError, PermanentError):
    """The answer broke the output's rules twice: once, then again after the repair round."""

    default_code = "llm_output_invalid"


class LLMRequestError(LLMError, PermanentError):
    """The server rejected the request itself (400, 422): retrying the same request cannot help."""

    default_code = "llm_request_rejected"


class LLMConfigurationError(LLMError, ConfigurationError):
    """The LLM settings are wrong: missing or refused key, bad base URL, unknown model, no quota."""

    default_code = "llm_configuration"
