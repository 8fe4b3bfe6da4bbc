"""Stoplight Prism, a second and independent judge of the trends requests: every filter set the
provider sends goes through ``prism proxy`` (request and response validated against Pinterest's
official spec, ``--errors``: a violation is answered 422 or 500 instead of passed on) to the
sandbox.

Prism is an npm package: ``.ci/run`` installs it (``npm install --prefix .ci/prism``); the test
is skipped, saying so, where it is not installed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pinterest_agent.providers.pinterest.client import PinterestClient
from pinterest_agent.providers.pinterest.contract import spec_bytes
from pinterest_agent.providers.pinterest.trends import TrendsAPI
from pinterest_agent.providers.pinterest.trends_models import TrendFilters
from pinterest_agent.providers.sandbox.server import SandboxServer
from tests.test_trends_provider import EVERY_PARAMETER_KIND, NOW, ROUTE

ROOT = Path(__file__).resolve().parent.parent
PRISM = Path(os.environ.get("PRISM_BIN", ROOT / ".ci" / "prism" / "node_modules" / ".bin" /
                                   "prism"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def prism(fresh_sandbox: SandboxServer, tmp_path: Path) -> Iterator[str]:
    if not PRISM.exists() or shutil.which("node") is None:
        pytest.skip(f"Prism is not installed at {PRISM} (.ci/run installs it with npm)")
    spec = tmp_path / "openapi-v5.23.0.json"  # Pinterest's official spec, as packaged
    spec.write_bytes(spec_bytes())
    port = _free_port()
    process = subprocess.Popen(
        [str(PRISM), "proxy", str(spec), fresh_sandbox.api_base, "--errors", "--host",
         "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    out = process.stdout.read().decode() if process.stdout else ""
                    raise AssertionError(f"prism did not start: {out[-2000:]}") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.redis
def test_prism_accepts_every_trends_request_and_answer(
        prism: str, fresh_sandbox: SandboxServer) -> None:
    state = fresh_sandbox.state
    original = state.clock
    state.clock = NOW.timestamp
    try:
        token = state.seed_account("prism_watcher").access_token
        with httpx.Client(base_url=prism, timeout=30) as http:
            api = TrendsAPI(PinterestClient(http, token), clock=lambda: NOW)
            for filters in EVERY_PARAMETER_KIND:
                found = api.trending_keywords(filters)  # a 422 or 500 from Prism raises
                assert found.filters == filters
            assert state.request_count("GET", ROUTE) == len(EVERY_PARAMETER_KIND)
            # And Prism does judge: it refuses what the spec refuses, before the sandbox sees it
            bad = http.get("/trends/keywords/XX/top/growing",
                           headers={"Authorization": f"Bearer {token}"})
            assert bad.status_code == 422, bad.text
            assert state.request_count("GET", ROUTE) == len(EVERY_PARAMETER_KIND)
    finally:
        state.clock = original
    assert TrendFilters().path == "/trends/keywords/US/top/growing"
