"""The project's rule that a request body may carry only fields Pinterest's spec names.

Pinterest's schemas leave ``additionalProperties`` unset, so under the spec an unknown field is
allowed, and Pinterest ignores it: a typo'd ``alt_txt`` would publish a Pin without alt text. We
refuse it instead, as a bug in our client.

openapi-core has a switch for this (``additional_properties_default_policy="forbid"``), but it
judges every subschema on its own: a ``oneOf`` base with a ``discriminator`` and ``type: object``
but no ``properties`` (``PinMediaSource``, the ``media_source`` of every Pin) would refuse every
field, and each ``allOf`` branch would refuse the fields of its siblings. So the rule is applied
here, after openapi-core has validated the body, by walking the body with the schema: the fields
an object may carry are the ``properties`` of its schema, of every ``allOf`` branch, of the
branch its ``discriminator`` maps to (or, without one, of any ``oneOf``/``anyOf`` branch); an
object is open when one of those says ``additionalProperties`` or is a free-form object.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pinterest_agent.providers.pinterest.spec_tolerances import resolve_pointer

__all__ = ["unknown_fields"]

_MAX_DEPTH = 24


def unknown_fields(spec: Mapping[str, Any], schema: Mapping[str, Any], instance: object,
                   where: str) -> list[str]:
    """Violations for every field of ``instance`` (recursively) its ``schema`` does not name."""
    return _walk(spec, schema, instance, where, 0)


def _walk(spec: Mapping[str, Any], schema: Mapping[str, Any], instance: object, where: str,
          depth: int) -> list[str]:
    if depth > _MAX_DEPTH:
        return []
    schema = _deref(spec, schema)
    if isinstance(instance, list):
        items = schema.get("items")
        if not isinstance(items, Mapping):
            return []
        return [violation for index, item in enumerate(instance)
                for violation in _walk(spec, items, item, f"{where}[{index}]", depth + 1)]
    if not isinstance(instance, Mapping):
        return []
    known, is_open = _known(spec, schema, instance, 0)
    violations: list[str] = []
    for name, value in instance.items():
        if name not in known:
            if not is_open:
                violations.append(f"{where}.{name}: unknown field (not in Pinterest's spec)")
            continue
        for sub in known[name]:
            violations += _walk(spec, sub, value, f"{where}.{name}", depth + 1)
    return list(dict.fromkeys(violations))


def _known(spec: Mapping[str, Any], schema: Mapping[str, Any], instance: Mapping[str, Any],
           depth: int) -> tuple[dict[str, list[Mapping[str, Any]]], bool]:
    """Property name -> its schemas, and whether fields beyond them are allowed."""
    schema = _deref(spec, schema)
    known: dict[str, list[Mapping[str, Any]]] = {}
    if depth > _MAX_DEPTH:
        return known, True
    is_open = schema.get("additionalProperties") not in (None, False)
    for name, sub in (schema.get("properties") or {}).items():
        known.setdefault(name, []).append(sub)
    parts: list[Mapping[str, Any]] = list(schema.get("allOf") or [])
    parts += _branches(spec, schema, instance)
    for part in parts:
        sub_known, sub_open = _known(spec, part, instance, depth + 1)
        is_open = is_open or sub_open
        for name, subs in sub_known.items():
            known.setdefault(name, []).extend(subs)
    if not known and not parts:
        is_open = True  # a free-form object
    return known, is_open


def _branches(spec: Mapping[str, Any], schema: Mapping[str, Any],
              instance: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    branches: list[Mapping[str, Any]] = list(schema.get("oneOf") or schema.get("anyOf") or [])
    discriminator = schema.get("discriminator")
    if isinstance(discriminator, Mapping):
        target = (discriminator.get("mapping") or {}).get(
            instance.get(discriminator.get("propertyName", ""))
        )
        if isinstance(target, str):
            return [{"$ref": target}]
    return branches


def _deref(spec: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    for _ in range(32):
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#"):
            break
        node = resolve_pointer(spec, ref[1:])
    return node
