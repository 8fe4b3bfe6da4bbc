"""The headline band: a solid band inside the scene's safe zone with contrast-checked text.

The band spans the safe zone's width; its vertical place follows the design's layout (top, centre
or bottom of the safe zone) unless that band would cover the focal point: then the layout whose
band stays clearest of the subject is used instead (``Overlay.layout`` says which).

The headline is set in the bundled DejaVu Sans Bold (Bitstream Vera licence,
``agents/design/fonts/LICENSE-DejaVu.txt``) at the largest size from the scene's range that fits in
``max_headline_lines`` lines. The band colour starts from the design's first palette colour and is
darkened or lightened until the text meets the scene's minimum WCAG contrast ratio.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont

from agents.design.contrast import RGB, hex_to_rgb, readable_pair
from agents.design.designer import Layout
from agents.design.scene_map import Scene

__all__ = ["FONT_FILE", "Overlay", "choose_layout", "draw_headline", "fit_headline"]

FONT_FILE = "DejaVuSans-Bold.ttf"
PADDING_PX = 32
LINE_SPACING = 1.12
Box = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Overlay:
    layout: Layout
    band_box: Box
    text_box: Box
    band_color: RGB
    text_color: RGB
    contrast_ratio: float
    font_px: int
    lines: tuple[str, ...]


@lru_cache(maxsize=1)
def _font_bytes() -> bytes:
    return resources.files("agents.design").joinpath("fonts", FONT_FILE).read_bytes()


def _font(size: int) -> ImageFont.FreeTypeFont:
    # A fresh FreeType face per render: font objects are not shared between worker threads.
    return ImageFont.truetype(BytesIO(_font_bytes()), size)


def _wrap(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if font.getlength(candidate) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while font.getlength(word) > max_width:  # a word wider than the band: break it
            cut = len(word)
            while cut > 1 and font.getlength(word[:cut]) > max_width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def fit_headline(headline: str, scene: Scene, max_width: int) -> tuple[ImageFont.FreeTypeFont,
                                                                         list[str]]:
    """The largest font in the scene's range setting ``headline`` in at most the allowed lines."""
    largest, smallest = scene.headline_font_px
    for size in range(largest, smallest - 1, -4):
        font = _font(size)
        lines = _wrap(headline, font, max_width)
        if len(lines) <= scene.max_headline_lines:
            return font, lines
    font = _font(smallest)
    lines = _wrap(headline, font, max_width)[: scene.max_headline_lines]
    return font, lines


SUBJECT_MARGIN = 0.08
"""Keep the band this fraction of the height away from the focal point when a layout allows."""


def _band_top(layout: Layout, top: int, bottom: int, band_h: int) -> int:
    if layout is Layout.BAND_TOP:
        return top
    if layout is Layout.BAND_BOTTOM:
        return bottom - band_h
    return (top + bottom - band_h) // 2


def choose_layout(
    wanted: Layout, focal_y: float, scene: Scene, band_h: int
) -> tuple[Layout, int]:
    """``wanted`` if its band keeps clear of the focal point, else the clearest layout."""
    _, top, _, bottom = scene.safe_box()
    margin = SUBJECT_MARGIN * scene.height
    subject = focal_y * scene.height

    def clearance(layout: Layout) -> float:
        band_top = _band_top(layout, top, bottom, band_h)
        return max(band_top - subject, subject - (band_top + band_h))

    if clearance(wanted) >= margin:
        return wanted, _band_top(wanted, top, bottom, band_h)
    best = max(Layout, key=clearance)
    return best, _band_top(best, top, bottom, band_h)


def draw_headline(
    image: Image.Image,
    headline: str,
    scene: Scene,
    layout: Layout,
    band_hint: str,
    focal_y: float = 0.5,
) -> Overlay:
    """Draw the band and headline on ``image`` (in place) and say where they went.

    ``focal_y`` is the subject's height in the output as a fraction (0 top, 1 bottom)."""
    left, _, right, _ = scene.safe_box()
    font, lines = fit_headline(headline, scene, right - left - 2 * PADDING_PX)
    ascent, descent = font.getmetrics()
    line_h = round((ascent + descent) * LINE_SPACING)
    text_h = line_h * (len(lines) - 1) + ascent + descent
    band_h = text_h + 2 * PADDING_PX
    layout, band_top = choose_layout(layout, focal_y, scene, band_h)
    band_box = (left, band_top, right, band_top + band_h)
    band, text_color, ratio = readable_pair(hex_to_rgb(band_hint), minimum=scene.min_contrast_ratio)

    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(band_box, radius=24, fill=band)
    centre_x = (left + right) // 2
    y = band_top + PADDING_PX
    boxes = []
    for line in lines:
        draw.text((centre_x, y), line, font=font, fill=text_color, anchor="ma")
        boxes.append(draw.textbbox((centre_x, y), line, font=font, anchor="ma"))
        y += line_h
    text_box = (
        int(min(b[0] for b in boxes)),
        int(min(b[1] for b in boxes)),
        int(max(b[2] for b in boxes)),
        int(max(b[3] for b in boxes)),
    )
    return Overlay(
        layout, band_box, text_box, band, text_color, ratio, int(font.size), tuple(lines)
    )
