"""``pinterest-agent sandbox``: the local sandbox in the foreground, and the settings that point
every other command (a worker, ``draft``, ``enqueue``, ``channels add``) at it.

The settings are printed as ``export`` lines and, with ``--env-file``, written to a file to
source (``. ./sandbox.env``). They keep each sandbox's data apart from anything else in the same
Redis, earlier sandboxes included (a key prefix, Dramatiq namespace and event stream of its own),
trust the sandbox's throwaway CA, let the fetcher reach loopback (the sandbox's pages and images),
name the sandbox's URLs (``PINTEREST_AGENT_SANDBOX_URL`` and ``..._SANDBOX_HTTPS_URL``, which the
sample files under ``fixtures/`` refer to), and carry the seeded demo account's tokens for
``pinterest-agent channels add --channel demo``. A secret key already in the environment is kept;
otherwise a new one is generated for this sandbox.

The file is written whole or not at all (a temporary file renamed over it), so a shell waiting
with ``until [ -s sandbox.env ]`` never reads half of it; the command removes an earlier one when
it starts and its own when it stops (its CA is gone then).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pinterest_agent.providers.sandbox.server import SandboxServer
    from pinterest_agent.providers.sandbox.state import SeedResult

__all__ = ["DEMO_CHANNEL", "SANDBOX_PREFIX", "export_lines", "remove_env_file", "sandbox_env",
           "sandbox_key_prefix", "write_env_file"]

DEMO_CHANNEL = "demo"
#: Every sandbox's key prefix starts with this (``pinterest-agent-sandbox-<8 hex digits>``).
SANDBOX_PREFIX = "pinterest-agent-sandbox"
_PREFIX = "PINTEREST_AGENT_"


def sandbox_key_prefix() -> str:
    """A key prefix of its own for one sandbox: ``pinterest-agent-sandbox-<8 hex digits>``."""
    return f"{SANDBOX_PREFIX}-{secrets.token_hex(4)}"


def sandbox_env(server: SandboxServer, account: SeedResult,
                environ: Mapping[str, str] = os.environ,
                key_prefix: str | None = None) -> dict[str, str]:
    """The environment variables pointing the worker at *server* (names without a value are
    omitted), under *key_prefix* (default: a new one, :func:`sandbox_key_prefix`)."""
    from pinterest_agent.queues.stores.secrets import SecretBox

    prefix = key_prefix or sandbox_key_prefix()
    env = {
        "PINTEREST_API_BASE": server.api_base,
        "PINTEREST_OAUTH_URL": server.oauth_url,
        "PINTEREST_APP_ID": server.state.app_id,
        "PINTEREST_APP_SECRET": server.state.app_secret,
        "OPENAI_BASE_URL": f"{server.base_url}/openai/v1",
        "OPENAI_API_KEY": "sandbox-key",
        "ALLOW_LOOPBACK_URLS": "true",
        "PREFLIGHT_CA_FILE": str(server.ca_file) if server.ca_file else "",
        "KEY_PREFIX": prefix,
        "BROKER_NAMESPACE": f"{prefix}-ns",
        "EVENTS_STREAM": f"{prefix}:events",
        "SECRET_KEY": environ.get(_PREFIX + "SECRET_KEY") or SecretBox.generate_key(),
        "IMPORT_ACCESS_TOKEN": account.access_token,
        "IMPORT_REFRESH_TOKEN": account.refresh_token,
        "SANDBOX_BOARD": account.board_id,
        "SANDBOX_URL": server.base_url,
        "SANDBOX_HTTPS_URL": server.https_base_url if server.tls is not None else "",
    }
    return {_PREFIX + name: value for name, value in env.items() if value}


def export_lines(env: Mapping[str, str]) -> list[str]:
    return [f"export {name}={shlex.quote(value)}" for name, value in env.items()]


def write_env_file(path: Path, env: Mapping[str, str], *,
                   header: tuple[str, ...] | None = None) -> None:
    """Write the ``export`` lines of *env* to *path*, readable by its owner only (it holds a
    secret key and tokens), atomically: a temporary file beside it, renamed over it."""
    if header is None:
        header = (
            "# Written by `pinterest-agent sandbox`: source it (. ./sandbox.env) to point the "
            "worker,",
            "# draft, enqueue and channels commands at the local sandbox; then connect its demo",
            f"# account: pinterest-agent channels add --channel {DEMO_CHANNEL} "
            '--board "$PINTEREST_AGENT_SANDBOX_BOARD"',
        )
    text = "\n".join([*header, *export_lines(env)]) + "\n"
    target = path.absolute()
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:  # mkstemp: mode 0600 already
            out.write(text)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def remove_env_file(path: Path) -> None:
    """Remove *path* if it is there (an earlier sandbox's settings, or this one's at its end)."""
    path.unlink(missing_ok=True)
