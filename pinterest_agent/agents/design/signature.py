"""The brand's signature on a Pin: its logo and ``name · domain`` in one line.

``signature_width`` measures it; ``draw_signature`` draws it at a place the layout chose, on a
solid colour, and returns the text placed (for the safe-zone and contrast checks); ``draw_tab``
hangs it on the headline band as a small tab of the band's colour (below the band when the safe
zone has room, else above it).
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from pinterest_agent.agents.design.brand import BrandKit
from pinterest_agent.agents.design.contrast import RGB
from pinterest_agent.agents.design.overlay import load_font
from pinterest_agent.agents.design.scene_map import Scene
from pinterest_agent.agents.design.typeset import (
    Box,
    PlacedText,
    draw_text,
    text_colour_on,
    text_height,
)

__all__ = [
    "SIGNATURE_PX",
    "draw_signature",
    "draw_tab",
    "fitting_size",
    "signature_size",
    "tab_height",
]

SIGNATURE_PX = 30
LOGO_GAP_PX = 14
TAB_PADDING_PX = 14


def signature_size(brand: BrandKit, size: int = SIGNATURE_PX) -> tuple[int, int]:
    """Width and height of the signature (0, 0 when the brand has neither logo nor words)."""
    font = load_font(size, brand.font)
    words = brand.signature
    text_w = round(font.getlength(words)) if words else 0
    height = text_height(font, 1)
    logo = brand.logo(height) if brand.logo_png is not None else None
    logo_w = logo.width + (LOGO_GAP_PX if words else 0) if logo is not None else 0
    if not words and logo is None:
        return (0, 0)
    return (text_w + logo_w, height)


def fitting_size(brand: BrandKit, max_width: int) -> int | None:
    """The largest signature size (30 down to 18 px) no wider than ``max_width``; None when
    even the smallest is wider (the layout then leaves the signature out)."""
    for size in range(SIGNATURE_PX, 17, -4):
        if signature_size(brand, size)[0] <= max_width:
            return size
    return None


def draw_signature(
    canvas: Image.Image, brand: BrandKit, *, left: int, top: int, background: RGB,
    preferred: RGB, minimum: float, size: int = SIGNATURE_PX,
) -> PlacedText | None:
    """Draw the logo and the words from ``(left, top)``; the words' placement (None without)."""
    font = load_font(size, brand.font)
    height = text_height(font, 1)
    x = left
    logo = brand.logo(height)
    if logo is not None:
        canvas.paste(logo, (x, top), logo)
        x += logo.width + LOGO_GAP_PX
    if not brand.signature:
        return None
    colour = text_colour_on(background, preferred, minimum)
    draw = ImageDraw.Draw(canvas)
    return draw_text(draw, [brand.signature], font, left=x, right=x + 10_000, top=top,
                     colour=colour, background=background)


def tab_height(brand: BrandKit, band_width: int) -> int:
    """How far ``draw_tab``'s tab reaches past a band ``band_width`` wide (0: no tab)."""
    size = fitting_size(brand, band_width - 48 - 2 * TAB_PADDING_PX)
    width, height = signature_size(brand, size) if size is not None else (0, 0)
    if size is None or width == 0:
        return 0
    return height + 2 * TAB_PADDING_PX


def draw_tab(
    canvas: Image.Image, brand: BrandKit, band_box: Box, band: RGB, text: RGB, scene: Scene,
) -> PlacedText | None:
    """The signature in a tab of the band's colour, flush with the band's right end."""
    size = fitting_size(brand, band_box[2] - band_box[0] - 48 - 2 * TAB_PADDING_PX)
    width, height = signature_size(brand, size) if size is not None else (0, 0)
    if size is None or width == 0:
        return None
    _, safe_top, _, safe_bottom = scene.safe_box()
    tab_w, tab_h = width + 2 * TAB_PADDING_PX, height + 2 * TAB_PADDING_PX
    right = band_box[2] - 24
    left = max(band_box[0] + 24, right - tab_w)
    if band_box[3] + tab_h <= safe_bottom:
        box = (left, band_box[3] - 12, right, band_box[3] + tab_h)
        inner_top = band_box[3] + TAB_PADDING_PX - 6
    else:
        box = (left, max(safe_top, band_box[1] - tab_h), right, band_box[1] + 12)
        inner_top = box[1] + TAB_PADDING_PX
    ImageDraw.Draw(canvas).rounded_rectangle(box, radius=12, fill=band)
    return draw_signature(canvas, brand, left=left + TAB_PADDING_PX, top=inner_top,
                          background=band, preferred=text, minimum=scene.min_contrast_ratio,
                          size=size)
