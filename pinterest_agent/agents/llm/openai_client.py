"""The ``openai`` client behind the structured-output seam (OpenAI or any compatible server).

``make_openai_client`` builds the client from values the composition root passes in (this module
never reads settings; note that the ``openai`` package itself still falls back to ``OPENAI_ORG_ID``
and ``OPENAI_PROJECT_ID`` from the environment when they are set). ``OpenAIStructuredLLM`` calls
``chat.completions.create`` in one of the output modes (:mod:`.modes`: strict ``json_schema``,
``json_object`` with a schema, a forced tool call, or prompted JSON; ``auto`` finds the one the
server accepts, see ``agents.llm.schema`` for why not ``parse``) and maps every ``openai``
exception onto the ``LLMError`` tree.

Time budget: ``timeout_s`` is each request's total deadline (connect, headers and body
together, :mod:`providers.deadlines`: a server trickling its answer is cut off at it, as
``llm_unavailable``). One ``generate`` makes at most 2 requests (answer + repair), each taking up
to ``timeout_s * (1 + max_retries)`` with the client's own retries. A writer job makes two
``generate`` calls (copy, design), so its worst case is ``4 * timeout_s * (1 + max_retries)``;
keep that well below the actor time limit (``worst_case_llm_s`` computes it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
import openai
from pydantic import BaseModel

from pinterest_agent.agents.llm.cache import LLMCache
from pinterest_agent.agents.llm.core import (
    Completion,
    LLMCallRecord,
    Message,
    StructuredLLMBase,
    log,
)
from pinterest_agent.agents.llm.errors import (
    LLMConfigurationError,
    LLMError,
    LLMRateLimitedError,
    LLMRequestError,
    LLMUnavailableError,
)
from pinterest_agent.agents.llm.modes import (
    AUTO_ORDER,
    ModeMemory,
    OutputMode,
    extract_json,
    is_format_refusal,
    mode_request,
    prompted_instructions,
)
from pinterest_agent.prompts.loader import PromptLibrary
from pinterest_agent.providers.deadlines import deadline_transport
from pinterest_agent.providers.retry_after import parse_retry_after

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT_S",
    "DEFAULT_MAX_OUTPUT_TOKENS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT_S",
    "OpenAIStructuredLLM",
    "make_openai_client",
    "map_openai_error",
    "worst_case_llm_s",
]

DEFAULT_TIMEOUT_S = 20.0
"""Per request, in all (the total deadline). A Pin's copy is a few hundred output tokens:
seconds, not minutes."""
DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_MAX_RETRIES = 1
"""The client's own retries (connection errors, 408/409/429/5xx) inside one job attempt."""
DEFAULT_MAX_OUTPUT_TOKENS = 1024


def worst_case_llm_s(*, timeout_s: float, max_retries: int, generate_calls: int = 2) -> float:
    """Upper bound of the seconds ``generate_calls`` calls may spend waiting on the server."""
    return generate_calls * 2 * timeout_s * (1 + max_retries)


def make_openai_client(
    *,
    api_key: str | None,
    base_url: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_retries: int = DEFAULT_MAX_RETRIES,
    transport: httpx.BaseTransport | None = None,
) -> openai.OpenAI:
    """An ``openai.OpenAI`` client, or ``LLMConfigurationError`` naming the setting to fix.

    ``base_url`` points at any OpenAI-compatible server (``http://127.0.0.1:PORT/openai/v1`` for
    the local sandbox); servers without authentication still need a non-empty ``api_key``.
    Every request finishes within ``timeout_s`` in all; ``transport`` (a
    :func:`~providers.deadlines.deadline_transport` by default) is the seam for tests.
    """
    if not api_key:
        raise LLMConfigurationError(
            "no OpenAI API key: set PINTEREST_AGENT_OPENAI_API_KEY (any non-empty value for an "
            "OpenAI-compatible server without authentication)",
            setting="openai_api_key",
        )
    if base_url is not None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LLMConfigurationError(
                f"PINTEREST_AGENT_OPENAI_BASE_URL must be an http(s) URL like "
                f"https://api.openai.com/v1, got {base_url!r}",
                setting="openai_base_url",
            )
    if timeout_s <= 0 or max_retries < 0:
        raise LLMConfigurationError(
            "openai_timeout_s must be > 0 and openai_max_retries >= 0", setting="openai_timeout_s"
        )
    timeout = openai.Timeout(timeout_s, connect=min(DEFAULT_CONNECT_TIMEOUT_S, timeout_s))
    http_client = httpx.Client(
        transport=transport or deadline_transport(deadline_s=timeout_s), follow_redirects=True
    )
    return openai.OpenAI(
        api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
        # openai 2+ types this as httpx2.Client and accepts httpx's own Client at run time.
        http_client=http_client,  # type: ignore[arg-type,unused-ignore]
    )


_MAX_COMPLETION_TOKENS_HOSTS = ("api.openai.com", ".openai.azure.com")
"""Hosts that take ``max_completion_tokens`` and refuse ``max_tokens`` for reasoning models."""


def _knows_max_completion_tokens(base_url: str) -> bool:
    host = urlsplit(base_url).hostname or ""
    return any(host == suffix or (suffix.startswith(".") and host.endswith(suffix))
               for suffix in _MAX_COMPLETION_TOKENS_HOSTS)


class OpenAIStructuredLLM(StructuredLLMBase):
    """``StructuredLLM`` over ``client.chat.completions.create`` with structured outputs."""

    def __init__(
        self,
        client: openai.OpenAI,
        *,
        model: str,
        prompts: PromptLibrary,
        cache: LLMCache | None = None,
        logger: logging.Logger = log,
        on_call: Callable[[LLMCallRecord], None] | None = None,
        max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
        temperature: float | None = None,
        mode: OutputMode = "auto",
        modes: ModeMemory | None = None,
    ) -> None:
        super().__init__(model=model, prompts=prompts, cache=cache, logger=logger, on_call=on_call)
        self._client = client
        self._max_output_tokens = max_output_tokens
        self._temperature = temperature
        self.mode: OutputMode = mode
        """The output mode asked for (``auto``: the first the server accepts, see
        :mod:`.modes`)."""
        self._modes = modes if modes is not None else _MODES

    def output_mode(self) -> OutputMode:
        """The mode the next request uses: the configured one, or under ``auto`` the one that
        worked with this server and model (the first of ``AUTO_ORDER`` until one has)."""
        if self.mode != "auto":
            return self.mode
        return self._modes.get(str(self._client.base_url), self.model) or AUTO_ORDER[0]

    def _complete(self, messages: list[Message], output: type[BaseModel]) -> Completion:
        if self.mode != "auto":
            return self._complete_in(self.mode, messages, output)
        base_url = str(self._client.base_url)
        known = self._modes.get(base_url, self.model)
        order = (known,) if known is not None else AUTO_ORDER
        for index, mode in enumerate(order):
            try:
                completion = self._complete_in(mode, messages, output)
            except LLMRequestError as exc:
                refused = is_format_refusal(exc.details.get("status"), exc.message)
                if known is not None or index == len(order) - 1 or not refused:
                    raise
                self._log.info("model server refused output mode %s (%s); trying %s",
                                  mode, exc.message[:120], order[index + 1])
                continue
            if known is None:
                self._modes.remember(base_url, self.model, mode)
            return completion
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _complete_in(self, mode: OutputMode, messages: list[Message],
                     output: type[BaseModel]) -> Completion:
        extra: dict[str, Any] = mode_request(mode, output)
        if self._temperature is not None:
            extra["temperature"] = self._temperature
        if not _knows_max_completion_tokens(str(self._client.base_url)):
            # llama.cpp's Python server, Ollama and older vLLM read only ``max_tokens`` and let
            # an answer run to the context's end without it (minutes on a small CPU model).
            extra["extra_body"] = {"max_tokens": self._max_output_tokens}
        if mode == "prompted":
            messages = [*messages, {"role": "system", "content": prompted_instructions(output)}]
        try:
            response = self._client.chat.completions.create(
                model=self.model,
                messages=cast(Any, messages),
                max_completion_tokens=self._max_output_tokens,
                **extra,
            )
        except openai.OpenAIError as exc:
            raise _as_request_error(map_openai_error(exc)) from exc
        if not response.choices:
            raise LLMUnavailableError("the model server answered without any choice")
        choice = response.choices[0]
        usage = response.usage
        content = choice.message.content
        if mode == "tools":
            calls = choice.message.tool_calls or []
            arguments = [getattr(call, "function", None) for call in calls]
            content = next((f.arguments for f in arguments if f is not None), content)
        elif mode == "prompted" and content is not None:
            content = extract_json(content)
        finish_reason = choice.finish_reason
        if mode == "tools" and finish_reason == "tool_calls":
            finish_reason = "stop"
        return Completion(
            content=content,
            refusal=getattr(choice.message, "refusal", None),
            finish_reason=finish_reason,
            input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
            model=response.model or self.model,
        )


_MODES = ModeMemory()
"""The process's memory of which output mode each server and model accepts."""


def _as_request_error(error: LLMError) -> LLMError:
    """A 5xx whose message refuses the request's form (llama-cpp-python answers 500 to a
    ``json_schema`` response format) is the request's fault, not the server's: a
    ``LLMRequestError``, so ``auto`` tries the next mode instead of retrying this one."""
    status = error.details.get("status")
    if (isinstance(error, LLMUnavailableError) and isinstance(status, int)
            and is_format_refusal(status, error.message)):
        return LLMRequestError(error.message, status=status,
                               request_id=error.details.get("request_id"))
    return error


def map_openai_error(exc: openai.OpenAIError) -> LLMError:
    """The ``LLMError`` an ``openai`` exception means for the worker."""
    request_id = getattr(exc, "request_id", None)
    if isinstance(exc, openai.APITimeoutError):
        cause = f" ({exc.__cause__})" if exc.__cause__ is not None and str(exc.__cause__) else ""
        return LLMUnavailableError(f"the model server timed out{cause}", request_id=request_id)
    if isinstance(exc, openai.APIConnectionError):
        return LLMUnavailableError(f"cannot reach the model server: {exc}")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        detail = _body_message(exc)
        if isinstance(exc, openai.RateLimitError):
            if _body_code(exc) == "insufficient_quota":
                return LLMConfigurationError(
                    f"the OpenAI account has no quota left: {detail}", status=status,
                    request_id=request_id,
                )
            return LLMRateLimitedError(
                f"the model server is rate limiting: {detail}", status=status,
                retry_after_s=_retry_after(exc), request_id=request_id,
            )
        if status in (401, 403):
            return LLMConfigurationError(
                f"the model server refused the API key ({status}): {detail}; check "
                "PINTEREST_AGENT_OPENAI_API_KEY", status=status, request_id=request_id,
            )
        if status == 404:
            return LLMConfigurationError(
                f"model or endpoint not found ({status}): {detail}; check "
                "PINTEREST_AGENT_OPENAI_MODEL and PINTEREST_AGENT_OPENAI_BASE_URL",
                status=status, request_id=request_id,
            )
        if status >= 500 or status in (408, 409):
            return LLMUnavailableError(
                f"the model server failed ({status}): {detail}", status=status,
                request_id=request_id,
            )
        return LLMRequestError(
            f"the model server rejected the request ({status}): {detail}", status=status,
            request_id=request_id,
        )
    return LLMUnavailableError(f"the openai client failed: {type(exc).__name__}: {exc}")


def _body_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, str):
            return message[:300]
    return str(exc.message)[:300]


def _body_code(exc: openai.APIStatusError) -> str | None:
    code = getattr(exc, "code", None)
    return code if isinstance(code, str) else None


def _retry_after(exc: openai.APIStatusError) -> float | None:
    return parse_retry_after(exc.response.headers.get("retry-after"), now=datetime.now(UTC))
