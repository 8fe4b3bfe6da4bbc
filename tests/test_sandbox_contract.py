"""The sandbox judges what it receives and what it answers with openapi-core and Pinterest's spec.

Requests that break the spec get the spec's 400 ``{"code": 1, "message": ...}``; with
``validate_responses=True`` (the suite's sandboxes) every handler's answer is checked too, and a
violation is recorded for ``tests.helpers.fail_on_spec_violations`` to fail the run on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from pinterest_agent.providers.pinterest.contract import load_contract
from pinterest_agent.providers.sandbox.analytics_data import populate_channel
from pinterest_agent.providers.sandbox.routes import RouteRegistry, SandboxRequest, SandboxResponse
from pinterest_agent.providers.sandbox.server import SandboxServer
from tests.helpers import fail_on_spec_violations

NOW = datetime(2024, 6, 11, 9, 0, tzinfo=UTC)
WINDOW = {"start_date": "2024-06-01", "end_date": "2024-06-10", "metric_types": "IMPRESSION,SAVE"}


@pytest.fixture()
def shop(fresh_sandbox: SandboxServer) -> Iterator[tuple[httpx.Client, list[str]]]:
    """A channel of 3 Pins on the suite's sandbox, and a client carrying its token."""
    state = fresh_sandbox.state
    original = state.clock
    state.clock = NOW.timestamp
    try:
        account = state.seed_account("analyst")
        ids = populate_channel(state, account.user_id, pins=3, days=30, boards=1, seed=3)
        headers = {"Authorization": f"Bearer {account.access_token}"}
        with httpx.Client(base_url=fresh_sandbox.api_base, headers=headers) as http:
            yield http, ids
    finally:
        state.clock = original


def test_comma_joined_pin_ids_get_the_specs_400(shop: tuple[httpx.Client, list[str]]) -> None:
    http, ids = shop
    # When the batch analytics are asked for with pin_ids comma-joined (explode false)
    joined = http.get("/pins/analytics", params={**WINDOW, "pin_ids": ",".join(ids[:2])})
    # Then the sandbox answers the spec's 400, naming the parameter
    assert joined.status_code == 400
    assert joined.json()["code"] == 1
    assert joined.json()["message"].startswith("query.pin_ids[0]:")
    # And one pin_ids parameter per id, as the spec declares, is answered
    exploded = http.get("/pins/analytics", params={**WINDOW, "pin_ids": ids[:2]})
    assert exploded.status_code == 200, exploded.text
    assert sorted(exploded.json()) == sorted(ids[:2])


def test_metric_types_given_twice_get_the_specs_400(shop: tuple[httpx.Client, list[str]]) -> None:
    http, ids = shop
    # When metric_types (form, explode false) is repeated instead of comma-joined
    params = [("start_date", "2024-06-01"), ("end_date", "2024-06-10"), ("pin_ids", ids[0]),
              ("metric_types", "IMPRESSION"), ("metric_types", "SAVE")]
    response = http.get("/pins/analytics", params=params)
    # Then the sandbox refuses it
    assert response.status_code == 400
    assert response.json()["message"].startswith("query.metric_types: given 2 times")


def test_pins_and_boards_carry_rfc3339_timestamps(shop: tuple[httpx.Client, list[str]]) -> None:
    http, ids = shop
    contract = load_contract()
    # When a Pin and the boards are read
    pin = http.get(f"/pins/{ids[0]}")
    boards = http.get("/boards")
    # Then created_at and board_pins_modified_at carry their UTC offset and conform to the spec
    assert pin.json()["created_at"].endswith("Z")
    board = boards.json()["items"][0]
    assert board["created_at"].endswith("Z") and board["board_pins_modified_at"].endswith("Z")
    assert contract.validate_response("GET", f"/v5/pins/{ids[0]}", 200, pin.json()) == []
    assert contract.validate_response("GET", "/v5/boards", 200, boards.json()) == []


def test_an_answer_that_breaks_the_spec_is_recorded_and_fails_the_run() -> None:
    # Given a sandbox whose Pin route answers created_at without a UTC offset
    def offsetless_pin(request: SandboxRequest) -> SandboxResponse:
        return SandboxResponse.json({"id": request.path_params["pin_id"], "board_id": "2",
                                     "created_at": "2026-11-24T10:45:44"})

    registry = RouteRegistry()
    registry.add("GET", "/v5/pins/{pin_id}", offsetless_pin)
    with SandboxServer(registry=registry, validate_responses=True) as server:
        # When the Pin is read
        answer = httpx.get(server.api_base + "/pins/123")
        assert answer.status_code == 200
    # Then the violation is recorded, and the suite's check fails on it
    assert server.response_violations == [
        "GET /v5/pins/123 -> 200: body.created_at: '2026-11-24T10:45:44' is not a 'date-time'"
    ]
    with pytest.raises(pytest.fail.Exception, match="1 sandbox answers broke"):
        fail_on_spec_violations(server)


def test_injected_faults_are_not_judged(fresh_sandbox: SandboxServer) -> None:
    # Given a fault that answers a gateway's text page, which breaks the spec on purpose
    fresh_sandbox.state.faults.add("GET", r"/v5/boards", status=502,
                                   body="<html>Bad gateway</html>", times=1)
    before = list(fresh_sandbox.response_violations)
    # When it is served
    assert httpx.get(fresh_sandbox.api_base + "/boards").status_code == 502
    # Then nothing is recorded against the sandbox
    assert fresh_sandbox.response_violations == before
