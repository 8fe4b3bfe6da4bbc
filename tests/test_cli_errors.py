"""The CLI's failure paths as a new operator meets them: one clear line, the right exit code,
never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.entry.cli import main
from pinterest_agent.queues.settings import load_settings
from tests.conftest import Channel
from tests.helpers import post_payload
from tests.test_cli import cli, settings, write  # noqa: F401 - fixtures

pytestmark = pytest.mark.redis


def _one_clean_line(output: str) -> None:
    assert "Traceback" not in output
    assert len([line for line in output.splitlines() if line.startswith("error:")]) == 1


def test_every_command_says_once_that_redis_does_not_answer(
    cli: CliRunner, fresh_sandbox: SandboxServer, tmp_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a Redis URL where nothing listens
    monkeypatch.setenv("PINTEREST_AGENT_REDIS_URL", "redis://127.0.0.1:1/0")
    load_settings.cache_clear()
    post = write(tmp_path, "post.json", post_payload(fresh_sandbox))
    for command in (["enqueue", "publish", post], ["channels", "list"], ["jobs", "dead"],
                    ["jobs", "status", "post-1"], ["publish", post], ["worker"],
                    ["enqueue", "insights", "--all"], ["channels", "rekey"]):
        # When the operator runs it
        result = cli.invoke(main, command)
        # Then it exits 2 with one line naming the setting
        assert result.exit_code == 2, (command, result.output)
        _one_clean_line(result.output)
        assert "PINTEREST_AGENT_REDIS_URL" in result.output, command
        assert "[redis_unreachable]" in result.output


def test_every_broker_command_says_once_that_rabbitmq_does_not_answer(
    cli: CliRunner, fresh_sandbox: SandboxServer, tmp_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given RabbitMQ as the broker, at a URL where nothing listens
    monkeypatch.setenv("PINTEREST_AGENT_BROKER_URL", "amqp://guest:guest@127.0.0.1:1/%2F")
    load_settings.cache_clear()
    post = write(tmp_path, "post.json", post_payload(fresh_sandbox))
    for command in (["worker"], ["enqueue", "publish", post], ["jobs", "dead"],
                    ["jobs", "retry", "some-id"]):
        # When the operator runs a command that needs the broker
        result = cli.invoke(main, command)
        # Then it exits 2 with one line naming the setting, and no password
        assert result.exit_code == 2, (command, result.output)
        _one_clean_line(result.output)
        assert "PINTEREST_AGENT_BROKER_URL" in result.output, command
        assert "[broker_unreachable]" in result.output and "guest:" not in result.output


def test_a_malformed_secret_key_is_refused_before_the_worker_starts(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    monkeypatch.setenv("PINTEREST_AGENT_SECRET_KEY", "not-a-fernet-key")
    load_settings.cache_clear()
    for command in (["worker"], ["channels", "list"]):
        result = cli.invoke(main, command)
        assert result.exit_code == 2, result.output
        _one_clean_line(result.output)
        assert "pinterest-agent keygen" in result.output


def test_a_failed_publish_prints_its_outcome_on_stdout(
    cli: CliRunner, channel: Channel, fresh_sandbox: SandboxServer, tmp_path: Path,  # noqa: F811
) -> None:
    # Given a post whose board Pinterest does not know
    path = write(tmp_path, "post.json", post_payload(fresh_sandbox, board_id="999"))
    result = cli.invoke(main, ["publish", path])
    # Then the outcome is printed as JSON and the error line goes to stderr
    assert result.exit_code == 1
    outcome = json.loads(result.stdout)
    assert outcome["status"] == "failed" and outcome["error"]["code"]
    assert "error: [board_not_found]" in result.stderr


def test_deep_and_huge_files_are_refused_clearly(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    deep = write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    for command in (["publish", deep], ["draft", deep], ["enqueue", "brief", deep]):
        result = cli.invoke(main, command)
        assert result.exit_code == 1, result.output
        _one_clean_line(result.output)
        assert "[message_too_deep]" in result.output
    monkeypatch.setenv("PINTEREST_AGENT_MAX_MESSAGE_BYTES", "2048")
    load_settings.cache_clear()
    huge = write(tmp_path, "huge.json", json.dumps({"title": "x" * 4096}))
    result = cli.invoke(main, ["publish", huge])
    assert result.exit_code == 1 and "[message_too_large]" in result.output


def test_jobs_status_reads_refused_messages(
    cli: CliRunner, channel: Channel,  # noqa: F811
) -> None:
    result = cli.invoke(main, ["jobs", "status", "nope", "--kind", "message"])
    assert result.exit_code == 1 and "no outcome recorded for message" in result.output
