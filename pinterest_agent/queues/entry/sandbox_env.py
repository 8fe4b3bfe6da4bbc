"""``pinterest-agent sandbox``: the local sandbox in the foreground, and the settings that point
every other command (a worker, ``draft``, ``enqueue``, ``channels add``) at it.

The settings are printed as ``export`` lines and, with ``--env-file``, written to a file to
source (``. ./sandbox.env``). They keep the sandbox's data apart from anything else in the same
Redis (their own key prefix, Dramatiq namespace and event stream), trust the sandbox's throwaway
CA, let the fetcher reach loopback (the sandbox's pages and images), and carry the seeded demo
account's tokens for ``pinterest-agent channels add --channel demo``. A secret key already in the
environment is kept; otherwise a new one is generated for this sandbox.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.providers.sandbox.state import SeedResult
from pinterest_agent.queues.stores.secrets import SecretBox

__all__ = ["DEMO_CHANNEL", "SANDBOX_PREFIX", "sandbox_env", "write_env_file"]

DEMO_CHANNEL = "demo"
SANDBOX_PREFIX = "pinterest-agent-sandbox"
_PREFIX = "PINTEREST_AGENT_"


def sandbox_env(server: SandboxServer, account: SeedResult,
                environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment variables pointing the worker at *server* (names without a value are
    omitted)."""
    env = {
        "PINTEREST_API_BASE": server.api_base,
        "PINTEREST_OAUTH_URL": server.oauth_url,
        "PINTEREST_APP_ID": server.state.app_id,
        "PINTEREST_APP_SECRET": server.state.app_secret,
        "OPENAI_BASE_URL": f"{server.base_url}/openai/v1",
        "OPENAI_API_KEY": "sandbox-key",
        "ALLOW_LOOPBACK_URLS": "true",
        "PREFLIGHT_CA_FILE": str(server.ca_file) if server.ca_file else "",
        "KEY_PREFIX": SANDBOX_PREFIX,
        "BROKER_NAMESPACE": f"{SANDBOX_PREFIX}-ns",
        "EVENTS_STREAM": f"{SANDBOX_PREFIX}:events",
        "SECRET_KEY": environ.get(_PREFIX + "SECRET_KEY") or SecretBox.generate_key(),
        "IMPORT_ACCESS_TOKEN": account.access_token,
        "IMPORT_REFRESH_TOKEN": account.refresh_token,
        "SANDBOX_BOARD": account.board_id,
    }
    return {_PREFIX + name: value for name, value in env.items() if value}


def export_lines(env: Mapping[str, str]) -> list[str]:
    return [f"export {name}={shlex.quote(value)}" for name, value in env.items()]


def write_env_file(path: Path, env: Mapping[str, str]) -> None:
    lines = [
        "# Written by `pinterest-agent sandbox`: source it (. ./sandbox.env) to point the worker,",
        "# draft, enqueue and channels commands at the local sandbox; then connect its demo",
        f"# account: pinterest-agent channels add --channel {DEMO_CHANNEL} "
        '--board "$PINTEREST_AGENT_SANDBOX_BOARD"',
        *export_lines(env),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)  # it holds a secret key and tokens
