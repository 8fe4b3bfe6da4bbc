"""The Pinterest OpenAPI contract: conforming requests pass, each kind of violation is reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from pinterest_agent.providers.pinterest.contract import (
    SpecContract,
    load_contract,
    load_spec,
    spec_bytes,
)
from pinterest_agent.providers.pinterest.errors import PinterestConfigurationError
from pinterest_agent.providers.pinterest.spec_tolerances import ONE_OF_AS_ANY_OF, apply_tolerances

SHARED_SPEC = Path(__file__).resolve().parents[2] / "shared/pinterest-openapi/openapi-v5.23.0.json"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
ANALYTICS_QUERY = {"start_date": "2025-01-01", "end_date": "2025-01-31"}


@pytest.fixture(scope="module")
def contract() -> SpecContract:
    return load_contract()


def pin_create(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "board_id": "549755885175",
        "title": "Easy weeknight pasta",
        "description": "A 20-minute pasta for busy evenings.",
        "link": "https://example.com/pasta",
        "alt_text": "A bowl of pasta",
        "media_source": {"source_type": "image_url", "url": "https://example.com/pasta.jpg"},
    }
    body.update(changes)
    return body


def test_a_valid_pin_create_conforms(contract: SpecContract) -> None:
    assert contract.validate_request("POST", "/pins", {}, pin_create(), JSON) == []
    assert contract.validate_request("POST", "/v5/pins", {}, pin_create(), JSON) == []


def test_a_title_of_101_characters_is_reported(contract: SpecContract) -> None:
    body = pin_create(title="x" * 101)
    violations = contract.validate_request("POST", "/v5/pins", {}, body, JSON)
    assert len(violations) == 1
    assert violations[0].startswith("body.title:")
    assert "maxLength=100" in violations[0]


def test_a_non_numeric_board_id_is_reported(contract: SpecContract) -> None:
    violations = contract.validate_request("POST", "/v5/pins", {}, pin_create(board_id="abc"), JSON)
    assert len(violations) == 1
    assert violations[0].startswith("body.board_id:")


def test_an_unknown_body_field_is_reported(contract: SpecContract) -> None:
    violations = contract.validate_request("POST", "/v5/pins", {}, pin_create(note="hi"), JSON)
    assert violations == ["body.note: unknown field (not in Pinterest's spec)"]


def test_an_unknown_nested_field_and_an_unknown_source_type_are_reported(
    contract: SpecContract,
) -> None:
    nested = pin_create(media_source={"source_type": "image_url", "url": "u", "size": 1})
    assert contract.validate_request("POST", "/v5/pins", {}, nested, JSON) == [
        "body.media_source.size: unknown field (not in Pinterest's spec)"
    ]
    unknown = pin_create(media_source={"source_type": "gif_url", "url": "u"})
    [violation] = contract.validate_request("POST", "/v5/pins", {}, unknown, JSON)
    assert violation.startswith("body.media_source.source_type: 'gif_url' is not one of")


def test_a_carousel_of_six_images_is_reported(contract: SpecContract) -> None:
    items = [{"url": f"https://example.com/{i}.jpg"} for i in range(6)]
    body = pin_create(media_source={"source_type": "multiple_image_urls", "items": items})
    [violation] = contract.validate_request("POST", "/v5/pins", {}, body, JSON)
    assert "maxItems=5" in violation


def test_comma_separated_metric_types_conform_and_a_bad_enum_is_reported(
    contract: SpecContract,
) -> None:
    good = {**ANALYTICS_QUERY, "metric_types": "IMPRESSION,SAVE"}
    assert contract.validate_request("GET", "/v5/pins/123/analytics", good, None, None) == []
    bad = {**ANALYTICS_QUERY, "metric_types": "IMPRESSION,LIKES"}
    [violation] = contract.validate_request("GET", "/v5/user_account/analytics", bad, None, None)
    assert violation.startswith("query.metric_types[1]: 'LIKES' is not one of")


def test_repeated_explode_false_parameters_are_reported(contract: SpecContract) -> None:
    query = {**ANALYTICS_QUERY, "metric_types": ["IMPRESSION", "SAVE"]}
    [violation] = contract.validate_request("GET", "/v5/user_account/analytics", query, None, None)
    assert "comma-separated" in violation


def test_page_size_251_is_reported(contract: SpecContract) -> None:
    assert contract.validate_request("GET", "/v5/boards", {"page_size": "250"}, None, None) == []
    [violation] = contract.validate_request("GET", "/v5/boards", {"page_size": "251"}, None, None)
    assert violation.startswith("query.page_size: 251 is greater than the maximum of 250")


def test_missing_required_and_unknown_query_parameters_are_reported(
    contract: SpecContract,
) -> None:
    violations = contract.validate_request("GET", "/v5/user_account/analytics",
                                           {"start_date": "2025-01-01", "color": "red"}, None, None)
    assert "query.end_date: required query parameter is missing" in violations
    assert any(v.startswith("query.color: unknown query parameter") for v in violations)


def test_an_unknown_path_and_a_bad_path_parameter_are_reported(contract: SpecContract) -> None:
    assert contract.validate_request("GET", "/v5/pinboards", {}, None, None) == [
        "GET /v5/pinboards: no such operation in Pinterest's API spec"
    ]
    assert contract.validate_request("PUT", "/v5/pins/1", {}, None, None)[0].startswith("PUT")
    [violation] = contract.validate_request("GET", "/v5/boards/abc/pins", {}, None, None)
    assert violation.startswith("path.board_id:")


def test_token_requests_are_form_encoded_and_may_ask_for_continuous_refresh(
    contract: SpecContract,
) -> None:
    refresh = {"grant_type": "refresh_token", "refresh_token": "pinr_x",
               "continuous_refresh": "true"}
    assert contract.validate_request("POST", "/v5/oauth/token", {}, refresh, FORM) == []
    code = {"grant_type": "authorization_code", "code": "c"}
    assert contract.validate_request("POST", "/v5/oauth/token", {}, code, FORM) == [
        "body: 'redirect_uri' is a required property"
    ]
    assert contract.validate_request("POST", "/v5/oauth/token", {}, refresh, JSON)[0].startswith(
        "body: content type application/json is not accepted"
    )
    odd = {**refresh, "client_secret": "s"}
    assert contract.validate_request("POST", "/v5/oauth/token", {}, odd, FORM) == [
        "body.client_secret: unknown field (not in Pinterest's spec)"
    ]


def test_responses_are_checked_against_the_documented_status(contract: SpecContract) -> None:
    pin = {"id": "1", "board_id": "2", "media": {"media_type": "image"}}
    assert contract.validate_response("GET", "/v5/pins/1", 200, pin) == []
    assert contract.validate_response("DELETE", "/v5/pins/1", 204, None) == []
    assert contract.validate_response("GET", "/v5/pins/1", 404, {"code": 50}) == [
        "body: 'message' is a required property"
    ]
    token = {"access_token": "a", "token_type": "bearer", "expires_in": 1, "scope": "s",
             "response_type": "refresh_token"}
    violations = contract.validate_response("POST", "/v5/oauth/token", 200, token)
    assert "body: 'refresh_token' is a required property" in violations


def test_required_scopes_come_from_the_operation_security(contract: SpecContract) -> None:
    assert frozenset({"boards:read", "boards:write", "pins:read", "pins:write"}) in (
        contract.required_scopes("POST", "/v5/pins")
    )
    assert contract.required_scopes("POST", "/v5/oauth/token") == []
    assert contract.operation_id("GET", "/v5/boards/1/pins") == "boards/list_pins"


def test_an_httpx_request_is_parsed_and_checked(contract: SpecContract) -> None:
    good = httpx.Request("POST", "https://api.pinterest.com/v5/pins", json=pin_create())
    assert contract.request_violations(good) == []
    form = httpx.Request("POST", "https://api.pinterest.com/v5/oauth/token",
                         data={"grant_type": "refresh_token", "refresh_token": "r"})
    assert contract.request_violations(form) == []
    bad = httpx.Request("GET", "https://api.pinterest.com/v5/boards", params={"page_size": 0})
    assert contract.request_violations(bad)[0].startswith("query.page_size:")


def test_pin_ids_are_sent_one_parameter_per_id(contract: SpecContract) -> None:
    # Given GET /pins/analytics, whose pin_ids declares no style: form, exploded
    exploded = [("pin_ids", "1"), ("pin_ids", "2"), *ANALYTICS_QUERY.items(),
                ("metric_types", "IMPRESSION,SAVE")]
    joined = [("pin_ids", "1,2"), *ANALYTICS_QUERY.items(), ("metric_types", "IMPRESSION,SAVE")]
    # Then pin_ids=1&pin_ids=2 conforms and pin_ids=1,2 is refused
    assert contract.validate_request("GET", "/v5/pins/analytics", exploded, None, None) == []
    [violation] = contract.validate_request("GET", "/v5/pins/analytics", joined, None, None)
    assert violation.startswith("query.pin_ids[0]: '1,2' does not match")


def test_a_date_time_needs_its_utc_offset(contract: SpecContract) -> None:
    # Given a Pin whose created_at has no offset, as the sandbox used to answer
    pin = {"id": "1", "board_id": "2", "created_at": "2026-11-24T10:45:44"}
    # Then the response breaks the spec's date-time (RFC 3339); with an offset it conforms
    assert contract.validate_response("GET", "/v5/pins/1", 200, pin) == [
        "body.created_at: '2026-11-24T10:45:44' is not a 'date-time'"
    ]
    for stamp in ("2026-11-24T10:45:44Z", "2026-11-24T10:45:44+01:00"):
        assert contract.validate_response("GET", "/v5/pins/1", 200, {**pin, "created_at": stamp}) \
            == []
    board = {"id": "3", "name": "b", "board_pins_modified_at": "2026-11-24T10:45:44"}
    [violation] = contract.validate_response("GET", "/v5/boards/3", 200, board)
    assert violation.startswith("body.board_pins_modified_at:")


# -- the one tolerance ----------------------------------------------------------------------------


def _differences(before: object, after: object, pointer: str = "") -> list[str]:
    """JSON pointers where two documents differ (a key added, removed or changed)."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[str] = []
        for key in sorted(before.keys() | after.keys()):
            child = f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}"
            if key not in before or key not in after:
                found.append(child)
            else:
                found += _differences(before[key], after[key], child)
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [d for i, (b, a) in enumerate(zip(before, after, strict=True))
                for d in _differences(b, a, f"{pointer}/{i}")]
    return [] if before == after else [pointer]


def test_the_only_tolerance_reads_the_two_metric_types_oneofs_as_anyof() -> None:
    # Given the spec as Pinterest publishes it and the spec the contract judges with
    raw = json.loads(spec_bytes())
    judged = load_spec()
    # Then the patch list names exactly the two metric_types item schemas
    assert ONE_OF_AS_ANY_OF == (
        "/paths/~1pins~1analytics/get/parameters/4/schema/items",
        "/components/parameters/query_pin_analytics_metric_types/schema/items",
    )
    # And the two documents differ there only: oneOf became anyOf, nothing else moved
    assert sorted(_differences(raw, judged)) == sorted(
        f"{pointer}/{keyword}" for pointer in ONE_OF_AS_ANY_OF for keyword in ("anyOf", "oneOf")
    )


def test_shared_metric_values_pass_and_an_unknown_one_is_still_refused(
    contract: SpecContract,
) -> None:
    # Given values in both enums (IMPRESSION, SAVE), one in the video enum only, and an unknown
    batch = [("pin_ids", "1"), *ANALYTICS_QUERY.items()]
    for path, query in (("/v5/pins/analytics", batch),
                        ("/v5/pins/1/analytics", list(ANALYTICS_QUERY.items()))):
        good = [*query, ("metric_types", "IMPRESSION,SAVE,VIDEO_START")]
        bad = [*query, ("metric_types", "IMPRESSION,LIKES")]
        # Then the known values conform and the unknown one is refused
        assert contract.validate_request("GET", path, good, None, None) == [], path
        [violation] = contract.validate_request("GET", path, bad, None, None)
        assert violation.startswith("query.metric_types[1]: 'LIKES' is not valid under any"), path


def test_a_oneof_anywhere_else_stays_strict(contract: SpecContract) -> None:
    # Given an ad preview body that matches two branches of AdPreviewRequest's oneOf
    body = {"image_url": "https://example.com/a.jpg", "title": "Preview", "pin_id": "1"}
    # Then "exactly one" is enforced there
    [violation] = contract.validate_request("POST", "/v5/ad_accounts/1/ad_previews", {}, body,
                                            JSON)
    assert violation.startswith("body: ") and "is valid under each of" in violation


def test_another_oneof_of_enums_is_not_tolerated_and_a_moved_one_fails_loudly() -> None:
    # Given a spec with a third oneOf of overlapping enums somewhere else
    spec = json.loads(spec_bytes())
    union = {"oneOf": [{"type": "string", "enum": ["A", "B"]}, {"type": "string", "enum": ["A"]}]}
    spec["components"]["schemas"]["Overlap"] = json.loads(json.dumps(union))
    # When the tolerances are applied
    apply_tolerances(spec)
    # Then it stays a oneOf
    assert spec["components"]["schemas"]["Overlap"] == union
    # And a spec where a listed node is no longer a oneOf of enums is refused, not patched
    moved = json.loads(spec_bytes())
    moved["components"]["parameters"]["query_pin_analytics_metric_types"]["schema"]["items"] = {
        "type": "string", "enum": ["IMPRESSION"],
    }
    with pytest.raises(PinterestConfigurationError) as caught:
        apply_tolerances(moved)
    assert caught.value.code == "spec_tolerance_stale"


def test_the_packaged_spec_is_the_shared_one() -> None:
    if not SHARED_SPEC.exists():
        pytest.skip(f"{SHARED_SPEC} is not on this machine")
    assert spec_bytes() == SHARED_SPEC.read_bytes()
    assert json.loads(spec_bytes())["info"]["version"] == "5.23.0"
