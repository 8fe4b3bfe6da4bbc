"""The one place where Pinterest's spec is read more leniently than it is written.

``metric_types`` of ``GET /pins/analytics`` and ``GET /pins/{pin_id}/analytics`` is an array whose
item schema is ``oneOf`` two string enums, standard and video Pin metrics. The two enums share
``IMPRESSION``, ``SAVE``, ``PIN_CLICK``, ``OUTBOUND_CLICK``, ``SAVE_RATE``, ``TOTAL_COMMENTS`` and
``TOTAL_REACTIONS``, so a shared value matches *both* branches and fails ``oneOf`` ("exactly
one") in every validator, although Pinterest accepts it: a defect of the spec, not of the client.

Exactly those two item schemas, named by JSON pointer in :data:`ONE_OF_AS_ANY_OF`, are read as
``anyOf`` ("at least one"). A value in neither enum is still refused, and every other ``oneOf``
of the spec stays strict; ``tests/test_contract.py`` pins both. :func:`apply_tolerances` refuses
to patch a node that is not a ``oneOf`` of string enums, so a new spec release that fixes or moves
these nodes fails loudly at load instead of silently tolerating something else.
"""

from __future__ import annotations

from typing import Any

from pinterest_agent.providers.pinterest.errors import PinterestConfigurationError

__all__ = ["ONE_OF_AS_ANY_OF", "apply_tolerances", "resolve_pointer"]

ONE_OF_AS_ANY_OF: tuple[str, ...] = (
    # GET /pins/analytics, query parameter metric_types (declared inline, 5th parameter)
    "/paths/~1pins~1analytics/get/parameters/4/schema/items",
    # GET /pins/{pin_id}/analytics, query parameter metric_types (a shared component)
    "/components/parameters/query_pin_analytics_metric_types/schema/items",
)
"""JSON pointers (RFC 6901) of the only ``oneOf`` nodes read as ``anyOf``."""


def apply_tolerances(spec: dict[str, Any]) -> dict[str, Any]:
    """Turn the ``oneOf`` at each pointer of :data:`ONE_OF_AS_ANY_OF` into ``anyOf``, in place.

    Returns ``spec``. Raises :class:`PinterestConfigurationError` (``spec_tolerance_stale``) when a
    pointer does not name a ``oneOf`` of string enums.
    """
    for pointer in ONE_OF_AS_ANY_OF:
        node = resolve_pointer(spec, pointer)
        branches = node.get("oneOf") if isinstance(node, dict) else None
        if not (isinstance(branches, list) and branches and all(
            isinstance(branch, dict) and branch.get("type") == "string" and "enum" in branch
            for branch in branches
        )):
            raise PinterestConfigurationError(
                f"The packaged Pinterest spec has no oneOf of string enums at {pointer}: update "
                "ONE_OF_AS_ANY_OF in providers/pinterest/spec_tolerances.py for this spec "
                "release (or drop the entry if Pinterest fixed the schema).",
                code="spec_tolerance_stale",
            )
        node["anyOf"] = node.pop("oneOf")
    return spec


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The node a JSON pointer (``/a/b~1c/0``) names in ``document``; ``KeyError`` if none."""
    node = document
    for part in pointer.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(key)] if isinstance(node, list) else node[key]
        except (IndexError, ValueError, TypeError):
            raise KeyError(pointer) from None
    return node
