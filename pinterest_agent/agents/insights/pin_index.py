"""Each Pin's part in the metrics as one small integer, cached with the Pin metadata.

The metric pass needs, for every Pin with analytics, its content category and the UTC hour it
was published (and, for the insight's note on categories, whether the model decided the category
and whether the rules agreed). Reading those from 10,000 record objects scattered in memory
costs more than summing the Pins' figures; so the catalog keeps them as one ``int`` per Pin id
(:func:`metric_code`), stored with the cache and recomputed only for Pins that change::

    bits 0-6   bucket = category slot x 25 + UTC hour (24: no publish time)   0..124
    bit 7      the model decided the category
    bit 8      ... and the keyword rules said otherwise

The bucket is what :func:`agents.insights.metrics.aggregate_pins` adds a Pin's figures into.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pinterest_agent.agents.insights.categories import CATEGORIES
from pinterest_agent.agents.insights.pin_records import LLM_SOURCE, PinRecord

__all__ = [
    "BUCKET_MASK",
    "DISAGREE_BIT",
    "HOURS",
    "MODEL_BIT",
    "build_index",
    "category_tally",
    "metric_code",
]

HOURS = 25
"""Buckets per category: the 24 UTC hours and "no publish time"."""
BUCKET_MASK = 0x7F
MODEL_BIT = 0x80
DISAGREE_BIT = 0x100
_SLOT = {category: index * HOURS for index, category in enumerate(CATEGORIES)}


def metric_code(record: PinRecord) -> int:
    """The Pin's code (see the module docstring); an uncategorised Pin counts as ``other``."""
    created = record.created_at
    code = _SLOT[record.category or "other"] + (HOURS - 1 if created is None else created.hour)
    if record.category_by == LLM_SOURCE:
        code |= MODEL_BIT
        if record.rules_category != record.category:
            code |= DISAGREE_BIT
    return code


def build_index(records: Iterable[PinRecord]) -> dict[str, int]:
    """Every record's code by Pin id."""
    return {record.id: metric_code(record) for record in records}


def category_tally(index: Mapping[str, int]) -> tuple[int, int]:
    """Pins the model categorised, and those of them the rules would have put elsewhere."""
    by_model = disagreements = 0
    for code in index.values():
        if code & MODEL_BIT:
            by_model += 1
            if code & DISAGREE_BIT:
                disagreements += 1
    return by_model, disagreements
