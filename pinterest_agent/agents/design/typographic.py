"""The typographic layout: no photo, the headline set large on the brand's background.

For articles and how-tos, and for briefs with no image (instead of failing with
``no_source_image``). A small label names the kind (``HOW-TO``, ``ARTICLE``, ...) above the
headline, an accent rule sits under it, the logo at the top of the safe zone and the signature at
its bottom; two quiet shapes in the corners (an accent disc top right, a primary ring bottom
left) stay clear of every piece of text, so each reads on the plain background.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from pinterest_agent.agents.design.brand import BrandKit
from pinterest_agent.agents.design.finish import Composed
from pinterest_agent.agents.design.overlay import load_font
from pinterest_agent.agents.design.scene_map import Scene
from pinterest_agent.agents.design.signature import draw_signature, fitting_size, signature_size
from pinterest_agent.agents.design.typeset import (
    PlacedText,
    draw_text,
    fit_text_in_box,
    text_colour_on,
    text_height,
)

__all__ = ["KIND_LABELS", "compose_typographic"]

KIND_LABELS = {"how-to": "HOW-TO", "article": "READ", "recipe": "RECIPE", "product": "NEW IN",
               "other": "IDEAS"}
LABEL_PX = 34
LOGO_PX = 64
GAP_PX = 36
RULE = (120, 10)


def compose_typographic(headline: str, kind: str, scene: Scene, brand: BrandKit) -> Composed:
    width, height = scene.size
    background = brand.background_rgb
    canvas = Image.new("RGB", scene.size, background)
    draw = ImageDraw.Draw(canvas)
    # Corner shapes first: they stay outside the text area (checked by the golden test).
    disc = round(width * 0.26)
    draw.ellipse((width - disc, -disc, width + disc, disc), fill=brand.accent_rgb)
    ring = round(width * 0.24)
    draw.ellipse((-ring, height - ring, ring, height + ring), outline=brand.primary_rgb,
                 width=18)
    left, top, right, bottom = scene.safe_box()
    minimum = scene.min_contrast_ratio
    texts: list[PlacedText] = []
    y = top
    logo = brand.logo(LOGO_PX)
    if logo is not None:
        canvas.paste(logo, (left, y), logo)
    y += LOGO_PX + GAP_PX
    label_font = load_font(LABEL_PX, brand.font)
    label_colour = text_colour_on(background, brand.accent_rgb, minimum)
    label = draw_text(draw, [KIND_LABELS.get(kind, "IDEAS")], label_font, left=left,
                      right=right, top=y, colour=label_colour, background=background)
    y = label.box[3] + GAP_PX
    sig_size = fitting_size(brand, right - left)
    sig_h = signature_size(brand, sig_size)[1] if sig_size is not None else 0
    room = bottom - y - RULE[1] - 2 * GAP_PX - (sig_h + GAP_PX if sig_h else 0)
    font, lines = fit_text_in_box(headline, right - left, room, sizes=(116, 56), max_lines=6,
                                  font_data=brand.font)
    colour = text_colour_on(background, brand.primary_rgb, minimum)
    block = text_height(font, len(lines))
    start = y + max(0, (room - block) // 2)
    texts.append(draw_text(draw, lines, font, left=left, right=right, top=start, colour=colour,
                           background=background))
    texts.append(label)
    rule_top = texts[0].box[3] + GAP_PX
    draw.rectangle((left, rule_top, left + RULE[0], rule_top + RULE[1]), fill=brand.accent_rgb)
    if sig_size is not None:
        placed = draw_signature(canvas, brand, left=left, top=bottom - sig_h,
                                background=background, preferred=brand.primary_rgb,
                                minimum=minimum, size=sig_size)
        texts += [placed] if placed is not None else []
    return Composed(pin_layout="typographic", canvas=canvas, texts=tuple(texts),
                    panel_box=(0, 0, width, height))
