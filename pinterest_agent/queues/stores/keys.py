"""Redis key names under the ``key_prefix`` setting, and the bytes/str helpers the stores share."""

from __future__ import annotations

__all__ = ["Keys", "as_bytes", "as_str"]


class Keys:
    """Joins key parts under the prefix: ``Keys("P")("publish", "42")`` is ``P:publish:42``."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))


def as_str(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def as_bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()
