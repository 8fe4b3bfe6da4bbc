"""Feeds: each format read by its parser into the same items; bad rows reported, never fatal."""

from __future__ import annotations

from pathlib import Path

import pytest

from pinterest_agent.agents.catalog import FeedError, detect_format, parse_feed
from pinterest_agent.agents.catalog.items import FeedItem

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"


def read(name: str, **options: str) -> tuple[str, dict[str, FeedItem], list[str]]:
    data = (FEEDS / name).read_bytes()  # the sample's links to the sandbox, on its default ports
    data = data.replace(b"${PINTEREST_AGENT_SANDBOX_HTTPS_URL}", b"https://127.0.0.1:8766")
    data = data.replace(b"${PINTEREST_AGENT_SANDBOX_URL}", b"http://127.0.0.1:8765")
    parsed = parse_feed(data, **options)
    return parsed.format, {i.item_id: i for i in parsed.items}, [str(p) for p in parsed.problems]


def test_csv_rows_become_items_and_bad_rows_are_reported_with_their_line() -> None:
    # Given the sample shop CSV (one http link, one row without an id)
    kind, items, problems = read("shop.csv")
    # Then every other row is an item with its fields, images and tags
    assert kind == "csv" and len(items) == 8
    throw = items["LT-100"]
    assert throw.title == "Linen Throw Blanket in Sage Green"
    assert throw.price == "89.00 USD" and throw.availability == "in_stock"
    assert len(throw.images) == 3 and throw.images[0].endswith("product-linen-throw-1200x1800.jpg")
    assert throw.product_type == "Home > Bedding > Throws" and throw.tags == ("linen",)
    assert items["WB-050"].availability == "out_of_stock"
    assert items["MG-XMAS"].tags == ("season:christmas",)
    assert items["GC-001"].images == ()
    # And the two bad rows are reported by line, with the id when there is one
    assert problems == [
        "line 10 (id BAD-HTTP): link 'http://127.0.0.1:8765/_sandbox/pages/basket' is not an "
        "https:// URL (Pins link to secure pages)",
        "line 11: has no id",
    ]


def test_tsv_with_quoted_newlines_and_a_short_row() -> None:
    data = (b"id\ttitle\tlink\tdescription\tavailability\n"
            b"A\tOne\thttps://s.example/a\t\"two\nlines\"\tin stock\n"
            b"B\tTwo\n"
            b"A\tAgain\thttps://s.example/a2\tx\tin stock\n"
            b"C\tThree\thttps://s.example/c\tx\tsometimes\n")
    parsed = parse_feed(data)
    assert parsed.format == "tsv"
    assert [i.item_id for i in parsed.items] == ["A"]
    assert parsed.items[0].description == "two\nlines"
    assert [str(p) for p in parsed.problems] == [
        "line 4 (id B): has 2 cells where the header has 5 (a stray comma or quote?)",
        "line 5 (id A): repeats an id already in the feed (the first is used)",
        "line 6 (id C): availability 'sometimes' is not one of in stock, out of stock, "
        "preorder, backorder",
    ]


def test_merchant_xml_keeps_every_additional_image_and_g_fields() -> None:
    kind, items, problems = read("shop.xml")
    assert kind == "merchant-xml"
    throw = items["LT-100"]
    assert throw.additional_image_links == ("https://cdn.shop.example.com/linen-throw-detail.jpg",
                                            "https://cdn.shop.example.com/linen-throw-sofa.jpg")
    assert throw.google_product_category == \
        "Home & Garden > Linens & Bedding > Bedding > Blankets"
    assert throw.item_group_id == "LT" and throw.tags == ("season:winter",)
    vase = items["SV-010"]  # every field in the g: namespace
    assert vase.title == "Stoneware Bud Vase" and vase.link.endswith("/bud-vase")
    assert vase.availability == "out_of_stock"
    assert problems == ["item 3 (id NO-LINK): has no link"]


def test_merchant_xml_refuses_entity_expansion() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b'<rss xmlns:g="http://base.google.com/ns/1.0"><channel><item><g:id>&b;</g:id>'
            b'</item></channel></rss>')
    with pytest.raises(FeedError) as caught:
        parse_feed(bomb)
    assert caught.value.code == "feed_unreadable"


def test_shopify_products_json_with_the_shops_site() -> None:
    kind, items, problems = read("products.json", site="https://shop.example.com")
    assert kind == "shopify-json"
    apron = items["7001"]
    assert apron.link == "https://shop.example.com/products/linen-apron-clay"
    assert apron.description == ("A full-length linen apron with two deep pockets.\n"
                                 "Adjustable neck strap\nPre-washed")
    assert apron.price == "42.00" and apron.availability == "in_stock"
    assert apron.images == ("https://cdn.shopify.example/apron.jpg",
                            "https://cdn.shopify.example/apron-back.jpg")
    assert apron.tags == ("linen", "kitchen") and apron.published_at is not None
    assert items["7002"].availability == "out_of_stock" and items["7002"].tags == ("canvas",
                                                                                   "bags")
    assert problems == ["product 3 (id 7003): has no title"]


def test_shopify_from_a_file_without_a_site_says_what_to_add() -> None:
    _, items, problems = read("products.json")
    assert items == {}
    assert "needs the shop's address as `site:` in the mapping" in problems[0]


def test_rss_blog_entries_are_articles_with_their_image_and_tags() -> None:
    kind, items, problems = read("blog.xml")
    assert kind == "rss" and problems == []
    wash = items["https://journal.example.com/how-to-wash-linen"]
    assert wash.kind == "article"
    assert wash.description == "Cool water, a gentle cycle and no softener: five steps to " \
                               "linen that feels better every wash."
    assert wash.images == ("https://journal.example.com/img/washing.jpg",)
    assert wash.tags == ("how-to", "linen care") and wash.published_at is not None
    assert items["https://journal.example.com/autumn-table"].images == ()


def test_atom_entries_with_an_enclosure_image() -> None:
    kind, items, problems = read("blog.atom")
    assert kind == "atom" and problems == []
    entry = items["urn:uuid:linen-care"]
    assert entry.link == "https://journal.example.com/store-linen"
    assert entry.images == ("https://journal.example.com/img/storage.jpg",)


@pytest.mark.parametrize(("data", "code"), [
    (b"", "feed_unreadable"),
    (b"title,link\nx,https://a.example/\n", "feed_unreadable"),
    (b'{"items": []}', "feed_unreadable"),
    (b"<html><body><p>a web page, not a feed</p></body></html>", "feed_unreadable"),
    (b'<rss xmlns:g="http://base.google.com/ns/1.0"><channel><item>', "feed_unreadable"),
    (b"\xff\xfe,x\n", "feed_unreadable"),
], ids=["empty", "no-id-column", "not-shopify", "web-page", "broken-merchant-xml",
        "broken-utf16"])
def test_an_unreadable_feed_is_one_clear_error(data: bytes, code: str) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(data)
    assert caught.value.code == code and caught.value.message


def test_control_characters_and_bidi_overrides_never_reach_a_brief() -> None:
    data = "id,title,link,description\nA,Bad\u202eTitle\x07,https://a.example/x,ok\x00 text\n"
    item = parse_feed(data.encode()).items[0]
    assert item.title == "BadTitle" and item.description == "ok text"


def test_content_hash_follows_copy_link_price_and_availability_only() -> None:
    base = FeedItem(item_id="A", title="T", link="https://a.example/x", price="1 USD")
    assert base.content_hash() == FeedItem(item_id="A", title="T", link="https://a.example/x",
                                           price="1 USD", tags=("x",)).content_hash()
    for change in ({"price": "2 USD"}, {"title": "U"}, {"availability": "out_of_stock"},
                   {"link": "https://a.example/y"}, {"description": "d"}):
        changed = FeedItem(**{"item_id": "A", "title": "T", "link": "https://a.example/x",
                              "price": "1 USD", **change})  # type: ignore[arg-type]
        assert changed.content_hash() != base.content_hash(), change


def test_format_detection() -> None:
    assert detect_format(b"\xef\xbb\xbfid,title\n") == "csv"
    assert detect_format(b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'>") \
        == "atom"
