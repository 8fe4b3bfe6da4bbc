"""A local, stateful emulation of Pinterest v5 on loopback for the demo, tests and benchmarks.

``SandboxServer`` serves it; ``state`` holds its records; ``faults`` injects failures; ``routes``
is the registry other modules add endpoints to (see its docstring for the handler API).
"""

from providers.sandbox.faults import Fault, FaultRegistry
from providers.sandbox.routes import (
    ApiError,
    Route,
    RouteRegistry,
    SandboxRequest,
    SandboxResponse,
)
from providers.sandbox.server import SandboxServer, serve
from providers.sandbox.state import SandboxState, SeedResult

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
