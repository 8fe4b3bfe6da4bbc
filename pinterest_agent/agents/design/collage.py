"""The collage layout: two or three of an item's photos in one Pin, with the headline on a band
across the seam.

Three photos: one wide on top, two side by side below; two photos: one above the other. Each
tile is cropped around its own subject (``agents.design.saliency``), tiles are separated by a
gutter of the brand's background colour, and the headline band (the brand's primary colour,
adjusted until the text reads) sits across the seam inside the safe zone, with the signature
under the headline.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw

from pinterest_agent.agents.design.brand import BrandKit
from pinterest_agent.agents.design.contrast import readable_pair
from pinterest_agent.agents.design.finish import Composed
from pinterest_agent.agents.design.imaging import prepare
from pinterest_agent.agents.design.saliency import Subject
from pinterest_agent.agents.design.scene_map import Scene
from pinterest_agent.agents.design.signature import draw_signature, fitting_size, signature_size
from pinterest_agent.agents.design.sources import Source
from pinterest_agent.agents.design.typeset import PlacedText, draw_text, fit_text, text_height

__all__ = ["MAX_TILES", "MIN_TILES", "compose_collage", "tiles"]

MIN_TILES = 2
MAX_TILES = 3
GUTTER_PX = 8
PADDING_PX = 30
Box = tuple[int, int, int, int]


def tiles(count: int, size: tuple[int, int]) -> list[Box]:
    """Where each photo goes, for 2 or 3 photos."""
    width, height = size
    half = GUTTER_PX // 2
    if count == 2:
        seam = height // 2
        return [(0, 0, width, seam - half), (0, seam + half, width, height)]
    seam = round(height * 0.49)
    mid = width // 2
    return [(0, 0, width, seam - half), (0, seam + half, mid - half, height),
            (mid + half, seam + half, width, height)]


def _offset(box: Box, tile: Box) -> Box:
    return (box[0] + tile[0], box[1] + tile[1], box[2] + tile[0], box[3] + tile[1])


def compose_collage(sources: Sequence[Source], subjects: Sequence[Subject], headline: str,
                    scene: Scene, brand: BrandKit) -> Composed:
    if not MIN_TILES <= len(sources) <= MAX_TILES or len(subjects) != len(sources):
        raise ValueError("a collage takes 2 or 3 photos, each with its subject")
    canvas = Image.new("RGB", scene.size, brand.background_rgb)
    boxes = tiles(len(sources), scene.size)
    first = None
    for source, subject, box in zip(sources, subjects, boxes, strict=True):
        prepared = prepare(source, (box[2] - box[0], box[3] - box[1]), subject)
        canvas.paste(prepared.image, (box[0], box[1]))
        first = first or prepared
    assert first is not None
    left, top, right, bottom = scene.safe_box()
    minimum = scene.min_contrast_ratio
    font, lines = fit_text(headline, right - left - 2 * PADDING_PX, sizes=(76, 44), max_lines=3,
                           font_data=brand.font)
    sig_size = fitting_size(brand, right - left - 2 * PADDING_PX)
    sig_h = signature_size(brand, sig_size)[1] if sig_size is not None else 0
    band_h = text_height(font, len(lines)) + 2 * PADDING_PX + (sig_h + 18 if sig_h else 0)
    seam = boxes[0][3] + GUTTER_PX // 2
    band_top = min(max(top, seam - band_h // 2), bottom - band_h)
    band_box = (left, band_top, right, band_top + band_h)
    band, colour, _ = readable_pair(brand.primary_rgb, minimum=minimum)
    draw = ImageDraw.Draw(canvas)
    draw.rounded_rectangle(band_box, radius=24, fill=band)
    texts: list[PlacedText] = [draw_text(draw, lines, font, left=left + PADDING_PX,
                                         right=right - PADDING_PX, top=band_top + PADDING_PX,
                                         colour=colour, background=band, align="centre")]
    if sig_size is not None:
        sig_w = signature_size(brand, sig_size)[0]
        placed = draw_signature(canvas, brand, left=(left + right - sig_w) // 2,
                                top=band_box[3] - PADDING_PX - sig_h, background=band,
                                preferred=brand.accent_rgb, minimum=minimum, size=sig_size)
        texts += [placed] if placed is not None else []
    return Composed(
        pin_layout="collage", canvas=canvas, texts=tuple(texts), panel_box=band_box,
        source_size=first.source_size, subject_box=first.subject_box,
        subject_source=subjects[0].source, fit=first.fit, source_profile=sources[0].profile,
        source_crop=first.view.crop, photo_box=_offset(first.view.photo_box, boxes[0]),
        extra={"photos": len(sources)},
    )
