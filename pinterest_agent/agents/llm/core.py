"""The structured-output loop every LLM backend shares: render, ask, validate, repair once.

``StructuredLLMBase.generate`` renders a template, asks the backend (``_complete``) for JSON in the
output model's schema, validates it with pydantic and then with the caller's ``check`` (plain
sentences naming problems). Any problem earns exactly one repair round, in which the model sees its
previous answer and the list of problems; a second failure raises ``LLMOutputInvalidError`` listing
them. A refusal or a truncated answer is a typed error at once (no repair: it would fail the same
way). ``images`` (image data URLs, ``data:image/jpeg;base64,...``) are attached to the user
message as ``image_url`` parts after the template's text, for models that accept images; they
are part of the cache key by their SHA-256. Every call is logged once (model, template, template
hash, tokens, latency, outcome; never a key or the prompt text) and handed to the optional
``on_call`` hook. A cache hit is found by the template's hash and renders nothing.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, Self, TypeVar

from pydantic import BaseModel, ValidationError

from pinterest_agent.agents.llm.cache import LLMCache, keyed_by
from pinterest_agent.agents.llm.errors import (
    LLMError,
    LLMOutputInvalidError,
    LLMRefusalError,
    LLMTruncatedError,
)
from pinterest_agent.agents.llm.schema import strict_schema_json
from pinterest_agent.observability.tracing import set_attributes, span
from pinterest_agent.prompts.loader import SUFFIX, PromptLibrary

__all__ = [
    "Check",
    "Completion",
    "LLMCallRecord",
    "LLMResult",
    "Message",
    "StructuredLLM",
    "StructuredLLMBase",
    "T",
    "message_text",
    "repair_instructions",
    "user_content",
    "validation_problems",
]

T = TypeVar("T", bound=BaseModel)
Check = Callable[[T], list[str]]
Message = dict[str, Any]
"""A chat message: ``role`` and ``content`` (text, or a list of text and image parts)."""
IMAGE_DETAIL = "low"
"""OpenAI's image detail level for attached images: one fixed-cost tile, within the budget."""

log = logging.getLogger("pinterest_agent.agents.llm")


@dataclass(frozen=True, slots=True)
class LLMResult(Generic[T]):
    """A validated answer and where it came from."""

    value: T
    template: str
    template_hash: str
    model: str
    input_tokens: int
    output_tokens: int
    latency_ms: float
    cached: bool
    repaired: bool


@dataclass(frozen=True, slots=True)
class LLMCallRecord:
    """What the ``on_call`` hook receives after every ``generate`` (success or failure)."""

    model: str
    template: str
    template_hash: str
    output: str
    input_tokens: int
    output_tokens: int
    latency_ms: float
    cached: bool
    repaired: bool
    outcome: str  # "ok" or the error code


@dataclass(frozen=True, slots=True)
class Completion:
    """One raw answer from a backend, before any validation."""

    content: str | None
    refusal: str | None
    finish_reason: str
    input_tokens: int
    output_tokens: int
    model: str


class StructuredLLM(Protocol):
    """What the agents need from a model: a validated instance of ``output``."""

    def generate(
        self,
        *,
        template: str,
        variables: Mapping[str, Any],
        output: type[T],
        check: Callable[[T], list[str]] | None = None,
        images: Sequence[str] = (),
    ) -> LLMResult[T]: ...


def user_content(text: str, images: Sequence[str]) -> str | list[dict[str, Any]]:
    """The user message's content: the text alone, or the text and one part per image."""
    if not images:
        return text
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
    parts += [{"type": "image_url", "image_url": {"url": url, "detail": IMAGE_DETAIL}}
              for url in images]
    return parts


def message_text(message: Message) -> str:
    """The text of a message, whichever form its content has (images left out)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content
                         if isinstance(part, dict) and part.get("type") == "text")
    return ""


def validation_problems(exc: ValidationError) -> list[str]:
    """Pydantic's errors as sentences a model can act on: ``title: String should have ...``."""
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "answer"
        problems.append(f"{where}: {error['msg']}")
    return problems


def repair_instructions(problems: list[str]) -> str:
    """The user message of the repair round."""
    listed = "\n".join(f"- {p}" for p in problems)
    return (
        "Your previous answer broke these rules:\n"
        f"{listed}\n"
        "Reply with the whole corrected JSON object in the same schema. Fix every problem listed "
        "and keep everything else as it was."
    )


class _Keep:
    """The default of :meth:`StructuredLLMBase.using`'s ``cache``: keep the current one."""


_KEEP = _Keep()


class StructuredLLMBase:
    """``generate`` over an abstract ``_complete``; backends implement only ``_complete``."""

    def __init__(
        self,
        *,
        model: str,
        prompts: PromptLibrary,
        cache: LLMCache | None = None,
        logger: logging.Logger = log,
        on_call: Callable[[LLMCallRecord], None] | None = None,
    ) -> None:
        self.model = model
        self.prompts = prompts
        self._cache = cache
        self._log = logger
        self._on_call = on_call

    def using(
        self,
        *,
        prompts: PromptLibrary | None = None,
        cache: LLMCache | _Keep | None = _KEEP,
    ) -> Self:
        """A shallow copy of this backend (same client, model and hooks) rendering from
        ``prompts`` and/or caching in ``cache`` (``None``: no cache); the original is unchanged.
        The workbench and the prompt router use it to run one backend with several template
        versions."""
        clone = copy.copy(self)
        if prompts is not None:
            clone.prompts = prompts
        if not isinstance(cache, _Keep):
            clone._cache = cache
        return clone

    def _complete(self, messages: list[Message], output: type[BaseModel]) -> Completion:
        raise NotImplementedError

    def generate(
        self,
        *,
        template: str,
        variables: Mapping[str, Any],
        output: type[T],
        check: Callable[[T], list[str]] | None = None,
        images: Sequence[str] = (),
    ) -> LLMResult[T]:
        started = time.perf_counter()
        key = None
        if self._cache is not None:
            # The key needs the template's hash, not its rendering: a hit renders nothing (the
            # same template and variables rendered fine when the answer was cached).
            name, template_hash = template.removesuffix(SUFFIX), self.prompts.hash(template)
            key = keyed_by(
                model=self.model,
                template_hash=template_hash,
                variables=variables,
                schema_json=strict_schema_json(output),
                images=images,
            )
            hit = self._from_cache(key, output, check)
            if hit is not None:
                latency = (time.perf_counter() - started) * 1000
                record = LLMCallRecord(
                    self.model, name, template_hash, output.__name__, 0, 0, latency,
                    cached=True, repaired=False, outcome="ok",
                )
                self._report(record)
                return LLMResult(hit, name, template_hash, self.model, 0, 0, latency,
                                 cached=True, repaired=False)
        prompt = self.prompts.render(template, variables)

        messages: list[Message] = [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": user_content(prompt.user, images)},
        ]
        tokens_in = tokens_out = 0
        model = self.model
        repaired = False
        outcome = "ok"
        try:
            for round_no in (0, 1):
                with span(f"chat {self.model}", kind="client", attributes={
                    "gen_ai.operation.name": "chat", "gen_ai.request.model": self.model,
                    "pinterest_agent.template": prompt.name,
                    "pinterest_agent.template_version": prompt.hash,
                }) as current:
                    completion = self._complete(messages, output)
                    set_attributes(current, {
                        "gen_ai.response.model": completion.model or self.model,
                        "gen_ai.usage.input_tokens": completion.input_tokens,
                        "gen_ai.usage.output_tokens": completion.output_tokens})
                tokens_in += completion.input_tokens
                tokens_out += completion.output_tokens
                model = completion.model or model
                value, problems = _judge(completion, output, check)
                if value is not None and not problems:
                    break
                if round_no == 0:
                    self._log.info(
                        "llm answer needs repair template=%s problems=%d: %s",
                        prompt.name, len(problems), "; ".join(problems),
                    )
                    repaired = True
                    messages = [
                        *messages,
                        {"role": "assistant", "content": completion.content or ""},
                        {"role": "user", "content": repair_instructions(problems)},
                    ]
            else:
                raise LLMOutputInvalidError(
                    f"the model's {output.__name__} still broke its rules after one repair round: "
                    + "; ".join(problems),
                    template=prompt.name,
                    problems=len(problems),
                )
        except LLMError as exc:
            outcome = exc.code
            raise
        finally:
            latency = (time.perf_counter() - started) * 1000
            self._report(LLMCallRecord(
                model, prompt.name, prompt.hash, output.__name__, tokens_in, tokens_out, latency,
                cached=False, repaired=repaired, outcome=outcome,
            ))
        assert value is not None
        if self._cache is not None and key is not None:
            self._cache.set(key, value.model_dump_json())
        return LLMResult(value, prompt.name, prompt.hash, model, tokens_in, tokens_out, latency,
                         cached=False, repaired=repaired)

    def _from_cache(self, key: str, output: type[T], check: Check[T] | None) -> T | None:
        assert self._cache is not None
        raw = self._cache.get(key)
        if raw is None:
            return None
        try:
            value = output.model_validate_json(raw)
        except ValidationError:
            return None
        if check is not None and check(value):
            return None
        return value

    def _report(self, record: LLMCallRecord) -> None:
        self._log.info(
            "llm call model=%s template=%s hash=%s output=%s input_tokens=%d output_tokens=%d "
            "latency_ms=%.0f cached=%s repaired=%s outcome=%s",
            record.model, record.template, record.template_hash, record.output,
            record.input_tokens, record.output_tokens, record.latency_ms, record.cached,
            record.repaired, record.outcome,
        )
        if self._on_call is not None:
            self._on_call(record)


def _judge(
    completion: Completion, output: type[T], check: Check[T] | None
) -> tuple[T | None, list[str]]:
    if completion.refusal:
        raise LLMRefusalError(f"the model refused: {completion.refusal}", output=output.__name__)
    if completion.finish_reason == "content_filter":
        raise LLMRefusalError(
            "the model's answer was stopped by the content filter", code="llm_content_filter",
            output=output.__name__,
        )
    if completion.finish_reason == "length":
        raise LLMTruncatedError(
            f"the model's {output.__name__} was cut off at the output-token cap "
            f"({completion.output_tokens} tokens); raise max_output_tokens or ask for less",
            output=output.__name__,
        )
    if not completion.content:
        return None, ["the answer was empty; reply with one JSON object in the schema"]
    try:
        value = output.model_validate_json(completion.content)
    except ValidationError as exc:
        return None, validation_problems(exc)
    problems = check(value) if check is not None else []
    return value, problems
