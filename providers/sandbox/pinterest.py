"""Pinterest v5 endpoints of the sandbox (OAuth, user account, boards, sections, pins, media)."""

from __future__ import annotations

from providers.sandbox.routes import RouteRegistry

__all__ = ["register"]


def register(registry: RouteRegistry) -> None:
    """Add the Pinterest routes."""
