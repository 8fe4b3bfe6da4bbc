"""Requests per second the spec contract judges: stock openapi-core beside the prepared one.

The sandbox checks every ``/v5/`` request it receives (and, in tests, every answer) with
``providers.pinterest.contract``. This prints requests (and responses) validated per second for
typical calls of the worker, with openapi-core configured as shipped (``OpenAPI.from_dict``, spec
check off, security not judged: the same verdicts) and with the contract's prepared validators
(memoised factories, indexed path finder; see ``providers/pinterest/spec_validators.py``).
Nothing is asserted; medians of ``--rounds`` timed runs.

    python benchmarks/contract_validation.py [--seconds 1.0] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from openapi_core import Config, OpenAPI
from werkzeug.datastructures import Headers

from pinterest_agent.providers.pinterest.contract import load_contract, load_spec
from pinterest_agent.providers.pinterest.spec_validators import (
    FORMATS,
    PathIndex,
    SpecRequest,
    SpecResponse,
)

HOST = "https://api.pinterest.com"
WINDOW = [("start_date", "2025-01-01"), ("end_date", "2025-01-31")]
PIN_BODY = {
    "board_id": "549755885175", "title": "Easy weeknight pasta", "link": "https://example.com/p",
    "media_source": {"source_type": "image_url", "url": "https://example.com/pasta.jpg"},
}
PIN = {"id": "1", "board_id": "2", "created_at": "2025-01-02T03:04:05Z",
       "media": {"media_type": "image"}}

# (label, method, path, query, JSON body)
REQUESTS: list[tuple[str, str, str, list[tuple[str, str]], Any]] = [
    ("GET /boards", "GET", "/boards", [("page_size", "250")], None),
    ("POST /pins", "POST", "/pins", [], PIN_BODY),
    ("GET /pins/{id}/analytics", "GET", "/pins/123/analytics",
     [*WINDOW, ("metric_types", "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK"),
      ("split_field", "NO_SPLIT")], None),
    ("GET /pins/analytics (100 ids)", "GET", "/pins/analytics",
     [*[("pin_ids", str(10**14 + i)) for i in range(100)], *WINDOW,
      ("metric_types", "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK")], None),
]


def rate(call: Callable[[], object], seconds: float, rounds: int) -> float:
    call()  # warm caches
    rates = []
    for _ in range(rounds):
        count, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            call()
            count += 1
        rates.append(count / elapsed)
    return statistics.median(rates)


def stock_openapi() -> OpenAPI:
    from openapi_core.security.factories import SecurityProviderFactory
    from openapi_core.security.providers import BaseProvider

    class NotJudged(BaseProvider):
        def __call__(self, parameters: object) -> None:
            return None

    class NoSecurity(SecurityProviderFactory):
        def create(self, scheme: Any) -> Any:
            return NotJudged(scheme)

    return OpenAPI.from_dict(load_spec(), config=Config(
        spec_validator_cls=None, extra_format_validators=FORMATS,
        security_provider_factory=NoSecurity(),
    ))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    contract = load_contract()
    stock = stock_openapi()
    base = PathIndex(load_spec()).server_url.removeprefix(HOST)
    print(f"{'request':32} {'stock openapi-core':>20} {'contract (prepared)':>20} {'ratio':>7}")
    for label, method, path, query, body in REQUESTS:
        raw = json.dumps(body).encode() if body is not None else None
        kind = "application/json" if body is not None else ""

        def stock_call(method: str = method, path: str = path, query: Any = query,
                       raw: bytes | None = raw, kind: str = kind) -> object:
            request = SpecRequest.build(HOST, method, base + path, query, raw, kind)
            return list(stock.iter_request_errors(request))

        def contract_call(method: str = method, path: str = path, query: Any = query,
                          body: Any = body, kind: str = kind) -> object:
            return contract.validate_request(method, path, query, body, kind or None)

        assert stock_call() == [] and contract_call() == [], label
        slow = rate(stock_call, args.seconds, args.rounds)
        fast = rate(contract_call, args.seconds, args.rounds)
        print(f"{label:32} {slow:>16.0f} r/s {fast:>16.0f} r/s {fast / slow:>6.1f}x")
    page = {"items": [PIN] * 25, "bookmark": None}
    data = json.dumps(page).encode()

    def stock_response() -> object:
        request = SpecRequest.build(HOST, "GET", base + "/pins", [])
        response = SpecResponse(200, data, "application/json", Headers())
        return list(stock.iter_response_errors(request, response))

    def contract_response() -> object:
        return contract.validate_response("GET", "/pins", 200, page)

    assert stock_response() == [] and contract_response() == []
    slow = rate(stock_response, args.seconds, args.rounds)
    fast = rate(contract_response, args.seconds, args.rounds)
    label = "response: GET /pins, 25 Pins"
    print(f"{label:32} {slow:>16.0f} r/s {fast:>16.0f} r/s {fast / slow:>6.1f}x")


if __name__ == "__main__":
    main()
