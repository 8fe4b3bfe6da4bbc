"""Who decides a Pin's content category: the model where one is configured, the rules otherwise.

Each Pin is categorised once and the answer cached with its metadata
(:class:`~agents.insights.pin_records.PinRecord`, keyed by the hash of its title and
description), so a warm run categorises only new and edited Pins.

* :class:`RuleCategorizer`: the keyword rules (:mod:`agents.insights.categories`). It keeps a
  model's earlier answer (the model reads meaning; the rules only keywords) and redoes Pins
  categorised by an older version of the rules.
* :class:`LLMCategorizer`: asks the model through the ``StructuredLLM`` seam (template
  ``pin_categories``), :data:`DEFAULT_BATCH_SIZE` Pins a request, each Pin numbered and its answer
  checked: every number once, nothing else (one repair round, as every structured answer). At most
  ``max_pins`` Pins a run go to the model (the most-seen first, see
  :meth:`~agents.insights.pin_catalog.PinCatalog.categorize`), so a cold run of a large channel
  stays inside the actor's time limit; the rest get the rules this run and the model on later
  runs. A failing request (model unavailable, an answer still invalid after the repair) gives
  that batch and the rest of the run to the rules, logged; the next run asks again.

**The rules check the model.** The rules' answer is kept next to the model's
(``rules_category``) and the insight counts the Pins they disagree on. When they disagree, the
model's answer is used: it reads "DIY Sourdough Wall Art" as a craft where a keyword list can
only weigh words. One exception: when the model disagrees with the rules on more than
:data:`DISTRUST_SHARE` of a batch (of at least :data:`DISTRUST_MIN_PINS` Pins), the batch is
taken to be misread (answers shifted by one, say) and the rules decide it, with a warning. On the
hand-labelled fixture the rules agree with the truth 98.9% of the time, on unseen Pins about 70%,
so a sound answer disagrees with them on a third of a batch at most.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from pinterest_agent.agents.insights.categories import RULES_VERSION, Category, classify
from pinterest_agent.agents.insights.pin_records import LLM_SOURCE, PinRecord
from pinterest_agent.agents.llm import LLMError, StructuredLLM

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_PINS",
    "DISTRUST_MIN_PINS",
    "DISTRUST_SHARE",
    "TEMPLATE",
    "LLMCategorizer",
    "PinCategories",
    "PinCategorizer",
    "PinCategory",
    "RuleCategorizer",
    "answer_problems",
]

TEMPLATE = "pin_categories"
DEFAULT_BATCH_SIZE = 50
"""Pins per model request."""
DEFAULT_MAX_PINS = 500
"""Pins one run sends to the model (10 requests); the rest get the rules until a later run."""
DISTRUST_SHARE = 0.6
DISTRUST_MIN_PINS = 10
DESCRIPTION_CHARS = 300
"""Enough of a description to tell what a Pin is; keeps a 50-Pin request small."""

log = logging.getLogger(__name__)


class PinCategorizer(Protocol):
    @property
    def keeps(self) -> frozenset[str]:
        """Who decided the cached categories it keeps as they are (``"llm"``, a rules version);
        a Pin decided by anyone else, or not at all, is categorised again."""
        ...

    def categorize(self, records: Sequence[PinRecord]) -> list[PinRecord]:
        """``records`` with their categories decided, in the same order."""
        ...


def _by_rules(record: PinRecord) -> PinRecord:
    rules = classify(record.title, record.description)
    return record.categorised(rules, RULES_VERSION, rules)


class RuleCategorizer:
    """The keyword rules; a model's earlier answers are kept."""

    keeps = frozenset({LLM_SOURCE, RULES_VERSION})

    def categorize(self, records: Sequence[PinRecord]) -> list[PinRecord]:
        return [_by_rules(record) for record in records]


# -- the model's answer ------------------------------------------------------------------------


class PinCategory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    n: int = Field(description="The Pin's number, as given.")
    category: Category


class PinCategories(BaseModel):
    """The model's answer: one category per numbered Pin."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pins: list[PinCategory]


def answer_problems(answer: PinCategories, count: int) -> list[str]:
    """Sentences naming what is wrong with an answer for Pins numbered 1..``count``."""
    numbers = [pin.n for pin in answer.pins]
    problems = []
    missing = sorted(set(range(1, count + 1)) - set(numbers))
    if missing:
        problems.append(f"pins: no category for Pin(s) {missing}; answer every Pin once.")
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    if repeated:
        problems.append(f"pins: Pin(s) {repeated} answered more than once; answer each once.")
    unknown = sorted({n for n in numbers if not 1 <= n <= count})
    if unknown:
        problems.append(f"pins: there is no Pin {unknown}; the Pins are numbered 1 to {count}.")
    return problems


class LLMCategorizer:
    """The model decides (through the ``pin_categories`` template); the rules are the fallback
    and the check (see the module docstring)."""

    def __init__(
        self,
        llm: StructuredLLM,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_pins: int = DEFAULT_MAX_PINS,
    ) -> None:
        if batch_size < 1 or max_pins < 0:
            raise ValueError("batch_size must be at least 1 and max_pins at least 0")
        self._llm = llm
        self._batch_size = batch_size
        self._max_pins = max_pins

    keeps = frozenset({LLM_SOURCE})

    def categorize(self, records: Sequence[PinRecord]) -> list[PinRecord]:
        asked = list(records[: self._max_pins])
        done: list[PinRecord] = []
        for start in range(0, len(asked), self._batch_size):
            batch = asked[start : start + self._batch_size]
            try:
                done += self._ask(batch)
            except LLMError as exc:
                log.warning("pin categories: the model failed (%s: %s); the rules categorise "
                            "the remaining %d Pins this run", exc.code, exc,
                            len(records) - len(done))
                break
        if len(records) > len(asked):
            log.info("pin categories: %d Pins over this run's model budget of %d get the rules "
                     "until a later run", len(records) - len(asked), self._max_pins)
        return done + [_by_rules(record) for record in records[len(done):]]

    def _ask(self, batch: list[PinRecord]) -> list[PinRecord]:
        pins = [
            {"n": n, "title": record.title or "",
             "description": (record.description or "")[:DESCRIPTION_CHARS]}
            for n, record in enumerate(batch, start=1)
        ]
        result = self._llm.generate(
            template=TEMPLATE,
            variables={"pins": pins},
            output=PinCategories,
            check=lambda answer: answer_problems(answer, len(batch)),
        )
        chosen = {pin.n: pin.category for pin in result.value.pins}
        rules = [classify(record.title, record.description) for record in batch]
        disagree = sum(chosen[n] != rule for n, rule in enumerate(rules, start=1))
        if len(batch) >= DISTRUST_MIN_PINS and disagree > DISTRUST_SHARE * len(batch):
            log.warning("pin categories: the model disagrees with the rules on %d of %d Pins; "
                        "taking the batch as misread and using the rules for it", disagree,
                        len(batch))
            return [record.categorised(rule, RULES_VERSION, rule)
                    for record, rule in zip(batch, rules, strict=True)]
        if disagree:
            log.info("pin categories: the model and the rules disagree on %d of %d Pins; the "
                     "model's answer is used", disagree, len(batch))
        return [record.categorised(chosen[n], LLM_SOURCE, rule)
                for n, (record, rule) in enumerate(zip(batch, rules, strict=True), start=1)]
