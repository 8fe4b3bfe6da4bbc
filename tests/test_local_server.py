"""The local model's process management (no model answers here: the tier is
test_real_model.py; the one test that starts the server only waits for it to listen)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from click.testing import CliRunner

from pinterest_agent.agents.llm import LLMConfigurationError, LLMUnavailableError, local_server
from pinterest_agent.agents.llm.local_server import (
    LocalModel,
    default_threads,
    local_model_env,
    serve_local_model,
)
from pinterest_agent.queues.entry.cli import main
from pinterest_agent.queues.settings import Settings


def test_a_file_that_is_not_a_model_fails_fast_and_typed(tmp_path: Path) -> None:
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"not a gguf file")
    log = tmp_path / "server.log"
    with pytest.raises(LLMUnavailableError, match="exited") as info, \
            serve_local_model(model_path=bogus, log_file=log, startup_timeout_s=60):
        pass
    assert info.value.code == "llm_unavailable"
    assert "Failed to load model" in info.value.message  # the server's own last lines


def test_without_a_log_file_the_failure_still_says_why(tmp_path: Path) -> None:
    # (the server's output went to /dev/null: "exited (1) before answering", and no reason)
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"not a gguf file")
    with pytest.raises(LLMUnavailableError, match="Failed to load model"), \
            serve_local_model(model_path=bogus, startup_timeout_s=60):
        pass


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port something listens on (as another server would)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_a_taken_port_is_refused_before_anything_starts(tmp_path: Path, taken_port: int) -> None:
    # Another server on the port answered the readiness probe: the settings printed pointed at
    # it while this one failed to bind
    model = tmp_path / "model.gguf"
    model.write_bytes(b"never read")
    with pytest.raises(LLMConfigurationError, match=f"127.0.0.1:{taken_port} is taken") as info, \
            serve_local_model(port=taken_port, model_path=model):
        pass
    assert info.value.code == "port_in_use"
    result = CliRunner().invoke(main, ["model", "serve", "--port", str(taken_port),
                                       "--model-path", str(model)])
    assert result.exit_code == 2  # the operator's to fix
    assert result.output.strip().splitlines()[-1].startswith("error: [port_in_use]")


@pytest.mark.real_model
def test_the_readiness_probe_is_not_sent_to_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # With a proxy in the environment the probe went to it, and a server that was up was
    # reported as not answering after two minutes
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with serve_local_model(startup_timeout_s=180) as running:
        assert running.process.poll() is None
    assert running.process.poll() is not None  # stopped on the way out


def test_a_missing_file_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(LLMUnavailableError, match="no model file"), \
            serve_local_model(model_path=tmp_path / "absent.gguf"):
        pass


def test_the_printed_settings_are_valid_settings(tmp_path: Path) -> None:
    running = LocalModel(base_url="http://127.0.0.1:8089/v1", model="m", model_path=tmp_path,
                         threads=1, process=None)  # type: ignore[arg-type]
    env = local_model_env(running)
    settings = Settings.model_validate(
        {k.removeprefix("PINTEREST_AGENT_").lower(): v for k, v in env.items()})
    assert settings.openai_output_mode == "json_object" and settings.openai_temperature == 0
    assert settings.openai_vision is False and settings.openai_max_output_tokens == 600
    assert default_threads() >= 1


def test_model_serve_on_a_bad_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"nope")
    result = CliRunner().invoke(main, ["model", "serve", "--port", "1", "--model-path",
                                       str(bogus)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("error: [llm_unavailable]")


def test_the_gemma_format_keeps_the_system_message() -> None:
    # llama-cpp-python's own "gemma" format dropped it: the model never saw the instructions
    from pinterest_agent.agents.llm.gemma_chat import gemma3_prompt

    prompt = gemma3_prompt([
        {"role": "system", "content": "RULES"},
        {"role": "user", "content": [{"type": "text", "text": "<brief>x</brief>"}]},
        {"role": "assistant", "content": "{}"},
        {"role": "user", "content": "fix it"},
        {"role": "system", "content": "SCHEMA"},
    ])
    assert prompt == ("<start_of_turn>user\nRULES\n\nSCHEMA\n\n<brief>x</brief><end_of_turn>\n"
                      "<start_of_turn>model\n{}<end_of_turn>\n"
                      "<start_of_turn>user\nfix it<end_of_turn>\n<start_of_turn>model\n")


def test_a_killed_parent_leaves_no_server_behind(tmp_path: Path) -> None:
    # A benchmark stopped with SIGTERM (no handler: no cleanup) left its model server running
    import time

    script = tmp_path / "parent.py"
    script.write_text(
        "import subprocess, sys, time\n"
        "from pinterest_agent.agents.llm import local_server\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],\n"
        "                         preexec_fn=local_server._die_with_parent())\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        with open(f"/proc/{child}/stat") as stat:  # reaped by init soon; a zombie is dead too
            if stat.read().split()[2] == "Z":
                return
        time.sleep(0.1)
    raise AssertionError("the child outlived its killed parent")


# -- model serve's signals (a scripted start in place of the server) --------------------------


class _Process:
    """A server process as the serve loop sees it; *on_poll* runs at each look."""

    def __init__(self, on_poll: Any, returncode: int | None = None) -> None:
        self.on_poll = on_poll
        self.returncode = returncode

    def poll(self) -> int | None:
        self.on_poll()
        return self.returncode


def _scripted_start(monkeypatch: pytest.MonkeyPatch, *, before_up: Any = None,
                    process: _Process | None = None) -> list[str]:
    """Replace the server with a scripted one; the list says what happened to it."""
    story: list[str] = []

    @contextlib.contextmanager
    def start(**_: Any) -> Iterator[LocalModel]:
        story.append("started")
        try:
            if before_up is not None:
                before_up()
            yield LocalModel(base_url="http://127.0.0.1:1/v1", model="m",
                             model_path=Path("m.gguf"), threads=1,
                             process=cast(subprocess.Popen[bytes], process))
        finally:
            story.append("stopped")

    monkeypatch.setattr(local_server, "serve_local_model", start)  # what the command imports
    return story


def _sigterm_self() -> None:
    os.kill(os.getpid(), signal.SIGTERM)


def test_sigterm_while_the_model_loads_stops_it_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a start that takes long (the model loading) and a SIGTERM during it
    def slow_start() -> None:
        _sigterm_self()
        threading.Event().wait(60)  # a start that has not answered yet
        raise AssertionError("SIGTERM did not interrupt the start")

    story = _scripted_start(monkeypatch, before_up=slow_start)
    handler = signal.getsignal(signal.SIGTERM)
    # When model serve runs
    result = CliRunner().invoke(main, ["model", "serve"])
    # Then it stops the server without announcing it, exits 0, and leaves the handlers as they
    # were (the old one stayed installed: this process would have ignored SIGTERM afterwards)
    assert result.exit_code == 0, result.output
    assert story == ["started", "stopped"]
    assert "export" not in result.output and "Stopped the local model." in result.output
    assert signal.getsignal(signal.SIGTERM) is handler


def test_sigterm_while_serving_stops_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    story = _scripted_start(monkeypatch, process=_Process(on_poll=_sigterm_self))
    result = CliRunner().invoke(main, ["model", "serve"])
    assert result.exit_code == 0, result.output
    assert story == ["started", "stopped"]
    assert "export PINTEREST_AGENT_OPENAI_BASE_URL=http://127.0.0.1:1/v1" in result.output


def test_a_server_that_dies_while_serving_is_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    story = _scripted_start(monkeypatch, process=_Process(on_poll=lambda: None, returncode=-9))
    handler = signal.getsignal(signal.SIGINT)
    result = CliRunner().invoke(main, ["model", "serve"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "error: [llm_unavailable] the local model server exited (-9)")
    assert story == ["started", "stopped"]
    assert signal.getsignal(signal.SIGINT) is handler
