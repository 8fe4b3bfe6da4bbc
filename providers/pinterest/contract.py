"""Pinterest's official OpenAPI spec (v5.23.0) as a contract that requests and responses are checked
against.

:func:`load_contract` loads the packaged, gzipped spec once and returns a :class:`SpecContract`:

- ``validate_request(method, url_path, query, body, content_type)``: the path must match a spec
  path template for that method; path and query parameters are checked against their schemas
  (required, type, enum, bounds, ``maxItems``; ``style: form, explode: false`` arrays arrive
  comma-separated; unknown query parameters are violations); the body is checked against the
  operation's request body schema for its content type, and fields the schema does not name are
  violations (Pinterest's schemas leave ``additionalProperties`` open, but a field Pinterest does
  not know is a bug in our client). For ``POST /oauth/token`` form fields are strings and the one
  extra field the operation's description asks for, ``continuous_refresh=true``, is allowed.
- ``validate_response(method, url_path, status, body)``: the body against the documented response
  schema of that status (or ``default``).
- ``request_violations(httpx_request)``: the same check on an ``httpx.Request``.
- ``required_scopes(method, url_path)`` and ``operation_id(method, url_path)``: what the spec
  says about the operation a request would reach.

Every method returns human-readable violations, ``[]`` when the message conforms. Schemas are
checked with openapi-schema-validator's OAS 3.0 validators (write rules for requests, so
``readOnly`` properties are neither required nor allowed; read rules for responses), with ``$ref``
resolved against the whole spec; validators are compiled once per schema and cached, so checking
every request of a benchmark is cheap. ``url_path`` may carry the ``/v5`` prefix or not.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

import httpx
from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator
from referencing import Registry
from referencing.jsonschema import DRAFT4

__all__ = ["SPEC_FILENAME", "SpecContract", "load_contract", "load_spec", "spec_bytes"]

SPEC_FILENAME = "openapi-v5.23.0.json.gz"
SPEC_URI = "urn:pinterest:openapi:v5.23.0"
API_PREFIX = "/v5"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
OAUTH_SCHEME = "pinterest_oauth2"
#: Extra form fields a spec operation's description allows beyond its schema.
EXTRA_FORM_FIELDS: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("POST", "/oauth/token"): {"continuous_refresh": ("true",)},
}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PLACEHOLDER = re.compile(r"\{([^/{}]+)\}")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")
_MAX_SHOWN = 120

Schema = dict[str, Any]


def spec_bytes() -> bytes:
    """The packaged spec, uncompressed."""
    packaged = resources.files("providers.pinterest") / "openapi" / SPEC_FILENAME
    return gzip.decompress(packaged.read_bytes())


@lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    """The packaged spec as a dict (parsed once)."""
    spec: dict[str, Any] = json.loads(spec_bytes())
    _relax_enum_unions(spec)
    return spec


@lru_cache(maxsize=1)
def load_contract() -> SpecContract:
    """The contract of the packaged spec (built once per process)."""
    return SpecContract(load_spec())


def _relax_enum_unions(node: Any) -> None:
    """Read ``oneOf`` of plain string enums as ``anyOf``.

    The spec writes e.g. pin analytics ``metric_types`` items as ``oneOf`` two enums that share
    ``IMPRESSION``; under strict ``oneOf`` a value valid in both would be refused.
    """
    if isinstance(node, dict):
        branches = node.get("oneOf")
        if (isinstance(branches, list) and "discriminator" not in node
                and all(isinstance(b, dict) and "enum" in b and "$ref" not in b
                        for b in branches)):
            node["anyOf"] = node.pop("oneOf")
        for value in node.values():
            _relax_enum_unions(value)
    elif isinstance(node, list):
        for value in node:
            _relax_enum_unions(value)


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date", raises=ValueError)(_is_date)
    checker.checks("date-time")(_is_date_time)
    return checker


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(_DATE.match(value)) and date.fromisoformat(value) is not None


def _is_date_time(value: object) -> bool:
    """Date-times as Pinterest writes them, with or without a UTC offset."""
    return not isinstance(value, str) or bool(_DATE_TIME.match(value))


def _pointer(*parts: str) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


@dataclass(frozen=True)
class _Param:
    name: str
    location: str
    required: bool
    schema_pointer: str
    kind: str  # the schema's type ("string", "integer", "array", ...; "" when untyped)
    item_kind: str
    explode: bool


@dataclass
class _Operation:
    method: str
    template: str
    pointer: str
    params: dict[tuple[str, str], _Param]
    body_pointers: dict[str, str]  # content type -> schema pointer
    body_required: bool
    responses: dict[str, str | None] = field(default_factory=dict)  # status -> schema pointer
    scopes: list[frozenset[str]] = field(default_factory=list)  # OAuth alternatives, any suffices


@dataclass(frozen=True)
class _PathTemplate:
    template: str
    regex: re.Pattern[str]
    literal_count: int


class SpecContract:
    """Checks requests and responses against one OpenAPI 3.0 spec (see the module docstring)."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self._registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, DRAFT4.create_resource(spec)
        )
        self._formats = _format_checker()
        self._templates: dict[int, list[_PathTemplate]] = {}
        for template in spec["paths"]:
            segments = template.strip("/").split("/")
            regex = "".join(
                "/" + ("([^/]+)" if _PLACEHOLDER.fullmatch(seg) else re.escape(seg))
                for seg in segments
            )
            literals = sum(1 for seg in segments if not _PLACEHOLDER.fullmatch(seg))
            entry = _PathTemplate(template, re.compile(regex), literals)
            self._templates.setdefault(len(segments), []).append(entry)
        for entries in self._templates.values():
            entries.sort(key=lambda entry: -entry.literal_count)
        self._operations: dict[tuple[str, str], _Operation] = {}

    # -- public API ---------------------------------------------------------------------------

    def validate_request(
        self,
        method: str,
        url_path: str,
        query: Mapping[str, str | Sequence[str]],
        body: object | None,
        content_type: str | None,
    ) -> list[str]:
        """Violations of a request (``[]`` when it conforms to the spec)."""
        found = self._find(method, url_path)
        if isinstance(found, str):
            return [found]
        operation, path_values = found
        violations: list[str] = []
        for name, value in path_values.items():
            param = operation.params.get(("path", name))
            if param is not None:
                violations += self._check_param(param, [value])
        violations += self._check_query(operation, query)
        violations += self._check_body(operation, body, content_type)
        return violations

    def validate_response(
        self, method: str, url_path: str, status: int, body: object
    ) -> list[str]:
        """Violations of a response body against the schema documented for ``status``."""
        found = self._find(method, url_path)
        if isinstance(found, str):
            return [found]
        operation = found[0]
        key = str(status) if str(status) in operation.responses else "default"
        if key not in operation.responses:
            return [f"status {status} is not documented for {operation.method} "
                    f"{operation.template}"]
        pointer = operation.responses[key]
        if pointer is None:
            return [] if body in (None, b"", "") else [f"status {status} documents no body"]
        if body is None:
            return [f"status {status} needs a body"]
        return self._schema_violations(pointer, body, "body", read=True)

    def request_violations(self, request: httpx.Request) -> list[str]:
        """Violations of an ``httpx.Request`` (its JSON or form body is parsed)."""
        query = parse_qs(request.url.query.decode(), keep_blank_values=True)
        raw_type = request.headers.get("Content-Type")
        content_type = raw_type.split(";", 1)[0].strip().lower() if raw_type else None
        content = request.read()
        body: object | None = None
        if content:
            if content_type == JSON:
                try:
                    body = json.loads(content)
                except ValueError:
                    return ["body: not valid JSON"]
            elif content_type == FORM:
                body = {k: v[0] for k, v in parse_qs(content.decode(), True).items()}
            else:
                body = content
        return self.validate_request(request.method, request.url.path, query, body, content_type)

    def required_scopes(self, method: str, url_path: str) -> list[frozenset[str]]:
        """The OAuth scope sets that each allow the operation (any one suffices; [] for none)."""
        found = self._find(method, url_path)
        return [] if isinstance(found, str) else list(found[0].scopes)

    def operation_id(self, method: str, url_path: str) -> str | None:
        """The spec's ``operationId`` for a request, or ``None`` when the path is unknown."""
        found = self._find(method, url_path)
        if isinstance(found, str):
            return None
        op = _resolve_pointer(self.spec, found[0].pointer)
        return str(op.get("operationId")) if op.get("operationId") else None

    # -- operations ---------------------------------------------------------------------------

    def _find(self, method: str, url_path: str) -> tuple[_Operation, dict[str, str]] | str:
        path = url_path.split("?", 1)[0]
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            path = path[len(API_PREFIX):]
        path = "/" + path.strip("/")
        segments = path.count("/")
        for entry in self._templates.get(segments, ()):
            found = entry.regex.fullmatch(path)
            if found is None:
                continue
            operation = self._operation(method.upper(), entry.template)
            if operation is None:
                continue
            names = _PLACEHOLDER.findall(entry.template)
            return operation, dict(zip(names, found.groups(), strict=True))
        return f"{method.upper()} {url_path}: no such operation in Pinterest's API spec"

    def _operation(self, method: str, template: str) -> _Operation | None:
        key = (method, template)
        if key in self._operations:
            return self._operations[key]
        item = self.spec["paths"][template]
        op = item.get(method.lower()) if method.lower() in _METHODS else None
        if op is None:
            return None
        pointer = _pointer("paths", template, method.lower())
        params: dict[tuple[str, str], _Param] = {}
        shared = item.get("parameters", [])
        for index, raw in enumerate([*shared, *op.get("parameters", [])]):
            param = self._deref(raw, "")[1]
            resolved = self._deref(param.get("schema", {}), "")[1]
            items = self._deref(resolved.get("items", {}), "")[1]
            style = param.get("style", "form" if param["in"] == "query" else "simple")
            params[(param["in"], param["name"])] = _Param(
                name=param["name"], location=param["in"], required=bool(param.get("required")),
                schema_pointer=self._param_schema_pointer(template, method, raw, index, item),
                kind=str(resolved.get("type", "")), item_kind=str(items.get("type", "")),
                explode=bool(param.get("explode", style == "form")),
            )
        body_pointers: dict[str, str] = {}
        body_required = False
        if "requestBody" in op:
            body_ptr, request_body = self._deref(op["requestBody"], pointer + "/requestBody")
            body_required = bool(request_body.get("required"))
            for media_type in request_body.get("content", {}):
                body_pointers[media_type] = body_ptr + _pointer("content", media_type, "schema")
        responses: dict[str, str | None] = {}
        for status, raw in op.get("responses", {}).items():
            resp_ptr, response = self._deref(raw, pointer + _pointer("responses", status))
            content = response.get("content") or {}
            media_type = JSON if JSON in content else next(iter(content), None)
            has_schema = media_type is not None and "schema" in content[media_type]
            responses[status] = (resp_ptr + _pointer("content", media_type, "schema")
                                 if has_schema and media_type else None)
        security = op.get("security", self.spec.get("security", []))
        scopes = [frozenset(entry[OAUTH_SCHEME]) for entry in security if OAUTH_SCHEME in entry]
        operation = _Operation(method, template, pointer, params, body_pointers, body_required,
                               responses, scopes)
        self._operations[key] = operation
        return operation

    def _param_schema_pointer(
        self, template: str, method: str, raw: Mapping[str, Any], index: int,
        item: Mapping[str, Any],
    ) -> str:
        if "$ref" in raw:
            return _ref_pointer(raw["$ref"]) + "/schema"
        shared = item.get("parameters", [])
        if index < len(shared):
            return _pointer("paths", template, "parameters", str(index), "schema")
        return _pointer("paths", template, method.lower(), "parameters",
                        str(index - len(shared)), "schema")

    def _deref(self, node: Mapping[str, Any], pointer: str) -> tuple[str, Mapping[str, Any]]:
        """Follow ``$ref`` chains: the final pointer and the node it names."""
        seen = 0
        while "$ref" in node and seen < 32:
            pointer = _ref_pointer(node["$ref"])
            node = _resolve_pointer(self.spec, pointer)
            seen += 1
        return pointer, node

    # -- parameters -------------------------------------------------------------------------

    def _check_query(
        self, operation: _Operation, query: Mapping[str, str | Sequence[str]]
    ) -> list[str]:
        violations: list[str] = []
        given: dict[str, list[str]] = {
            name: [values] if isinstance(values, str) else list(values)
            for name, values in query.items()
        }
        for name, values in given.items():
            param = operation.params.get(("query", name))
            if param is None:
                violations.append(f"query.{name}: unknown query parameter for "
                                  f"{operation.method} {operation.template}")
            else:
                violations += self._check_param(param, values)
        for (location, name), param in operation.params.items():
            if location == "query" and param.required and name not in given:
                violations.append(f"query.{name}: required query parameter is missing")
        return violations

    def _check_param(self, param: _Param, values: list[str]) -> list[str]:
        where = f"{param.location}.{param.name}"
        if param.kind == "array":
            if len(values) > 1 and not param.explode:
                return [f"{where}: send one comma-separated value (style form, explode false), "
                        f"not {len(values)} repeated parameters"]
            items = [part for value in values for part in value.split(",")]
            coerced: object = [_coerce(item, param.item_kind) for item in items]
        else:
            if len(values) > 1:
                return [f"{where}: given {len(values)} times, expected once"]
            coerced = _coerce(values[0], param.kind)
            if coerced is _INVALID:
                return [f"{where}: {values[0]!r} is not a valid {param.kind}"]
        if isinstance(coerced, list) and _INVALID in coerced:
            return [f"{where}: items must be of type {param.item_kind}"]
        return self._schema_violations(param.schema_pointer, coerced, where, read=False)

    # -- bodies ---------------------------------------------------------------------------------

    def _check_body(
        self, operation: _Operation, body: object | None, content_type: str | None
    ) -> list[str]:
        if body is None or body in (b"", ""):
            if operation.body_required:
                return ["body: a request body is required"]
            return []
        if not operation.body_pointers:
            return [f"body: {operation.method} {operation.template} takes no request body"]
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        if media_type not in operation.body_pointers:
            expected = ", ".join(operation.body_pointers)
            return [f"body: content type {content_type or 'missing'} is not accepted "
                    f"(expected {expected})"]
        pointer = operation.body_pointers[media_type]
        violations: list[str] = []
        if media_type == FORM:
            if isinstance(body, str | bytes):
                raw = body.decode() if isinstance(body, bytes) else body
                body = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            if not isinstance(body, Mapping):
                return ["body: a form body must be a mapping of field names to strings"]
            body, violations = self._form_fields(operation, pointer, body)
        elif isinstance(body, bytes):
            return [f"body: undecodable {media_type} body"]
        structure = self._unknown_fields(pointer, body, "body")
        schema = [v for v in self._schema_violations(pointer, body, "body", read=False)
                  if "could not be resolved" not in v]  # an unknown discriminator value
        return list(dict.fromkeys([*violations, *schema, *structure]))

    def _form_fields(
        self, operation: _Operation, pointer: str, body: Mapping[str, Any]
    ) -> tuple[dict[str, object], list[str]]:
        extras = EXTRA_FORM_FIELDS.get((operation.method, operation.template), {})
        fields: dict[str, object] = {}
        violations: list[str] = []
        kinds = self._property_kinds(pointer, body)
        for name, value in body.items():
            if name in extras:
                if str(value) not in extras[name]:
                    allowed = " or ".join(extras[name])
                    violations.append(f"body.{name}: must be {allowed}, got {value!r}")
                continue
            coerced = _coerce(str(value), kinds.get(name, "string"))
            fields[name] = value if coerced is _INVALID else coerced
        return fields, violations

    def _property_kinds(self, pointer: str, instance: object) -> dict[str, str]:
        kinds: dict[str, str] = {}
        for name, sub_pointers in self._known_properties(pointer, instance)[0].items():
            for sub in sub_pointers:
                node = self._deref(_resolve_pointer(self.spec, sub), sub)[1]
                if "type" in node:
                    kinds[name] = str(node["type"])
        return kinds

    # -- schemas --------------------------------------------------------------------------------

    def _schema_violations(self, pointer: str, instance: object, where: str, *,
                           read: bool) -> list[str]:
        errors = list(self._validator(pointer, read).iter_errors(instance))
        mapped = self._discriminated(pointer, instance)
        if mapped is not None and not errors:
            errors = list(self._validator(mapped, read).iter_errors(instance))
        return list(dict.fromkeys(_describe(error, where) for error in errors))

    def _discriminated(self, pointer: str, instance: object) -> str | None:
        """A base schema's ``discriminator`` without ``oneOf``: the mapped subschema's pointer."""
        node = self._deref(_resolve_pointer(self.spec, pointer), pointer)[1]
        discriminator = node.get("discriminator")
        if not discriminator or "oneOf" in node or "anyOf" in node or "allOf" in node:
            return None
        if not isinstance(instance, Mapping):
            return None
        target = discriminator.get("mapping", {}).get(instance.get(discriminator["propertyName"]))
        return _ref_pointer(target) if isinstance(target, str) else None

    @lru_cache(maxsize=4096)  # noqa: B019 - one contract per process, it lives as long
    def _validator(self, pointer: str, read: bool) -> Any:
        cls = OAS30ReadValidator if read else OAS30WriteValidator
        return cls({"$ref": SPEC_URI + "#" + pointer}, registry=self._registry,
                   format_checker=self._formats)

    def _unknown_fields(self, pointer: str, instance: object, where: str) -> list[str]:
        """Fields of ``instance`` (recursively) that its schema does not name."""
        if isinstance(instance, list):
            node_ptr, node = self._deref(_resolve_pointer(self.spec, pointer), pointer)
            if "items" not in node:
                return []
            items_ptr = node_ptr + "/items"
            return [v for i, item in enumerate(instance)
                    for v in self._unknown_fields(items_ptr, item, f"{where}[{i}]")]
        if not isinstance(instance, Mapping):
            return []
        violations = self._discriminator_violations(pointer, instance, where)
        if violations:
            return violations
        known, is_open = self._known_properties(pointer, instance)
        for name, value in instance.items():
            if name not in known:
                if not is_open:
                    violations.append(f"{where}.{name}: unknown field (not in Pinterest's spec)")
                continue
            for sub in known[name]:
                violations += self._unknown_fields(sub, value, f"{where}.{name}")
        return violations

    def _discriminator_violations(
        self, pointer: str, instance: Mapping[str, Any], where: str
    ) -> list[str]:
        node = self._deref(_resolve_pointer(self.spec, pointer), pointer)[1]
        discriminator = node.get("discriminator")
        if not discriminator or not ("oneOf" in node or "anyOf" in node):
            return []
        name = discriminator["propertyName"]
        allowed = list(discriminator.get("mapping", {}))
        if name in instance and allowed and instance[name] not in allowed:
            return [f"{where}.{name}: {instance[name]!r} is not one of {allowed}"]
        return []

    def _known_properties(
        self, pointer: str, instance: object, depth: int = 0
    ) -> tuple[dict[str, list[str]], bool]:
        """Property name -> schema pointers, and whether other properties are allowed."""
        pointer, node = self._deref(_resolve_pointer(self.spec, pointer), pointer)
        known: dict[str, list[str]] = {}
        if depth > 16:
            return known, True
        additional = node.get("additionalProperties")
        is_open = additional not in (None, False)
        for name in node.get("properties", {}):
            known.setdefault(name, []).append(pointer + _pointer("properties", name))
        parts = [f"{pointer}/allOf/{i}" for i in range(len(node.get("allOf", [])))]
        parts += self._chosen_branches(pointer, node, instance)
        mapped = self._discriminated(pointer, instance)
        if mapped is not None:
            parts.append(mapped)
        for part in parts:
            sub_known, sub_open = self._known_properties(part, instance, depth + 1)
            is_open = is_open or sub_open
            for name, pointers in sub_known.items():
                known.setdefault(name, []).extend(pointers)
        if not known and not parts:
            is_open = True  # a free-form object
        return known, is_open

    def _chosen_branches(
        self, pointer: str, node: Mapping[str, Any], instance: object
    ) -> list[str]:
        keyword = "oneOf" if "oneOf" in node else "anyOf" if "anyOf" in node else None
        if keyword is None:
            return []
        branches = [f"{pointer}/{keyword}/{i}" for i in range(len(node[keyword]))]
        discriminator = node.get("discriminator")
        if discriminator and isinstance(instance, Mapping):
            target = discriminator.get("mapping", {}).get(
                instance.get(discriminator["propertyName"])
            )
            if isinstance(target, str):
                return [_ref_pointer(target)]
        valid = [b for b in branches if self._validator(b, False).is_valid(instance)]
        return valid or branches

    @cached_property
    def template_count(self) -> int:
        """How many path templates the spec has."""
        return sum(len(entries) for entries in self._templates.values())


_INVALID: Any = object()


def _coerce(value: str, kind: str) -> object:
    """A query or form string as the schema's type (``_INVALID`` when it cannot be)."""
    if kind == "integer":
        return int(value) if re.fullmatch(r"[+-]?\d+", value) else _INVALID
    if kind == "number":
        try:
            return float(value)
        except ValueError:
            return _INVALID
    if kind == "boolean":
        lowered = value.lower()
        return lowered == "true" if lowered in ("true", "false") else _INVALID
    return value


def _ref_pointer(ref: str) -> str:
    if not ref.startswith("#"):
        raise ValueError(f"only local $refs are supported, got {ref!r}")
    return ref[1:]


def _resolve_pointer(document: Mapping[str, Any], pointer: str) -> Mapping[str, Any]:
    node: Any = document
    for part in pointer.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    if not isinstance(node, Mapping):
        raise KeyError(pointer)
    return node


def _describe(error: ValidationError, where: str) -> str:
    location = where + "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path
    )
    message = error.message
    if len(message) > _MAX_SHOWN:
        message = message[:_MAX_SHOWN] + "..."
    if error.validator in ("maxLength", "minLength", "maxItems", "minItems", "maximum",
                           "minimum", "pattern"):
        message += f" ({error.validator}={error.validator_value})"
    best = _best_context(error)
    if best is not None:
        message += f"; {best}"
    return f"{location}: {message}"


def _best_context(error: ValidationError) -> str | None:
    contexts: Iterator[ValidationError] = iter(error.context or ())
    first = next(contexts, None)
    return first.message[:_MAX_SHOWN] if first is not None else None
