"""The prompt workbench from the command line, as the docs tell a prompt engineer to use it:
offline (the in-process sandbox endpoint), on the real Redis."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from pydantic import SecretStr

from pinterest_agent.agents.prompting.usage import PromptUse
from pinterest_agent.agents.prompting.versions import TemplateRef
from pinterest_agent.prompts.loader import PromptLibrary
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.entry.cli import main
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings, load_settings
from tests.conftest import REDIS_URL, Channel, make_settings

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "prompt-workbench.md"  # where the README sends a prompt engineer
MARKER = "<!-- example: run (tests/test_workbench_cli.py also runs this block in-process) -->"


@pytest.fixture()
def cli(prefix: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CliRunner]:
    """The CLI with no OpenAI key (so the sandbox endpoint runs in-process), this test's key
    prefix, in an empty working directory."""
    for name in ("PINTEREST_AGENT_OPENAI_API_KEY", "PINTEREST_AGENT_OPENAI_BASE_URL",
                 "PINTEREST_AGENT_PROMPTS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PINTEREST_AGENT_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("PINTEREST_AGENT_KEY_PREFIX", prefix)
    monkeypatch.chdir(tmp_path)
    load_settings.cache_clear()
    yield CliRunner()
    load_settings.cache_clear()


def invoke(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, list(args), catch_exceptions=False)


def walkthrough() -> list[str]:
    """The workbench page's walkthrough block, one command a line (comments dropped)."""
    text = PAGE.read_text()
    block = text.split(MARKER, 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def run_line(cli: CliRunner, line: str) -> Result | None:
    """One line of the walkthrough: `mkdir -p`, `sed -i.bak 's/A/B/' FILE`, or
    `pinterest-agent ... [> FILE | || true]` (anything else fails the test: keep the page to
    these). A line ending `|| true` is an eval the page says fails its gate: it must exit 1."""
    words = shlex.split(line, comments=True)
    gate_fails = words[-2:] == ["||", "true"]
    words = words[:-2] if gate_fails else words
    if words[:2] == ["mkdir", "-p"]:
        Path(words[2]).mkdir(parents=True, exist_ok=True)
        return None
    if words[:2] == ["sed", "-i.bak"]:
        _, find, replace, _ = words[2].split("/")
        path = Path(words[3])
        text = path.read_text()
        path.with_name(path.name + ".bak").write_text(text)
        path.write_text(re.sub(find, replace, text, count=1, flags=re.MULTILINE))
        return None
    assert words[0] == "pinterest-agent", f"the walkthrough runs no such command: {line}"
    target = None
    if ">" in words:
        target = Path(words[words.index(">") + 1])
        words = words[:words.index(">")]
    result = invoke(cli, *words[1:])
    assert result.exit_code == (1 if gate_fails else 0), (line, result.output)
    if target is not None:
        target.write_text(result.stdout)
    return result


def test_the_readme_walkthrough_runs_as_written(cli: CliRunner, tmp_path: Path) -> None:
    # Given the docs' walkthrough: copy pin_copy, edit it, eval both, compare, publish as
    # staging, roll it out to 20 %, list the versions
    lines = walkthrough()
    assert [line.split()[:3] for line in lines if line.startswith("pinterest-agent")] == [
        ["pinterest-agent", "prompts", "show"], ["pinterest-agent", "prompts", "eval"],
        ["pinterest-agent", "prompts", "eval"], ["pinterest-agent", "prompts", "compare"],
        ["pinterest-agent", "prompts", "publish"], ["pinterest-agent", "prompts", "rollout"],
        ["pinterest-agent", "prompts", "versions"]]
    outputs = {}
    # When every line runs
    for line in lines:
        result = run_line(cli, line)
        if result is not None:
            outputs[" ".join(line.split()[1:3])] = result.stdout
    # Then the copy is the packaged template with the one edit
    copy = (tmp_path / "my-templates" / "pin_copy.j2").read_text()
    assert copy != PromptLibrary().source("pin_copy") and "at most 60 characters" in copy
    # And the evals against the rule-blind stand-in failed their gate (exit 1, checked above),
    # and the comparison ran both versions: the stand-in reads no template, so they score alike
    # (tests/test_workbench_runner.py compares two versions with a model that follows them)
    assert "FAILED: 2/6" in outputs["prompts eval"]
    assert "no case changed its verdict" in outputs["prompts compare"]
    assert "gate (threshold 80%): A fails, B fails" in outputs["prompts compare"]
    assert (tmp_path / "my-templates.html").read_text().startswith("<!doctype html>")
    # And the copy is published as v1 under staging, rolled out to 20 % of briefs
    assert outputs["prompts publish"].splitlines()[-1] == "staging: packaged -> v1"
    assert "pin_copy: 20% of briefs get v1, the rest production's (packaged)" in \
        outputs["prompts rollout"]
    assert "rollout: pin_copy v1 for 20% of briefs" in outputs["prompts versions"]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_the_gate_exit_code_follows_the_threshold(cli: CliRunner, tmp_path: Path) -> None:
    # Given the packaged suite, which the rule-blind stand-in passes in 2 cases of 6
    packaged = yaml.safe_load((ROOT / "prompts/evals/pin_copy.yaml").read_text())
    strict = write(tmp_path / "strict.yaml", yaml.safe_dump({**packaged, "threshold": 1.0}))
    # When every case must pass, the gate fails: exit 1, results still printed
    failed = invoke(cli, "prompts", "eval", str(strict), "--sandbox", "--json", "strict.json")
    assert failed.exit_code == 1
    assert "FAILED: 2/6" in failed.stdout
    results = json.loads((tmp_path / "strict.json").read_text())
    assert results["passed"] is False and results["pass_rate"] == pytest.approx(2 / 6)
    # And with a threshold the same answers meet, it passes: exit 0
    lenient = write(tmp_path / "lenient.yaml", yaml.safe_dump({**packaged, "threshold": 0.3}))
    passed = invoke(cli, "prompts", "eval", str(lenient), "--sandbox")
    assert passed.exit_code == 0 and "PASSED: 2/6" in passed.stdout


def test_versions_labels_and_their_errors(cli: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    write(folder / "pin_copy.j2", PromptLibrary().source("pin_copy") + "\n{# v1 #}")
    assert invoke(cli, "prompts", "publish", str(folder)).stdout.startswith("published v1")
    write(folder / "pin_copy.j2", PromptLibrary().source("pin_copy") + "\n{# v2 #}")
    assert "v2" in invoke(cli, "prompts", "publish", str(folder), "--label", "staging").stdout
    assert invoke(cli, "prompts", "promote", "1").stdout.strip() == "production: packaged -> v1"
    assert invoke(cli, "prompts", "promote", "staging").stdout.strip() == "production: v1 -> v2"
    assert invoke(cli, "prompts", "show", "pin_copy", "--version", "production").stdout \
        .rstrip().endswith("{# v2 #}")
    assert invoke(cli, "prompts", "rollback").stdout.strip() == "production: v2 -> v1"
    listed = json.loads(invoke(cli, "prompts", "versions", "--json").stdout)
    assert listed["routing"]["labels"] == {"staging": 2, "production": 1}
    # Unknown versions and labels are configuration errors (exit 2) naming what to do
    unknown = cli.invoke(main, ["prompts", "promote", "7"])
    assert unknown.exit_code == 2 and "[unknown_prompt_version]" in unknown.stderr
    assert cli.invoke(main, ["prompts", "eval", "pin_copy", "--version", "canary"]).exit_code == 2
    no_copy = cli.invoke(main, ["prompts", "rollout", "design_spec", "--candidate", "1",
                                "--share", "0.1"])
    assert no_copy.exit_code == 2 and "has no design_spec template" in no_copy.stderr
    assert invoke(cli, "prompts", "rollout", "pin_copy", "--candidate", "2", "--share",
                  "0.1").exit_code == 0
    assert "ended" in invoke(cli, "prompts", "rollout", "pin_copy", "--stop").stdout


def test_export_promptfoo_renders_with_the_projects_loader(cli: CliRunner, tmp_path: Path) -> None:
    # When the packaged pin_copy suite is exported
    result = invoke(cli, "prompts", "export-promptfoo", "pin_copy", "--out", "pf")
    assert result.exit_code == 0
    out = tmp_path / "pf"
    config = yaml.safe_load((out / "promptfooconfig.yaml").read_text())
    # Then the config names the Python prompt, the schema and one test per case
    assert config["prompts"] == ["file://prompt.py:render"]
    provider = config["providers"][0]
    assert provider["id"] == "openai:chat:gpt-4o-mini"
    assert provider["config"]["response_format"]["json_schema"]["name"] == "PinCopy"
    assert len(config["tests"]) == 6
    # And the prompt function renders exactly what the worker renders
    sys.path.insert(0, str(out))
    try:
        prompt = _module(out / "prompt.py", "pf_prompt")
        asserts = _module(out / "asserts.py", "pf_asserts")
    finally:
        sys.path.remove(str(out))
    test = config["tests"][0]
    messages = json.loads(prompt.render({"vars": test["vars"]}))
    variables = {k: v for k, v in test["vars"].items() if k != "workbench_case"}
    expected = PromptLibrary().render("pin_copy", variables)
    assert messages == [{"role": "system", "content": expected.system},
                        {"role": "user", "content": expected.user}]
    # And the Python assertions are this project's: a good answer passes, a bad link fails
    brief = test["vars"]["workbench_case"]["brief"]
    answer = {"title": "Linen Throw Blanket in Sage Green", "description": "d" * 80,
              "alt_text": "a", "link": brief["destination_url"],
              "keywords": ["linen throw blanket", "sage green decor", "x"], "hashtags": []}
    link_check = next(a for a in test["assert"] if a.get("metric") == "link=brief")
    check = getattr(asserts, link_check["value"].rsplit(":", 1)[1])
    context = {"vars": test["vars"]}
    assert check(json.dumps(answer), context)["pass"] is True
    bad = check(json.dumps({**answer, "link": "https://evil.example/win"}), context)
    assert bad["pass"] is False and "evil.example" in bad["reason"]
    rubric = [a for t in config["tests"] for a in t["assert"] if a["type"] == "llm-rubric"]
    assert rubric and rubric[0]["value"].startswith("Names orzo")


def _module(path: Path, name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- prompts report ------------------------------------------------------------------------------


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer) -> Settings:
    return make_settings(prefix, fresh_sandbox, openai_api_key=SecretStr("sandbox-key"),
                         openai_base_url=f"{fresh_sandbox.base_url}/openai/v1")


def test_prompts_report_prints_the_comparison(
    settings: Settings, channel: Channel, runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
    fresh_sandbox: SandboxServer,
) -> None:
    # Given a connected channel with one post written by v1 and published as a sandbox Pin
    from pinterest_agent.providers.sandbox.analytics_data import populate_channel

    user = fresh_sandbox.state.user_by_name("shop_owner")
    assert user is not None
    [pin_id] = populate_channel(fresh_sandbox.state, user.id, pins=1, boards=1)
    runtime.prompt_usage.record(PromptUse(
        post_id="post-1", channel_id="shop", drafted_at=datetime.now(UTC) - timedelta(days=2),
        templates={"pin_copy": TemplateRef(version=1, label="production", arm="label",
                                           hash="a" * 16)}))
    runtime.store.ledger.mark_published("post-1", pin_id, channel.board_id)
    for name, value in settings.model_dump().items():
        if value is not None:
            value = value.get_secret_value() if isinstance(value, SecretStr) else value
            monkeypatch.setenv(f"PINTEREST_AGENT_{name.upper()}", str(value))
    load_settings.cache_clear()
    try:
        # When the prompt engineer asks for the report
        result = CliRunner().invoke(main, ["prompts", "report", "shop"])
        as_json = CliRunner().invoke(main, ["prompts", "report", "shop", "--json"])
    finally:
        load_settings.cache_clear()
    # Then it lists v1 with its one Pin, and says there is not enough data to judge
    assert result.exit_code == 0, result.output
    assert "pin_copy:" in result.stdout and "not enough data" in result.stdout
    [row] = json.loads(as_json.stdout)["templates"][0]["versions"]
    assert (row["version"], row["pins_written"], row["pins_published"]) == ("v1", 1, 1)


def test_prompts_eval_without_a_model_or_sandbox_is_one_line_and_exit_2(cli: CliRunner) -> None:
    from pinterest_agent.queues.entry.cli import main

    for args in (["prompts", "eval", "pin_copy"],
                 ["prompts", "compare", "pin_copy", "--b", "packaged"]):
        result = cli.invoke(main, args)
        assert result.exit_code == 2, result.output
        lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(lines) == 1 and "[no_model]" in lines[0] and "--sandbox" in lines[0]
