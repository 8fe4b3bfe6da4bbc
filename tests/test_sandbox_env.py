"""`pinterest-agent sandbox` hands out the exact settings that point a worker at it."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.entry.sandbox_env import SANDBOX_PREFIX, sandbox_env, write_env_file
from pinterest_agent.queues.settings import Settings


def test_the_env_points_every_setting_at_the_sandbox(sandbox: SandboxServer,
                                                     tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    account = sandbox.state.seed_account("demo")
    env = sandbox_env(sandbox, account, environ={})
    # Given the file the command writes, sourced by a shell
    path = tmp_path / "sandbox.env"
    write_env_file(path, env)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds a key and tokens
    shown = subprocess.run(["bash", "-c", f". {path} && env"], capture_output=True, text=True,
                           check=True).stdout
    sourced = dict(line.split("=", 1) for line in shown.splitlines() if "=" in line)
    # Then the worker's settings, read from that environment, reach the sandbox and only it
    for name in env:
        monkeypatch.setenv(name, sourced[name])
    settings = Settings()
    assert settings.pinterest_api_base == sandbox.api_base
    assert settings.openai_base_url == f"{sandbox.base_url}/openai/v1"
    assert settings.allow_loopback_urls is True
    assert settings.preflight_ca_file == sandbox.ca_file
    assert settings.key_prefix.startswith("pinterest-agent-sandbox-")
    assert settings.broker_namespace == f"{settings.key_prefix}-ns"
    assert settings.events_stream == f"{settings.key_prefix}:events"
    assert settings.sandbox_url == sandbox.base_url
    assert settings.sandbox_https_url == sandbox.https_base_url
    assert settings.secret_key is not None
    assert sourced["PINTEREST_AGENT_IMPORT_ACCESS_TOKEN"] == account.access_token


def test_a_secret_key_already_set_is_kept(sandbox: SandboxServer) -> None:
    account = sandbox.state.seed_account("demo")
    env = sandbox_env(sandbox, account, environ={"PINTEREST_AGENT_SECRET_KEY": "mine"})
    assert env["PINTEREST_AGENT_SECRET_KEY"] == "mine"


def test_each_sandbox_has_its_own_key_prefix(sandbox: SandboxServer) -> None:
    # (an earlier sandbox's channels, outcomes and published briefs stay out of this one's way)
    account = sandbox.state.seed_account("demo")
    first, second = (sandbox_env(sandbox, account, environ={}) for _ in range(2))
    prefixes = {env["PINTEREST_AGENT_KEY_PREFIX"] for env in (first, second)}
    assert len(prefixes) == 2
    assert all(prefix.startswith(f"{SANDBOX_PREFIX}-") for prefix in prefixes)
    assert first["PINTEREST_AGENT_EVENTS_STREAM"] != second["PINTEREST_AGENT_EVENTS_STREAM"]


def test_the_env_file_is_replaced_whole(sandbox: SandboxServer, tmp_path: Path) -> None:
    # Given an earlier sandbox's file, open in a reader
    path = tmp_path / "sandbox.env"
    path.write_text("export PINTEREST_AGENT_KEY_PREFIX=earlier\n", encoding="utf-8")
    with path.open(encoding="utf-8") as reader:
        # When this sandbox writes its own
        write_env_file(path, sandbox_env(sandbox, sandbox.state.seed_account("demo"),
                                         environ={}))
        # Then the reader still has the old file whole (a new file was renamed over it, never
        # truncated and written in place), the path holds the new one, and no temporary is left
        assert reader.read() == "export PINTEREST_AGENT_KEY_PREFIX=earlier\n"
    assert "earlier" not in path.read_text(encoding="utf-8")
    assert f"PINTEREST_AGENT_SANDBOX_URL={sandbox.base_url}" in path.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["sandbox.env"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
