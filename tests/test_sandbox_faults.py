"""Faults that apply to a share of requests (the chaos benchmark's storms)."""

from __future__ import annotations

import random

import pytest

from pinterest_agent.providers.sandbox.faults import FaultRegistry


def test_a_fault_with_a_probability_applies_to_about_that_share_of_requests() -> None:
    # Given a 503 on 30 % of creates, and a latency on every create behind it
    faults = FaultRegistry(rng=random.Random(7))
    storm = faults.add("POST", "/v5/pins", status=503, probability=0.3)
    slow = faults.add("POST", "/v5/pins", latency_ms=50)
    # When a thousand creates arrive
    taken = [faults.take("POST", "/v5/pins") for _ in range(1000)]
    # Then about 300 get the 503 and the others fall through to the next matching fault
    assert 250 <= storm.hits <= 350
    assert storm.hits + slow.hits == 1000
    assert {id(fault) for fault in taken} == {id(storm), id(slow)}


def test_times_counts_only_the_requests_a_fault_applied_to() -> None:
    faults = FaultRegistry(rng=random.Random(1))
    fault = faults.add("POST", "/v5/pins", status=429, probability=0.5, times=3)
    hits = sum(faults.take("POST", "/v5/pins") is fault for _ in range(100))
    assert hits == 3 and faults.list() == []


def test_probability_is_checked_and_accepted_as_json() -> None:
    faults = FaultRegistry()
    for bad in (0, -0.1, 1.5):
        with pytest.raises(ValueError, match="probability"):
            faults.add(status=503, probability=bad)
    fault = faults.add_json({"path": "/v5/pins", "status": 503, "probability": 0.25})
    assert fault.probability == 0.25 and fault.as_dict()["probability"] == 0.25
