"""Reading product and blog feeds, each format with a maintained parser.

- ``csv`` / ``tsv`` (anything not JSON or XML; a tab in the header line means TSV): cut into
  records of at most :data:`~.records.MAX_ROW_BYTES` on the bytes (:mod:`.records`), each split
  by the ``csv`` module; a longer record, or a quoted field never closed, is its own problem;
- ``merchant-xml`` (XML with the Google namespace ``http://base.google.com/ns/1.0``, RSS 2.0
  ``<item>`` or Atom ``<entry>``): ``defusedxml.ElementTree`` (feedparser keeps only one of
  several ``g:additional_image_link``);
- ``shopify-json`` (a JSON object with ``products``, Shopify's ``/products.json``): ``json``,
  ``body_html`` read as HTML;
- ``rss`` / ``atom`` (other XML): ``feedparser``.

Columns and fields follow the Google Merchant / Pinterest catalog names: ``id``, ``item_group_id``,
``title``, ``description``, ``link``, ``image_link``, ``additional_image_link`` (several, or one
comma-separated cell), ``price`` and ``sale_price`` (checked and normalised by :mod:`.prices`),
``availability``, ``product_type``, ``google_product_category``; tags come from
``custom_label_0..4`` and a ``tags`` column (comma-separated). A row with no id, no title, no
https link, a bad image link or price, bytes that are not text in the feed's encoding
(:mod:`.encodings`), or repeating an id, is a :class:`FeedProblem` naming its line (CSV) or item
number (XML, JSON) and the id when it has one; the rest of the feed is read. A Shopify feed has
no links of its own: they are ``{site}/products/{handle}``, with ``site`` the feed's own origin
or the mapping's ``site``. Titles, descriptions, tags and types are plain text whatever the
format (markup stripped, entities decoded: :func:`agents.plain_text.plain_text`); a one-line
field holding U+2028 or U+2029 makes its row a problem.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from time import struct_time
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
import feedparser
from defusedxml import DefusedXmlException

from pinterest_agent.agents.catalog.encodings import FeedEncoding, ascii_compatible, sniff
from pinterest_agent.agents.catalog.items import (
    AVAILABILITY,
    FeedItem,
    FeedProblem,
    ParsedFeed,
    clean_id,
    clean_line,
    clean_text,
)
from pinterest_agent.agents.catalog.prices import PriceError, check_sale, parse_price
from pinterest_agent.agents.catalog.records import MAX_ROW_BYTES, Record, records
from pinterest_agent.agents.plain_text import LineSeparatorError
from pinterest_agent.errors import InvalidInputError

__all__ = ["FeedError", "detect_format", "parse_feed"]

G = "{http://base.google.com/ns/1.0}"
ATOM = "{http://www.w3.org/2005/Atom}"
MAX_ID_CHARS = 240
TAG_COLUMNS = ("custom_label_0", "custom_label_1", "custom_label_2", "custom_label_3",
               "custom_label_4", "tags")


class FeedError(InvalidInputError):
    """The feed as a whole cannot be read (not a feed, broken XML or JSON, no header)."""

    default_code = "feed_unreadable"


def detect_format(data: bytes) -> str:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return "shopify-json"
    if head.startswith(b"<"):
        if b"base.google.com/ns/1.0" in data[:65536]:
            return "merchant-xml"
        return "atom" if b"<feed" in head[:2048] else "rss"
    first = head.split(b"\n", 1)[0]
    return "tsv" if b"\t" in first else "csv"


def parse_feed(data: bytes, *, site: str | None = None) -> ParsedFeed:
    """Every usable item of ``data`` and a problem for every unusable one."""
    kind = detect_format(data)
    read = _Read(FeedEncoding("utf-8"))
    if kind in ("csv", "tsv"):
        rows: Iterable[tuple[str, dict[str, Any]]] = _table_rows(data, kind, read)
    elif kind == "merchant-xml":
        rows = _merchant_rows(data, read)
    elif kind == "shopify-json":
        rows = _shopify_rows(data, site, read)
    else:
        rows = _blog_rows(data, read)
    items: list[FeedItem] = []
    problems: list[FeedProblem] = []
    seen: set[str] = set()
    for position, raw in rows:
        built = build_item(raw, position)
        if isinstance(built, FeedProblem):
            problems.append(built)
        elif built.item_id in seen:
            problems.append(FeedProblem(position, "repeats an id already in the feed (the first "
                                                  "is used)", built.item_id))
        else:
            seen.add(built.item_id)
            items.append(built)
    return ParsedFeed(kind, tuple(items), tuple(problems), str(read.encoding))


class _Read:
    """What a reader learnt about the whole feed while reading it (its encoding)."""

    def __init__(self, encoding: FeedEncoding) -> None:
        self.encoding = encoding


# -- one item ---------------------------------------------------------------------------------


_SPACE = re.compile(r"\s")
"""Any whitespace character (``str.isspace``'s set), searched for in C."""


def _url_ok(url: str, *, https: bool) -> bool:
    lowered = url.lower()
    good = lowered.startswith("https://") or (not https and lowered.startswith("http://"))
    return good and len(url) <= 2048 and _SPACE.search(url) is None


def _split_urls(value: Any) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list | tuple) else [value]
    urls: list[str] = []
    for each in values:
        urls += [part.strip() for part in str(each).split(",") if part.strip()]
    return urls


def build_item(raw: Mapping[str, Any], position: str) -> FeedItem | FeedProblem:
    """A :class:`FeedItem` from one row's fields, or the problem that makes it unusable."""
    try:
        return _build_item(raw, position)
    except LineSeparatorError as exc:
        return FeedProblem(position, f"a one-line field (title, tag, price, type...) {exc}",
                           clean_id(str(raw.get("id") or "")) or None)


def _build_item(raw: Mapping[str, Any], position: str) -> FeedItem | FeedProblem:
    item_id = clean_id(str(raw.get("id") or ""))
    if raw.get("_problem"):
        return FeedProblem(position, str(raw["_problem"]), item_id or None)
    if not item_id:
        return FeedProblem(position, "has no id")
    if len(item_id) > MAX_ID_CHARS:
        return FeedProblem(position, f"id is longer than {MAX_ID_CHARS} characters")
    title = clean_line(str(raw.get("title") or ""))[:200].strip()
    if not title:
        return FeedProblem(position, "has no title", item_id)
    link = str(raw.get("link") or "").strip()
    if not link:
        return FeedProblem(position, "has no link", item_id)
    if not _url_ok(link, https=True):
        return FeedProblem(position, f"link {link[:80]!r} is not an https:// URL (Pins link to "
                                     "secure pages)", item_id)
    image = str(raw.get("image_link") or "").strip() or None
    if image is not None and not _url_ok(image, https=False):
        return FeedProblem(position, f"image_link {image[:80]!r} is not an http(s) URL", item_id)
    extra = tuple(url for url in _split_urls(raw.get("additional_image_link"))
                  if _url_ok(url, https=False))[:10]
    availability_text = clean_line(str(raw.get("availability") or "in stock")).lower()
    availability = AVAILABILITY.get(availability_text)
    if availability is None:
        return FeedProblem(position, f"availability {availability_text!r} is not one of in "
                                     "stock, out of stock, preorder, backorder", item_id)
    price = sale = None
    price_text = clean_line(str(raw.get("price") or ""))
    sale_text = clean_line(str(raw.get("sale_price") or ""))
    try:
        if price_text:
            price = parse_price(price_text, currency_required=not raw.get("_no_currency"))
        if sale_text:
            if price is None:
                return FeedProblem(position, "has a sale_price but no price: give the regular "
                                             "price too", item_id)
            sale = parse_price(sale_text, field="sale_price")
    except PriceError as exc:
        return FeedProblem(position, str(exc), item_id)
    if price is not None and sale is not None:
        why = check_sale(price, sale)
        if why is not None:
            return FeedProblem(position, why, item_id)
    tags: list[str] = []
    for value in raw.get("tags_list") or ():
        tags += [clean_line(part) for part in str(value).split(",") if clean_line(part)]
    published = raw.get("published_at")
    return FeedItem(
        item_id=item_id,
        title=title,
        link=link,
        description=clean_text(str(raw.get("description") or ""))[:4000],
        image_link=image,
        additional_image_links=extra,
        price=str(price) if price is not None else None,
        sale_price=str(sale) if sale is not None else None,
        availability=availability,
        product_type=clean_line(str(raw.get("product_type") or "")) or None,
        google_product_category=clean_line(str(raw.get("google_product_category") or ""))
        or None,
        item_group_id=clean_line(str(raw.get("item_group_id") or "")) or None,
        tags=tuple(dict.fromkeys(tags)),
        kind="article" if raw.get("kind") == "article" else "product",
        published_at=published if isinstance(published, datetime) else None,
        position=position,
    )


# -- CSV / TSV --------------------------------------------------------------------------------


def _text_of(data: bytes, read: _Read) -> tuple[bytes, str]:
    """``data`` as bytes the record cutter can work on, and the codec of each record."""
    data, encoding = sniff(data)
    read.encoding = encoding
    if ascii_compatible(encoding.codec):
        return data, encoding.codec
    try:
        return data.decode(encoding.codec).encode(), "utf-8"
    except UnicodeDecodeError as exc:
        raise FeedError(f"the feed is not {encoding} text (byte {exc.start}); save it as "
                        "UTF-8") from exc


def _decode(data: bytes, read: _Read) -> str:
    """The whole feed as text (JSON): broken bytes kept as lone surrogates, so that only the
    items holding them are refused."""
    data, encoding = sniff(data)
    read.encoding = encoding
    try:
        return data.decode(encoding.codec, errors="surrogateescape")
    except (LookupError, UnicodeDecodeError) as exc:
        raise FeedError(f"the feed is not {encoding} text; save it as UTF-8") from exc


def _cells(text: str, delimiter: str) -> list[str]:
    """One record's cells; ``csv.Error`` for a field over ``csv.field_size_limit()``."""
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if len(rows) > 1:
        raise csv.Error("its line breaks are not inside quotes")
    return rows[0] if rows else []


def _first_cell(data: bytes, record: Record, codec: str, delimiter: str) -> str:
    """The id of a record that cannot be read as a whole: its first cell, when that cell ends
    on the record's first line."""
    head = data[record.start:min(record.end, record.start + 4096)]
    head = head.splitlines()[0] if head else b""
    try:
        cells = _cells(head.decode(codec, errors="replace"), delimiter)
    except csv.Error:
        return ""
    return cells[0][:MAX_ID_CHARS] if len(cells) > 1 else ""


def _table_rows(data: bytes, kind: str, read: _Read) -> Iterator[tuple[str, dict[str, Any]]]:
    data, codec = _text_of(data, read)
    delimiter = "\t" if kind == "tsv" else ","
    cut = records(data, delimiter)
    first = next(cut, None)
    if first is None:
        raise FeedError("the feed is empty: a CSV/TSV feed starts with a header line")
    try:
        if first.unterminated or first.size > MAX_ROW_BYTES:
            raise csv.Error("a quote in it is never closed")
        header = [name.strip().lower()
                  for name in _cells(data[first.start:first.end].decode(codec), delimiter)]
    except (csv.Error, UnicodeDecodeError) as exc:
        raise FeedError(f"the feed's header line cannot be read ({exc})") from exc
    if "id" not in header:
        raise FeedError("the feed's header has no 'id' column: use the Google Merchant / "
                        "Pinterest catalog column names (id, title, link, image_link, ...)")
    for record in cut:
        position = record.position
        problem = None
        if record.unterminated:
            problem = ('has a quoted field that is never closed (a stray \'"\'?); the next '
                       "line is read as the next row")
        elif record.size > MAX_ROW_BYTES:
            problem = (f"is {record.size:,} bytes, over the {MAX_ROW_BYTES:,}-byte limit of a "
                       "row (a quoted field left open?)")
        if problem is not None:
            yield position, {"id": _first_cell(data, record, codec, delimiter),
                             "_problem": problem}
            continue
        chunk = data[record.start:record.end]
        try:
            cells = _cells(chunk.decode(codec), delimiter)
        except UnicodeDecodeError as exc:
            yield position, {"id": _first_cell(data, record, codec, delimiter),
                             "_problem": f"has bytes that are not {codec} text (byte "
                                         f"0x{chunk[exc.start]:02x} at offset {exc.start} of "
                                         "the row); fix or remove them"}
            continue
        except csv.Error as exc:
            why = (f"has a cell over {csv.field_size_limit():,} characters, the most one cell "
                   "may hold; shorten it" if "field limit" in str(exc)
                   else f"is not valid CSV ({exc})")
            yield position, {"id": _first_cell(data, record, codec, delimiter),
                             "_problem": why}
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            yield position, {"id": cells[0] if cells else "",
                             "_problem": f"has {len(cells)} cells where the header has "
                                         f"{len(header)} (a stray comma or quote?)"}
            continue
        row: dict[str, Any] = dict(zip(header, cells, strict=True))
        row["tags_list"] = [row[name] for name in TAG_COLUMNS if row.get(name)]
        yield position, row


# -- Google Merchant XML ----------------------------------------------------------------------


def _text(element: Element, *names: str) -> str | None:
    for name in names:
        found = element.find(name)
        if found is not None and found.text and found.text.strip():
            return found.text.strip()
    return None


_UNDECODABLE = "has bytes that are not UTF-8 text; fix or remove them"


def _xml_bytes(data: bytes, read: _Read) -> tuple[bytes, bool]:
    """``data`` for the XML parser (which honours a declared encoding itself), and whether
    broken UTF-8 bytes in it were replaced by U+FFFD (their items are then refused)."""
    data, encoding = sniff(data, xml=True)
    read.encoding = encoding
    if encoding.how == "detected":  # no declaration: the parser would read it as UTF-8
        return data.decode(encoding.codec, errors="replace").encode(), False
    if encoding.how == "utf-8 with undecodable bytes":
        return data.decode("utf-8", errors="replace").encode(), b"\xef\xbf\xbd" not in data
    return data, False


def _has_replacement(row: Mapping[str, Any]) -> bool:
    return "\ufffd" in repr(list(row.values()))


def _merchant_rows(data: bytes, read: _Read) -> Iterator[tuple[str, dict[str, Any]]]:
    data, replaced = _xml_bytes(data, read)
    try:
        root = SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException) as exc:
        raise FeedError(f"the feed is not well-formed XML ({exc})") from exc
    entries = root.findall("./channel/item") or root.findall(f"./{ATOM}entry")
    for number, entry in enumerate(entries, 1):
        link = _text(entry, f"{G}link", "link")
        if link is None:
            atom_link = entry.find(f"{ATOM}link")
            link = atom_link.get("href") if atom_link is not None else None
        row: dict[str, Any] = {
            "id": _text(entry, f"{G}id", "guid", f"{ATOM}id"),
            "title": _text(entry, f"{G}title", "title", f"{ATOM}title"),
            "description": _text(entry, f"{G}description", "description", f"{ATOM}summary"),
            "link": link,
            "additional_image_link": [e.text.strip() for e in
                                      entry.findall(f"{G}additional_image_link") if e.text],
            "tags_list": [e.text for name in TAG_COLUMNS
                          for e in entry.findall(f"{G}{name}") if e.text],
        }
        for name in ("image_link", "price", "availability", "product_type",
                     "google_product_category", "item_group_id"):
            row[name] = _text(entry, f"{G}{name}")
        row["sale_price"] = _text(entry, f"{G}sale_price")
        if replaced and _has_replacement(row):
            row["_problem"] = _UNDECODABLE
        yield f"item {number}", row


# -- Shopify products.json --------------------------------------------------------------------


def _undecodable(value: Any) -> bool:
    """Whether a JSON value read with ``surrogateescape`` holds bytes that were not text."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _shopify_rows(data: bytes, site: str | None,
                  read: _Read) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        body = json.loads(_decode(data, read))
    except json.JSONDecodeError as exc:
        raise FeedError(f"the feed is not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    products = body.get("products") if isinstance(body, dict) else None
    if not isinstance(products, list):
        raise FeedError("a JSON feed must be Shopify's products.json: an object with a "
                        "'products' list")
    for number, product in enumerate(products, 1):
        if not isinstance(product, dict):
            yield f"product {number}", {"_problem": "is not a JSON object"}
            continue
        if _undecodable(product):
            yield f"product {number}", {"id": str(product.get("id") or ""),
                                        "_problem": _UNDECODABLE}
            continue
        variants = [v for v in product.get("variants") or [] if isinstance(v, dict)]
        images = [i.get("src") for i in product.get("images") or [] if isinstance(i, dict)]
        tags = product.get("tags") or []
        handle = product.get("handle")
        link = f"{site.rstrip('/')}/products/{handle}" if site and handle else None
        published = product.get("published_at")
        if link is None:
            yield f"product {number}", {
                "id": str(product.get("id") or ""),
                "_problem": "has no link: a products.json read from a file needs the shop's "
                            "address as `site:` in the mapping" if handle else "has no handle"}
            continue
        yield f"product {number}", {
            "id": str(product.get("id") or ""),
            "title": product.get("title"),
            "description": product.get("body_html"),
            "link": link,
            "image_link": images[0] if images else None,
            "additional_image_link": [str(url) for url in images[1:] if url],
            "price": variants[0].get("price") if variants else None,
            "_no_currency": True,  # products.json gives the amount only
            "availability": "in stock" if any(v.get("available", True) for v in variants)
            or not variants else "out of stock",
            "product_type": product.get("product_type"),
            "item_group_id": str(product.get("id") or ""),
            "tags_list": tags if isinstance(tags, list) else [tags],
            "published_at": _iso(published),
        }


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# -- RSS / Atom blogs -------------------------------------------------------------------------


def _entry_image(entry: Mapping[str, Any]) -> list[str]:
    urls: list[str] = []
    for key in ("media_content", "media_thumbnail"):
        urls += [m.get("url") for m in entry.get(key) or [] if m.get("url")]
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            urls.append(link.get("href"))
    for enclosure in entry.get("enclosures") or []:
        if str(enclosure.get("type", "")).startswith("image/"):
            urls.append(enclosure.get("href"))
    return [str(url) for url in dict.fromkeys(urls) if url]


def _blog_rows(data: bytes, read: _Read) -> Iterator[tuple[str, dict[str, Any]]]:
    parsed = feedparser.parse(data)  # it finds the encoding itself (declared, else guessed)
    read.encoding = FeedEncoding(str(parsed.get("encoding") or "utf-8"), "feedparser")
    if not parsed.entries and not parsed.get("version"):
        why = parsed.get("bozo_exception")
        raise FeedError("the feed is not RSS or Atom" + (f" ({why})" if why else ""))
    for number, entry in enumerate(parsed.entries, 1):
        images = _entry_image(entry)
        summary = entry.get("summary") or ""
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        yield f"entry {number}", {
            "id": entry.get("id") or entry.get("link"),
            "title": entry.get("title"),
            "description": summary,
            "link": entry.get("link"),
            "image_link": images[0] if images else None,
            "additional_image_link": images[1:],
            "tags_list": [t.get("term") for t in entry.get("tags") or [] if t.get("term")],
            "kind": "article",
            "published_at": _struct_time(published),
        }


def _struct_time(value: Any) -> datetime | None:
    if not isinstance(value, struct_time):
        return None
    return datetime(*value[:6], tzinfo=UTC)
