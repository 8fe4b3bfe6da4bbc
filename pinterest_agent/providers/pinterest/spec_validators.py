"""openapi-core, prepared once for Pinterest's spec: the request and response validators.

:class:`SpecValidators` wraps two ``openapi_core.OpenAPI`` objects over one parsed spec: requests
are judged with OAS 3.0 *write* rules (``readOnly`` properties are neither required nor allowed),
responses with *read* rules. Everything is configured through openapi-core's public
:class:`openapi_core.Config`:

- ``additional_properties_default_policy`` stays ``"allow"``, the spec's reading: the project's
  stricter rule for request bodies (no field Pinterest does not name) is applied by
  :mod:`providers.pinterest.spec_fields`, which says why openapi-core's ``"forbid"`` cannot be
  used with Pinterest's composed schemas.
- ``extra_format_validators``: ``date-time`` per RFC 3339 (``rfc3339-validator``: the UTC offset
  is required, ``2026-11-24T10:45:44`` is refused) and ``date`` as ``YYYY-MM-DD``.
- ``security_provider_factory``: credentials are not judged here. The sandbox answers a missing
  or wrong token 401 the way Pinterest does, and the OAuth scopes an operation needs are read with
  ``SpecContract.required_scopes``.
- The fast path. openapi-core reads the spec through jsonschema-path on every request (some 140
  reads for one analytics call), and the stock factories build a fresh schema validator
  (deep-copying its format checker), caster and style deserializer for every parameter of every
  request. Here the spec is a ``SchemaPath`` with jsonschema-path's resolved-node cache on
  (``resolved_cache_maxsize``; off by default), the stock factories are memoised per schema node
  (:class:`_MemoSchemaValidators`, :class:`_MemoCasters`, :class:`_MemoStyleDeserializers`; what
  they build is stateless), and ``path_finder_cls`` is a finder over :class:`PathIndex`, the
  spec's ~300 path templates compiled once and looked up by segment count instead of parsing
  every template per request. Nothing is skipped: ``benchmarks/contract_validation.py`` prints
  the rates beside stock openapi-core's, on the same verdicts.

Build one per process (``SpecContract`` does, and serialises calls into it: jsonschema-path's
caches are not thread-safe).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from jsonschema.protocols import Validator
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI
from openapi_core.casting.schemas import oas30_types_caster
from openapi_core.casting.schemas.casters import SchemaCaster
from openapi_core.casting.schemas.factories import SchemaCastersFactory
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.styles import style_deserializers
from openapi_core.deserializing.styles.deserializers import StyleDeserializer
from openapi_core.deserializing.styles.factories import StyleDeserializersFactory
from openapi_core.security.factories import SecurityProviderFactory
from openapi_core.security.providers import BaseProvider
from openapi_core.templating.datatypes import TemplateResult
from openapi_core.templating.paths.datatypes import PathOperationServer
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.templating.paths.finders import BasePathFinder
from openapi_core.validation.schemas.datatypes import FormatValidatorsDict
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
from openapi_core.validation.schemas.validators import SchemaValidator
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator
from rfc3339_validator import validate_rfc3339  # type: ignore[import-untyped]
from werkzeug.datastructures import Headers, ImmutableMultiDict

__all__ = ["PathIndex", "SpecRequest", "SpecResponse", "SpecValidators", "is_date", "is_date_time"]

_PLACEHOLDER = re.compile(r"\{([^/{}]+)\}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def is_date_time(value: object) -> bool:
    """RFC 3339 ``date-time``: ``2026-11-24T10:45:44Z`` or ``...+01:00``; the offset is required."""
    return not isinstance(value, str) or bool(validate_rfc3339(value))


def is_date(value: object) -> bool:
    """RFC 3339 ``full-date``: ``YYYY-MM-DD``, a real calendar day."""
    if not isinstance(value, str):
        return True
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


FORMATS: FormatValidatorsDict = {"date-time": is_date_time, "date": is_date}
RESOLVED_CACHE_SIZE = 65_536
"""Spec nodes whose resolution jsonschema-path keeps (every node a validation reads; a few MB)."""


@dataclass
class SpecRequest:
    """A request as openapi-core's ``Request`` protocol reads it (``path`` keeps the ``/v5``)."""

    method: str  # lower case
    path: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str
    host_url: str

    @classmethod
    def build(
        cls, host_url: str, method: str, path: str, query: list[tuple[str, str]],
        body: bytes | None = None, content_type: str = "",
    ) -> SpecRequest:
        parameters = RequestParameters(
            query=ImmutableMultiDict(query), header=Headers(), cookie=ImmutableMultiDict()
        )
        return cls(method.lower(), path, parameters, body, content_type, host_url)


@dataclass
class SpecResponse:
    """A response as openapi-core's ``Response`` protocol reads it."""

    status_code: int
    data: bytes | None
    content_type: str
    headers: Headers


class PathIndex:
    """The spec's path templates, compiled once: ``(method, path) -> (template, variables)``.

    Paths are relative to the spec's server (``/boards/1/pins``). When several templates match,
    the one with more literal segments wins (``/pins/analytics`` before ``/pins/{pin_id}``), as in
    openapi-core's own finder; a template without the method gives way to the next one.
    """

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.server_url: str = str(spec["servers"][0]["url"]).rstrip("/")
        self._templates: dict[int, list[tuple[int, str, re.Pattern[str]]]] = {}
        self._methods: dict[str, frozenset[str]] = {}
        for template, item in spec["paths"].items():
            segments = template.strip("/").split("/")
            regex = "".join(
                "/" + ("([^/]+)" if _PLACEHOLDER.fullmatch(segment) else re.escape(segment))
                for segment in segments
            )
            literals = sum(1 for segment in segments if not _PLACEHOLDER.fullmatch(segment))
            self._templates.setdefault(len(segments), []).append(
                (-literals, template, re.compile(regex))
            )
            self._methods[template] = frozenset(key for key in item if key in _METHODS)
        for entries in self._templates.values():
            entries.sort(key=lambda entry: entry[0])

    def find(self, method: str, path: str) -> tuple[str, dict[str, str]]:
        """The template and path variables of ``method path``.

        Raises openapi-core's ``PathNotFound`` (no template matches) or ``OperationNotFound``
        (templates match, none has ``method``).
        """
        path = "/" + path.strip("/")
        lowered = method.lower()
        matched = False
        for _, template, regex in self._templates.get(path.count("/"), ()):
            found = regex.fullmatch(path)
            if found is None:
                continue
            matched = True
            if lowered in self._methods[template]:
                names = _PLACEHOLDER.findall(template)
                return template, dict(zip(names, found.groups(), strict=True))
        if matched:
            raise OperationNotFound(path, lowered)
        raise PathNotFound(path)

    def finder_class(self) -> type[BasePathFinder]:
        """An openapi-core ``path_finder_cls`` that looks paths up in this index."""
        index = self

        class IndexedPathFinder(BasePathFinder):
            def find(self, method: str, name: str) -> PathOperationServer:
                if not name.startswith(index.server_url + "/"):
                    raise PathNotFound(name)
                template, variables = index.find(method, name[len(index.server_url):])
                path = self.spec / "paths" / template
                return PathOperationServer(
                    path, path / method.lower(), self.spec / "servers" / 0,
                    TemplateResult(template, variables), TemplateResult(index.server_url, {}),
                )

        return IndexedPathFinder


class _MemoSchemaValidators(SchemaValidatorsFactory):
    """openapi-core's schema validator factory, building each validator once per schema node."""

    def __init__(self, validator_class: type[Validator]) -> None:
        super().__init__(validator_class)
        self._built: dict[tuple[SchemaPath, bool, bool], SchemaValidator] = {}

    def create(
        self,
        spec: SchemaPath,
        schema: SchemaPath,
        format_validators: FormatValidatorsDict | None = None,
        extra_format_validators: FormatValidatorsDict | None = None,
        forbid_unspecified_additional_properties: bool = False,
        enforce_properties_required: bool = False,
    ) -> SchemaValidator:
        # The format validators are fixed per SpecValidators, so the node and flags are the key.
        key = (schema, forbid_unspecified_additional_properties, enforce_properties_required)
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = super().create(
                spec, schema, format_validators, extra_format_validators,
                forbid_unspecified_additional_properties, enforce_properties_required,
            )
        return built


class _MemoCasters(SchemaCastersFactory):
    def __init__(self, validators: SchemaValidatorsFactory) -> None:
        super().__init__(validators, oas30_types_caster)
        self._built: dict[SchemaPath, SchemaCaster] = {}

    def create(
        self,
        spec: SchemaPath,
        schema: SchemaPath,
        format_validators: FormatValidatorsDict | None = None,
        extra_format_validators: FormatValidatorsDict | None = None,
    ) -> SchemaCaster:
        built = self._built.get(schema)
        if built is None:
            built = self._built[schema] = super().create(
                spec, schema, format_validators, extra_format_validators
            )
        return built


class _MemoStyleDeserializers(StyleDeserializersFactory):
    def __init__(self, casters: SchemaCastersFactory) -> None:
        super().__init__(casters, style_deserializers=style_deserializers)
        self._built: dict[tuple[SchemaPath, str, bool, str], StyleDeserializer] = {}

    def create(
        self, spec: SchemaPath, schema: SchemaPath, style: str, explode: bool, name: str
    ) -> StyleDeserializer:
        key = (schema, style, explode, name)
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = super().create(spec, schema, style, explode, name)
        return built


class _NotJudged(BaseProvider):
    """Security is the sandbox's and Pinterest's business, not the contract's (see above)."""

    def __call__(self, parameters: RequestParameters) -> Any:
        return None


class _NoSecurityChecks(SecurityProviderFactory):
    def create(self, scheme: SchemaPath) -> Any:
        return _NotJudged(scheme)


def _config(validator_class: type[Validator], index: PathIndex) -> Config:
    validators = _MemoSchemaValidators(validator_class)
    casters = _MemoCasters(validators)
    return Config(
        spec_validator_cls=None,  # Pinterest's published spec; checking 2 MB per start is waste
        path_finder_cls=index.finder_class(),
        schema_validators_factory=validators,
        schema_casters_factory=casters,
        style_deserializers_factory=_MemoStyleDeserializers(casters),
        extra_format_validators=FORMATS,
        security_provider_factory=_NoSecurityChecks(),
    )


class SpecValidators:
    """The prepared request and response validators of one spec (see the module docstring)."""

    def __init__(self, spec: Mapping[str, Any], index: PathIndex | None = None) -> None:
        self.index = index or PathIndex(spec)
        schema = SchemaPath.from_dict(dict(spec), resolved_cache_maxsize=RESOLVED_CACHE_SIZE)
        self.requests = OpenAPI(
            schema, config=_config(OAS30WriteValidator, self.index)
        )
        self.responses = OpenAPI(
            schema, config=_config(OAS30ReadValidator, self.index)
        )
        split = self.index.server_url.split("/", 3)
        self.host_url = "/".join(split[:3])  # https://api.pinterest.com
        self.base_path = "/" + split[3] if len(split) > 3 else ""  # /v5

    def request(
        self, method: str, path: str, query: list[tuple[str, str]],
        body: bytes | None = None, content_type: str = "",
    ) -> SpecRequest:
        """A request to ``path`` (relative to the server, e.g. ``/boards``) for the validators."""
        return SpecRequest.build(self.host_url, method, self.base_path + path, query, body,
                                 content_type)
