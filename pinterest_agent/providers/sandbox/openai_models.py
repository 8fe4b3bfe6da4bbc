"""``GET /openai/v1/models``: the sandbox's stand-in says what it is.

OpenAI-compatible servers list their models at ``/models`` (OpenAI, llama.cpp, vLLM, Ollama).
The sandbox lists one, owned by :data:`STAND_IN_OWNER`, so a client that reaches it through a
configured key and base URL (a sourced ``sandbox.env``) can tell it is not a model: the prompt
workbench refuses to grade it then, as it does without a key, unless ``--sandbox`` is given.
"""

from __future__ import annotations

import time

from pinterest_agent.providers.sandbox.routes import RouteRegistry, SandboxRequest, SandboxResponse

__all__ = ["STAND_IN_MODEL", "STAND_IN_OWNER", "register"]

STAND_IN_OWNER = "pinterest-agent-sandbox"
STAND_IN_MODEL = "sandbox-stand-in"


def register(registry: RouteRegistry) -> None:
    registry.add("GET", "/openai/v1/models", _models_route)


def _models_route(request: SandboxRequest) -> SandboxResponse:
    entry = {"id": STAND_IN_MODEL, "object": "model", "created": int(time.time()),
             "owned_by": STAND_IN_OWNER}
    return SandboxResponse.json({"object": "list", "data": [entry]})
