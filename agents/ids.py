"""The one shape of an id that comes from outside (post, brief, channel, update ids): ASCII
letters and digits, then up to 127 of those or ``. _ : @ -``.

Such ids become Redis key names (``P:outcome:post:{post_id}``, ``P:publish:{post_id}``), console
URLs and log lines, so an id with a control character, a bidi override (U+202E), whitespace or
``${jndi:...}`` is refused wherever one enters: the message models, CLI arguments, console routes,
failure records of malformed messages and the reconciler.
"""

from __future__ import annotations

import re

from providers.errors import InvalidInputError

__all__ = ["ID_PATTERN", "InvalidIdError", "is_id", "require_id"]

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"
_ID = re.compile(ID_PATTERN.removesuffix("$") + r"\Z", re.ASCII)


class InvalidIdError(InvalidInputError):
    """An id from outside breaks :data:`ID_PATTERN`."""

    default_code = "invalid_id"


def is_id(value: object) -> bool:
    """Whether *value* is a string of :data:`ID_PATTERN`."""
    return isinstance(value, str) and _ID.match(value) is not None


def require_id(value: str, what: str = "id") -> str:
    """*value* when it is an id, else :class:`InvalidIdError` saying what an id may hold."""
    if not is_id(value):
        raise InvalidIdError(
            f"{what} {value[:80]!r} is not a valid id: use 1 to 128 ASCII letters, digits and "
            "'._:@-', starting with a letter or digit", field=what)
    return value
