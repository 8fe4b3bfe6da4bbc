"""`pinterest-agent sandbox` hands out the exact settings that point a worker at it."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.entry.sandbox_env import sandbox_env, write_env_file
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
    assert settings.key_prefix == "pinterest-agent-sandbox"
    assert settings.secret_key is not None
    assert sourced["PINTEREST_AGENT_IMPORT_ACCESS_TOKEN"] == account.access_token


def test_a_secret_key_already_set_is_kept(sandbox: SandboxServer) -> None:
    account = sandbox.state.seed_account("demo")
    env = sandbox_env(sandbox, account, environ={"PINTEREST_AGENT_SECRET_KEY": "mine"})
    assert env["PINTEREST_AGENT_SECRET_KEY"] == "mine"
