"""The mapping: rules from product type, category, tags and URL path to boards, kinds, keywords
and tone; unmatched items to the default board or skipped; the brand kit from its files."""

from __future__ import annotations

from pathlib import Path

import pytest

from pinterest_agent.agents.catalog import CatalogMapping, MappingError, load_mapping
from pinterest_agent.agents.catalog.items import FeedItem

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"


def item(**fields: object) -> FeedItem:
    values: dict[str, object] = {"item_id": "A", "title": "T",
                                 "link": "https://shop.example/products/x"}
    values.update(fields)
    return FeedItem(**values)  # type: ignore[arg-type]


def test_the_first_rule_whose_every_condition_holds_wins() -> None:
    # Given the sample shop's mapping
    mapping, brand = load_mapping(FEEDS / "shop.yaml")
    # Then product type, tags (with a glob), URL path and category each route an item
    bedding = mapping.route(item(product_type="Home > Bedding > Throws"))
    assert bedding is not None and (bedding.board, bedding.section, bedding.rule) == \
        ("Cozy bedroom", "Throws and blankets", 1)
    assert bedding.keywords == ("linen throw blanket", "cozy bedroom ideas")
    assert bedding.tone == "warm, understated"
    holiday = mapping.route(item(product_type="kitchen > mugs", tags=("Season:Christmas",)))
    assert holiday is not None and (holiday.board, holiday.rule) == ("Holiday kitchen", 2)
    plain = mapping.route(item(product_type="Kitchen > Mugs"))
    assert plain is not None and (plain.board, plain.rule) == ("Kitchen and table", 3)
    gift = mapping.route(item(link="https://127.0.0.1:8766/_sandbox/pages/gift-card"))
    assert gift is not None and (gift.board, gift.kind) == ("Gift ideas", "other")
    decor = mapping.route(item(google_product_category="Home & Garden > Decor > Vases"))
    assert decor is not None and decor.board == "Home decor"
    # And an unmatched item goes to the channel's default board (board None)
    other = mapping.route(item(product_type="Garden"))
    assert other is not None and (other.board, other.rule, other.kind) == (None, None, "product")
    # And the brand kit carries the logo file
    assert brand is not None and brand.logo_png is not None and brand.name == "Linen & Sage"


def test_unmatched_items_are_skipped_when_the_mapping_says_so() -> None:
    mapping = CatalogMapping.model_validate({
        "unmatched": "skip", "rules": [{"when": {"tags": ["linen", "cotton"]}, "board": "B"}]})
    assert mapping.route(item(tags=("wool",))) is None
    routed = mapping.route(item(tags=("wool", "Cotton")))
    assert routed is not None and routed.board == "B"


def test_blog_items_keep_their_article_kind_unless_a_rule_names_one() -> None:
    mapping = CatalogMapping.model_validate({
        "default_board": "Journal", "rules": [{"when": {"tags": "how-to"}, "kind": "how-to",
                                               "board": "How-tos"}]})
    howto = mapping.route(item(kind="article", tags=("how-to",)))
    story = mapping.route(item(kind="article"))
    assert howto is not None and (howto.kind, howto.board) == ("how-to", "How-tos")
    assert story is not None and (story.kind, story.board) == ("article", "Journal")


@pytest.mark.parametrize(("text", "needle"), [
    ("rules: [{board: B, colour: red}]", "rules.0.colour"),
    ("unmatched: maybe", "unmatched"),
    ("rules: [unclosed", "not valid YAML"),
    ("brand: {logo: missing.png}", "brand.logo: cannot read"),
    ("brand: {primary: red}", "brand is invalid"),
], ids=["unknown-key", "bad-unmatched", "yaml", "missing-logo", "bad-colour"])
def test_a_bad_mapping_is_one_clear_error(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert caught.value.code == "mapping_invalid" and needle in caught.value.message


def test_no_mapping_sends_everything_to_the_default_board() -> None:
    mapping, brand = load_mapping(None)
    routed = mapping.route(item())
    assert routed is not None and routed.board is None and brand is None
