"""The CLI as an operator uses it: exit codes, clear errors, JSON out."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from pinterest_agent import prompts as prompts_package
from pinterest_agent.providers.sandbox.analytics_data import populate_channel
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.entry.cli import main
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings, load_settings
from tests.conftest import (
    Channel,
    RunningWorker,
    both_brokers,
    delete_rabbitmq_queues,
    make_settings,
)
from tests.helpers import dead_letters, outcome_status, post_payload, wait_for
from tests.obedient_model import use_obedient_model

pytestmark = pytest.mark.redis


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer, broker_kind: str) -> Iterator[Settings]:
    settings = make_settings(
        prefix, fresh_sandbox, broker_kind=broker_kind,
        openai_base_url=f"{fresh_sandbox.base_url}/openai/v1",
        openai_api_key=SecretStr("sandbox-key"),
    )
    yield settings
    delete_rabbitmq_queues(settings)


def _env(settings: Settings) -> dict[str, str]:
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        env[f"PINTEREST_AGENT_{name.upper()}"] = str(value)
    return env


@pytest.fixture()
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    for key, value in _env(settings).items():
        monkeypatch.setenv(key, value)
    load_settings.cache_clear()
    yield CliRunner()
    load_settings.cache_clear()


def write(tmp_path: Path, name: str, content: Any) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_schema_prints_every_message_with_its_version(cli: CliRunner) -> None:
    result = cli.invoke(main, ["schema"])
    assert result.exit_code == 0
    schemas = json.loads(result.stdout)
    assert set(schemas) == {"SocialPost", "PinBrief", "InsightsRequest", "PostUpdate"}
    for schema in schemas.values():
        assert "schema_version" in schema["required"]


def test_publish_prints_the_outcome(
    cli: CliRunner, channel: Channel, fresh_sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = write(tmp_path, "post.json", post_payload(fresh_sandbox))
    result = cli.invoke(main, ["publish", path])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert outcome["status"] == "published" and outcome["pin_id"]
    status = cli.invoke(main, ["jobs", "status", "post-1"])
    assert status.exit_code == 0 and json.loads(status.stdout)["pin_id"] == outcome["pin_id"]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ('{"schema_version": 1,', "invalid_message"),
        ({"schema_version": 1, "post_id": "x", "platform": "pinterest", "channel_id": "shop",
          "title": "t" * 101, "link": "https://a.example/", "media": {"type": "image_url",
                                                                    "url": "https://a.example/i"}},
         "invalid_message"),
    ],
    ids=["malformed-json", "long-title"],
)
def test_bad_input_exits_1_with_a_clear_message(
    cli: CliRunner, channel: Channel, tmp_path: Path, content: Any, code: str
) -> None:
    path = write(tmp_path, "post.json", content)
    for command in (["publish", path], ["enqueue", "publish", path]):
        result = cli.invoke(main, command)
        assert result.exit_code == 1, result.output
        assert f"[{code}]" in result.output


def test_missing_secret_key_is_a_configuration_error(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PINTEREST_AGENT_SECRET_KEY")
    load_settings.cache_clear()
    result = cli.invoke(main, ["channels", "list"])
    assert result.exit_code == 2
    assert "PINTEREST_AGENT_SECRET_KEY" in result.output
    result = cli.invoke(main, ["worker"])
    assert result.exit_code == 2


def test_channels_list_never_shows_tokens(cli: CliRunner, channel: Channel) -> None:
    result = cli.invoke(main, ["channels", "list"])
    assert result.exit_code == 0
    assert "shop" in result.output and "shop_owner" in result.output
    assert channel.access_token not in result.output
    boards = cli.invoke(main, ["channels", "boards", "shop"])
    assert boards.exit_code == 0 and channel.board_id in boards.output


def test_jobs_commands_report_unknown_ids(cli: CliRunner) -> None:
    assert cli.invoke(main, ["jobs", "status", "nope"]).exit_code == 1
    assert cli.invoke(main, ["jobs", "retry", "nope"]).exit_code == 1
    dead = cli.invoke(main, ["jobs", "dead"])
    assert dead.exit_code == 0 and "no dead-lettered jobs" in dead.output


@both_brokers
def test_enqueue_then_list_and_retry_a_dead_letter(
    cli: CliRunner, channel: Channel, fresh_sandbox: SandboxServer, runtime: Runtime,
    start_worker: Callable[..., RunningWorker], tmp_path: Path,
) -> None:
    # Given a worker, and a post enqueued from the CLI for a channel not connected yet
    start_worker()
    path = write(tmp_path, "post.json", post_payload(fresh_sandbox, "later-1",
                                                     channel_id="later"))
    enqueued = cli.invoke(main, ["enqueue", "publish", path])
    assert enqueued.exit_code == 0, enqueued.output
    wait_for(lambda: outcome_status(runtime, "later-1", "failed"))
    # When the operator lists the dead letters
    dead = wait_for(lambda: dead_letters(runtime).list())
    listed = cli.invoke(main, ["jobs", "dead"])
    # Then the job is there with its recorded reason
    assert listed.exit_code == 0, listed.output
    assert dead[0].dead_id in listed.output and "[unknown_channel]" in listed.output
    # And once the channel is connected, `jobs retry` publishes it and it is no longer dead
    creds = runtime.store.credentials.get("shop")
    assert creds is not None
    runtime.store.credentials.put(creds.model_copy(update={"channel_id": "later"}))
    retried = cli.invoke(main, ["jobs", "retry", dead[0].dead_id])
    assert retried.exit_code == 0, retried.output
    wait_for(lambda: outcome_status(runtime, "later-1", "published"))
    assert "no dead-lettered jobs" in cli.invoke(main, ["jobs", "dead"]).output


def test_insights_run_show_and_next(
    cli: CliRunner, channel: Channel, fresh_sandbox: SandboxServer, runtime: Runtime,
    start_worker: Callable[..., RunningWorker],
) -> None:
    user = fresh_sandbox.state.user_by_name("shop_owner")
    assert user is not None
    # (its Pins link to the sandbox's own pages: the next Pin's link must resolve to be written)
    populate_channel(fresh_sandbox.state, user.id, pins=40, boards=2,
                     link_base=f"{fresh_sandbox.https_base_url}/_sandbox/pages")
    run = cli.invoke(main, ["insights", "run", "shop"])
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["status"] == "ok"
    show = cli.invoke(main, ["insights", "show", "shop"])
    assert json.loads(show.stdout)["channel_id"] == "shop"
    nxt = cli.invoke(main, ["insights", "next", "shop", "--enqueue"])
    assert nxt.exit_code == 0, nxt.output
    brief = json.loads(nxt.stdout)
    assert brief["channel_id"] == "shop" and brief["destination_url"].startswith("https://")
    # The concept carries the image of the top Pin it builds on, so the writer can design it
    assert brief["source_image_urls"] and "/_sandbox/images/" in brief["source_image_urls"][0]
    # And a worker writing with a model that follows the writer's rules drafts it (the concept's
    # main keyword is not in its name: the rule-blind stand-in fails it, tests/obedient_model.py)
    use_obedient_model(runtime)
    start_worker()
    drafted = wait_for(lambda: (runtime.store.outcomes.get("brief", brief["brief_id"]) or {})
                       .get("status") in ("drafted", "failed")
                       and runtime.store.outcomes.get("brief", brief["brief_id"]))
    assert drafted["status"] == "drafted", drafted


def test_enqueue_insights_needs_channels(cli: CliRunner, channel: Channel) -> None:
    assert cli.invoke(main, ["enqueue", "insights"]).exit_code == 1
    result = cli.invoke(main, ["enqueue", "insights", "--all"])
    assert result.exit_code == 0 and "shop: enqueued" in result.output


def test_prompts_render_shows_the_brief_as_data(cli: CliRunner, tmp_path: Path) -> None:
    brief = json.loads((Path(__file__).parent.parent / "fixtures/briefs/product.json").read_text())
    result = cli.invoke(main, ["prompts", "render", "pin_copy",
                               write(tmp_path, "brief.json", brief)])
    assert result.exit_code == 0, result.output
    assert "<brief>" in result.output and "# template pin_copy" in result.output


def test_demo_runs_the_whole_job_offline(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(main, ["demo", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert "published: Pin" in result.output
    assert "insight for 'demo' (ok)" in result.output
    images = list((tmp_path / "demo").glob("*.jpg"))
    assert len(images) == 1


def test_publish_waits_for_a_video_to_process(
    cli: CliRunner, channel: Channel, fresh_sandbox: SandboxServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PINTEREST_AGENT_VIDEO_POLL_INTERVAL_S", "0.05")
    load_settings.cache_clear()
    monkeypatch.setattr(fresh_sandbox.state, "media_polls", 2)
    payload = post_payload(fresh_sandbox, "video-1", media={
        "type": "video", "url": f"{fresh_sandbox.base_url}/_sandbox/videos/clip.mp4"})
    result = cli.invoke(main, ["publish", write(tmp_path, "video.json", payload)])
    assert result.exit_code == 0, result.output
    assert "video still processing" in result.stderr
    assert json.loads(result.stdout)["status"] == "published"
    pins = fresh_sandbox.state.pins_on_board(channel.board_id)
    assert [p.creative_type for p in pins] == ["VIDEO"]


def test_prompts_compare_two_template_versions(cli: CliRunner, tmp_path: Path) -> None:
    # Given a copy of the templates with an edited system prompt
    import shutil


    version_b = tmp_path / "b"
    shutil.copytree(Path(prompts_package.__file__).parent / "templates", version_b)
    template = version_b / "pin_copy.j2"
    template.write_text(template.read_text().replace("{% block system %}",
                                                     "{% block system %}Be concise.\n", 1))
    briefs = Path(__file__).parent.parent / "fixtures/briefs"
    result = cli.invoke(main, ["prompts", "compare", "--sandbox", "--b", str(version_b),
                                str(briefs / "product.json"), str(briefs / "recipe.json")])
    assert result.exit_code == 0, result.output
    product, recipe = json.loads(result.stdout)
    assert product["A"]["template_hash"] != product["B"]["template_hash"]
    assert product["A"]["checks"] == "all passed" and product["B"]["title"]
    # And a brief the model could not write (the stand-in titles the recipe with its name, which
    # lacks the main keyword) shows its typed failure for each version, without ending the run
    assert recipe["A"]["template_hash"] == product["A"]["template_hash"]
    for label in ("A", "B"):
        assert recipe[label]["failed"]["code"] == "llm_output_invalid"
        assert "main keyword 'one pot orzo'" in recipe[label]["failed"]["message"]
