"""Helpers shared by the CLI modules: typed errors to exit codes, JSON in and out."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from providers.errors import ConfigurationError, WorkerError
from queues.settings import load_settings

if TYPE_CHECKING:
    from queues.runtime import Runtime

__all__ = ["ReportingGroup", "echo_json", "fail", "read_json", "runtime"]

def fail(exc: WorkerError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2 if isinstance(exc, ConfigurationError) else 1)


class ReportingGroup(click.Group):
    """The root command group: any ``WorkerError`` from any command becomes a one-line
    ``error: [code] message`` on stderr and exit 1 (2 for configuration), never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WorkerError as exc:
            fail(exc)


def runtime() -> Runtime:
    from queues.runtime import Runtime

    return Runtime.build(load_settings())


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str, sort_keys=False))


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        from queues.jobs import InvalidMessageError

        raise InvalidMessageError(
            f"{path} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from exc
