"""`pinterest-agent sandbox` as a process: it leaves nothing behind when it stops (its TLS
directory holds private keys; its env file names that CA), and never lets an earlier sandbox's
env file pass for its own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

STALE = "export PINTEREST_AGENT_KEY_PREFIX=an-earlier-sandbox\n"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(folder: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINTEREST_AGENT_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "pinterest_agent.queues.entry.cli", "sandbox", *args,
         "--env-file", "sandbox.env"],
        cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _sourced(path: Path) -> dict[str, str]:
    shown = subprocess.run(["bash", "-c", f". {path} && env"], capture_output=True, text=True,
                           check=True).stdout
    return dict(line.split("=", 1) for line in shown.splitlines() if "=" in line)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_sandbox_leaves_no_keys_and_no_env_file(tmp_path: Path, signum: int) -> None:
    # Given an earlier sandbox's env file, and a sandbox started on ports of its own
    env_file = tmp_path / "sandbox.env"
    env_file.write_text(STALE, encoding="utf-8")
    port, https_port = _free_port(), _free_port()
    process = _start(tmp_path, "--port", str(port), "--https-port", str(https_port))
    try:
        # When it has written its settings
        deadline = time.monotonic() + 60
        while "SANDBOX_URL" not in (env_file.read_text("utf-8") if env_file.exists() else ""):
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the sandbox wrote no settings in 60 s"
            time.sleep(0.1)
        sourced = _sourced(env_file)
        # Then they are this sandbox's: its URLs, its own key prefix, its CA and key on disk
        assert sourced["PINTEREST_AGENT_SANDBOX_URL"] == f"http://127.0.0.1:{port}"
        assert sourced["PINTEREST_AGENT_SANDBOX_HTTPS_URL"] == f"https://127.0.0.1:{https_port}"
        assert sourced["PINTEREST_AGENT_KEY_PREFIX"].startswith("pinterest-agent-sandbox-")
        tls_dir = Path(sourced["PINTEREST_AGENT_PREFLIGHT_CA_FILE"]).parent
        assert (tls_dir / "server.key").is_file()
        # And when it is stopped (kill, a service manager, Ctrl+C)
        process.send_signal(signum)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    # Then it exits cleanly, its TLS directory (CA, private keys) is gone, and so is its env file
    assert process.returncode == 0, output
    assert not tls_dir.exists(), f"{tls_dir} was left with its private keys"
    assert not env_file.exists()


def test_a_sandbox_that_cannot_start_removes_an_earlier_env_file(tmp_path: Path) -> None:
    # Given an earlier sandbox's env file, and the port taken
    env_file = tmp_path / "sandbox.env"
    env_file.write_text(STALE, encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # When a sandbox is started on it
        process = _start(tmp_path, "--port", str(port))
        output, _ = process.communicate(timeout=60)
    # Then it says why and exits 2, and the earlier file is gone (a shell waiting for the file
    # does not source the earlier sandbox's settings)
    assert process.returncode == 2, output
    assert "[port_in_use]" in output
    assert not env_file.exists()
