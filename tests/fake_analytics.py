"""A fake Pinterest serving the recorded analytics fixtures (``fixtures/analytics``) over
``httpx.MockTransport``, for the analytics provider, metrics and insight tests.

The fixture channel (two boards, eight Pins, a 14-day account window 2024-05-28..2024-06-10 with
READY, ESTIMATE and PROCESSING days) is described with its hand-computed figures in
``tests/test_insights_metrics.py``. Every request is checked against Pinterest's OpenAPI contract;
a violation fails the test at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from pinterest_agent.providers.pinterest.client import PinterestClient
from pinterest_agent.providers.pinterest.contract import load_contract

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "analytics"
API_BASE = "https://api.pinterest.test/v5"
#: The fixture's "now": a Tuesday morning; yesterday (2024-06-10) is the window's last day.
FIXTURE_NOW = datetime(2024, 6, 11, 9, 0, tzinfo=UTC)
LIFETIME = frozenset({"TOTAL_COMMENTS", "TOTAL_REACTIONS"})


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def error(status: int, code: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "message": message})


class FixturePinterest:
    """Routes the analytics endpoints to the fixtures; records every request.

    ``batch_refusal`` makes ``GET /pins/analytics`` answer with that response (e.g. 403 for an
    app without the beta); ``account_refusal`` does the same for ``/user_account/analytics``.
    A batch naming a Pin of ``deleted`` answers 404 code 50, as Pinterest's does.
    """

    def __init__(
        self,
        *,
        batch_refusal: Callable[[], httpx.Response] | None = None,
        account_refusal: Callable[[], httpx.Response] | None = None,
        deleted: set[str] | None = None,
    ) -> None:
        self.batch_refusal = batch_refusal
        self.account_refusal = account_refusal
        self.deleted = deleted or set()
        self.requests: list[httpx.Request] = []
        self.bulk: dict[str, Any] = load("pins_analytics_batch.json")
        self.pages = [load("pins_page1.json"), load("pins_page2.json")]
        self.pins = {item["id"]: item for page in self.pages for item in page["items"]}

    def client(self) -> PinterestClient:
        http = httpx.Client(base_url=API_BASE, transport=httpx.MockTransport(self))
        return PinterestClient(http, "fixture-token")

    def paths(self) -> list[str]:
        return [r.url.path.removeprefix("/v5") for r in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        violations = load_contract().request_violations(request)
        assert violations == [], f"{request.method} {request.url}: {violations}"
        self.requests.append(request)
        path = request.url.path.removeprefix("/v5")
        params = request.url.params
        metric_types = set(params.get("metric_types", "").split(",")) - {""}
        assert not (metric_types & LIFETIME and metric_types - LIFETIME), "mixed metric kinds"
        if path == "/user_account/analytics":
            if self.account_refusal is not None:
                return self.account_refusal()
            return httpx.Response(200, json=load("user_account_analytics.json"))
        if path == "/user_account/analytics/top_pins":
            return httpx.Response(200, json=load("top_pins.json"))
        if path == "/boards":
            return httpx.Response(200, json=load("boards.json"))
        if path == "/pins":
            page = self.pages[1] if params.get("bookmark") else self.pages[0]
            return httpx.Response(200, json=page)
        if path == "/pins/analytics":
            if self.batch_refusal is not None:
                return self.batch_refusal()
            ids = params.get_list("pin_ids")
            assert len(ids) <= 100
            if self.deleted & set(ids):
                return error(404, 50, "Pin not found.")
            return httpx.Response(
                200, json={i: self._groups(i, metric_types) for i in ids if i in self.bulk}
            )
        parts = path.strip("/").split("/")
        if parts[0] == "pins" and len(parts) == 3 and parts[2] == "analytics":
            if parts[1] not in self.bulk:
                return error(404, 50, "Pin not found.")
            return httpx.Response(200, json=self._groups(parts[1], metric_types))
        if parts[0] == "pins" and len(parts) == 2:
            if parts[1] not in self.pins:
                return error(404, 50, "Pin not found.")
            return httpx.Response(200, json=self.pins[parts[1]])
        return error(404, 404, f"no fixture route for {path}")

    def _groups(self, pin_id: str, metric_types: set[str]) -> dict[str, Any]:
        group = self.bulk[pin_id]["all"]
        if metric_types <= LIFETIME:
            metrics = (self.pins[pin_id].get("pin_metrics") or {}).get("lifetime_metrics", {})
            lifetime = {"TOTAL_COMMENTS": metrics.get("comment", 0),
                        "TOTAL_REACTIONS": metrics.get("reaction", 0)}
            return {"all": {"lifetime_metrics": lifetime}}
        return {"all": group}
