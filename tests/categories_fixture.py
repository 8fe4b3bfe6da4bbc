"""The hand-labelled Pins of ``fixtures/categories`` as rows and as cached Pin records."""

from __future__ import annotations

import json
from pathlib import Path

from pinterest_agent.agents.insights.pin_records import PinRecord, text_hash

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "categories"


def labelled(name: str) -> list[dict[str, str]]:
    """The rows of a fixture file: ``title``, ``description``, ``label``."""
    return [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line]


def fixture_records(name: str) -> list[PinRecord]:
    """The fixture's Pins as uncategorised records (ids ``fx-1``, ``fx-2``, ... in file order)."""
    return [
        PinRecord(id=f"fx-{n}", title=row["title"], description=row["description"],
                  text_hash=text_hash(row["title"], row["description"]))
        for n, row in enumerate(labelled(name), start=1)
    ]


def mixed_batch() -> list[PinRecord]:
    """50 fixture Pins, the five categories taken in turn (neighbours differ in category)."""
    rows = labelled("pins.jsonl")
    records = fixture_records("pins.jsonl")
    by_label: dict[str, list[PinRecord]] = {}
    for row, record in zip(rows, records, strict=True):
        by_label.setdefault(row["label"], []).append(record)
    turns = zip(*by_label.values(), strict=False)
    return [record for turn in turns for record in turn][:50]
