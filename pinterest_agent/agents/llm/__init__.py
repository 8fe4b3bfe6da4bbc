"""The one LLM seam of the worker: templates in, validated pydantic models out.

Agents depend on the ``StructuredLLM`` protocol only::

    result = llm.generate(template="pin_copy", variables={...}, output=PinCopy, check=checks)
    result.value, result.template, result.template_hash, result.input_tokens, ...

Implementations:

- ``OpenAIStructuredLLM(make_openai_client(...), model=..., prompts=PromptLibrary(...),
  cache=RedisLLMCache(redis_client))``: any OpenAI-compatible server through the ``openai``
  client, with structured outputs (strict ``json_schema``).
- ``ScriptedLLM``: a fake for tests, answering from queued answers.

Both share one loop (``agents.llm.core``): render the template, ask, validate with pydantic, run
the caller's ``check``, one repair round on any problem, then ``LLMOutputInvalidError``. Refusals
and truncated answers are typed errors. The error tree is drawn in ``agents.llm.errors``.
"""

from __future__ import annotations

from pinterest_agent.agents.llm.cache import (
    DEFAULT_CACHE_PREFIX,
    DEFAULT_CACHE_TTL_S,
    LLMCache,
    MemoryLLMCache,
    RedisLLMCache,
    cache_key,
)
from pinterest_agent.agents.llm.core import (
    Completion,
    LLMCallRecord,
    LLMResult,
    StructuredLLM,
    StructuredLLMBase,
    T,
    repair_instructions,
    validation_problems,
)
from pinterest_agent.agents.llm.errors import (
    LLMConfigurationError,
    LLMError,
    LLMOutputInvalidError,
    LLMRateLimitedError,
    LLMRefusalError,
    LLMRequestError,
    LLMTruncatedError,
    LLMUnavailableError,
)
from pinterest_agent.agents.llm.fake import ScriptedCall, ScriptedLLM
from pinterest_agent.agents.llm.openai_client import (
    DEFAULT_MAX_OUTPUT_TOKENS,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT_S,
    OpenAIStructuredLLM,
    make_openai_client,
    map_openai_error,
    worst_case_llm_s,
)
from pinterest_agent.agents.llm.schema import response_format, strict_json_schema

__all__ = [
    "DEFAULT_CACHE_PREFIX",
    "DEFAULT_CACHE_TTL_S",
    "DEFAULT_MAX_OUTPUT_TOKENS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT_S",
    "Completion",
    "LLMCache",
    "LLMCallRecord",
    "LLMConfigurationError",
    "LLMError",
    "LLMOutputInvalidError",
    "LLMRateLimitedError",
    "LLMRefusalError",
    "LLMRequestError",
    "LLMResult",
    "LLMTruncatedError",
    "LLMUnavailableError",
    "MemoryLLMCache",
    "OpenAIStructuredLLM",
    "RedisLLMCache",
    "ScriptedCall",
    "ScriptedLLM",
    "StructuredLLM",
    "StructuredLLMBase",
    "T",
    "cache_key",
    "make_openai_client",
    "map_openai_error",
    "repair_instructions",
    "response_format",
    "strict_json_schema",
    "validation_problems",
    "worst_case_llm_s",
]
