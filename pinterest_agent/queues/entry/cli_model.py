"""``pinterest-agent model serve``: the bundled local model on loopback, in the foreground."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from pinterest_agent.extras import require_extra
from pinterest_agent.queues.entry.cli_support import fail

if TYPE_CHECKING:
    from pinterest_agent.agents.llm.local_server import LocalModel

__all__ = ["DEFAULT_CONTEXT", "DEFAULT_PORT", "model"]

#: ``agents.llm.local_server``'s defaults, named here so that ``--help`` does not import the LLM
#: client (``tests/test_cli_startup.py`` checks they are the same).
DEFAULT_PORT = 8089
DEFAULT_CONTEXT = 4096


@click.group()
def model() -> None:
    """The bundled local model (Gemma 3 270M on llama.cpp's server): a real model, offline."""


@model.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", type=click.IntRange(min=1),
              help="CPU threads (default: half the cores, at least 1; more than the idle cores "
                   "makes llama.cpp slower, not faster).")
@click.option("--n-ctx", "context", default=DEFAULT_CONTEXT, show_default=True,
              type=click.IntRange(512), help="The context window, in tokens.")
@click.option("--model-path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Another GGUF file (default: the bundled Gemma 3 270M).")
@click.option("--env-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the export lines to this file (source it: . ./FILE).")
def serve(host: str, port: int, threads: int | None, context: int, model_path: Path | None,
          env_file: Path | None) -> None:
    """Start the local model and print the settings that point the worker at it."""
    require_extra("local-model", "the local model")
    from pinterest_agent.agents.llm.errors import LLMError, LLMUnavailableError
    from pinterest_agent.agents.llm.local_server import local_model_env, serve_local_model

    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # Ctrl+C or SIGTERM, while starting or serving: unwind (the server is stopped on the
        # way out); a second signal during that does not cut the clean-up short.
        if not stopping.is_set():
            stopping.set()
            raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, on_signal)
                for signum in (signal.SIGINT, signal.SIGTERM)}
    click.echo(f"Starting the local model on {host}:{port} (the first start writes the 253 MB "
               "model file under ~/.cache) ...", err=True)
    try:
        with serve_local_model(host=host, port=port, threads=threads, context=context,
                               model_path=model_path) as running:
            _announce(running, local_model_env(running), env_file)
            while running.process.poll() is None:
                time.sleep(0.5)
            fail(LLMUnavailableError(
                f"the local model server exited ({running.process.returncode})"))
    except KeyboardInterrupt:
        click.echo("Stopped the local model.", err=True)
    except LLMError as exc:
        fail(exc)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _announce(running: LocalModel, env: dict[str, str], env_file: Path | None) -> None:
    from pinterest_agent.queues.entry.sandbox_env import (  # (not the sandbox itself)
        export_lines,
        write_env_file,
    )

    click.echo(f"{running.model} ({running.model_path}, {running.threads} thread(s)) "
               f"answers at {running.base_url}")
    click.echo("\nPoint a worker and the CLI at it (or source the --env-file):")
    click.echo("\n".join(export_lines(env)))
    if env_file is not None:
        write_env_file(env_file, env, header=("# Written by `pinterest-agent model serve`",))
        click.echo(f"\n(written to {env_file})")
    click.echo("\nPress Ctrl+C to stop.")
