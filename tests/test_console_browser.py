"""The console as an operator uses it, in a real headless Chromium (Debian's, with its driver).

Against the suite's sandbox and real worker threads: log in, connect a sandbox account through
Pinterest's OAuth page, create and pick a board, build an insight, open each tab and check its
charts and tables, press "Write this Pin" and see the job drafted; the browser's console log
must stay free of errors. Screenshots are saved under the test's tmp path (their paths are
printed), or in ``$CONSOLE_SCREENSHOTS_DIR`` when set. Without Chromium (``.ci/run`` installs
it) the test is skipped, loudly.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from starlette.types import Receive, Scope, Send

from pinterest_agent.agents.messages import SocialPost
from pinterest_agent.providers.sandbox.analytics_data import populate_channel
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.providers.sandbox.tls import make_tls
from pinterest_agent.queues.console.network import ConsoleNetwork
from pinterest_agent.queues.jobs.schedule import schedule_post
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from tests.conftest import Channel, RunningWorker
from tests.console_support import (
    PASSWORD,
    SESSION_COOKIE,
    console_app,
    csrf_of,
    llm_settings,
)
from tests.helpers import post_payload, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1280,1600")


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer) -> Settings:
    return llm_settings(prefix, fresh_sandbox)


def _serve(app: Any, **config: Any) -> Iterator[int]:
    """Serve ``app`` with uvicorn on a free loopback port, in a thread, as ``pinterest-agent
    console`` does (without uvicorn's own proxy headers: the app has them); yields the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False,
                                           lifespan="off", proxy_headers=False, **config))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started)
    yield port
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture()
def console_url(runtime: Runtime) -> Iterator[str]:
    """The console served by uvicorn on a free loopback port, in a thread."""
    for port in _serve(console_app(runtime)):
        yield f"http://127.0.0.1:{port}"


class TLSProxy:
    """A TLS-terminating reverse proxy set up for the console as nginx would be: the browser's
    ``Host`` kept, ``X-Forwarded-Proto: https`` and ``X-Forwarded-For`` added."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        hop = {b"connection", b"keep-alive", b"x-forwarded-proto", b"x-forwarded-for"}
        headers = [(k, v) for k, v in scope["headers"] if k not in hop]
        headers += [(b"x-forwarded-proto", b"https"),
                    (b"x-forwarded-for", scope["client"][0].encode())]
        target = self.upstream + scope["raw_path"].decode()
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode()
        async with httpx.AsyncClient(trust_env=False) as client:
            answer = await client.request(scope["method"], target, headers=headers,
                                          content=body)
        dropped = {b"connection", b"transfer-encoding", b"content-length", b"content-encoding"}
        await send({"type": "http.response.start", "status": answer.status_code,
                    "headers": [(k, v) for k, v in answer.headers.raw
                                if k.lower() not in dropped]})
        await send({"type": "http.response.body", "body": answer.content})


@pytest.fixture()
def tls_console(runtime: Runtime) -> Iterator[tuple[str, str]]:
    """The console on a plain loopback port, trusting the TLS proxy in front of it (on
    127.0.0.1), which browsers reach as ``https://console.test:PORT``; yields that URL and the
    base64 SHA-256 of the certificate's public key (for Chromium to trust it)."""
    tls = make_tls(("console.test",))
    cert = x509.load_pem_x509_certificate(tls.cert_file.read_bytes())
    spki = base64.b64encode(hashlib.sha256(cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).digest())
    network = ConsoleNetwork(forwarded_allow_ips=("127.0.0.1",), allowed_hosts=("console.test",))
    for console_port in _serve(console_app(runtime, network=network)):
        proxy = TLSProxy(f"http://127.0.0.1:{console_port}")
        for port in _serve(proxy, ssl_certfile=str(tls.cert_file),
                           ssl_keyfile=str(tls.key_file)):
            yield f"https://console.test:{port}", spki.decode()


def _chromium(tmp_path: Path, *extra_flags: str) -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("CHROMIUM IS NOT INSTALLED: the console's browser test did NOT run; "
                    "install Debian's chromium and chromium-driver (.ci/run does)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, *extra_flags):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture()
def browser(tmp_path: Path) -> Iterator[Any]:
    yield from _chromium(tmp_path)


@pytest.fixture()
def tls_browser(tmp_path: Path, tls_console: tuple[str, str]) -> Iterator[Any]:
    """Chromium resolving ``console.test`` to loopback and trusting the proxy's certificate by
    its public key only (not every certificate), as it would a real one."""
    _, spki = tls_console
    yield from _chromium(tmp_path, "--host-resolver-rules=MAP console.test 127.0.0.1",
                         f"--ignore-certificate-errors-spki-list={spki}")


SCREENSHOTS_ENV = "CONSOLE_SCREENSHOTS_DIR"
"""Where the screenshots go when set (a folder kept after the run), else the test's tmp path."""


class Shots:
    def __init__(self, driver: Any, directory: Path, *, prefix: str = "") -> None:
        self.driver = driver
        kept = os.environ.get(SCREENSHOTS_ENV)
        self.directory = Path(kept) if kept else directory
        self.prefix = prefix
        directory = self.directory
        directory.mkdir(parents=True, exist_ok=True)
        self.paths: list[Path] = []
        self.violations: list[str] = []

    def __call__(self, name: str) -> None:
        """Screenshot the page, and collect axe-core's serious violations on it."""
        self.violations.extend(accessibility_violations(self.driver))
        path = self.directory / f"{self.prefix}{len(self.paths) + 1:02d}-{name}.png"
        height = self.driver.execute_script("return document.body.scrollHeight")
        self.driver.set_window_size(1280, min(max(int(height) + 40, 800), 4000))
        self.driver.save_screenshot(str(path))
        self.paths.append(path)


AXE = Path(__file__).parent / "axe" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"  # 4.14.1
SERIOUS = ("serious", "critical")


def _axe_source() -> str:
    data = AXE.read_bytes()
    assert hashlib.sha256(data).hexdigest() == AXE_SHA256, "tests/axe/axe.min.js was changed"
    return data.decode()


def accessibility_violations(driver: Any) -> list[str]:
    """Run axe-core on the page (injected by WebDriver: the page's CSP governs its own scripts,
    not WebDriver's) and return its serious and critical violations, one line each."""
    driver.execute_script(_axe_source())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations), e => done(String(e)));")
    assert isinstance(result, list), f"axe-core did not run: {result}"
    return [f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. "
            f"{v['nodes'][0]['target']}) on {driver.current_url}"
            for v in result if v.get("impact") in SERIOUS]


def _errors(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] in ("SEVERE", "ERROR")]


def _css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    found: list[Any] = driver.find_elements(By.CSS_SELECTOR, selector)
    return found


def _arrive(driver: Any, url: str) -> None:
    """Wait until the browser has loaded ``url`` (a click returns before the next page)."""
    def there() -> bool:
        return bool(driver.current_url == url and driver.execute_script(
            "return document.readyState") == "complete")
    try:
        wait_for(there)
    except AssertionError:
        raise AssertionError(f"expected {url}, at {driver.current_url}: "
                             f"{driver.page_source[-1500:]}") from None


def _until_on_page(driver: Any, url: str, selector: str, text: str | None = None) -> Any:
    """Reload ``url`` until ``selector`` (containing ``text``) is on it."""
    def probe() -> Any:
        driver.get(url)
        for element in _css(driver, selector):
            if text is None or text in element.text:
                return element
        return None
    return wait_for(probe, timeout_s=60)


def test_an_operator_connects_a_channel_reads_its_tabs_and_sends_the_next_pin(
    browser: Any, console_url: str, fresh_sandbox: SandboxServer, runtime: Runtime,
    start_worker: Callable[..., RunningWorker], tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By

    # Given a Pinterest (sandbox) account with 90 days of Pins and analytics, a worker running,
    # and the console on loopback
    account = fresh_sandbox.state.seed_account("shop_owner")
    populate_channel(fresh_sandbox.state, account.user_id, pins=60, boards=2,  # links that resolve
                     link_base=f"{fresh_sandbox.https_base_url}/_sandbox/pages")
    start_worker()
    shot = Shots(browser, tmp_path / "screenshots", prefix="a-")
    driver = browser

    # When the operator opens a page without logging in, the login page answers
    driver.get(f"{console_url}/connect")
    assert "/login" in driver.current_url
    shot("login")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
    _arrive(driver, f"{console_url}/connect")

    # And connects the account: Pinterest's approval page sends the browser back with a code
    driver.find_element(By.ID, "channel_id").send_keys("shop")
    shot("connect")
    driver.find_element(By.ID, "connect").click()
    _arrive(driver, f"{console_url}/channels/shop/board")
    boards = _css(driver, "input[name=board_id]")
    assert len(boards) == 3 + 1  # the sandbox board, two generated ones, and "a new board"
    shot("pick-board")

    # And creates a new board to post to
    driver.find_element(By.ID, "board-new").click()
    driver.find_element(By.ID, "new_board").send_keys("Console picks")
    driver.find_element(By.ID, "use-board").click()
    _arrive(driver, f"{console_url}/channels/shop")
    credentials = runtime.store.credentials.get("shop")
    assert credentials is not None and credentials.username == "shop_owner"
    new_board = [b for b in fresh_sandbox.state.boards_of(account.user_id)
                 if b.name == "Console picks"]
    assert [credentials.default_board_id] == [b.id for b in new_board]

    # And builds an insight now; the worker runs it and the Jobs page shows it
    driver.find_element(By.ID, "run-insights").click()
    _arrive(driver, f"{console_url}/jobs?channel=shop")
    _until_on_page(driver, f"{console_url}/jobs?channel=shop", "#jobs tr[data-type]",
                   "insight.ready")
    shot("jobs-insight-ready")

    # Then the Overview draws the daily impressions, saves and outbound clicks with their
    # provisional days marked, and the follower history
    driver.get(f"{console_url}/channels/shop")
    # (30 days by default, each card compared with the 30 days before, with a sparkline)
    assert [int(c.get_attribute("data-points")) for c in _css(driver, "figure.chart")] == \
        [30, 30, 30]
    changes = [c.text for c in _css(driver, ".stat dd.change")]
    assert len(changes) == 4 and all("previous 30 days" in c for c in changes[1:])
    assert len(_css(driver, ".stat svg.spark")) == 3
    shot("overview-30-days")
    driver.find_element(By.ID, "range-90").click()
    _arrive(driver, f"{console_url}/channels/shop?range=90")
    charts = _css(driver, "figure.chart")
    assert [c.get_attribute("data-chart") for c in charts] == [
        "impressions", "saves", "outbound clicks"]
    # one follower snapshot so far: explained, not drawn as one lone dot
    assert "one snapshot so far" in driver.find_element(By.ID, "follower-note").text
    for chart in charts[:3]:
        points = int(chart.get_attribute("data-points"))
        assert points >= 80  # the API's 89 days, less the days before the first Pin
        dots = chart.find_elements(By.CSS_SELECTOR, "svg circle.dot")
        assert len(dots) == points + int(chart.get_attribute("data-provisional"))
        assert int(chart.get_attribute("data-provisional")) >= 2
        assert "provisional (may still change)" in chart.text
    assert chart_height(charts[0]) > 100  # drawn, not collapsed
    stats = {s.find_element(By.TAG_NAME, "dt").text: s.find_element(By.TAG_NAME, "dd").text
             for s in _css(driver, ".stat")}
    assert stats["Total Pins"] == "60" and stats["Account"] == "@shop_owner"
    shot("overview")

    # And Top Pins lists Pins with thumbnails, sortable, each linking to the Pin
    driver.find_element(By.ID, "tab-top-pins").click()
    _arrive(driver, f"{console_url}/channels/shop/top-pins")
    rows = _css(driver, "#top-pins tbody tr")
    assert len(rows) >= 10
    thumbs = _css(driver, "#top-pins figure.pin-preview img")[:3]  # the rest load lazily
    assert len(thumbs) == 3
    wait_for(lambda: all(driver.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth > 0", img) for img in thumbs))
    assert rows[0].find_element(By.CSS_SELECTOR, "a.pin-title").get_attribute(
        "href").startswith("https://www.pinterest.com/pin/")
    # each preview names its board, not its id
    board_names = {b.name for b in fresh_sandbox.state.boards_of(account.user_id)}
    assert {e.text for e in _css(driver, "#top-pins .pin-board")} <= board_names
    driver.find_element(By.CSS_SELECTOR, "a[data-sort=impressions]").click()
    _arrive(driver, f"{console_url}/channels/shop/top-pins?sort=impressions&order=desc")
    impressions = [int(r.find_elements(By.CSS_SELECTOR, "td.num")[0].text.replace(",", ""))
                   for r in _css(driver, "#top-pins tbody tr")]
    assert impressions == sorted(impressions, reverse=True)
    shot("top-pins")

    # And Insights shows the summary and the figures it rests on
    driver.find_element(By.ID, "tab-insights").click()
    _arrive(driver, f"{console_url}/channels/shop/insights")
    assert driver.find_element(By.CSS_SELECTOR, "#insight .summary").text
    assert len(_css(driver, "#insight table.figures tr")) > 20
    shot("insights")

    # And Suggestions lists them with the next Pin concept; "Write this Pin" sends it to the
    # writer, and the job is drafted
    driver.find_element(By.ID, "tab-suggestions").click()
    _arrive(driver, f"{console_url}/channels/shop/suggestions")
    assert 3 <= len(_css(driver, "#suggestions li")) <= 5
    shot("suggestions")
    driver.find_element(By.ID, "write-pin").click()
    sent = wait_for(lambda: next(iter(_css(driver, "#sent-job")), None))
    brief_id = sent.find_element(By.TAG_NAME, "a").text
    assert brief_id.startswith("insight-")
    shot("suggestions-sent")
    _until_on_page(driver, f"{console_url}/jobs?channel=shop&status=drafted",
                   "#jobs tr[data-type='post.drafted']", brief_id)
    shot("jobs-drafted")
    driver.get(f"{console_url}/posts/{brief_id}")
    image = driver.find_element(By.CSS_SELECTOR, "img.post-image")
    assert driver.execute_script("return arguments[0].naturalWidth", image) == 1000
    shot("post")

    # And Searching lists what Pinners are searching, each keyword with its sparkline and a
    # form that writes a Pin for it
    driver.get(f"{console_url}/channels/shop")
    driver.find_element(By.ID, "tab-searching").click()
    _arrive(driver, f"{console_url}/channels/shop/searching")
    rows = _css(driver, "#keywords tbody tr")
    assert rows and rows[0].find_elements(By.CSS_SELECTOR, "svg.spark polyline")
    rows[0].find_element(By.TAG_NAME, "summary").click()
    shot("searching")

    # And the channel list and the dead letters (none) read as well
    driver.get(f"{console_url}/")
    assert _css(driver, "a[href='/channels/shop']")
    shot("channels")
    driver.get(f"{console_url}/jobs/dead")
    shot("dead-letters")

    # And the browser logged no error on any page, and axe-core found no serious violation
    assert _errors(driver) == []
    for path in shot.paths:
        print(f"screenshot: {path}")
    assert len(shot.paths) == 15
    assert shot.violations == [], "\n".join(shot.violations)


def chart_height(element: Any) -> int:
    height: int = element.size["height"]
    return height


def test_without_login_the_browser_lands_on_the_login_page(
    browser: Any, console_url: str,
) -> None:
    for path in ("/", "/jobs", "/jobs/dead", "/channels/shop/top-pins"):
        browser.get(console_url + path)
        assert browser.current_url.startswith(f"{console_url}/login"), path
    assert _errors(browser) == []


def test_behind_a_tls_proxy_the_operator_logs_in_and_out(
    tls_browser: Any, tls_console: tuple[str, str],
) -> None:
    from selenium.webdriver.common.by import By

    driver = tls_browser
    url, _ = tls_console
    # Given the console behind a TLS proxy it trusts, reached as https://console.test:PORT
    # When the operator opens a page, the login page answers over https
    driver.get(f"{url}/connect")
    assert driver.current_url.startswith(f"{url}/login")
    # And logs in: a POST with the browser's https Origin, accepted
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
    _arrive(driver, f"{url}/connect")
    # Then the session cookie is Secure and HttpOnly, and holds only a random id
    cookie = driver.get_cookie(SESSION_COOKIE)
    assert cookie["secure"] is True and cookie["httpOnly"] is True
    assert len(cookie["value"]) == 43
    # And logging out ends the session: the same cookie, put back, opens nothing
    driver.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    _arrive(driver, f"{url}/login")
    driver.add_cookie({"name": SESSION_COOKIE, "value": cookie["value"], "path": "/",
                       "secure": True, "httpOnly": True})
    driver.get(f"{url}/jobs")
    assert driver.current_url.startswith(f"{url}/login")
    assert _errors(driver) == []


def test_a_strangers_failed_logins_never_lock_the_operator_out(
    browser: Any, console_url: str,
) -> None:
    # Given a stranger on another address (127.0.0.2: loopback is a /8) failing logins until
    # the console refuses it, the right password included
    stranger_transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=console_url, transport=stranger_transport, timeout=10,
                      headers={"Origin": console_url}) as stranger:
        token = csrf_of(stranger.get("/login").text)
        codes = [stranger.post("/login", data={"csrf_token": token, "password": password})
                 .status_code for password in ["guess"] * 11 + [PASSWORD]]
    assert codes == [401] * 10 + [429] * 2
    # When the operator logs in from the browser (127.0.0.1) with the right password
    _log_in(browser, console_url, "/jobs")
    # Then the console opens for them
    assert browser.current_url == f"{console_url}/jobs"
    assert _errors(browser) == []


def _log_in(driver: Any, console_url: str, path: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{console_url}{path}")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
    _arrive(driver, f"{console_url}{path}")


def _until_notice(driver: Any, start: str) -> None:
    """Wait for the next page's notice (the one before may still be on screen, then stale)."""
    from selenium.common.exceptions import StaleElementReferenceException

    def probe() -> bool:
        try:
            return any(n.text.startswith(start) for n in _css(driver, "#calendar-notice"))
        except StaleElementReferenceException:
            return False
    wait_for(probe)


def _loaded(driver: Any, images: list[Any]) -> bool:
    return all(driver.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth > 0", img) for img in images)


def test_the_calendar_shows_scheduled_pins_with_previews_and_moves_and_cancels_them(
    browser: Any, console_url: str, fresh_sandbox: SandboxServer, runtime: Runtime,
    channel: Channel, tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By

    # Given three Pins scheduled next week: two on Monday, one on Wednesday, each with an image
    today = datetime.now(UTC).replace(hour=14, minute=0, second=0, microsecond=0)
    monday = today + timedelta(days=7 - today.weekday())
    for post_id, at, title in (("dress-1", monday, "Linen dress for hot days"),
                               ("dress-2", monday + timedelta(hours=4), "Pockets that hold"),
                               ("dress-3", monday + timedelta(days=2), "Blue on the beach")):
        payload = post_payload(fresh_sandbox, post_id=post_id, scheduled_at=at.isoformat(),
                               title=title, board_id=channel.board_id)
        post = SocialPost.model_validate(payload)
        runtime.store.documents.put("draft", post_id, post.model_dump_json())  # as the writer
        schedule_post(runtime, post)
    shot = Shots(browser, tmp_path / "screenshots", prefix="c-")
    driver = browser
    week = f"{console_url}/channels/shop/calendar?view=week&start={monday.date()}"
    _log_in(driver, console_url, "/channels/shop/calendar")
    shot("calendar-this-week")

    # When the operator opens next week
    driver.find_element(By.ID, "calendar-next").click()
    _arrive(driver, week)
    # Then each Pin is on its day with its image (loaded), title and board
    cell = driver.find_element(By.CSS_SELECTOR, f"td[data-day='{monday.date()}']")
    pins = cell.find_elements(By.CSS_SELECTOR, "article.calendar-pin")
    assert [p.get_attribute("data-post") for p in pins] == ["dress-1", "dress-2"]
    assert pins[0].find_element(By.CSS_SELECTOR, ".pin-title").text == "Linen dress for hot days"
    assert pins[0].find_element(By.CSS_SELECTOR, ".pin-board").text == channel.board_id
    wait_for(lambda: _loaded(driver, _css(driver, "#calendar figure.pin-preview img")))
    shot("calendar-week")

    # When dress-2 is moved to Thursday 09:30 (UTC) with its form
    thursday = (monday + timedelta(days=3)).date()
    article = pins[1]
    article.find_element(By.TAG_NAME, "summary").click()
    field = article.find_element(By.CSS_SELECTOR, "input[name=at]")
    driver.execute_script("arguments[0].value = arguments[1]", field, f"{thursday}T09:30")
    shot("calendar-move-form")
    article.find_element(By.CSS_SELECTOR, ".move-form button").click()
    # Then the week shows it on Thursday, and says so
    _until_notice(driver, "Moved.")
    moved = driver.find_element(By.CSS_SELECTOR, f"td[data-day='{thursday}'] article")
    assert moved.get_attribute("data-post") == "dress-2" and "09:30" in moved.text
    record = runtime.store.schedule.get("dress-2")
    assert record is not None and record.at == datetime.combine(
        thursday, datetime.min.time(), UTC) + timedelta(hours=9, minutes=30)

    # When dress-3 is cancelled
    article = driver.find_element(By.CSS_SELECTOR, "article[data-post='dress-3']")
    article.find_element(By.TAG_NAME, "summary").click()
    article.find_element(By.CSS_SELECTOR, ".cancel-form button").click()
    # Then it is gone from the calendar and its record says cancelled
    _until_notice(driver, "Cancelled.")
    assert _css(driver, "article[data-post='dress-3']") == []
    record = runtime.store.schedule.get("dress-3")
    assert record is not None and record.state == "cancelled"
    shot("calendar-after-cancel")

    # And the month view lists the two left
    driver.find_element(By.ID, "view-month").click()
    wait_for(lambda: _css(driver, "table.calendar-month"))
    assert sorted(a.get_attribute("data-post") for a in _css(driver, "article.calendar-pin")) \
        == ["dress-1", "dress-2"]
    shot("calendar-month")

    # And a post's page shows its preview: image, title, board
    driver.find_element(By.CSS_SELECTOR, "article[data-post='dress-1'] a.pin-title").click()
    _arrive(driver, f"{console_url}/posts/dress-1")
    preview = driver.find_element(By.CSS_SELECTOR, "#post-preview figure.pin-preview")
    assert "Linen dress for hot days" in preview.text
    wait_for(lambda: _loaded(driver, preview.find_elements(By.TAG_NAME, "img")))
    shot("post-scheduled")
    assert _errors(driver) == []
    for path in shot.paths:
        print(f"screenshot: {path}")
    assert shot.violations == []  # axe-core, on every page shot
