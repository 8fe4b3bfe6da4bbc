"""Helpers shared by the CLI modules: typed errors to exit codes, JSON in and out."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from providers.errors import ConfigurationError, WorkerError
from queues.settings import load_settings

if TYPE_CHECKING:
    from queues.runtime import Runtime

__all__ = ["echo_json", "fail", "read_json", "reports_errors", "runtime"]

F = TypeVar("F", bound=Callable[..., Any])


def fail(exc: WorkerError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2 if isinstance(exc, ConfigurationError) else 1)


def reports_errors(func: F) -> F:
    """Turn the worker's typed errors into a one-line message and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except WorkerError as exc:
            fail(exc)

    return wrapper  # type: ignore[return-value]


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
