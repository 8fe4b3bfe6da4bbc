"""A channel's catalog mapping: a small YAML file saying where each feed item goes.

```yaml
default_board: Home decor       # unmatched items go here (omit: the channel's default board)
unmatched: default              # or: skip
create_missing_boards: true     # create boards (and sections) named below that do not exist
archive_board: Sold out         # optional: Pins of sold-out or removed items move here
site: https://shop.example.com  # links of a Shopify products.json read from a file
region: US                      # where movable seasons fall: US, CA, GB or IE (default: the
                                # PINTEREST_AGENT_CATALOG_REGION setting, US)
rules:                          # the first rule whose every condition holds wins
  - when:
      product_type: "Home > Bedding*"     # globs, case-insensitive; a list means any of them
      category: "*Blankets*"              # google_product_category
      tags: [linen, "season:*"]           # any tag matching any glob
      url_path: "/products/linen-*"       # the path of the item's link
    board: Cozy bedroom
    section: Linen                        # optional
    kind: product                         # the brief's kind (default: product, article for blogs)
    keywords: [linen bedding]             # put first in the brief's keywords
    tone: calm, natural
brand:                          # applied to every layout of the channel's Pins
  name: Linen & Sage
  domain: shop.example.com
  primary: "#2E5E4E"
  accent: "#D98E04"
  background: "#F4EFE6"
  logo: logo.png                # a PNG, relative to this file
  font: fonts/Brand.ttf         # optional TrueType/OpenType
```
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
)

from pinterest_agent.agents.catalog.items import FeedItem
from pinterest_agent.agents.catalog.seasons import Region
from pinterest_agent.agents.design.brand import BrandKit
from pinterest_agent.errors import InvalidInputError

__all__ = ["BrandSpec", "CatalogMapping", "MappingError", "Route", "Rule", "load_mapping"]

Kind = Literal["product", "recipe", "how-to", "article", "other"]
ROUTE_CACHE = 10_000
"""Routes remembered per mapping (by what the rules read of an item)."""


def _listed(value: object) -> object:
    return [value] if isinstance(value, str) else value


Globs = Annotated[list[str], BeforeValidator(_listed)]


class MappingError(InvalidInputError):
    default_code = "mapping_invalid"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Conditions(_Strict):
    product_type: Globs | None = None
    category: Globs | None = None
    tags: Globs | None = None
    url_path: Globs | None = None


class Rule(_Strict):
    when: Conditions = Field(default_factory=Conditions)
    board: str | None = Field(default=None, min_length=1, max_length=180)
    section: str | None = Field(default=None, min_length=1, max_length=180)
    kind: Kind | None = None
    keywords: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=10)
    tone: str | None = Field(default=None, max_length=100)
    audience: str | None = Field(default=None, max_length=300)


class BrandSpec(_Strict):
    name: str | None = Field(default=None, max_length=40)
    domain: str | None = Field(default=None, max_length=60)
    primary: str | None = None
    accent: str | None = None
    background: str | None = None
    logo: str | None = None
    font: str | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """Where one item goes. ``board`` None: the channel's default board."""

    board: str | None
    section: str | None
    kind: Kind
    keywords: tuple[str, ...]
    tone: str | None
    audience: str | None
    rule: int | None
    """The rule's number (1-based), None for the default."""


Matcher = re.Pattern[str] | None
_UNSEEN = object()
"""Any of a condition's globs, compiled (None: no condition)."""


def _compile(globs: list[str] | None) -> Matcher:
    if globs is None:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(g.casefold())})" for g in globs))


def _matches(matcher: Matcher, values: tuple[str, ...]) -> bool:
    return matcher is None or any(matcher.match(value.casefold()) for value in values)


class CatalogMapping(_Strict):
    default_board: str | None = Field(default=None, max_length=180)
    unmatched: Literal["default", "skip"] = "default"
    create_missing_boards: bool = False
    archive_board: str | None = Field(default=None, max_length=180)
    site: str | None = None
    region: Region | None = None
    rules: list[Rule] = Field(default_factory=list)
    brand: BrandSpec | None = None

    _router: _Router = PrivateAttr()

    def model_post_init(self, context: object, /) -> None:
        self._router = _Router(self)

    def route(self, item: FeedItem) -> Route | None:
        """The first matching rule's route, the default board's, or None (skipped). Items
        alike in what the rules read share one answer (a feed has few product types)."""
        return self._router.route(item)


class _Router:
    """A mapping's rules compiled, and the routes found so far (a plain object: read once per
    item, where a pydantic model's private attributes cost a lookup each)."""

    def __init__(self, mapping: CatalogMapping) -> None:
        self.mapping = mapping
        self.matchers = [(_compile(r.when.product_type), _compile(r.when.category),
                          _compile(r.when.tags), _compile(r.when.url_path))
                         for r in mapping.rules]
        self.by_path = any(m[3] is not None for m in self.matchers)
        self.routes: dict[tuple[str, ...], Route | None] = {}

    def route(self, item: FeedItem) -> Route | None:
        path = (urlsplit(item.link).path or "/") if self.by_path else ""
        key = (item.product_type or "", item.google_product_category or "", item.kind, path,
               *item.tags)
        found = self.routes.get(key, _UNSEEN)
        if found is _UNSEEN:
            if len(self.routes) >= ROUTE_CACHE:
                self.routes.clear()
            found = self.routes[key] = self._route(item, path)
        return found if isinstance(found, Route) else None

    def _route(self, item: FeedItem, path: str) -> Route | None:
        mapping = self.mapping
        for number, (rule, matchers) in enumerate(zip(mapping.rules, self.matchers,
                                                      strict=True), 1):
            product_type, category, tags, url_path = matchers
            if (_matches(product_type, (item.product_type or "",))
                    and _matches(category, (item.google_product_category or "",))
                    and _matches(tags, item.tags)
                    and _matches(url_path, (path,))):
                return Route(rule.board or mapping.default_board, rule.section,
                             rule.kind or item.kind, tuple(rule.keywords), rule.tone,
                             rule.audience, number)
        if mapping.unmatched == "skip":
            return None
        return Route(mapping.default_board, None, item.kind, (), None, None, None)


def brand_kit(spec: BrandSpec, base: Path) -> BrandKit:
    """The kit a mapping's ``brand:`` describes, its files read relative to ``base``."""
    values: dict[str, object] = {key: value for key, value in spec.model_dump().items()
                                 if value is not None and key not in ("logo", "font")}
    for key, field in (("logo", "logo_png"), ("font", "font")):
        name = getattr(spec, key)
        if name is not None:
            path = (base / name).resolve()
            try:
                values[field] = path.read_bytes()
            except OSError as exc:
                raise MappingError(f"brand.{key}: cannot read {path} ({exc.strerror}); give a "
                                   "path relative to the mapping file", field=f"brand.{key}") \
                    from exc
    try:
        return BrandKit.model_validate(values)
    except ValidationError as exc:
        raise MappingError(f"brand is invalid: {_problems(exc)}", field="brand") from exc


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'mapping'}: {e['msg']}"
                     for e in exc.errors(include_url=False))[:1000]


def load_mapping(path: Path | None) -> tuple[CatalogMapping, BrandKit | None]:
    """The mapping in ``path`` (None: everything to the channel's default board) and its brand
    kit, if it has one."""
    if path is None:
        return CatalogMapping(), None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(f"cannot read the mapping {path} ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise MappingError(f"the mapping {path} is not valid YAML ({exc})") from exc
    try:
        mapping = CatalogMapping.model_validate(data or {})
    except ValidationError as exc:
        raise MappingError(f"the mapping {path} is invalid: {_problems(exc)}") from exc
    kit = brand_kit(mapping.brand, path.parent) if mapping.brand is not None else None
    return mapping, kit
