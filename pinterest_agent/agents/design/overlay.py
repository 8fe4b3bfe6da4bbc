"""The headline band: a solid band inside the scene's safe zone with contrast-checked text.

The band spans the safe zone's width. Its vertical place is the one inside the safe zone that
covers least of the subject's box (``choose_layout``): the design's layout (top, centre or bottom
of the safe zone) when that keeps clear of the subject, else another layout's place, else any
place in the zone (in ``STEP_PX`` steps) that covers less of it. ``Overlay.layout`` names the
layout nearest to where the band went.

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

from pinterest_agent.agents.design.contrast import RGB, hex_to_rgb, readable_pair
from pinterest_agent.agents.design.designer import Layout
from pinterest_agent.agents.design.scene_map import Scene

__all__ = [
    "FONT_FILE",
    "Overlay",
    "band_height",
    "band_place",
    "choose_layout",
    "draw_headline",
    "fit_headline",
    "load_font",
    "wrap_text",
]

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
    folder = resources.files("pinterest_agent.agents.design")
    return folder.joinpath("fonts", FONT_FILE).read_bytes()


def _font(size: int, data: bytes | None = None) -> ImageFont.FreeTypeFont:
    # A fresh FreeType face per render: font objects are not shared between worker threads.
    return ImageFont.truetype(BytesIO(data or _font_bytes()), size)


def load_font(size: int, data: bytes | None = None) -> ImageFont.FreeTypeFont:
    """The font ``data`` (a brand's TTF/OTF) at ``size`` px, or the bundled DejaVu Sans Bold."""
    return _font(size, data)


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


def wrap_text(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """``text`` broken into lines no wider than ``max_width`` (a too-long word is split)."""
    return _wrap(text, font, max_width)


def fit_headline(headline: str, scene: Scene, max_width: int, *, font_data: bytes | None = None,
                 ) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font in the scene's range setting ``headline`` in at most the allowed lines."""
    largest, smallest = scene.headline_font_px
    for size in range(largest, smallest - 1, -4):
        font = _font(size, font_data)
        lines = _wrap(headline, font, max_width)
        if len(lines) <= scene.max_headline_lines:
            return font, lines
    font = _font(smallest, font_data)
    lines = _wrap(headline, font, max_width)[: scene.max_headline_lines]
    return font, lines


SUBJECT_MARGIN = 0.04
"""Keep the band this fraction of the height away from the subject's box when a place allows."""
STEP_PX = 10
"""Besides the three layouts' places, the band may sit at any multiple of this inside the zone."""


def band_place(layout: Layout, scene: Scene, band_h: int) -> int:
    """The top of a band ``band_h`` tall at ``layout``'s place in the safe zone."""
    _, top, _, bottom = scene.safe_box()
    return _band_top(layout, top, bottom, band_h)


def _set_headline(headline: str, scene: Scene, font_data: bytes | None,
                  ) -> tuple[ImageFont.FreeTypeFont, list[str], int]:
    left, _, right, _ = scene.safe_box()
    font, lines = fit_headline(headline, scene, right - left - 2 * PADDING_PX,
                               font_data=font_data)
    ascent, descent = font.getmetrics()
    line_h = round((ascent + descent) * LINE_SPACING)
    return font, lines, line_h * (len(lines) - 1) + ascent + descent + 2 * PADDING_PX


def band_height(headline: str, scene: Scene, *, font_data: bytes | None = None) -> int:
    """How tall the band for ``headline`` is (the text set as ``draw_headline`` sets it)."""
    return _set_headline(headline, scene, font_data)[2]


def _band_top(layout: Layout, top: int, bottom: int, band_h: int) -> int:
    if layout is Layout.BAND_TOP:
        return top
    if layout is Layout.BAND_BOTTOM:
        return bottom - band_h
    return (top + bottom - band_h) // 2


def choose_layout(
    wanted: Layout, subject: tuple[float, float, float, float], scene: Scene, band_h: int
) -> tuple[Layout, int]:
    """Where the band goes: the place inside the safe zone covering least of ``subject`` (a box in
    canvas pixels), keeping ``SUBJECT_MARGIN`` from it when it can; among equal places the
    ``wanted`` layout's, then the other layouts' places, then the one nearest to ``wanted``.
    Returns the layout whose place is nearest to the band and the band's top."""
    left, top, right, bottom = scene.safe_box()
    margin = SUBJECT_MARGIN * scene.height
    sx0, sy0, sx1, sy1 = subject
    width = max(0, min(right, sx1) - max(left, sx0))
    wanted_top = _band_top(wanted, top, bottom, band_h)
    places = {_band_top(layout, top, bottom, band_h) for layout in Layout}
    highest = max(top, bottom - band_h)
    candidates = places | set(range(top, highest + 1, STEP_PX))

    def cost(band_top: int) -> tuple[float, float, int, int]:
        band_bottom = band_top + band_h
        overlap = max(0, min(band_bottom, sy1) - max(band_top, sy0)) * width
        clearance = max(band_top - sy1, sy0 - band_bottom)
        rank = 0 if band_top == wanted_top else 1 if band_top in places else 2
        return (overlap, -min(clearance, margin), rank, abs(band_top - wanted_top))

    best = min(sorted(candidates), key=cost)
    layout = min(Layout, key=lambda lay: abs(_band_top(lay, top, bottom, band_h) - best))
    return layout, best


def draw_headline(
    image: Image.Image,
    headline: str,
    scene: Scene,
    layout: Layout,
    band_hint: str,
    subject: tuple[float, float, float, float] | None = None,
    *,
    font_data: bytes | None = None,
    band_top: int | None = None,
) -> Overlay:
    """Draw the band and headline on ``image`` (in place) and say where they went.

    ``subject`` is the subject's box in the canvas's pixels (a point at the centre if unknown);
    ``font_data`` a brand's font (the bundled one when None); ``band_top`` the band's place when
    the caller chose it (``agents.design.placement``), else the place ``choose_layout`` picks."""
    left, safe_top, right, safe_bottom = scene.safe_box()
    font, lines, band_h = _set_headline(headline, scene, font_data)
    ascent, descent = font.getmetrics()
    line_h = round((ascent + descent) * LINE_SPACING)
    if subject is None:
        subject = (scene.width // 2, scene.height // 2, scene.width // 2, scene.height // 2)
    if band_top is None:
        layout, band_top = choose_layout(layout, subject, scene, band_h)
    else:
        layout = min(Layout, key=lambda lay: abs(
            _band_top(lay, safe_top, safe_bottom, band_h) - band_top))
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
