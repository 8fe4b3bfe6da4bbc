"""Feed text reaches briefs as plain text, whatever the format (issue 23, defect 3): the title a
Pin was published with, ``<script>alert(1)</script>Caf&eacute; &amp; Co - Mug <b>bold</b>``, is
``Café & Co - Mug bold`` from Merchant XML, RSS and CSV alike."""

from __future__ import annotations

import csv
import io

from pinterest_agent.agents.catalog import parse_feed

ISSUE_TITLE = "<script>alert(1)</script>Caf&eacute; &amp; Co \u2013 Mug <b>bold</b>"
PLAIN_TITLE = "Café & Co \u2013 Mug bold"


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_a_merchant_xml_title_and_description_are_plain_text() -> None:
    # Given a Merchant XML item whose title and description carry markup and entities
    data = f"""<?xml version="1.0"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>
<item><g:id>MUG-1</g:id><g:title>{_xml_text(ISSUE_TITLE)}</g:title>
<g:description><![CDATA[<p>Stoneware &amp; glaze.</p><style>p{{}}</style><p>350&nbsp;ml</p>]]>
</g:description>
<g:link>https://shop.example.com/mug</g:link><g:product_type>Kitchen &amp;gt; Mugs
</g:product_type><g:custom_label_0>&lt;i&gt;gift&lt;/i&gt;</g:custom_label_0></item>
</channel></rss>""".encode()
    # When it is read
    parsed = parse_feed(data)
    # Then its text is plain
    assert parsed.format == "merchant-xml" and parsed.problems == ()
    item = parsed.items[0]
    assert item.title == PLAIN_TITLE
    assert item.description == "Stoneware & glaze.\n350 ml"
    assert item.product_type == "Kitchen > Mugs" and item.tags == ("gift",)


def test_an_rss_entry_title_is_plain_text() -> None:
    # Given RSS entries with the title escaped, and in CDATA
    data = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>
<item><guid>p1</guid><title>{_xml_text(ISSUE_TITLE)}</title>
<link>https://blog.example.com/p1</link>
<description>&lt;p&gt;Read &lt;b&gt;this&lt;/b&gt;&lt;/p&gt;</description></item>
<item><guid>p2</guid><title><![CDATA[{ISSUE_TITLE}]]></title>
<link>https://blog.example.com/p2</link></item>
</channel></rss>""".encode()
    parsed = parse_feed(data)
    assert parsed.format == "rss"
    assert [item.title for item in parsed.items] == [PLAIN_TITLE, PLAIN_TITLE]
    assert parsed.items[0].description == "Read this"


def test_a_csv_row_is_plain_text_and_its_id_is_kept_as_given() -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "title", "description", "link", "tags"])
    writer.writerow(["A&amp;B<1>", ISSUE_TITLE, "a < b &amp; 5 > 3", "https://shop.example.com/a",
                     "<b>linen</b>, sage"])
    parsed = parse_feed(out.getvalue().encode())
    item = parsed.items[0]
    assert item.item_id == "A&amp;B<1>"  # an id is an id: never read as HTML
    assert item.title == PLAIN_TITLE
    assert item.description == "a < b & 5 > 3"
    assert item.tags == ("linen", "sage")


def test_a_line_separator_in_a_title_makes_the_row_a_problem() -> None:
    data = ("id,title,link\n"
            "A,Linen\u2028Throw,https://shop.example.com/a\n"
            "B,Linen&#x2029;Throw,https://shop.example.com/b\n"
            "C,Linen Throw,https://shop.example.com/c\n").encode()
    parsed = parse_feed(data)
    assert [item.item_id for item in parsed.items] == ["C"]
    assert [(p.position, p.item_id) for p in parsed.problems] == [("line 2", "A"),
                                                                   ("line 3", "B")]
    assert "line separator (U+2028)" in parsed.problems[0].reason
    assert "paragraph separator (U+2029)" in parsed.problems[1].reason
