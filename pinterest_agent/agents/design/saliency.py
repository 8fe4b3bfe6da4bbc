"""Where the subject is, estimated from the pixels alone (no model, no numpy, no faces).

In the spirit of smartcrop (edges + saturation, no skin or face detection), on a thumbnail of at
most ``THUMB_SIDE`` px:

- **edges**: Pillow's ``FIND_EDGES`` on the luminance (texture and outlines);
- **colour**: HSV saturation weighted by value (a vivid object; dark noise does not count);
- **difference from the backdrop**: how far each pixel is from the median colour of the frame's
  border, weighted by how uniform that border is (strong for a product cut out on white, weak for
  a full-frame photo whose border is as busy as its middle).

The three maps are mixed, blurred, and the noise floor (the map's median plus a third of the way
to its top) is subtracted. The subject's box spans the central ``MASS_KEPT`` of the remaining
saliency mass along each axis (so a stray speck does not stretch it), and the focal point is the
mass's centroid. A picture with no salient region gets the centre half as its box.

``smartcrop`` (PyPI) was considered: it returns a best crop for one size, not a subject box that
the band placement needs, and pulls in numpy; this is about 100 lines of Pillow instead.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageFilter, ImageMath

__all__ = ["MASS_KEPT", "THUMB_SIDE", "Box", "Subject", "estimate_subject", "saliency_map"]

THUMB_SIDE = 160
MASS_KEPT = 0.9
"""The box keeps this share of the saliency mass: 5 % is cut off at each end of each axis."""

Box = tuple[float, float, float, float]
"""``(x0, y0, x1, y1)`` as fractions of the picture's width and height."""


@dataclass(frozen=True, slots=True)
class Subject:
    """The subject's box and focal point as fractions, and who found them."""

    box: Box
    focal: tuple[float, float]
    source: str
    """``estimate`` (this module), ``model`` (the vision model's answer) or ``centre``."""


def _thumbnail(image: Image.Image) -> Image.Image:
    thumb = image.convert("RGB") if image.mode != "RGB" else image
    scale = THUMB_SIDE / max(thumb.size)
    if scale < 1:
        size = (max(1, round(thumb.width * scale)), max(1, round(thumb.height * scale)))
        thumb = thumb.resize(size, Image.Resampling.BOX, reducing_gap=2.0)
    return thumb


def _border_pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    width, height = image.size
    ring = [(x, 0) for x in range(width)] + [(x, height - 1) for x in range(width)]
    ring += [(0, y) for y in range(height)] + [(width - 1, y) for y in range(height)]
    pixels = []
    for xy in ring:
        pixel = image.getpixel(xy)
        assert isinstance(pixel, tuple)
        pixels.append((int(pixel[0]), int(pixel[1]), int(pixel[2])))
    return pixels


def saliency_map(image: Image.Image) -> Image.Image:
    """An ``L`` map (thumbnail size) of how much each place looks like the subject."""
    thumb = _thumbnail(image)
    luma = thumb.convert("L")
    edges = luma.filter(ImageFilter.FIND_EDGES)
    edges = ImageChops.multiply(edges, _inner_mask(thumb.size))  # the frame is not an edge
    _, saturation, value = thumb.convert("HSV").split()
    colour = ImageChops.multiply(saturation, value)
    border = _border_pixels(thumb)
    backdrop = tuple(int(statistics.median(p[i] for p in border)) for i in range(3))
    spread = max(statistics.pstdev(p[i] for p in border) for i in range(3))
    uniform = max(0.0, 1.0 - spread / 24.0)  # 1 for a flat backdrop, 0 for a busy frame
    diff = ImageChops.difference(thumb, Image.new("RGB", thumb.size, backdrop)).split()
    distinct = ImageChops.lighter(ImageChops.lighter(diff[0], diff[1]), diff[2])
    mixed = ImageMath.lambda_eval(
        lambda a: a["e"] * 1.2 + a["c"] * 0.8 + a["d"] * (1.5 * a["u"]),
        e=edges.convert("F"), c=colour.convert("F"), d=distinct.convert("F"), u=uniform,
    )
    assert isinstance(mixed, Image.Image)
    top = mixed.getextrema()[1]
    assert isinstance(top, float | int)
    scaled = mixed.point(lambda v: v * (255.0 / top)) if top > 0 else mixed
    return scaled.convert("L").filter(ImageFilter.GaussianBlur(2))


def _inner_mask(size: tuple[int, int]) -> Image.Image:
    mask = Image.new("L", size, 0)
    if size[0] > 2 and size[1] > 2:
        mask.paste(255, (1, 1, size[0] - 1, size[1] - 1))
    return mask


def _span(mass: list[float]) -> tuple[float, float]:
    total = sum(mass)
    cut = total * (1 - MASS_KEPT) / 2
    seen, start = 0.0, 0
    for i, m in enumerate(mass):
        seen += m
        if seen > cut:
            start = i
            break
    seen, end = 0.0, len(mass) - 1
    for i in range(len(mass) - 1, -1, -1):
        seen += mass[i]
        if seen > cut:
            end = i
            break
    return start / len(mass), (end + 1) / len(mass)


def estimate_subject(image: Image.Image) -> Subject:
    """The subject's box and focal point in ``image``, from its pixels alone."""
    smap = saliency_map(image)
    width, height = smap.size
    values = list(smap.tobytes())  # mode L: one byte a pixel, row by row
    floor = statistics.median(values)
    floor += (max(values) - floor) / 3
    weights = [max(0.0, float(v) - floor) for v in values]
    total = sum(weights)
    if total <= 0:
        return Subject((0.25, 0.25, 0.75, 0.75), (0.5, 0.5), "centre")
    columns = [sum(weights[y * width + x] for y in range(height)) for x in range(width)]
    rows = [sum(weights[y * width:(y + 1) * width]) for y in range(height)]
    x0, x1 = _span(columns)
    y0, y1 = _span(rows)
    fx = sum((x + 0.5) * m for x, m in enumerate(columns)) / total / width
    fy = sum((y + 0.5) * m for y, m in enumerate(rows)) / total / height
    return Subject((x0, y0, x1, y1), (fx, fy), "estimate")
