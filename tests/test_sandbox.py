"""The local Pinterest sandbox, driven over loopback with a real httpx client.

Every response of a ``/v5/`` call is checked against Pinterest's OpenAPI spec by an event hook,
so each story here also proves the sandbox speaks the spec's shapes.
"""

from __future__ import annotations

import base64
import io
import ssl
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image

from providers.pinterest.contract import load_contract
from providers.sandbox.routes import RouteRegistry, SandboxRequest, SandboxResponse
from providers.sandbox.server import SandboxServer, build_registry
from providers.sandbox.state import SeedResult
from tests.helpers import fail_on_spec_violations

REDIRECT_URI = "https://app.example.com/pinterest/callback"
SCOPE = "boards:read,boards:write,pins:read,pins:write,user_accounts:read"


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(media_polls=2, validate_responses=True) as sandbox:
        yield sandbox
    fail_on_spec_violations(sandbox)


@pytest.fixture()
def sandbox(server: SandboxServer) -> SandboxServer:
    server.state.reset()
    return server


@pytest.fixture()
def violations() -> list[str]:
    return []


@pytest.fixture()
def client(sandbox: SandboxServer, violations: list[str]) -> Iterator[httpx.Client]:
    contract = load_contract()

    def check(response: httpx.Response) -> None:
        response.read()
        request = response.request
        if not request.url.path.startswith("/v5/"):
            return
        assert "x-pinterest-rid" in response.headers
        body = response.json() if response.content else None
        found = contract.validate_response(request.method, request.url.path,
                                           response.status_code, body)
        violations.extend(f"{request.method} {request.url.path}: {v}" for v in found)

    with httpx.Client(base_url=sandbox.base_url, event_hooks={"response": [check]}) as http:
        yield http
    assert violations == []


@pytest.fixture()
def account(sandbox: SandboxServer) -> SeedResult:
    return sandbox.state.seed_account("shop_owner")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def image_pin(board_id: str, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "board_id": board_id, "title": "Linen summer dress", "link": "https://shop.example/dress",
        "media_source": {"source_type": "image_url", "url": "https://cdn.example/dress.jpg"},
    }
    body.update(changes)
    return body


def authorize(client: httpx.Client, sandbox: SandboxServer) -> str:
    response = client.get("/oauth/", params={
        "client_id": sandbox.state.app_id, "redirect_uri": REDIRECT_URI,
        "response_type": "code", "scope": SCOPE, "state": "csrf-123",
    })
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["csrf-123"]
    return query["code"][0]


def token_call(client: httpx.Client, sandbox: SandboxServer, **form: str) -> httpx.Response:
    app = (sandbox.state.app_id, sandbox.state.app_secret)
    return client.post("/v5/oauth/token", data=form, auth=app)


# -- OAuth ------------------------------------------------------------------------------------


def test_the_code_flow_issues_tokens_that_open_the_account(
    sandbox: SandboxServer, client: httpx.Client
) -> None:
    # Given a user who approves the app on the authorize page
    code = authorize(client, sandbox)
    # When the app exchanges the code with its Basic credentials
    response = token_call(client, sandbox, grant_type="authorization_code", code=code,
                          redirect_uri=REDIRECT_URI)
    # Then it gets both tokens, and the access token opens the account
    assert response.status_code == 200
    tokens = response.json()
    assert tokens["response_type"] == "authorization_code"
    assert tokens["scope"] == SCOPE
    assert tokens["refresh_token"].startswith("pinr_")
    me = client.get("/v5/user_account", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "sandbox_user"
    # And the code is single-use
    again = token_call(client, sandbox, grant_type="authorization_code", code=code,
                       redirect_uri=REDIRECT_URI)
    assert again.status_code == 400
    assert sandbox.state.request_count("POST", "/v5/oauth/token") == 2


def test_the_code_exchange_needs_the_same_redirect_uri_and_the_app_credentials(
    sandbox: SandboxServer, client: httpx.Client
) -> None:
    code = authorize(client, sandbox)
    wrong_uri = token_call(client, sandbox, grant_type="authorization_code", code=code,
                           redirect_uri="https://elsewhere.example/cb")
    assert wrong_uri.status_code == 400
    no_app = client.post("/v5/oauth/token", data={"grant_type": "authorization_code",
                                                  "code": authorize(client, sandbox),
                                                  "redirect_uri": REDIRECT_URI})
    assert no_app.status_code == 401
    assert no_app.json() == {"code": 2, "message": "Authentication failed."}


def test_the_authorize_page_refuses_incomplete_requests(client: httpx.Client) -> None:
    response = client.get("/oauth/", params={"client_id": "sandbox-app"})
    assert response.status_code == 400
    assert "redirect_uri" in response.text


def test_refresh_rotates_the_refresh_token(
    sandbox: SandboxServer, client: httpx.Client, account: SeedResult
) -> None:
    # Given a connected account
    # When the app refreshes (asking for continuous refresh, as old apps must)
    first = token_call(client, sandbox, grant_type="refresh_token",
                       refresh_token=account.refresh_token, continuous_refresh="true")
    # Then it gets a new access token and a NEW refresh token
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["response_type"] == "refresh_token"
    assert rotated["refresh_token"] != account.refresh_token
    assert client.get("/v5/user_account",
                      headers=bearer(rotated["access_token"])).status_code == 200
    # And the old refresh token is dead while the new one works
    stale = token_call(client, sandbox, grant_type="refresh_token",
                       refresh_token=account.refresh_token)
    assert stale.status_code == 400
    fresh = token_call(client, sandbox, grant_type="refresh_token",
                       refresh_token=rotated["refresh_token"])
    assert fresh.status_code == 200


def test_expired_and_unknown_access_tokens_get_401(
    sandbox: SandboxServer, client: httpx.Client, account: SeedResult
) -> None:
    assert client.get("/v5/boards", headers=bearer(account.access_token)).status_code == 200
    sandbox.state.expire_access_tokens()
    expired = client.get("/v5/boards", headers=bearer(account.access_token))
    assert expired.status_code == 401
    assert expired.json() == {"code": 2, "message": "Authentication failed."}
    assert client.get("/v5/boards", headers=bearer("pina_nope")).status_code == 401
    born_expired = sandbox.state.seed_account("late", expired_access_token=True)
    assert client.get("/v5/boards",
                      headers=bearer(born_expired.access_token)).status_code == 401


def test_a_token_without_the_needed_scope_gets_401_code_3(
    sandbox: SandboxServer, client: httpx.Client
) -> None:
    reader = sandbox.state.seed_account("reader", scope="boards:read,pins:read")
    auth = bearer(reader.access_token)
    assert client.get("/v5/boards", headers=auth).status_code == 200
    refused = client.post("/v5/pins", headers=auth, json=image_pin(reader.board_id))
    assert refused.status_code == 401
    assert refused.json()["code"] == 3
    assert "pins:write" in refused.json()["message"]


# -- boards -----------------------------------------------------------------------------------


def test_boards_are_listed_across_three_pages(
    sandbox: SandboxServer, client: httpx.Client, account: SeedResult
) -> None:
    # Given six boards (the seeded one and five more)
    auth = bearer(account.access_token)
    for index in range(5):
        created = client.post("/v5/boards", headers=auth, json={"name": f"Board {index}"})
        assert created.status_code == 201
    # When they are listed two at a time, following the bookmark
    seen: list[str] = []
    pages = 0
    bookmark: str | None = None
    while True:
        params = {"page_size": "2", **({"bookmark": bookmark} if bookmark else {})}
        page = client.get("/v5/boards", headers=auth, params=params).json()
        pages += 1
        seen += [board["name"] for board in page["items"]]
        bookmark = page["bookmark"]
        if not bookmark:
            break
    # Then there are three pages, oldest board first, none repeated
    assert pages == 3
    assert seen == ["Sandbox board", *(f"Board {i}" for i in range(5))]


def test_an_unknown_board_is_404_code_40(client: httpx.Client, account: SeedResult) -> None:
    response = client.get("/v5/boards/123456", headers=bearer(account.access_token))
    assert response.status_code == 404
    assert response.json() == {"code": 40, "message": "Board not found."}


def test_sections_are_created_and_listed(client: httpx.Client, account: SeedResult) -> None:
    auth = bearer(account.access_token)
    path = f"/v5/boards/{account.board_id}/sections"
    created = client.post(path, headers=auth, json={"name": "Dresses"})
    assert created.status_code == 201
    assert client.get(path, headers=auth).json()["items"] == [created.json()]


# -- pins -------------------------------------------------------------------------------------


def test_a_pin_is_created_read_listed_and_deleted(
    sandbox: SandboxServer, client: httpx.Client, account: SeedResult
) -> None:
    auth = bearer(account.access_token)
    # When two pins are created on the board
    first = client.post("/v5/pins", headers=auth, json=image_pin(account.board_id, title="One"))
    second = client.post("/v5/pins", headers=auth, json=image_pin(account.board_id, title="Two"))
    assert (first.status_code, second.status_code) == (201, 201)
    pin_id = first.json()["id"]
    assert pin_id.isdigit()
    # Then they read back, with metrics on request, and the board lists them newest first
    read = client.get(f"/v5/pins/{pin_id}", headers=auth, params={"pin_metrics": "true"})
    assert read.json()["title"] == "One"
    assert "lifetime_metrics" in read.json()["pin_metrics"]
    listed = client.get(f"/v5/boards/{account.board_id}/pins", headers=auth).json()["items"]
    assert [pin["title"] for pin in listed] == ["Two", "One"]
    assert [p.id for p in sandbox.state.pins_on_board(account.board_id)] == [
        second.json()["id"], pin_id
    ]
    # And a deleted pin is gone
    assert client.delete(f"/v5/pins/{pin_id}", headers=auth).status_code == 204
    gone = client.get(f"/v5/pins/{pin_id}", headers=auth)
    assert gone.status_code == 404
    assert gone.json()["code"] == 50


def test_a_pin_needs_a_board_the_user_owns(
    sandbox: SandboxServer, client: httpx.Client, account: SeedResult
) -> None:
    auth = bearer(account.access_token)
    unknown = client.post("/v5/pins", headers=auth, json=image_pin("999999"))
    assert (unknown.status_code, unknown.json()["code"]) == (404, 40)
    other = sandbox.state.seed_account("someone_else")
    foreign = client.post("/v5/pins", headers=auth, json=image_pin(other.board_id))
    assert foreign.status_code == 403
    no_source = client.post("/v5/pins", headers=auth, json={"board_id": account.board_id})
    assert no_source.status_code == 400


def test_a_request_the_spec_rejects_gets_400_and_changes_nothing(
    sandbox: SandboxServer, client: httpx.Client, account: SeedResult
) -> None:
    auth = bearer(account.access_token)
    too_long = client.post("/v5/pins", headers=auth,
                           json=image_pin(account.board_id, title="x" * 101))
    assert too_long.status_code == 400
    assert too_long.json()["code"] == 1
    assert "body.title" in too_long.json()["message"]
    unknown_field = client.post("/v5/pins", headers=auth,
                                json=image_pin(account.board_id, note="legacy"))
    assert "body.note: unknown field" in unknown_field.json()["message"]
    too_big_page = client.get("/v5/boards", headers=auth, params={"page_size": "251"})
    assert too_big_page.status_code == 400
    assert sandbox.state.pins_on_board(account.board_id) == []


def test_image_sources_are_checked_like_pinterest_does(
    client: httpx.Client, account: SeedResult
) -> None:
    auth = bearer(account.access_token)
    unreachable = image_pin(account.board_id, media_source={
        "source_type": "image_url", "url": "https://unreachable.example/a.jpg"})
    refused = client.post("/v5/pins", headers=auth, json=unreachable)
    assert refused.status_code == 400
    assert refused.json() == {"code": 1, "message": "Sorry we could not fetch the image."}

    jpeg = client.get("/_sandbox/images/dress-100x150.jpg").content
    real = image_pin(account.board_id, media_source={
        "source_type": "image_base64", "content_type": "image/jpeg",
        "data": base64.b64encode(jpeg).decode()})
    assert client.post("/v5/pins", headers=auth, json=real).status_code == 201
    fake = image_pin(account.board_id, media_source={
        "source_type": "image_base64", "content_type": "image/png",
        "data": base64.b64encode(b"not an image").decode()})
    assert client.post("/v5/pins", headers=auth, json=fake).status_code == 400

    carousel = image_pin(account.board_id, media_source={
        "source_type": "multiple_image_urls",
        "items": [{"url": f"https://cdn.example/{i}.jpg"} for i in range(3)]})
    created = client.post("/v5/pins", headers=auth, json=carousel)
    assert created.status_code == 201
    assert created.json()["creative_type"] == "CAROUSEL"


# -- media ------------------------------------------------------------------------------------


def test_a_video_is_registered_uploaded_polled_and_pinned(
    sandbox: SandboxServer, client: httpx.Client, account: SeedResult
) -> None:
    auth = bearer(account.access_token)
    registered = client.post("/v5/media", headers=auth, json={"media_type": "video"})
    assert registered.status_code == 201
    media = registered.json()
    assert media["upload_url"] == f"{sandbox.base_url}/_sandbox/upload/{media['media_id']}"
    status_url = f"/v5/media/{media['media_id']}"
    assert client.get(status_url, headers=auth).json()["status"] == "registered"
    video_pin = image_pin(account.board_id, media_source={
        "source_type": "video_id", "media_id": media["media_id"],
        "cover_image_key_frame_time": 0})
    assert client.post("/v5/pins", headers=auth, json=video_pin).status_code == 400

    uploaded = client.post(media["upload_url"], data=media["upload_parameters"],
                           files={"file": ("clip.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4")})
    assert uploaded.status_code == 204
    statuses = [client.get(status_url, headers=auth).json()["status"] for _ in range(3)]
    assert statuses == ["processing", "succeeded", "succeeded"]
    created = client.post("/v5/pins", headers=auth, json=video_pin)
    assert created.status_code == 201
    assert created.json()["media"]["media_type"] == "video"


def test_an_upload_without_content_length_gets_411(
    client: httpx.Client, account: SeedResult
) -> None:
    media = client.post("/v5/media", headers=bearer(account.access_token),
                        json={"media_type": "video"}).json()

    def streamed() -> Iterator[bytes]:
        yield b"--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nvideo\r\n--x--\r\n"

    response = client.post(media["upload_url"], content=streamed(),
                           headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 411
    assert "MissingContentLength" in response.text


def test_an_upload_missing_a_parameter_is_refused(
    client: httpx.Client, account: SeedResult
) -> None:
    media = client.post("/v5/media", headers=bearer(account.access_token),
                        json={"media_type": "video"}).json()
    partial = {k: v for k, v in media["upload_parameters"].items() if k != "policy"}
    response = client.post(media["upload_url"], data=partial,
                           files={"file": ("clip.mp4", b"video", "video/mp4")})
    assert response.status_code == 403
    assert "policy" in response.text


# -- faults -----------------------------------------------------------------------------------


def test_a_fault_answers_429_twice_then_the_request_succeeds(
    sandbox: SandboxServer, client: httpx.Client, account: SeedResult
) -> None:
    # Given a rate-limit fault on pin creation for two requests
    fault = sandbox.state.faults.add("POST", "/v5/pins", status=429, times=2,
                                     headers={"Retry-After": "1", "x-ratelimit-remaining": "0"})
    auth = bearer(account.access_token)
    # When the client tries three times
    answers = [client.post("/v5/pins", headers=auth, json=image_pin(account.board_id))
               for _ in range(3)]
    # Then the first two are refused with Pinterest's envelope and hints, the third creates
    assert [a.status_code for a in answers] == [429, 429, 201]
    assert answers[0].json()["code"] == 8
    assert answers[0].headers["Retry-After"] == "1"
    assert fault.hits == 2
    assert len(sandbox.state.pins_on_board(account.board_id)) == 1
    assert sandbox.state.request_count("POST", "/v5/pins") == 3


def test_an_after_fault_creates_the_pin_but_answers_an_error(
    sandbox: SandboxServer, client: httpx.Client, account: SeedResult
) -> None:
    sandbox.state.faults.add("POST", "/v5/pins", status=503, times=1, after=True)
    response = client.post("/v5/pins", headers=bearer(account.access_token),
                           json=image_pin(account.board_id))
    assert response.status_code == 503
    assert len(sandbox.state.pins_on_board(account.board_id)) == 1


def test_listings_can_lag_behind_creates(
    sandbox: SandboxServer, client: httpx.Client, account: SeedResult
) -> None:
    # Given listings that lag 60 s behind creates, as Pinterest's may
    assert client.post("/_sandbox/listing_lag", json={"listing_lag_ms": 60_000}).status_code == 200
    auth = bearer(account.access_token)
    # When a Pin is created
    created = client.post("/v5/pins", headers=auth, json=image_pin(account.board_id))
    assert created.status_code == 201
    # Then it reads back at once, but no listing shows it yet
    assert client.get(f"/v5/pins/{created.json()['id']}", headers=auth).status_code == 200
    assert client.get(f"/v5/boards/{account.board_id}/pins", headers=auth).json()["items"] == []
    assert client.get("/v5/pins", headers=auth).json()["items"] == []
    # And without the lag it is listed
    assert client.post("/_sandbox/listing_lag", json={"listing_lag_ms": 0}).status_code == 200
    listed = client.get(f"/v5/boards/{account.board_id}/pins", headers=auth).json()["items"]
    assert [pin["id"] for pin in listed] == [created.json()["id"]]
    assert client.post("/_sandbox/listing_lag", json={"listing_lag_ms": -1}).status_code == 400


def test_faults_can_be_added_over_http(
    sandbox: SandboxServer, client: httpx.Client, account: SeedResult
) -> None:
    spam = {"code": 8, "message": "Your request was blocked as spam."}
    added = client.post("/_sandbox/faults", json={"method": "POST", "path": "/v5/pins",
                                                  "status": 429, "body": spam, "times": 1})
    assert added.status_code == 201
    assert client.get("/_sandbox/faults").json()["items"][0]["status"] == 429
    blocked = client.post("/v5/pins", headers=bearer(account.access_token),
                          json=image_pin(account.board_id))
    assert blocked.status_code == 429
    assert "spam" in blocked.json()["message"]
    assert client.get("/_sandbox/faults").json()["items"] == []
    bad = client.post("/_sandbox/faults", json={"path": "/v5/pins", "colour": "red"})
    assert bad.status_code == 400


def test_a_hanging_fault_trips_the_client_timeout(
    sandbox: SandboxServer, account: SeedResult
) -> None:
    sandbox.state.faults.add("GET", "/v5/user_account", hang_s=5, times=1)
    with httpx.Client(base_url=sandbox.api_base, timeout=0.2) as impatient, \
            pytest.raises(httpx.ReadTimeout):
        impatient.get("/user_account", headers=bearer(account.access_token))


# -- control, pages, images, plug-ins ---------------------------------------------------------


def test_control_endpoints_seed_count_and_reset(client: httpx.Client) -> None:
    seeded = client.post("/_sandbox/seed", json={"username": "demo"})
    assert seeded.status_code == 201
    token = seeded.json()["access_token"]
    assert client.get("/v5/user_account", headers=bearer(token)).json()["username"] == "demo"
    stats = client.get("/_sandbox/stats").json()
    assert stats["users"] == 1
    assert stats["requests"]["GET /v5/user_account"] == 1
    assert client.post("/_sandbox/reset").status_code == 200
    assert client.get("/v5/user_account", headers=bearer(token)).status_code == 401


def test_pages_statuses_redirects_and_images_for_preflight(client: httpx.Client) -> None:
    page = client.get("/_sandbox/pages/spring/linen-dress")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert client.head("/_sandbox/pages/anything").status_code == 200
    assert client.get("/_sandbox/status/410").status_code == 410
    moved = client.get("/_sandbox/redirect", params={"to": "https://example.com/x"})
    assert (moved.status_code, moved.headers["Location"]) == (302, "https://example.com/x")
    image = client.get("/_sandbox/images/hero-1000x1500.jpg")
    assert image.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(image.content)).size == (1000, 1500)


def test_an_https_listener_serves_the_same_pages_with_a_throwaway_ca() -> None:
    with SandboxServer(https=True) as secure:
        assert secure.ca_file is not None
        assert secure.https_base_url.startswith("https://127.0.0.1:")
        trust = ssl.create_default_context(cafile=str(secure.ca_file))
        with httpx.Client(base_url=secure.https_base_url, verify=trust) as http:
            assert http.get("/_sandbox/pages/dress").status_code == 200
            assert http.get("/_sandbox/pages/shoes").status_code == 200
        with httpx.Client(base_url=secure.https_base_url) as untrusting, \
                pytest.raises(httpx.ConnectError):
            untrusting.get("/_sandbox/pages/dress")


def test_missing_optional_route_modules_are_skipped() -> None:
    registry = build_registry(("providers.sandbox.not_written_yet",))
    assert registry.match("POST", "/v5/pins") is not None


def test_literal_routes_win_over_parameters() -> None:
    registry = RouteRegistry()

    def one(request: SandboxRequest) -> SandboxResponse:
        return SandboxResponse.json({"which": request.path_params})

    registry.add("GET", "/v5/pins/{pin_id}", one)
    analytics = registry.add("GET", "/v5/pins/analytics", one)
    found = registry.match("GET", "/v5/pins/analytics")
    assert found is not None and found[0] is analytics
    by_id = registry.match("GET", "/v5/pins/42")
    assert by_id is not None and by_id[1] == {"pin_id": "42"}


def test_the_public_surface_is_pinned() -> None:
    import providers.sandbox

    assert sorted(providers.sandbox.__all__) == [
        "ApiError", "Fault", "FaultRegistry", "Route", "RouteRegistry", "SandboxRequest",
        "SandboxResponse", "SandboxServer", "SandboxState", "SeedResult", "serve",
    ]
