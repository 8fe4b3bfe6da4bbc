"""The one shape of an id that comes from outside (post, brief, channel, update ids): ASCII
letters and digits, then up to 127 of those or ``. _ : @ -``.

Such ids become Redis key names (``P:outcome:post:{post_id}``, ``P:publish:{post_id}``), console
URLs and log lines, so an id with a control character, a bidi override (U+202E), whitespace or
``${jndi:...}`` is refused wherever one enters: the message models, CLI arguments, console routes
and forms, failure records of malformed messages and the reconciler. Channel ids are checked by
:func:`require_channel_id` at every door that takes one.
"""

from __future__ import annotations

import re

from pinterest_agent.errors import InvalidInputError

__all__ = ["ID_PATTERN", "MAX_CHANNEL_ID_CHARS", "InvalidIdError", "is_id", "require_channel_id",
           "require_id"]

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"
MAX_CHANNEL_ID_CHARS = 64
"""Shorter than other ids: a channel's id is the first part of its catalog brief ids."""
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


def require_channel_id(value: str) -> str:
    """A channel id as every door takes it (``channels add | connect``, the console's connect
    form, ``insights``, ``catalog``, ``report``, ``prompts report``): an id of at most
    :data:`MAX_CHANNEL_ID_CHARS` characters, so that a channel accepted once works in every
    command, URL, Redis key and message, the catalog's brief ids (``{channel}.{item}.v1``)
    included."""
    if len(value) > MAX_CHANNEL_ID_CHARS or not is_id(value):
        raise InvalidIdError(
            f"channel id {value[:80]!r} is not a valid channel id: use 1 to "
            f"{MAX_CHANNEL_ID_CHARS} ASCII letters, digits and '._:@-', starting with a letter "
            "or digit", field="channel id")
    return value
