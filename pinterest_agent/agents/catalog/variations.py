"""Fresh Pins for the same item over time: a different image, layout and title angle each time.

Pinterest favours fresh Pins (a new image or angle) for the same URL over repeats. An item gets
up to ``max_variations`` Pins, one every ``interval_days`` (counted from the previous one's
slot); an item whose Pin is among the channel's top Pins in its latest insight earns
``top_bonus`` more, every ``top_interval_days``. Each variation takes:

- an image no earlier Pin of the item used: the additional images first (the main image went to
  the first Pin), then a collage of up to three photos (once), then a typographic Pin (once, no
  photo); an item with nothing unused left gets no more Pins, whatever the count;
- the next layout in its kind's rotation that the image allows;
- the next title angle, and the earlier Pins' titles to avoid (the writer refuses a repeat).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

__all__ = [
    "ANGLES",
    "LayoutName",
    "VariationPlan",
    "VariationPolicy",
    "image_key",
    "layout_name",
    "next_variation",
]

LayoutName = Literal["band", "split", "collage", "typographic"]
ANGLES = ("search", "benefit", "question", "occasion", "detail")
ROTATION: dict[str, tuple[LayoutName, ...]] = {
    "product": ("band", "split", "band", "split"),
    "article": ("typographic", "split", "band", "split"),
    "how-to": ("typographic", "split", "band", "split"),
}
DEFAULT_ROTATION: tuple[LayoutName, ...] = ("band", "split", "band", "split")


@dataclass(frozen=True, slots=True)
class VariationPolicy:
    max_variations: int = 4
    interval_days: float = 28.0
    top_bonus: int = 2
    top_interval_days: float = 7.0

    def limit(self, top: bool) -> int:
        return self.max_variations + (self.top_bonus if top else 0)

    def interval(self, top: bool) -> timedelta:
        return timedelta(days=self.top_interval_days if top else self.interval_days)


@dataclass(frozen=True, slots=True)
class VariationPlan:
    number: int
    layout: LayoutName
    images: tuple[str, ...]
    """The source images, the one that makes this variation first."""
    image: str
    """What no later variation of the item may use again (``image_key``)."""
    angle: str | None


def image_key(layout: str, images: Sequence[str]) -> str:
    if layout == "typographic":
        return "typographic"
    if layout == "collage":
        return "collage:" + "|".join(sorted(images))
    return images[0]


def next_variation(
    *, number: int, kind: str, images: Sequence[str], used: Sequence[str],
    fresh_image: str | None = None,
) -> VariationPlan | None:
    """Variation ``number`` (1-based) of an item with ``images`` (main first), given the image
    keys earlier Pins ``used``; None when nothing unused is left. ``fresh_image``: the item's
    image changed, so this Pin shows the new one (a band, the classic Pin)."""
    angle = None if number == 1 else ANGLES[(number - 1) % len(ANGLES)]
    taken = set(used)
    if fresh_image is not None and fresh_image not in taken:
        rest = tuple(url for url in images if url != fresh_image)
        return VariationPlan(number, "band", (fresh_image, *rest), fresh_image, angle)
    rotation = ROTATION.get(kind, DEFAULT_ROTATION)
    wanted = rotation[(number - 1) % len(rotation)]
    # The first Pin shows the main image; later ones the additional images first.
    order = list(images) if number == 1 else [*images[1:], *images[:1]]
    unused = [url for url in order if url not in taken]
    if wanted == "typographic" and "typographic" not in taken:
        return VariationPlan(number, "typographic", tuple(images[:1]), "typographic", angle)
    if unused:
        rest = tuple(url for url in images if url != unused[0])
        layout: LayoutName = "split" if wanted == "split" else "band"
        return VariationPlan(number, layout, (unused[0], *rest), unused[0], angle)
    collage = tuple(images[:3])
    if len(collage) >= 2 and image_key("collage", collage) not in taken:
        return VariationPlan(number, "collage", collage, image_key("collage", collage), angle)
    if "typographic" not in taken:
        return VariationPlan(number, "typographic", tuple(images[:1]), "typographic", angle)
    return None


def layout_name(value: str) -> LayoutName:
    """A stored layout name, checked."""
    for name in ("band", "split", "collage", "typographic"):
        if value == name:
            return name
    raise ValueError(f"unknown layout {value!r}")
