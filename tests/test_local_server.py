"""The local model's process management (no model runs here: the tier is test_real_model.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pinterest_agent.agents.llm import LLMUnavailableError
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
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(
        "import subprocess, sys, time\n"
        "from pinterest_agent.agents.llm import local_server\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],\n"
        "                         preexec_fn=local_server._die_with_parent)\n"
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
