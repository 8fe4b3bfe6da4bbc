"""The web console operators run beside the workers (``pinterest-agent console``).

An entry point like the CLI: Starlette routes in this package call ``queues/`` and ``agents/``
the way the CLI does; the view logic lives in :mod:`agents.console`.
"""

from pinterest_agent.queues.console.access import ConsoleAccess, check_bind
from pinterest_agent.queues.console.app import create_app

__all__ = ["ConsoleAccess", "check_bind", "create_app"]
