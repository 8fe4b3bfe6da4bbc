"""Content categories of Pins by keyword rules: intent before topic, the title before the text.

Five categories (what the ``pin_categories`` prompt gives the model, word for word in spirit)::

    recipe     a dish or drink to prepare and eat or drink, "how to" or not
    how-to     instructions or tips for making, fixing or doing anything that is not a dish
    product    items offered for sale: prices, shop, sale, kits, gift guides, reviews
    lifestyle  inspiration: decor, outfits, travel diaries, weddings, wellness, routines
    other      everything else: news, announcements, events, quotes, hiring, podcasts

:func:`classify` scores every category and takes the highest. Each phrase of :data:`LEXICON`
carries a weight: **3** for an intent or a category's defining phrase ("how to", "DIY", "step by
step", "recipe", "ingredients", "bake", "shop now", "$24", "we're hiring"), **2** for a strong
topic ("croissants", "crochet", "candle", "boho"), **1** for a topic word many categories borrow
("sourdough", "lemon", "kitchen", "style"); a title opening with an instruction verb ("Fix",
"Sew", "Repot": :data:`TITLE_OPENERS`) is a how-to intent too. A phrase in the title counts twice
(the title says what the Pin is; a description wanders). So intent outweighs topic words:

* "DIY Sourdough Wall Art": how-to 12 (DIY, wall art) against recipe 2 (sourdough);
* "How to Make a Sourdough Planter": how-to 14 against recipe 2;
* "How to Make Sourdough Bread at Home" with "flour, water, salt ... baked in a Dutch oven":
  recipe 13 against how-to 8 (making a dish is a recipe; the title alone would be a how-to);
* "Lemon Verbena Soy Candle" at "$24": product 10 against recipe 2.

Ties go to the earlier category in the order above; no phrase at all is ``other``. How sure the
rules are is the winner's lead over the runner-up (:func:`verdict`): 0 on a tie or with no phrase
at all, 3 for one intent phrase more in the description, 6 in the title. Matching is on
whole words, case-insensitive; at each word only the phrases starting with its first character
are tried, longest first ("gift guide" is a product phrase, not "guide").

The rules are the fallback and the check of the model's categories, and decide every Pin they
are sure of (:mod:`agents.insights.categorizer`). On the hand-labelled fixture they were tuned on
(``fixtures/categories/pins.jsonl``, 280 Pins) they score 98.9%; on a held-out set written after
the tuning (``holdout.jsonl``, 40 Pins) 70%, and on 121 Pins written and labelled later
(``holdout2.jsonl``) the figure ``benchmarks/categories.py`` prints: keyword rules do not
generalise well where they are unsure, which is where a model, when one is configured and found
reliable, decides. ``tests/test_insight_categories.py`` pins these figures.
:data:`RULES_VERSION` names these rules in the Pin cache: a Pin categorised by an older version
of the rules is categorised again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal, NamedTuple, Protocol

__all__ = [
    "CATEGORIES",
    "LEXICON",
    "RULES_VERSION",
    "Category",
    "Verdict",
    "categorize",
    "classify",
    "scores",
    "verdict",
]

Category = Literal["recipe", "how-to", "product", "lifestyle", "other"]
CATEGORIES: tuple[Category, ...] = ("recipe", "how-to", "product", "lifestyle", "other")
RULES_VERSION = "rules-2"
"""Changes whenever :data:`LEXICON` or the scoring changes, so cached categories are redone."""

TITLE_WEIGHT = 2
"""A phrase in the title counts this many times."""

LEXICON: dict[Category, dict[int, tuple[str, ...]]] = {
    "recipe": {
        3: (
            r"recipes?", r"ingredients?", r"\d+[- ]ingredients?", r"servings", r"serves \d+",
            r"prep time", r"knead(?:ed|ing)?", r"bak(?:e|ed|es|ing)", r"roast(?:ed|ing)?",
            r"simmer(?:ed|ing|s)?", r"saut[ée]ed?", r"grill(?:ed)?", r"fried", r"whisked",
            r"marinated?", r"stir[- ]fr(?:y|ies)", r"one[- ]pot", r"one[- ]pan", r"sheet[- ]pan",
            r"slow[- ]cooker", r"instant pot", r"meal[- ]prep", r"make[- ]ahead", r"no[- ]bake",
            r"no[- ]knead", r"breakfast", r"brunch", r"lunch(?:es)?", r"dinners?", r"desserts?",
            r"snacks?", r"snacking", r"appetizers?", r"side dish", r"weeknights?", r"calories",
            r"serve(?:d)? (?:with|warm|cold|chilled)", r"topped with", r"tossed", r"drizzled?",
            r"juicy", r"crunchy", r"chewy", r"crispy", r"creamy",
        ),
        2: (
            r"bread", r"loaf", r"cakes?", r"cookies", r"cupcakes?", r"muffins?", r"pancakes?",
            r"waffles?", r"pies?", r"tarts?", r"crumble", r"brownies", r"croissants?", r"soups?",
            r"stew", r"chili", r"curry", r"salads?", r"pasta", r"noodles", r"linguine",
            r"spaghetti", r"pizza", r"flatbread", r"focaccia", r"crackers", r"tacos?", r"burrito",
            r"bowls", r"smoothies?", r"latte", r"lemonade", r"cocktails?", r"spritz",
            r"margaritas?", r"sangria", r"mocktails?", r"dip", r"salsa", r"sauce", r"dressing",
            r"granola", r"oatmeal", r"oats", r"casserole", r"lasagna", r"risotto", r"quinoa",
            r"rice", r"chicken", r"beef", r"salmon", r"shrimp", r"turkey", r"tofu", r"chickpeas?",
            r"lentils?", r"wings", r"tiramisu", r"cheesecake", r"icing", r"frosting", r"jam",
            r"bruschetta", r"peppers", r"dough", r"biscuits", r"homemade", r"cold brew",
            r"iced coffee", r"treats", r"bites", r"vodka", r"prosecco", r"feta", r"mozzarella",
            r"parmesan",
        ),
        1: (
            r"sourdough", r"chocolate", r"lemon", r"vanilla", r"cinnamon", r"pumpkin", r"garlic",
            r"basil", r"strawberr(?:y|ies)", r"blueberr(?:y|ies)", r"banana", r"apples?",
            r"peanut butter", r"honey", r"matcha", r"vegan", r"gluten[- ]free", r"healthy",
            r"delicious", r"flour", r"sugar", r"butter", r"eggs?", r"cheese", r"spices?", r"mango",
            r"tomato(?:es)?", r"coffee", r"espresso", r"oven", r"mint", r"ginger", r"maple",
            r"food", r"eat", r"taste", r"flavou?r", r"minutes",
        ),
    },
    "how-to": {
        3: (
            r"how[- ]to", r"diy", r"tutorials?", r"step[- ]by[- ]step", r"guide", r"tips",
            r"hacks?", r"ways to", r"learn(?: to)?", r"make your own", r"for beginners",
            r"beginner'?s", r"101", r"crafts?", r"craft project", r"sewing project",
            r"instructions", r"checklist", r"ornaments?", r"garland", r"wreath", r"coasters",
            r"planter", r"wall art", r"keepsake", r"templates?", r"baking soda",
        ),
        2: (
            r"ideas for", r"patterns?", r"crochet", r"knit(?:ting)?", r"sew(?:ing)?",
            r"embroider(?:y)?", r"stitch(?:es)?", r"macrame", r"watercolou?r", r"painting",
            r"resin", r"clay", r"printmaking", r"lettering", r"journal", r"propagate", r"repot",
            r"regrow", r"grow", r"garden bed", r"seeds?", r"clean(?:er|ing)?", r"stains?",
            r"organi[sz]e", r"declutter", r"fix", r"repair", r"sharpen", r"season(?:ing)?",
            r"refinish", r"sand(?:ing)?", r"primer", r"knots?", r"dye", r"glue", r"fold", r"wraps",
            r"scrub", r"form", r"before and after", r"tools?", r"techniques?", r"skills",
        ),
        1: (
            r"make", r"build", r"paint", r"plant", r"fresh", r"steps?", r"cut",
        ),
    },
    "product": {
        3: (
            r"shop (?:now|the look|the collection|our)", r"buy(?:ing)?", r"add to cart",
            r"best .{1,40} of 20\d\d", r"makes a great gift", r"a great gift", r"the perfect gift",
            r"orders?", r"order (?:today|now|by)", r"on sale", r"sale", r"discount", r"\d+ ?% off",
            r"\$ ?\d+", r"prices?", r"deals?", r"coupon", r"use code",
            r"free (?:shipping|delivery|returns|sample)", r"in stock", r"back in stock",
            r"restocked", r"ships (?:in|tomorrow|today)", r"ready to ship", r"pre-?order",
            r"new arrivals?", r"instant download", r"limited (?:edition|time)", r"bestsellers?",
            r"gift guide", r"gift (?:set|box|basket)", r"reviews?", r"etsy", r"new in",
            r"at checkout", r"add engraving", r"ships worldwide", r"worldwide shipping",
            r"get one free", r"warranty", r"only a few left", r"sold by", r"top rated", r"brands",
            r"our picks", r"worth (?:buying|the price)", r"available in", r"sizes", r"collection",
            r"kit", r"set",
        ),
        2: (
            r"set of \d+", r"\d+ pack", r"\d+(?:\.\d+)? ?(?:oz|ml|qt|cm|mm)\b", r"gifts?",
            r"handmade", r"new colou?rs", r"leather", r"stoneware", r"stainless steel",
            r"non[- ]slip", r"waterproof", r"engraved", r"personali[sz]ed", r"stores?",
            r"built[- ]in", r"rechargeable", r"wireless", r"battery life", r"dishwasher safe",
            r"oven safe", r"water[- ]resistant", r"leakproof", r"organic cotton", r"lip balm",
            r"lotion", r"soap", r"shampoo", r"moisturi[sz]er", r"cleanser", r"shea butter", r"shop",
            r"tested", r"scented", r"candles?", r"mugs?", r"lamps?", r"wallets?", r"earrings",
            r"necklaces?", r"slippers", r"boots", r"aprons?", r"mats?", r"bags?", r"serums?",
            r"blankets?", r"chairs?", r"bedding", r"binders?", r"machines?", r"makers?", r"mixers?",
            r"cookware", r"containers", r"napkins",
        ),
        1: (),
    },
    "lifestyle": {
        3: (
            r"decor", r"interiors?", r"inspiration", r"aesthetic", r"outfits?", r"fashion",
            r"wardrobe", r"travel", r"diary", r"trip", r"vacation", r"weddings?", r"bridal",
            r"wellness", r"self[- ]care", r"routine", r"habits", r"hygge", r"cottagecore",
            r"street style", r"vibes", r"weekend in", r"days in", r"weeks in", r"autumn in",
            r"summer in", r"rainy day in", r"on the road", r"van life", r"design", r"rituals?",
            r"slow living", r"wind[- ]down", r"unwind",
        ),
        2: (
            r"boho", r"scandinavian", r"minimalist", r"farmhouse", r"coastal", r"japandi",
            r"mid[- ]century", r"maximalist", r"eclectic", r"dark academia", r"rustic",
            r"living room", r"bedroom", r"bathroom", r"dining room", r"nursery", r"home office",
            r"reading nook", r"backyard", r"balcony", r"exterior", r"porch", r"nails",
            r"manicures?", r"makeup look", r"look", r"dresses", r"knits", r"sneakers", r"trainers",
            r"gym", r"yoga", r"sunrise", r"sunset", r"beach", r"guest", r"table setting",
            r"bar cart", r"styling", r"gallery wall", r"shelves", r"candlelight", r"calm(?:er)?",
            r"cozy", r"dreamy", r"chic", r"luxury", r"elegant", r"string lights", r"fairy lights",
            r"night in",
        ),
        1: (
            r"style", r"home", r"kitchen", r"garden", r"summer", r"autumn", r"fall", r"winter",
            r"spring", r"morning", r"ideas", r"beauty", r"hair", r"city",
        ),
    },
    "other": {
        3: (
            r"hiring", r"we'?re hiring", r"apply by", r"announc(?:ed|ement|ing)",
            r"meet (?:our|the)", r"our story", r"behind[- ]the[- ]scenes", r"thank(?:s| you)",
            r"quotes?", r"quote of the day", r"podcast", r"episode", r"webinar", r"annual report",
            r"update", r"press", r"featured in",
            r"happy (?:holidays|mother'?s day|father'?s day|lunar new year|new year|easter)",
            r"happy thanksgiving",
            r"save the date", r"founder", r"team", r"volunteer", r"charity", r"donat(?:e|ed|ing)",
            r"pledge", r"opening day", r"festival", r"contest", r"winners?", r"book club",
            r"holiday hours", r"opening hours", r"closed", r"moving", r"welcome to", r"memes?",
            r"history of", r"statistics", r"infographic", r"launch", r"sustainability",
            r"giving tuesday", r"motivational", r"throwback", r"spotlight", r"award", r"won",
            r"voted", r"bake sale", r"raised", r"followers", r"follow along", r"company",
            r"revenue", r"interview(?:ed)?", r"story behind", r"on (?:local )?tv", r"birthday",
            r"anniversary", r"celebrat(?:e|es|ing)", r"years in business", r"signing",
            r"meet the (?:author|makers|maker|team)", r"pop[- ]up", r"events?", r"merry christmas",
            r"wishing you", r"greetings", r"closing", r"last day", r"opened our doors", r"why we",
            r"newsletter", r"congratulations",
        ),
        2: (
            r"news", r"studio", r"office", r"join us", r"market", r"watch",
            r"this (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
        ),
        1: (),
    },
}
"""Phrases (regular expressions over lower-cased text, whole words) by category and weight."""

TITLE_OPENERS: tuple[str, ...] = (
    "fix", "sew", "build", "paint", "clean", "repot", "grow", "knit", "crochet", "refinish",
    "propagate", "organize", "organise", "remove", "change", "replace", "install", "hang",
    "wallpaper", "learn", "start", "repair", "sharpen", "season", "declutter", "embroider",
    "upcycle", "unclog", "teach", "train", "wrap", "write", "fold", "care for", "spray", "press",
    "frame", "mend", "patch", "restore", "assemble", "prune", "transplant", "draw", "sketch",
    "stencil", "tie", "braid",
)
"""A title that opens with one of these verbs is an instruction ("Fix a Leaky Faucet"): a how-to
intent of weight 3. ("Make" is not one: "Make these 3-ingredient cookies" is a recipe.)"""
OPENER_WEIGHT = 3


def _lead(phrase: str) -> str:
    """The character a phrase starts with (``\\d`` or ``\\$`` for those), checking the phrase."""
    if re.compile(phrase).groups:
        raise ValueError(f"a category phrase may only use (?:...) groups: {phrase!r}")
    if phrase.startswith(("\\d", "\\$")):
        return phrase[:2]
    if not phrase[0].isalnum():
        raise ValueError(f"a category phrase must start with a literal character: {phrase!r}")
    return phrase[0]


def _compile() -> dict[str, tuple[re.Pattern[str], list[tuple[int, int]]]]:
    """For each first character, one pattern of the phrases starting with it (longest first,
    each a group) and each group's ``(category slot, weight)``.

    Longest first means "gift guide" is a product phrase rather than "guide", and "bake sale" an
    announcement rather than "bake". Trying only the phrases that can start at a word keeps the
    scan fast: Python's ``re`` tries alternatives one by one, so one pattern of all 500 phrases
    would try them all at every position.
    """
    phrases = sorted(
        ((phrase, slot, weight)
         for slot, category in enumerate(CATEGORIES)
         for weight, listed in LEXICON[category].items()
         for phrase in listed),
        key=lambda item: -len(item[0]),
    )
    by_lead: dict[str, list[tuple[str, int, int]]] = {}
    for item in phrases:
        by_lead.setdefault(_lead(item[0]), []).append(item)
    compiled = {}
    for lead, items in by_lead.items():
        pattern = re.compile("(?:" + "|".join(f"({phrase})" for phrase, _, _ in items) + r")(?!\w)")
        compiled[lead] = (pattern, [(slot, weight) for _, slot, weight in items])
    digits = compiled.pop("\\d", None)
    if digits is not None:  # phrases led by \d are tried at every digit
        for char in "0123456789":
            own = compiled.get(char)
            if own is None:
                compiled[char] = digits
            else:  # a literal-digit phrase ("101") and the \d phrases: both, literal first
                merged = re.compile(own[0].pattern + "|" + digits[0].pattern)
                compiled[char] = (merged, own[1] + digits[1])
    if "\\$" in compiled:
        compiled["$"] = compiled.pop("\\$")
    return compiled


_BY_LEAD = _compile()
_WORD_START = re.compile(r"(?<!\w)[" + re.escape("".join(sorted(_BY_LEAD))) + "]")
_OPENER = re.compile(r"\s*(?:" + "|".join(TITLE_OPENERS) + r")\b")
_OTHER = CATEGORIES.index("other")
_HOW_TO = CATEGORIES.index("how-to")


def _add(text: str, factor: int, totals: list[int]) -> None:
    end = 0
    for start in _WORD_START.finditer(text):
        position = start.start()
        if position < end:
            continue  # inside the phrase matched before
        pattern, groups = _BY_LEAD[text[position]]
        match = pattern.match(text, position)
        if match is not None:
            slot, weight = groups[(match.lastindex or 1) - 1]
            totals[slot] += weight * factor
            end = match.end()


def scores(title: str | None, description: str | None = None) -> dict[Category, int]:
    """Each category's score for a Pin with this title and description (see the module doc)."""
    totals = [0] * len(CATEGORIES)
    heading = (title or "").lower()
    if _OPENER.match(heading):
        totals[_HOW_TO] += OPENER_WEIGHT * TITLE_WEIGHT
    _add(heading, TITLE_WEIGHT, totals)
    _add((description or "").lower(), 1, totals)
    return dict(zip(CATEGORIES, totals, strict=True))


class Verdict(NamedTuple):
    """The rules' category for a Pin and how sure they are of it."""

    category: Category
    lead: int
    """The winner's score minus the runner-up's: 0 on a tie or when no phrase matched."""


def verdict(title: str | None, description: str | None = None) -> Verdict:
    """The rules' category of a Pin with this title and description, and their lead."""
    totals = list(scores(title, description).values())
    best = max(totals)
    if best <= 0:
        return Verdict(CATEGORIES[_OTHER], 0)
    return Verdict(CATEGORIES[totals.index(best)], best - sorted(totals)[-2])


def classify(title: str | None, description: str | None = None) -> Category:
    """The category of a Pin with this title and description."""
    return verdict(title, description).category


class _Described(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str | None: ...

    @property
    def description(self) -> str | None: ...


def categorize(pins: Iterable[_Described]) -> dict[str, Category]:
    """Each Pin's category by Pin id."""
    return {pin.id: classify(pin.title, pin.description) for pin in pins}
