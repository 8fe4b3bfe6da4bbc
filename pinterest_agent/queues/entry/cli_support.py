"""Helpers shared by the CLI modules: typed errors to exit codes, JSON in and out.

Like every CLI module it imports only click and the standard library when loaded (the settings,
Redis, Dramatiq and the rest are imported by the functions that use them), so that building any
command's ``--help`` stays quick (``tests/test_cli_startup.py``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

import click

from pinterest_agent.errors import ConfigurationError, WorkerError
from pinterest_agent.extras import extra_providing, missing_extra

if TYPE_CHECKING:
    from pinterest_agent.queues.runtime import Runtime
    from pinterest_agent.queues.settings import Settings

__all__ = [
    "ReportingGroup",
    "broker_unreachable",
    "channel_param",
    "check_rabbitmq",
    "check_worker_settings",
    "echo_json",
    "fail",
    "load_settings",
    "read_json",
    "redis_unreachable",
    "runtime",
]

def channel_param(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Click callback of every channel id argument or option: the one id check
    (``agents.ids.require_channel_id``), refused as one ``error: [invalid_id]`` line."""
    from pinterest_agent.agents.ids import require_channel_id

    if value is None:
        return None
    if isinstance(value, tuple):
        return tuple(require_channel_id(each) for each in value)
    return require_channel_id(value)


def fail(exc: WorkerError) -> NoReturn:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2 if isinstance(exc, ConfigurationError) else 1)


def redis_unreachable(exc: Exception) -> ConfigurationError:
    url = _redact_url(load_settings().redis_url)
    return ConfigurationError(
        f"Redis does not answer at {url} ({type(exc).__name__}); start it, or point "
        "PINTEREST_AGENT_REDIS_URL at one that does", code="redis_unreachable",
    )


def broker_unreachable(settings: Settings, exc: Exception) -> ConfigurationError:
    url = _redact_url(settings.broker_url or "")
    return ConfigurationError(
        f"RabbitMQ does not answer at {url} ({type(exc).__name__}); start it, or point "
        "PINTEREST_AGENT_BROKER_URL at one that does (unset it to use Redis as the broker)",
        code="broker_unreachable",
    )


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def check_worker_settings(settings: Settings) -> None:
    """What a worker process needs before it forks: a usable secret key, a Redis that answers
    and, when configured, a RabbitMQ broker that answers (each refused with one clear line
    instead of a child's traceback)."""
    import redis

    from pinterest_agent.queues.stores.secrets import SecretBox

    if settings.secret_key is None:
        fail(ConfigurationError(
            "PINTEREST_AGENT_SECRET_KEY is not set: make one with `pinterest-agent keygen` and "
            "keep it (it decrypts the stored credentials)"))
    SecretBox(settings.secret_key)
    try:
        redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        fail(redis_unreachable(exc))
    if settings.broker_url is not None:
        check_rabbitmq(settings)


def check_rabbitmq(settings: Settings) -> None:
    """Open (and close) one connection to the RabbitMQ broker, or fail with one line."""
    import pika

    assert settings.broker_url is not None
    parameters = pika.URLParameters(settings.broker_url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = 3
    parameters.blocked_connection_timeout = 3
    try:
        pika.BlockingConnection(parameters).close()
    except pika.exceptions.AMQPError as exc:
        fail(broker_unreachable(settings, exc))


class ReportingGroup(click.Group):
    """The root command group: any ``WorkerError`` from any command becomes a one-line
    ``error: [code] message`` on stderr and exit 1 (2 for configuration), never a traceback;
    so does a Redis (or RabbitMQ broker) that does not answer (exit 2, naming
    ``PINTEREST_AGENT_REDIS_URL`` or ``PINTEREST_AGENT_BROKER_URL``), and a module of an extra
    that is not installed (exit 2, naming the extra; commands check with ``require_extra``
    first, this catches the rest)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WorkerError as exc:
            fail(exc)
        except ModuleNotFoundError as exc:
            extra = extra_providing(exc.name)
            if extra is None:
                raise
            fail(missing_extra(extra, "this command", exc.name or extra))
        except Exception as exc:
            unreachable = _unreachable(exc)
            if unreachable is None:
                raise
            fail(unreachable)


def _unreachable(exc: Exception) -> ConfigurationError | None:
    """A Redis or RabbitMQ broker that does not answer, as one configuration error (else None).
    Their libraries are imported here, after the fact: a command that never used them did not
    raise their errors, and loading the CLI stays quick."""
    if "redis" in sys.modules:
        import redis

        if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
            return redis_unreachable(exc)
    if "dramatiq" in sys.modules or "pika" in sys.modules:
        import dramatiq.errors
        import pika.exceptions

        if isinstance(exc, dramatiq.errors.BrokerConnectionError
                      | pika.exceptions.AMQPConnectionError):
            return broker_unreachable(load_settings(), exc)  # RabbitMQ (Dramatiq wraps pika's)
    return None


def load_settings() -> Settings:
    """:func:`queues.settings.load_settings` (read once), imported when a command first asks."""
    from pinterest_agent.queues import settings

    return settings.load_settings()


def runtime() -> Runtime:
    from pinterest_agent.queues.runtime import Runtime

    return Runtime.build(load_settings())


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str, sort_keys=False))


def read_json(path: Path) -> Any:
    """A message file as JSON, refusing what the worker would refuse (too large, too deep, not
    UTF-8, not JSON) with one clear error; the sandbox's URLs it names
    (``${PINTEREST_AGENT_SANDBOX_URL}``) are filled in (:mod:`queues.sandbox_urls`)."""
    from pinterest_agent.queues.broker.envelopes import depth_of
    from pinterest_agent.queues.jobs.publish import InvalidMessageError
    from pinterest_agent.queues.sandbox_urls import resolve_sandbox_urls

    settings = load_settings()
    size = path.stat().st_size
    if size > settings.max_message_bytes:
        raise InvalidMessageError(
            f"{path} is {size:,} bytes, over the {settings.max_message_bytes:,}-byte message "
            "limit (PINTEREST_AGENT_MAX_MESSAGE_BYTES)", code="message_too_large")
    too_deep = False
    try:
        value = json.loads(resolve_sandbox_urls(path.read_bytes(), settings, path)
                           .decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidMessageError(f"{path} is not UTF-8 text") from exc
    except RecursionError:
        too_deep, value = True, None
    except json.JSONDecodeError as exc:
        raise InvalidMessageError(
            f"{path} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from exc
    if too_deep or depth_of(value, settings.max_message_depth) > settings.max_message_depth:
        raise InvalidMessageError(
            f"{path} nests deeper than {settings.max_message_depth} levels; send the documented "
            "object (`pinterest-agent schema`)", code="message_too_deep")
    return value
