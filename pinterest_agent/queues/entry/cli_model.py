"""``pinterest-agent model serve``: the bundled local model on loopback, in the foreground."""

from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path
from types import FrameType

import click

from pinterest_agent.agents.llm.errors import LLMUnavailableError
from pinterest_agent.extras import require_extra
from pinterest_agent.queues.entry.cli_support import fail

__all__ = ["model"]


@click.group()
def model() -> None:
    """The bundled local model (Gemma 3 270M on llama.cpp's server): a real model, offline."""


@model.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8089, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", type=click.IntRange(min=1),
              help="CPU threads (default: half the cores, at least 1; more than the idle cores "
                   "makes llama.cpp slower, not faster).")
@click.option("--n-ctx", "context", default=4096, show_default=True, type=click.IntRange(512))
@click.option("--model-path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Another GGUF file (default: the bundled Gemma 3 270M).")
@click.option("--env-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the export lines to this file (source it: . ./FILE).")
def serve(host: str, port: int, threads: int | None, context: int, model_path: Path | None,
          env_file: Path | None) -> None:
    """Start the local model and print the settings that point the worker at it."""
    require_extra("local-model", "the local model")
    from pinterest_agent.agents.llm.local_server import local_model_env, serve_local_model
    from pinterest_agent.queues.entry.sandbox_env import export_lines

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    click.echo(f"Starting the local model on {host}:{port} (the first start writes the 253 MB "
               "model file under ~/.cache) ...", err=True)
    try:
        with serve_local_model(host=host, port=port, threads=threads, context=context,
                               model_path=model_path) as running:
            env = local_model_env(running)
            click.echo(f"{running.model} ({running.model_path}, {running.threads} thread(s)) "
                       f"answers at {running.base_url}")
            click.echo("\nPoint a worker and the CLI at it (or source the --env-file):")
            click.echo("\n".join(export_lines(env)))
            if env_file is not None:
                env_file.write_text("# Written by `pinterest-agent model serve`\n"
                                    + "\n".join(export_lines(env)) + "\n", encoding="utf-8")
                click.echo(f"\n(written to {env_file})")
            click.echo("\nPress Ctrl+C to stop.")
            with contextlib.suppress(KeyboardInterrupt):
                while not stop.is_set() and running.process.poll() is None:
                    stop.wait(0.5)
            if running.process.poll() not in (None, 0, -signal.SIGTERM):
                fail(LLMUnavailableError(
                    f"the local model server exited ({running.process.returncode})"))
    except LLMUnavailableError as exc:
        fail(exc)
