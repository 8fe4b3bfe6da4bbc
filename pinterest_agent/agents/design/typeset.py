"""Setting text on a Pin for the layouts beyond the headline band, and the checks every layout
passes: each piece of text inside the scene's safe zone, on a solid colour it reads on (WCAG
contrast at least the scene's minimum).

``fit_text`` finds the largest size (from a range, in 4 px steps) that sets a text in a width
within a number of lines; ``draw_text`` draws the lines and returns where they went;
``text_colour_on`` picks the brand's colour for text on a background when it reads, else black
or white (whichever reads better; for brand colours that pass neither, the background is what
the caller must change); ``layout_problems`` lists what breaks the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from PIL import ImageDraw, ImageFont

from pinterest_agent.agents.design.contrast import BLACK, RGB, WHITE, contrast_ratio
from pinterest_agent.agents.design.overlay import LINE_SPACING, load_font, wrap_text
from pinterest_agent.agents.design.scene_map import Scene

__all__ = [
    "Box",
    "PlacedText",
    "draw_text",
    "fit_text",
    "fit_text_in_box",
    "layout_problems",
    "line_height",
    "text_colour_on",
    "text_height",
    "union",
]

Box = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class PlacedText:
    """One piece of text drawn: where, in what colour, on what, and how well it reads."""

    box: Box
    colour: RGB
    background: RGB
    contrast: float


def fit_text(
    text: str, width: int, *, sizes: tuple[int, int], max_lines: int,
    font_data: bytes | None = None,
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font from ``sizes`` (largest, smallest) setting ``text`` within ``width`` in
    at most ``max_lines`` lines (at the smallest size the lines are cut to ``max_lines``)."""
    largest, smallest = sizes
    for size in range(largest, smallest - 1, -4):
        font = load_font(size, font_data)
        lines = wrap_text(text, font, width)
        if len(lines) <= max_lines:
            return font, lines
    font = load_font(smallest, font_data)
    return font, wrap_text(text, font, width)[:max_lines]


def fit_text_in_box(
    text: str, width: int, height: int, *, sizes: tuple[int, int], max_lines: int,
    font_data: bytes | None = None,
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """Like :func:`fit_text`, but the lines must also fit in ``height`` (at the smallest size,
    as many lines as fit are kept)."""
    largest, smallest = sizes
    for size in range(largest, smallest - 1, -4):
        font = load_font(size, font_data)
        lines = wrap_text(text, font, width)
        if len(lines) <= max_lines and text_height(font, len(lines)) <= height:
            return font, lines
    font = load_font(smallest, font_data)
    lines = wrap_text(text, font, width)[:max_lines]
    while len(lines) > 1 and text_height(font, len(lines)) > height:
        lines.pop()
    return font, lines


def line_height(font: ImageFont.FreeTypeFont) -> int:
    ascent, descent = font.getmetrics()
    return round((ascent + descent) * LINE_SPACING)


def text_height(font: ImageFont.FreeTypeFont, lines: int) -> int:
    ascent, descent = font.getmetrics()
    return line_height(font) * (lines - 1) + ascent + descent


def draw_text(
    draw: ImageDraw.ImageDraw, lines: Sequence[str], font: ImageFont.FreeTypeFont, *,
    left: int, right: int, top: int, colour: RGB, background: RGB,
    align: Literal["left", "centre"] = "left",
) -> PlacedText:
    """Draw ``lines`` from ``top`` between ``left`` and ``right`` on a solid ``background``."""
    step = line_height(font)
    anchor, x = ("la", left) if align == "left" else ("ma", (left + right) // 2)
    boxes = []
    y = top
    for line in lines:
        draw.text((x, y), line, font=font, fill=colour, anchor=anchor)
        boxes.append(draw.textbbox((x, y), line, font=font, anchor=anchor))
        y += step
    box = union([(int(b[0]), int(b[1]), int(b[2]), int(b[3])) for b in boxes])
    return PlacedText(box, colour, background, contrast_ratio(colour, background))


def text_colour_on(background: RGB, preferred: RGB, minimum: float) -> RGB:
    """``preferred`` (a brand colour) when it reads on ``background``, else black or white."""
    if contrast_ratio(preferred, background) >= minimum:
        return preferred
    return WHITE if contrast_ratio(WHITE, background) >= contrast_ratio(BLACK, background) \
        else BLACK


def union(boxes: Sequence[Box]) -> Box:
    if not boxes:
        return (0, 0, 0, 0)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes))


def layout_problems(texts: Sequence[PlacedText], scene: Scene) -> list[str]:
    """Every rule a layout's text breaks: outside the safe zone, or too little contrast."""
    left, top, right, bottom = scene.safe_box()
    problems = []
    for placed in texts:
        x0, y0, x1, y1 = placed.box
        if x0 < left or y0 < top or x1 > right or y1 > bottom:
            problems.append(f"text at {placed.box} leaves the safe zone {scene.safe_box()}")
        if placed.contrast < scene.min_contrast_ratio:
            problems.append(f"text at {placed.box} has contrast {placed.contrast:.2f}, under "
                            f"{scene.min_contrast_ratio}")
    return problems
