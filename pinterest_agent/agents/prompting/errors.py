"""The prompt routing's error: the operator's (or prompt engineer's) to fix::

    ConfigurationError (pinterest_agent.errors)
    +-- UnknownVersionError   a version number or label that was never published
"""

from __future__ import annotations

from pinterest_agent.errors import ConfigurationError

__all__ = ["UnknownVersionError"]


class UnknownVersionError(ConfigurationError):
    default_code = "unknown_prompt_version"
