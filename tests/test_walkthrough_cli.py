"""The walkthrough's commands wherever the sandbox listens: the sample files name its URLs
(``${PINTEREST_AGENT_SANDBOX_URL}``), the CLI fills them in; and ``jobs wait`` says where a job
is while it waits (a brief retrying, a brief that failed), never just "nothing recorded"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.entry.cli import main
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings, load_settings
from tests.conftest import Channel
from tests.test_cli import _env

pytestmark = pytest.mark.redis

WALKTHROUGH = Path(__file__).resolve().parent.parent / "fixtures" / "walkthrough"


@pytest.fixture()
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    for key, value in _env(settings).items():
        monkeypatch.setenv(key, value)
    load_settings.cache_clear()
    yield CliRunner()
    load_settings.cache_clear()


def test_the_walkthroughs_post_reaches_a_sandbox_on_any_port(
    cli: CliRunner, channel: Channel, fresh_sandbox: SandboxServer
) -> None:
    # Given the suite's sandbox, on a port chosen by the system (not 8765)
    assert fresh_sandbox.port != 8765
    # When the walkthrough's post is published as the README does
    result = cli.invoke(main, ["publish", str(WALKTHROUGH / "post.json")])
    # Then its link and image are this sandbox's, and the Pin is made
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert outcome["status"] == "published" and outcome["pin_id"]
    pin = next(p for p in fresh_sandbox.state.pins_on_board(channel.board_id)
               if p.id == outcome["pin_id"])
    assert pin.fields["link"] == f"{fresh_sandbox.https_base_url}/_sandbox/pages/linen-dress"


def test_a_sample_file_without_the_sandboxs_settings_says_what_to_do(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PINTEREST_AGENT_SANDBOX_URL")
    monkeypatch.delenv("PINTEREST_AGENT_SANDBOX_HTTPS_URL")
    load_settings.cache_clear()
    result = cli.invoke(main, ["enqueue", "brief", str(WALKTHROUGH / "brief.json")])
    assert result.exit_code == 2, result.output
    assert "[sandbox_url_unset]" in result.output and ". ./sandbox.env" in result.output


def _retrying_brief(runtime: Runtime, brief_id: str) -> None:
    runtime.store.outcomes.record("brief", brief_id, {
        "status": "retrying", "queue": "pinterest-writer", "retries": 2, "message_id": "m-1",
        "error": {"code": "link_unreachable", "message": "the link's TLS certificate is not "
                  "trusted"}})


def test_waiting_for_a_post_whose_brief_is_retrying_says_so(cli: CliRunner,
                                                            runtime: Runtime) -> None:
    # Given a brief the writer is retrying, and no post for it yet
    _retrying_brief(runtime, "towel")
    # When jobs wait runs out of time on its post
    result = cli.invoke(main, ["jobs", "wait", "towel", "--timeout", "0.3"])
    # Then it says the brief is retrying, after which failure, not "nothing recorded"
    assert result.exit_code == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: post 'towel' has no final outcome after 0.3s: ")
    assert "its brief: brief 'towel' is retrying (retry 2 on pinterest-writer) after " \
           "[link_unreachable] the link's TLS certificate is not trusted" in last


def test_waiting_for_a_post_whose_brief_failed_ends_with_the_briefs_outcome(
    cli: CliRunner, runtime: Runtime
) -> None:
    runtime.store.outcomes.record("brief", "towel", {
        "status": "failed", "queue": "pinterest-writer", "retries": 5,
        "error": {"code": "link_unreachable", "message": "unreachable"}})
    result = cli.invoke(main, ["jobs", "wait", "towel", "--timeout", "20"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "failed"
    assert "the brief 'towel' failed, so its post will not be made" in result.stderr


def test_waiting_with_nothing_recorded_asks_for_a_worker(cli: CliRunner) -> None:
    result = cli.invoke(main, ["jobs", "wait", "towel", "--timeout", "0.3"])
    assert result.exit_code == 1
    assert "nothing recorded for post 'towel' (is a worker running?" in result.stderr
