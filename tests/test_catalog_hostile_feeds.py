"""Hostile and careless feeds as a new user brings them: a quoted field of many megabytes, a
CSV-looking line inside a description, a quote never closed, prices that are not prices, a
Latin-1 file, one broken byte. Each fails its own row, by line and id; the rest is read."""

from __future__ import annotations

import json

import pytest

from pinterest_agent.agents.catalog import parse_feed
from pinterest_agent.agents.catalog.briefs import summary_for
from pinterest_agent.agents.catalog.records import MAX_ROW_BYTES

HEADER = b"id,title,link,price,description\n"


def row(item_id: str, price: str = "15.00 USD", description: str = "ok") -> bytes:
    return f'{item_id},Title {item_id},https://s.example/{item_id},"{price}","{description}"\n' \
        .encode()


def _field_with_a_phantom(size: int) -> bytes:
    filler = b"lorem ipsum dolor sit amet\n" * (size // 27)
    phantom = b"PHANTOM-1,Phantom,https://evil.example/p,1.00 USD,x\n"
    return b'"' + filler + phantom + filler + b'"'


@pytest.mark.parametrize("size", [200 * 1024, 2 * MAX_ROW_BYTES],
                         ids=["over-csv-field-limit", "over-row-limit"])
def test_a_huge_multiline_field_fails_its_own_row_and_nothing_else(size: int) -> None:
    # Given a row whose quoted description spans thousands of lines, one of them CSV-looking
    data = (HEADER + row("A") + b"BIG,Big,https://s.example/big,9.00 USD," +
            _field_with_a_phantom(size) + b"\n" + row("C"))
    # When it is read
    parsed = parse_feed(data)
    # Then the rows around it are items, the phantom is not, and one problem names the row
    assert [item.item_id for item in parsed.items] == ["A", "C"]
    assert len(parsed.problems) == 1
    problem = parsed.problems[0]
    assert problem.item_id == "BIG" and problem.position.startswith("lines 3-")
    assert parsed.items[1].position == f"line {int(problem.position.rsplit('-', 1)[1]) + 1}"


def test_a_cell_over_the_csv_cell_limit_says_so_and_how_to_fix_it() -> None:
    # Given a row under the row limit with one cell over what one CSV cell may hold
    data = HEADER + b"LONG,Long,https://s.example/l,9.00 USD,\"" + b"x" * 200_000 + b"\"\n"
    # When it is read, the problem names the cell limit (not a bare csv.Error)
    [problem] = parse_feed(data).problems
    assert problem.item_id == "LONG"
    assert problem.reason == "has a cell over 131,072 characters, the most one cell may hold; " \
        "shorten it"


def test_a_fifty_megabyte_field_is_one_problem() -> None:
    data = (HEADER + b"BIG,Big,https://s.example/big,9.00 USD," +
            _field_with_a_phantom(50 * 1024 * 1024) + b"\n" + row("NEXT"))
    parsed = parse_feed(data)
    assert [str(p).split(":")[0].split(" (")[1] for p in parsed.problems] == ["id BIG)"]
    assert "over the 1,048,576-byte limit of a row" in parsed.problems[0].reason
    assert [item.item_id for item in parsed.items] == ["NEXT"]


def test_a_quote_never_closed_fails_its_row_and_the_next_line_is_read() -> None:
    # (no quote follows it: a later quote would close it, as in any CSV reader)
    data = (HEADER + b'OPEN,Open,https://s.example/o,1.00 USD,"never closed\n'
            b"NEXT,Next,https://s.example/n,1.00 USD,plain\n")
    parsed = parse_feed(data)
    assert [item.item_id for item in parsed.items] == ["NEXT"]
    assert [str(p) for p in parsed.problems] == [
        "line 2 (id OPEN): has a quoted field that is never closed (a stray '\"'?); the next "
        "line is read as the next row"]


def test_quotes_inside_unquoted_fields_stay_text() -> None:
    data = HEADER + b'P,12" pan,https://s.example/p,1.00 USD,a "b" c\n' + row("Q")
    parsed = parse_feed(data)
    assert [item.title for item in parsed.items] == ['12" pan', "Title Q"]
    assert parsed.items[0].description == 'a "b" c' and parsed.problems == ()


@pytest.mark.parametrize(("price", "why"), [
    ("abc", "is not a price"),
    ("-5 USD", "is not a price"),
    ("1e309 USD", "is not a price"),
    ("nan USD", "is not a price"),
    ("inf USD", "is not a price"),
    ("0 USD", "must be above zero"),
    ("0.00 EUR", "must be above zero"),
    ("15.00", "is not a price"),
    ("15.00 XYZ", "is not a current ISO 4217 currency code"),
    ("15.00 DEM", "is not a current ISO 4217 currency code"),
    ("1,299.00 USD", "use a point as the decimal separator"),
])
def test_a_bad_price_is_a_problem_of_its_row(price: str, why: str) -> None:
    parsed = parse_feed(HEADER + row("BAD", price) + row("GOOD"))
    assert [item.item_id for item in parsed.items] == ["GOOD"]
    (problem,) = parsed.problems
    assert problem.position == "line 2" and problem.item_id == "BAD"
    assert why in problem.reason
    assert "'15.00 USD'" in problem.reason or "(USD, EUR, GBP, ...)" in problem.reason


@pytest.mark.parametrize(("price", "stored"), [
    ("15.00 USD", "15.00 USD"), ("15 usd", "15.00 USD"), ("USD 15.5", "15.50 USD"),
    ("1500 JPY", "1500 JPY"), ("9.999 BHD", "9.999 BHD"), ("89.00  USD", "89.00 USD"),
])
def test_a_good_price_is_stored_normalised(price: str, stored: str) -> None:
    (item,) = parse_feed(HEADER + row("A", price)).items
    assert item.price == stored
    assert f"Price: {stored}." in summary_for(item)


def test_sale_price_is_below_price_in_the_same_currency() -> None:
    header = b"id,title,link,price,sale_price\n"
    data = header + (b"A,a,https://s.example/a,89.00 USD,69.00 USD\n"
                     b"B,b,https://s.example/b,89.00 USD,99.00 USD\n"
                     b"C,c,https://s.example/c,89.00 USD,69.00 EUR\n"
                     b"D,d,https://s.example/d,,69.00 USD\n")
    parsed = parse_feed(data)
    (item,) = parsed.items
    assert item.sale_price == "69.00 USD"
    assert "Price: 69.00 USD (on sale; regular price 89.00 USD)." in summary_for(item)
    assert [(p.item_id, p.reason.split(":")[0]) for p in parsed.problems] == [
        ("B", "sale_price 99.00 USD is not below price 89.00 USD"),
        ("C", "sale_price 69.00 EUR is not in the currency of price 89.00 USD"),
        ("D", "has a sale_price but no price"),
    ]


def test_merchant_xml_prices_are_checked_too() -> None:
    data = (b'<rss xmlns:g="http://base.google.com/ns/1.0"><channel>'
            b"<item><g:id>A</g:id><g:title>a</g:title><g:link>https://s.example/a</g:link>"
            b"<g:price>-5 USD</g:price></item>"
            b"<item><g:id>B</g:id><g:title>b</g:title><g:link>https://s.example/b</g:link>"
            b"<g:price>12 EUR</g:price><g:sale_price>10 EUR</g:sale_price></item>"
            b"</channel></rss>")
    parsed = parse_feed(data)
    assert [(i.item_id, i.price, i.sale_price) for i in parsed.items] == [
        ("B", "12.00 EUR", "10.00 EUR")]
    assert [(p.position, p.item_id) for p in parsed.problems] == [("item 1", "A")]


def test_a_shopify_price_without_currency_is_an_amount_and_is_checked() -> None:
    body = {"products": [
        {"id": 1, "title": "a", "handle": "a", "variants": [{"price": "42"}]},
        {"id": 2, "title": "b", "handle": "b", "variants": [{"price": "-1.00"}]},
    ]}
    parsed = parse_feed(json.dumps(body).encode(), site="https://s.example")
    assert [(i.item_id, i.price) for i in parsed.items] == [("1", "42")]
    assert [(p.position, p.item_id) for p in parsed.problems] == [("product 2", "2")]


def test_a_latin1_csv_is_read_in_its_encoding() -> None:
    text = ("id,title,link,price\n"
            "A,Café crème « brûlée »,https://s.example/a,5.00 EUR\n"
            "B,Grüße aus Köln,https://s.example/b,6.00 EUR\n")
    parsed = parse_feed(text.encode("latin-1"))
    assert [item.title for item in parsed.items] == ["Café crème « brûlée »", "Grüße aus Köln"]
    assert parsed.encoding == "cp1252 (detected)" and parsed.problems == ()


def test_one_broken_byte_fails_only_its_row() -> None:
    data = (HEADER + row("A", description="café") + row("B", description="bad \xff byte")
            .replace(b"\xc3\xbf", b"\xff") + row("C", description="naïve"))
    parsed = parse_feed(data)
    assert [item.item_id for item in parsed.items] == ["A", "C"]
    assert [str(p) for p in parsed.problems] == [
        "line 3 (id B): has bytes that are not utf-8 text (byte 0xff at offset 47 of the row); "
        "fix or remove them"]
    assert parsed.encoding == "utf-8 (utf-8 with undecodable bytes)"


def test_a_declared_xml_encoding_is_honoured() -> None:
    data = ('<?xml version="1.0" encoding="windows-1252"?>'
            '<rss xmlns:g="http://base.google.com/ns/1.0"><channel><item><g:id>A</g:id>'
            "<g:title>Café “crème”</g:title><g:link>https://s.example/a</g:link></item>"
            "</channel></rss>").encode("cp1252")
    parsed = parse_feed(data)
    assert parsed.items[0].title == "Café “crème”"
    assert parsed.encoding == "cp1252 (declared)"


def test_an_undeclared_latin1_xml_and_a_broken_byte_in_xml() -> None:
    item = ("<item><g:id>{}</g:id><g:title>{}</g:title><g:link>https://s.example/a</g:link>"
            "</item>")
    body = ('<rss xmlns:g="http://base.google.com/ns/1.0"><channel>' +
            item.format("A", "Crème brûlée") + item.format("B", "Bad ÿ") +
            item.format("C", "Grüße") + "</channel></rss>")
    latin = parse_feed(body.encode("latin-1"))
    assert [i.title for i in latin.items] == ["Crème brûlée", "Bad ÿ", "Grüße"]
    assert latin.encoding == "cp1252 (detected)"
    broken = parse_feed(body.encode().replace("ÿ".encode(), b"\xff"))
    assert [i.item_id for i in broken.items] == ["A", "C"]
    assert [(p.position, p.item_id) for p in broken.problems] == [("item 2", "B")]
