"""Who decides a Pin's content category: the rules where they are sure, a trusted model elsewhere.

Each Pin is categorised once and the answer cached with its metadata
(:class:`~agents.insights.pin_records.PinRecord`, keyed by the hash of its title and
description), so a warm run categorises only new and edited Pins.

* :class:`RuleCategorizer`: the keyword rules (:mod:`agents.insights.categories`). It keeps an
  earlier answer of the model path and redoes Pins categorised by an older version of the rules.
* :class:`LLMCategorizer`: asks the model through the ``StructuredLLM`` seam (template
  ``pin_categories``), ``batch_size`` Pins a request (:data:`DEFAULT_BATCH_SIZE`), each Pin
  numbered and its answer checked: every number once, nothing else (one repair round, as every
  structured answer). At most ``max_pins`` Pins a run go to the model (the most-seen first, see
  :meth:`~agents.insights.pin_catalog.PinCatalog.categorize`), so a cold run of a large channel
  stays inside the actor's time limit; the rest get the rules this run and the model on later
  runs. A failing request (model unavailable, an answer still invalid after the repair) gives
  that batch and the rest of the run to the rules, logged; the next run asks again.

**How the model's answer and the rules' combine** (:func:`combine`)::

    the rules are sure (their category leads by >= sure_lead)    -> the rules' category
    the rules are unsure (a tie, no phrase, a smaller lead)      -> the model's category,
                                                                     if the model is trusted
    the model is not trusted (this run, or this batch)           -> the rules' category

The model is *trusted* when, on the Pins the rules are sure of, it agreed with them at least
``trust_share`` of the time (:data:`DEFAULT_TRUST_SHARE`), over at least ``trust_min_pins`` such
Pins (:data:`DEFAULT_TRUST_MIN_PINS`) in the run. Within a trusted run, a batch that agrees on
less than :data:`MISREAD_SHARE` of its sure Pins (when it holds that many) is taken as misread
(answers shifted by one Pin agree with almost nothing) and left to the rules. A run with too few
sure Pins to judge (a warm run with a few new Pins) gives them to the rules for now; they are
asked again on the next run, with the next run's new Pins, until there is enough to judge.

Why not let the model overrule the rules everywhere, as this module once did: measured on Pins
written after the rules were tuned (``benchmarks/categories.py``), the rules are right on most
of the Pins they are sure of and wrong on about half of the rest, so a model can only help on
the unsure ones; and a weak model (the bundled Gemma 3 270M answers "recipe" for most Pins) made
the old combination worse than the rules alone. The agreement check keeps such a model out, and
a sound one agrees with the rules' sure answers about as often as they are right.

``category_by`` is ``"llm"`` for a Pin decided with a trusted model's answer in hand (its answer
used where the rules were unsure, a check where they were sure) and the rules' version
otherwise; ``rules_category`` keeps the rules' answer, so a Pin whose category differs from it is
one where the model's answer was used against the rules (the insight counts them).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from pinterest_agent.agents.insights.categories import RULES_VERSION, Category, Verdict, verdict
from pinterest_agent.agents.insights.pin_records import LLM_SOURCE, PinRecord
from pinterest_agent.agents.llm import LLMError, StructuredLLM

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_PINS",
    "DEFAULT_SURE_LEAD",
    "DEFAULT_TRUST_MIN_PINS",
    "DEFAULT_TRUST_SHARE",
    "MISREAD_SHARE",
    "TEMPLATE",
    "Agreement",
    "LLMCategorizer",
    "PinCategories",
    "PinCategorizer",
    "PinCategory",
    "RuleCategorizer",
    "answer_problems",
    "combine",
]

TEMPLATE = "pin_categories"
DEFAULT_BATCH_SIZE = 50
"""Pins per model request."""
DEFAULT_MAX_PINS = 500
"""Pins one run sends to the model (10 requests); the rest get the rules until a later run."""
DEFAULT_SURE_LEAD = 3
"""The rules are sure of a Pin when their category leads the next by at least this: one intent
phrase more in the description (a title phrase counts 6). On the 40 Pins of ``holdout.jsonl``
(written after the tuning) the rules were right on 22 of the 26 Pins they were sure of and 6 of
the 14 others."""
DEFAULT_TRUST_SHARE = 0.8
"""The share of the rules' sure Pins a model must agree on to be trusted with the unsure ones,
calibrated on the tuning set (``pins.jsonl``, where the rules' sure answers are right): the
sandbox's stand-in, a keyword list right on 72.9% of those Pins, agrees on 75% of the sure ones
and is worse than the rules on the unsure ones (5 against 12 of 14), so it must not pass. On Pins
the rules were not tuned on, their sure answers are right about 85% of the time (22 of 26 on
``holdout.jsonl``), so only a model right on nearly every Pin passes: a weaker one, or a channel
the rules read poorly, leaves the decision to the rules, as if no model were configured."""
DEFAULT_TRUST_MIN_PINS = 10
"""Sure Pins needed to judge a model (in a run, or in a batch for the batch's own check)."""
MISREAD_SHARE = 0.4
"""A batch of a trusted run agreeing on less than this share of its sure Pins was misread: the
check this module made before the trust rule (a batch disagreeing with the rules on more than 60%
of its Pins), now counted on the sure Pins. It is not the run's bar: a sound batch of a good model
varies around the run's agreement (one of the three batches of ``holdout2.jsonl`` falls under 80%
even with every answer right), a shifted one falls to chance."""
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


def _by_rules(record: PinRecord, rules: Verdict | None = None) -> PinRecord:
    category = (rules or verdict(record.title, record.description)).category
    return record.categorised(category, RULES_VERSION, category)


class RuleCategorizer:
    """The keyword rules; the model path's earlier answers are kept."""

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


# -- the combination ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Agreement:
    """How often a model agreed with the rules on the Pins the rules are sure of."""

    sure: int
    agreed: int

    @classmethod
    def of(cls, rules: Sequence[Verdict], answers: Sequence[Category], *,
           sure_lead: int = DEFAULT_SURE_LEAD) -> Agreement:
        pairs = [(rule, answer) for rule, answer in zip(rules, answers, strict=True)
                 if rule.lead >= sure_lead]
        return cls(len(pairs), sum(rule.category == answer for rule, answer in pairs))

    def __add__(self, other: Agreement) -> Agreement:
        return Agreement(self.sure + other.sure, self.agreed + other.agreed)

    def judged(self, min_pins: int) -> bool:
        """Enough sure Pins to judge the model by."""
        return self.sure >= max(min_pins, 1)

    def trusts(self, *, share: float = DEFAULT_TRUST_SHARE,
               min_pins: int = DEFAULT_TRUST_MIN_PINS) -> bool:
        """Judged, and agreeing on at least ``share`` of the sure Pins."""
        return self.judged(min_pins) and self.agreed >= share * self.sure

    def __str__(self) -> str:
        return f"{self.agreed} of {self.sure}"


def combine(rules: Verdict, answer: Category | None, *, trusted: bool,
            sure_lead: int = DEFAULT_SURE_LEAD) -> tuple[Category, str]:
    """The category of one Pin and who decided it (see the module docstring)."""
    if not trusted or answer is None:
        return rules.category, RULES_VERSION
    return (rules.category if rules.lead >= sure_lead else answer), LLM_SOURCE


@dataclass(frozen=True, slots=True)
class _Answered:
    """A batch the model answered, with the rules' verdicts beside its answers."""

    records: list[PinRecord]
    rules: list[Verdict]
    answers: list[Category]
    agreement: Agreement


class LLMCategorizer:
    """The model's answers where the rules are unsure, from a model that agrees with the rules
    where they are sure; the rules everywhere else (see the module docstring)."""

    def __init__(
        self,
        llm: StructuredLLM,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_pins: int = DEFAULT_MAX_PINS,
        sure_lead: int = DEFAULT_SURE_LEAD,
        trust_share: float = DEFAULT_TRUST_SHARE,
        trust_min_pins: int = DEFAULT_TRUST_MIN_PINS,
    ) -> None:
        if batch_size < 1 or max_pins < 0 or sure_lead < 1 or trust_min_pins < 1:
            raise ValueError("batch_size, sure_lead and trust_min_pins must be at least 1 and "
                             "max_pins at least 0")
        if not 0.0 <= trust_share <= 1.0:
            raise ValueError("trust_share is a share: between 0 and 1")
        self._llm = llm
        self._batch_size = batch_size
        self._max_pins = max_pins
        self._sure_lead = sure_lead
        self._trust_share = trust_share
        self._trust_min_pins = trust_min_pins

    keeps = frozenset({LLM_SOURCE})

    def categorize(self, records: Sequence[PinRecord]) -> list[PinRecord]:
        asked = list(records[: self._max_pins])
        answered: list[_Answered] = []
        for start in range(0, len(asked), self._batch_size):
            batch = asked[start : start + self._batch_size]
            try:
                answered.append(self._ask(batch))
            except LLMError as exc:
                log.warning("pin categories: the model failed (%s: %s); the rules categorise "
                            "the remaining %d Pins this run", exc.code, exc,
                            len(records) - start)
                break
        if len(records) > len(asked):
            log.info("pin categories: %d Pins over this run's model budget of %d get the rules "
                     "until a later run", len(records) - len(asked), self._max_pins)
        done = self._decide(answered)
        return done + [_by_rules(record) for record in records[len(done):]]

    def _ask(self, batch: list[PinRecord]) -> _Answered:
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
        answers = [chosen[n] for n in range(1, len(batch) + 1)]
        rules = [verdict(record.title, record.description) for record in batch]
        return _Answered(batch, rules, answers,
                         Agreement.of(rules, answers, sure_lead=self._sure_lead))

    def _trusts(self, agreement: Agreement) -> bool:
        return agreement.trusts(share=self._trust_share, min_pins=self._trust_min_pins)

    def _decide(self, answered: list[_Answered]) -> list[PinRecord]:
        run = sum((batch.agreement for batch in answered), Agreement(0, 0))
        run_trusted = self._trusts(run)
        pins = sum(len(batch.records) for batch in answered)
        if answered and not run.judged(self._trust_min_pins):
            log.info("pin categories: the model agreed with the rules on %s Pins they are sure "
                     "of, too few to judge it by (%d needed); the rules decide these %d Pins "
                     "and the next run asks again", run, self._trust_min_pins, pins)
        elif answered and not run_trusted:
            log.warning("pin categories: the model agreed with the rules on only %s Pins they "
                        "are sure of (%.0f%% needed); the rules decide this run's %d Pins (set "
                        "PINTEREST_AGENT_INSIGHT_CATEGORIES=rules if this model is always this "
                        "unreliable)", run, 100 * self._trust_share, pins)
        done: list[PinRecord] = []
        for batch in answered:
            trusted = run_trusted
            misread = batch.agreement.agreed < MISREAD_SHARE * batch.agreement.sure
            if trusted and misread and batch.agreement.judged(self._trust_min_pins):
                log.warning("pin categories: the model agreed with the rules on only %s sure "
                            "Pins of a batch; taking the batch as misread and using the rules "
                            "for it", batch.agreement)
                trusted = False
            used = 0
            for record, rules, answer in zip(batch.records, batch.rules, batch.answers,
                                             strict=True):
                category, by = combine(rules, answer, trusted=trusted,
                                       sure_lead=self._sure_lead)
                used += by == LLM_SOURCE and category != rules.category
                done.append(record.categorised(category, by, rules.category))
            if trusted and used:
                log.info("pin categories: the model's answer is used against the rules on %d "
                         "of %d Pins (where the rules are unsure)", used, len(batch.records))
        return done
