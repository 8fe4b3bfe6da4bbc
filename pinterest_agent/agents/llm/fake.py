"""``ScriptedLLM``: a fake model you own, for tests (llm's ``MockModel.enqueue`` in spirit).

Queue answers per output type, in order; each ``_complete`` pops the next one::

    llm = ScriptedLLM()
    llm.enqueue(PinCopy, too_long_copy, good_copy)      # first answer gets repaired
    llm.enqueue(DesignSpec, '{"headline": ...}')         # raw JSON strings work too
    llm.enqueue(PinCopy, LLMUnavailableError("down"))    # exceptions are raised

An answer may be a model instance (``Model.model_construct(...)`` builds one that breaks the
model's own rules, to exercise the repair round), a raw JSON string, or an exception. The same
``generate`` loop as the real backend runs (render, validate, check, one repair), so tests cover
it; ``calls`` records every round with its rendered messages.
"""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from pinterest_agent.agents.llm.cache import LLMCache
from pinterest_agent.agents.llm.core import (
    Completion,
    LLMCallRecord,
    Message,
    StructuredLLMBase,
    log,
    message_text,
)
from pinterest_agent.prompts.loader import PromptLibrary

__all__ = ["Answer", "ScriptedCall", "ScriptedLLM"]

Answer = BaseModel | str | Exception


@dataclass(frozen=True, slots=True)
class ScriptedCall:
    output: type[BaseModel]
    messages: list[Message]


class ScriptedLLM(StructuredLLMBase):
    def __init__(
        self,
        prompts: PromptLibrary | None = None,
        *,
        model: str = "scripted",
        cache: LLMCache | None = None,
        logger: logging.Logger = log,
        on_call: Callable[[LLMCallRecord], None] | None = None,
    ) -> None:
        super().__init__(
            model=model, prompts=prompts or PromptLibrary(), cache=cache, logger=logger,
            on_call=on_call,
        )
        self._answers: dict[type[BaseModel], deque[Answer]] = defaultdict(deque)
        self.calls: list[ScriptedCall] = []

    def enqueue(self, output: type[BaseModel], *answers: Answer) -> ScriptedLLM:
        self._answers[output].extend(answers)
        return self

    def remaining(self) -> int:
        """Answers queued but not yet used (a test asserts 0 so no script goes unused)."""
        return sum(len(q) for q in self._answers.values())

    def _complete(self, messages: list[Message], output: type[BaseModel]) -> Completion:
        self.calls.append(ScriptedCall(output, list(messages)))
        queue = self._answers[output]
        if not queue:
            raise AssertionError(f"ScriptedLLM has no answer queued for {output.__name__}")
        answer = queue.popleft()
        if isinstance(answer, Exception):
            raise answer
        content = answer.model_dump_json() if isinstance(answer, BaseModel) else answer
        words = sum(len(message_text(m).split()) for m in messages)
        return Completion(
            content=content, refusal=None, finish_reason="stop",
            input_tokens=words, output_tokens=len(content.split()), model=self.model,
        )
