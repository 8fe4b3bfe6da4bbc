"""A local, stateful emulation of Pinterest v5 on loopback for the demo, tests and benchmarks.

``SandboxServer`` serves it; ``state`` holds its records; ``faults`` injects failures; ``routes``
is the registry other modules add endpoints to (see its docstring for the handler API).
"""

from pinterest_agent.providers.sandbox.faults import Fault, FaultRegistry
from pinterest_agent.providers.sandbox.routes import (
    ApiError,
    Route,
    RouteRegistry,
    SandboxRequest,
    SandboxResponse,
)
from pinterest_agent.providers.sandbox.server import SandboxServer, serve
from pinterest_agent.providers.sandbox.state import SandboxState, SeedResult

__all__ = [
    "ApiError",
    "Fault",
    "FaultRegistry",
    "Route",
    "RouteRegistry",
    "SandboxRequest",
    "SandboxResponse",
    "SandboxServer",
    "SandboxState",
    "SeedResult",
    "serve",
]
