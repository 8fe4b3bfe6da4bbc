"""Pinterest's official OpenAPI spec (v5.23.0) as a contract, judged by openapi-core.

:func:`load_contract` loads the packaged, gzipped spec once per process, applies the one
documented tolerance (:mod:`providers.pinterest.spec_tolerances`) and returns a
:class:`SpecContract` over openapi-core validators prepared once
(:mod:`providers.pinterest.spec_validators`):

- ``validate_request(method, url_path, query, body, content_type)``: path, path and query
  parameters (required, type, enum, bounds, ``style``/``explode`` as each parameter declares:
  ``metric_types`` is ``form`` with ``explode: false``, one comma-separated value; ``pin_ids``
  declares nothing, so it is ``form`` exploded, ``pin_ids=1&pin_ids=2``) and the body against the
  operation's request body for its content type. ``body`` is raw bytes (sent as they are) or a
  parsed value (JSON-encoded, or form-encoded for ``application/x-www-form-urlencoded``).
- ``validate_response(method, url_path, status, body)``: the body against the response schema
  documented for ``status`` (or ``default``); date-times need their UTC offset (RFC 3339).
- ``request_violations(httpx_request)``: the same check on an ``httpx.Request``.
- ``required_scopes(method, url_path)`` and ``operation_id(method, url_path)``: what the spec
  says about the operation a request would reach.

Every method returns human-readable violations, ``[]`` when the message conforms; ``url_path``
may carry the ``/v5`` prefix or not. One contract serves every thread of a process (the sandbox's
handler threads): its openapi-core calls take turns behind a lock.

Rules this project adds to the spec on purpose (each a bug in our client that Pinterest would
otherwise ignore or answer vaguely):

- **Unknown body fields are refused** (:mod:`providers.pinterest.spec_fields`, applied after
  openapi-core; responses keep the spec's open objects).
- **Unknown query parameters are refused**, and a parameter that is not exploded (a scalar, or an
  array with ``explode: false``) may appear once: openapi-core would silently read one of them.
- **A body on an operation that takes none is refused.**
- **A ``discriminator`` on a plain base schema is followed**: ``POST /oauth/token``'s
  ``OauthAccessTokenRequest`` and its response ``OauthAccessTokenResponse`` name the schema of each
  ``grant_type`` / ``response_type`` in a ``discriminator`` without ``oneOf``, which OpenAPI 3.0
  validators (openapi-core too) do not act on. The body is also checked against the mapped
  schema (e.g. a code exchange needs ``redirect_uri``), with the OAS 3.0 schema validators
  openapi-core itself runs (openapi-schema-validator).
- **``continuous_refresh=true`` is allowed on ``POST /oauth/token``** (:data:`EXTRA_FORM_FIELDS`):
  the operation's description asks for it, its schema does not list it.
- Credentials are not judged (see :mod:`providers.pinterest.spec_validators`).
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from openapi_core.casting.schemas.exceptions import CastError
from openapi_core.deserializing.exceptions import DeserializeError
from openapi_core.deserializing.styles.exceptions import EmptyQueryParameterValue
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.request.exceptions import (
    MissingRequiredParameter,
    MissingRequiredRequestBody,
    ParameterValidationError,
    RequestBodyValidationError,
)
from openapi_core.validation.response.exceptions import DataValidationError, MissingData
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator
from referencing import Registry
from referencing.jsonschema import DRAFT4
from werkzeug.datastructures import Headers

from pinterest_agent.providers.pinterest.spec_fields import unknown_fields
from pinterest_agent.providers.pinterest.spec_tolerances import apply_tolerances, resolve_pointer
from pinterest_agent.providers.pinterest.spec_validators import (
    FORMATS,
    SpecResponse,
    SpecValidators,
)

__all__ = ["EXTRA_FORM_FIELDS", "SPEC_FILENAME", "SpecContract", "load_contract", "load_spec",
           "spec_bytes"]

SPEC_FILENAME = "openapi-v5.23.0.json.gz"
SPEC_URI = "urn:pinterest:openapi:v5.23.0"
API_PREFIX = "/v5"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
OAUTH_SCHEME = "pinterest_oauth2"
#: Extra form fields a spec operation's description allows beyond its schema, and their values.
EXTRA_FORM_FIELDS: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("POST", "/oauth/token"): {"continuous_refresh": ("true",)},
}
_MAX_SHOWN = 120
_UNKNOWN_FIELDS = "Additional properties are not allowed"
_BOUNDS = ("maxLength", "minLength", "maxItems", "minItems", "maximum", "minimum", "pattern")

Query = Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]]


def spec_bytes() -> bytes:
    """The packaged spec, uncompressed and untouched."""
    packaged = resources.files("pinterest_agent.providers.pinterest") / "openapi" / SPEC_FILENAME
    return gzip.decompress(packaged.read_bytes())


@lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    """The packaged spec as a dict, with the one documented tolerance applied (parsed once)."""
    return apply_tolerances(json.loads(spec_bytes()))


@lru_cache(maxsize=1)
def load_contract() -> SpecContract:
    """The contract of the packaged spec (built once per process)."""
    return SpecContract(load_spec())


@dataclass(frozen=True)
class _Param:
    name: str
    location: str
    single: bool  # may appear once: a scalar, or an array that is not exploded


@dataclass
class _Operation:
    method: str
    template: str
    operation_id: str | None
    params: dict[tuple[str, str], _Param]
    takes_body: bool
    body_schemas: dict[str, Mapping[str, Any]]  # media type -> request body schema
    documented_bodies: dict[str, bool] = field(default_factory=dict)  # status -> has content
    response_schemas: dict[str, Mapping[str, Any]] = field(default_factory=dict)  # JSON bodies
    scopes: list[frozenset[str]] = field(default_factory=list)  # OAuth alternatives


class SpecContract:
    """Checks requests and responses against one OpenAPI 3.0 spec (see the module docstring)."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self._validators = SpecValidators(spec)
        self._index = self._validators.index
        self._operations: dict[tuple[str, str], _Operation] = {}
        # openapi-core reads the spec through jsonschema-path, whose LRU caches are plain
        # OrderedDicts: one validation at a time (it is CPU-bound; the GIL serialises it anyway).
        self._lock = threading.Lock()
        self._registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, DRAFT4.create_resource(dict(spec))
        )
        self._schema_validators: dict[tuple[str, bool], Validator] = {}

    # -- public API ---------------------------------------------------------------------------

    def validate_request(
        self,
        method: str,
        url_path: str,
        query: Query,
        body: object | None,
        content_type: str | None,
    ) -> list[str]:
        """Violations of a request (``[]`` when it conforms to the spec)."""
        path = _relative(url_path)
        operation = self._find(method, path)
        if operation is None:
            return [_no_operation(method, url_path)]
        items = _query_items(query)
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        raw, violations = self._raw_body(operation, body, media_type)
        violations += self._query_rules(operation, items)
        if raw and not operation.takes_body:
            violations.append(f"body: {operation.method} {operation.template} takes no request "
                              "body")
            raw = None
        request = self._validators.request(method, path, items, raw, content_type or "")
        with self._lock:
            errors = list(self._validators.requests.iter_request_errors(request))
        for error in errors:
            violations += _request_error(error, method, url_path)
        schema = operation.body_schemas.get(media_type)
        if raw and schema is not None:
            parsed = _parsed(raw, media_type)
            violations += self._discriminated(schema, parsed, read=False)
            violations += unknown_fields(self.spec, schema, parsed, "body")
        return list(dict.fromkeys(violations))

    def validate_response(
        self, method: str, url_path: str, status: int, body: object
    ) -> list[str]:
        """Violations of a response body against the schema documented for ``status``."""
        path = _relative(url_path)
        operation = self._find(method, path)
        if operation is None:
            return [_no_operation(method, url_path)]
        key = str(status) if str(status) in operation.documented_bodies else "default"
        if key not in operation.documented_bodies:
            return [f"status {status} is not documented for {operation.method} "
                    f"{operation.template}"]
        empty = body is None or body in (b"", "")
        if not operation.documented_bodies[key]:
            return [] if empty else [f"status {status} documents no body"]
        if empty:
            return [f"status {status} needs a body"]
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = self._validators.request(method, path, [])
        response = SpecResponse(status, data, JSON, Headers())
        with self._lock:
            errors = list(self._validators.responses.iter_response_errors(request, response))
        violations: list[str] = []
        for error in errors:
            violations += _response_error(error, status)
        schema = operation.response_schemas.get(key)
        if schema is not None:
            violations += self._discriminated(schema, _parsed(data, JSON), read=True)
        return list(dict.fromkeys(violations))

    def request_violations(self, request: httpx.Request) -> list[str]:
        """Violations of an ``httpx.Request`` (its body is read and judged as sent)."""
        return self.validate_request(
            request.method, request.url.path, request.url.params.multi_items(),
            request.read() or None, request.headers.get("Content-Type"),
        )

    def required_scopes(self, method: str, url_path: str) -> list[frozenset[str]]:
        """The OAuth scope sets that each allow the operation (any one suffices; [] for none)."""
        operation = self._find(method, _relative(url_path))
        return [] if operation is None else list(operation.scopes)

    def operation_id(self, method: str, url_path: str) -> str | None:
        """The spec's ``operationId`` for a request, or ``None`` when the path is unknown."""
        operation = self._find(method, _relative(url_path))
        return None if operation is None else operation.operation_id

    # -- operations -----------------------------------------------------------------------------

    def _find(self, method: str, path: str) -> _Operation | None:
        try:
            template, _ = self._index.find(method, path)
        except PathError:
            return None
        key = (method.upper(), template)
        operation = self._operations.get(key)
        if operation is None:
            operation = self._operations[key] = self._describe(method.upper(), template)
        return operation

    def _describe(self, method: str, template: str) -> _Operation:
        item = self.spec["paths"][template]
        op = item[method.lower()]
        params: dict[tuple[str, str], _Param] = {}
        for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
            param = self._deref(raw)
            schema = self._deref(param.get("schema", {}))
            location = str(param["in"])
            style = param.get("style", "form" if location in ("query", "cookie") else "simple")
            explode = bool(param.get("explode", style == "form"))
            single = schema.get("type") not in ("array", "object") or not explode
            params[(location, str(param["name"]))] = _Param(param["name"], location, single)
        request_body = self._deref(op.get("requestBody") or {})
        body_schemas = {str(media_type): media["schema"]
                        for media_type, media in (request_body.get("content") or {}).items()
                        if "schema" in media}
        bodies: dict[str, bool] = {}
        response_schemas: dict[str, Mapping[str, Any]] = {}
        for status, raw_response in op.get("responses", {}).items():
            content = self._deref(raw_response).get("content") or {}
            bodies[str(status)] = any("schema" in media for media in content.values())
            if "schema" in content.get(JSON, {}):
                response_schemas[str(status)] = content[JSON]["schema"]
        security = op.get("security", self.spec.get("security", []))
        return _Operation(
            method=method,
            template=template,
            operation_id=str(op["operationId"]) if op.get("operationId") else None,
            params=params,
            takes_body="requestBody" in op,
            body_schemas=body_schemas,
            documented_bodies=bodies,
            response_schemas=response_schemas,
            scopes=[frozenset(entry[OAUTH_SCHEME]) for entry in security
                    if OAUTH_SCHEME in entry],
        )

    def _deref(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        for _ in range(32):
            ref = node.get("$ref")
            if not isinstance(ref, str) or not ref.startswith("#"):
                break
            node = resolve_pointer(self.spec, ref[1:])
        return node

    # -- project rules --------------------------------------------------------------------------

    def _discriminated(self, schema: Mapping[str, Any], instance: object, *,
                       read: bool) -> list[str]:
        """Violations of the schema a base schema's ``discriminator`` (without ``oneOf``) maps
        ``instance`` to; ``[]`` when there is no such mapping."""
        node = self._deref(schema)
        discriminator = node.get("discriminator")
        if (not isinstance(discriminator, Mapping) or not isinstance(instance, Mapping)
                or any(key in node for key in ("oneOf", "anyOf", "allOf"))):
            return []
        target = (discriminator.get("mapping") or {}).get(
            instance.get(discriminator.get("propertyName", ""))
        )
        if not isinstance(target, str) or not target.startswith("#"):
            return []
        validator = self._schema_validator(target[1:], read)
        return [line for error in validator.iter_errors(instance)
                for line in _schema_error(error, "body")]

    def _schema_validator(self, pointer: str, read: bool) -> Validator:
        key = (pointer, read)
        validator = self._schema_validators.get(key)
        if validator is None:
            cls = OAS30ReadValidator if read else OAS30WriteValidator
            checker = FormatChecker(formats=())
            for name, check in FORMATS.items():
                checker.checks(name)(check)
            validator = self._schema_validators[key] = cls(
                {"$ref": SPEC_URI + "#" + pointer}, registry=self._registry,
                format_checker=checker,
            )
        return validator

    def _query_rules(self, operation: _Operation, items: list[tuple[str, str]]) -> list[str]:
        violations: list[str] = []
        counts: dict[str, int] = {}
        for name, _ in items:
            counts[name] = counts.get(name, 0) + 1
        for name, count in counts.items():
            param = operation.params.get(("query", name))
            if param is None:
                violations.append(f"query.{name}: unknown query parameter for "
                                  f"{operation.method} {operation.template}")
            elif param.single and count > 1:
                violations.append(
                    f"query.{name}: given {count} times; the spec reads it once (an array here "
                    "is one comma-separated value: style form, explode false)"
                )
        return violations

    def _raw_body(
        self, operation: _Operation, body: object | None, media_type: str
    ) -> tuple[bytes | None, list[str]]:
        """The body as bytes for openapi-core, less the extra form fields the spec allows."""
        if body is None or body in (b"", ""):
            return None, []
        extras = EXTRA_FORM_FIELDS.get((operation.method, operation.template), {})
        if media_type == FORM:
            if isinstance(body, bytes | str):
                text = body.decode("latin-1") if isinstance(body, bytes) else body
                fields = parse_qsl(text, keep_blank_values=True)
            elif isinstance(body, Mapping):
                fields = [(str(k), str(v)) for k, v in body.items()]
            else:
                return None, ["body: a form body must be a mapping of field names to strings"]
            violations: list[str] = []
            kept: list[tuple[str, str]] = []
            for name, value in fields:
                if name not in extras:
                    kept.append((name, value))
                elif value not in extras[name]:
                    allowed = " or ".join(extras[name])
                    violations.append(f"body.{name}: must be {allowed}, got {value!r}")
            return urlencode(kept).encode(), violations
        if isinstance(body, bytes):
            return body, []
        if isinstance(body, str):
            return body.encode(), []
        return json.dumps(body).encode(), []


# -- messages -------------------------------------------------------------------------------------


def _relative(url_path: str) -> str:
    """``/v5/boards?x`` -> ``/boards``."""
    path = url_path.split("?", 1)[0]
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        path = path[len(API_PREFIX):]
    return "/" + path.strip("/")


def _query_items(query: Query) -> list[tuple[str, str]]:
    if isinstance(query, Mapping):
        return [(str(name), value) for name, values in query.items()
                for value in ([values] if isinstance(values, str) else values)]
    return [(str(name), str(value)) for name, value in query]


def _no_operation(method: str, url_path: str) -> str:
    return f"{method.upper()} {url_path}: no such operation in Pinterest's API spec"


def _parsed(raw: bytes, media_type: str) -> object:
    """A JSON or form body as data (``None`` when it does not parse: openapi-core said so)."""
    if media_type == FORM:
        return dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True))
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _request_error(error: Exception, method: str, url_path: str) -> list[str]:
    if isinstance(error, PathError):
        return [_no_operation(method, url_path)]
    if isinstance(error, MissingRequiredParameter):
        where = f"{error.location}.{error.name}"
        return [f"{where}: required {error.location} parameter is missing"]
    if isinstance(error, ParameterValidationError):
        return _cause(error.__cause__, f"{error.location}.{error.name}")
    if isinstance(error, MissingRequiredRequestBody):
        return ["body: a request body is required"]
    if isinstance(error, RequestBodyValidationError):
        return _cause(error.__cause__, "body")
    return [f"request: {error}"]


def _response_error(error: Exception, status: int) -> list[str]:
    if isinstance(error, ResponseNotFound):
        return [f"status {status} is not documented for this operation"]
    if isinstance(error, MissingData):
        return [f"status {status} needs a body"]
    if isinstance(error, DataValidationError):
        return _cause(error.__cause__, "body")
    return [f"response: {error}"]


def _cause(cause: BaseException | None, where: str) -> list[str]:
    if isinstance(cause, InvalidSchemaValue):
        return [line for error in cause.schema_errors for line in _schema_error(error, where)]
    if isinstance(cause, MediaTypeNotFound):
        expected = ", ".join(cause.availableMimetypes)
        return [f"{where}: content type {cause.mimetype or 'missing'} is not accepted "
                f"(expected {expected})"]
    if isinstance(cause, EmptyQueryParameterValue):
        return [f"{where}: an empty value is not allowed"]
    if isinstance(cause, CastError):
        return [f"{where}: {cause.value!r} is not a valid {cause.type}"]
    if isinstance(cause, DeserializeError):
        return [f"{where}: could not be read as the spec declares it ({cause.__cause__ or cause})"]
    return [f"{where}: {cause}"]


def _schema_error(error: Exception, where: str) -> Iterator[str]:
    if not isinstance(error, ValidationError):
        yield f"{where}: {error}"
        return
    location = where + "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path
    )
    instance, schema = error.instance, error.schema
    if error.message.startswith(_UNKNOWN_FIELDS) and isinstance(instance, dict):
        known = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
        for name in instance:
            if name not in known:
                yield f"{location}.{name}: unknown field (not in Pinterest's spec)"
        return
    discriminator = schema.get("discriminator") if isinstance(schema, Mapping) else None
    if isinstance(discriminator, Mapping) and isinstance(instance, dict):
        name = discriminator["propertyName"]
        allowed = list(discriminator.get("mapping", {}))
        if name not in instance:
            yield f"{location}: {name!r} is a required property"
            return
        if instance[name] not in allowed:
            yield f"{location}.{name}: {instance[name]!r} is not one of {allowed}"
            return
    message = error.message
    if len(message) > _MAX_SHOWN:
        message = message[:_MAX_SHOWN] + "..."
    if error.validator in _BOUNDS:
        message += f" ({error.validator}={error.validator_value})"
    first = next(iter(error.context or ()), None)
    if first is not None:
        message += f"; {first.message[:_MAX_SHOWN]}"
    yield f"{location}: {message}"
