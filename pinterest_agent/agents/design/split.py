"""The split layout: the photo above a solid text panel with the headline and the brand.

The photo takes the top ``PHOTO_SHARE`` of the canvas, its crop chosen like the band layout's
(``agents.design.placement``: faces, text and the salient region kept in); a thin accent rule
separates it from the panel (the brand's background colour). The headline is set in the panel
inside the safe zone at the largest size that fits above the signature (logo,
``name · domain``), in the brand's primary colour when it reads on the panel. Nothing covers the
photo, so the subject is always whole.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from pinterest_agent.agents.design.brand import BrandKit
from pinterest_agent.agents.design.finish import Composed
from pinterest_agent.agents.design.imaging import prepare
from pinterest_agent.agents.design.placement import View
from pinterest_agent.agents.design.saliency import Subject
from pinterest_agent.agents.design.scene_map import Scene
from pinterest_agent.agents.design.signature import draw_signature, fitting_size, signature_size
from pinterest_agent.agents.design.sources import Source
from pinterest_agent.agents.design.typeset import (
    PlacedText,
    draw_text,
    fit_text_in_box,
    text_colour_on,
)

__all__ = ["PHOTO_SHARE", "compose_split", "split_photo_height"]

PHOTO_SHARE = 0.56
RULE_PX = 10
GAP_PX = 40


def split_photo_height(scene: Scene) -> int:
    """The photo panel's height on ``scene``'s canvas."""
    return round(scene.height * PHOTO_SHARE)


def compose_split(source: Source, subject: Subject, headline: str, scene: Scene,
                  brand: BrandKit, *, view: View | None = None) -> Composed:
    """``view``: the part of the source the photo panel shows (``agents.design.placement``);
    by default the largest crop centred on the subject's focal point."""
    width, height = scene.size
    photo_h = split_photo_height(scene)
    prepared = prepare(source, (width, photo_h), subject, view=view)
    canvas = Image.new("RGB", scene.size, brand.background_rgb)
    canvas.paste(prepared.image, (0, 0))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, photo_h, width, photo_h + RULE_PX), fill=brand.accent_rgb)
    left, _, right, bottom = scene.safe_box()
    minimum = scene.min_contrast_ratio
    texts: list[PlacedText] = []
    sig_size = fitting_size(brand, right - left)
    sig_h = signature_size(brand, sig_size)[1] if sig_size is not None else 0
    top = photo_h + RULE_PX + GAP_PX
    room = bottom - top - (sig_h + GAP_PX if sig_h else 0)
    font, lines = fit_text_in_box(headline, right - left, room, sizes=(80, 40), max_lines=3,
                                  font_data=brand.font)
    colour = text_colour_on(brand.background_rgb, brand.primary_rgb, minimum)
    texts.append(draw_text(draw, lines, font, left=left, right=right, top=top, colour=colour,
                           background=brand.background_rgb))
    if sig_size is not None:
        placed = draw_signature(canvas, brand, left=left, top=bottom - sig_h,
                                background=brand.background_rgb, preferred=brand.accent_rgb,
                                minimum=minimum, size=sig_size)
        texts += [placed] if placed is not None else []
    scale_y = photo_h / height
    return Composed(
        pin_layout="split", canvas=canvas, texts=tuple(texts),
        panel_box=(0, photo_h, width, height), source_size=prepared.source_size,
        focal_point=(prepared.focal_point[0], prepared.focal_point[1] * scale_y),
        subject_box=prepared.subject_box, subject_source=subject.source, fit=prepared.fit,
        source_profile=source.profile, source_crop=prepared.view.crop,
        photo_box=prepared.view.photo_box,
    )
