"""Pillow rendering of a designed Pin image: decode fast, orient, crop 2:3, overlay, encode.

The source is untrusted bytes, so the order matters:

1. ``open_source`` reads only the header: formats other than JPEG/PNG/WebP/GIF, and bodies that
   are not images, are ``source_not_an_image``; more than ``max_source_pixels`` (50 MP by default,
   stricter than Pillow's own ``Image.MAX_IMAGE_PIXELS`` bomb guard, whose error is caught too) is
   ``source_too_large``. Nothing is decoded yet.
2. ``prepare`` asks the JPEG decoder for the smallest DCT scale (1/2, 1/4, 1/8) that still covers
   the target crop (``Image.draft``), applies the EXIF orientation, and resizes the 2:3 crop
   around the focal point with ``reducing_gap`` (a cheap integer reduce, then Lanczos on the rest).
   The crop always contains the focal point.
3. ``agents.design.overlay`` draws the headline band inside the safe zone.
4. ``encode`` writes a progressive JPEG (or PNG) and checks it against the platform's size limit.

Every failure is a permanent ``InvalidInputError`` subclass with a machine-readable code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from io import BytesIO
from typing import Protocol, cast

from PIL import Image, ImageOps, UnidentifiedImageError

from agents.design.contrast import RGB, rgb_to_hex
from agents.design.designer import DesignSpec, Layout
from agents.design.overlay import draw_headline
from agents.design.scene_map import Scene
from providers.errors import InvalidInputError, PermanentError
from providers.netsafe import FetchedBody

__all__ = [
    "ALLOWED_FORMATS",
    "DEFAULT_MAX_SOURCE_PIXELS",
    "ImageFetcher",
    "NoSourceImageError",
    "Prepared",
    "RenderError",
    "RenderedImage",
    "SourceNotAnImageError",
    "SourceTooLargeError",
    "crop_box",
    "dominant_color",
    "encode",
    "open_source",
    "prepare",
    "render",
]

DEFAULT_MAX_SOURCE_PIXELS = 50_000_000
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
REDUCING_GAP = 2.0
"""Pillow reduces by an integer factor first while the remaining scale is at least this."""

Box = tuple[int, int, int, int]


class ImageFetcher(Protocol):
    """Fetches a source image URL safely (``providers.netsafe.SafeFetcher`` in production)."""

    def fetch(self, url: str, *, max_bytes: int) -> FetchedBody: ...


class SourceNotAnImageError(InvalidInputError):
    default_code = "source_not_an_image"


class SourceTooLargeError(InvalidInputError):
    default_code = "source_too_large"


class NoSourceImageError(InvalidInputError):
    default_code = "no_source_image"


class RenderError(PermanentError):
    default_code = "render_failed"


@dataclass(frozen=True, slots=True)
class Prepared:
    image: Image.Image
    crop_box: tuple[float, float, float, float]
    """In the oriented (and draft-scaled) source's pixels."""
    focal_point: tuple[float, float]
    """Where the source's focal point landed, as fractions of the output."""
    source_size: tuple[int, int]
    """The oriented source's full size, before draft scaling."""


@dataclass(frozen=True, slots=True, repr=False)
class RenderedImage:
    data: bytes
    content_type: str
    width: int
    height: int
    focal_point: tuple[float, float]
    layout: Layout
    text_box: Box
    band_box: Box
    dominant_color: str
    band_color: str
    text_color: str
    contrast_ratio: float
    source_size: tuple[int, int]

    def __repr__(self) -> str:
        return (
            f"RenderedImage({self.content_type}, {self.width}x{self.height}, "
            f"{len(self.data)} bytes, contrast {self.contrast_ratio:.1f})"
        )


def open_source(data: bytes, *, max_pixels: int = DEFAULT_MAX_SOURCE_PIXELS) -> Image.Image:
    """Identify ``data`` as an image (header only) and enforce the pixel cap."""
    try:
        image = Image.open(BytesIO(data), formats=ALLOWED_FORMATS)
    except Image.DecompressionBombError as exc:
        raise SourceTooLargeError(
            f"the source image is a decompression bomb by Pillow's guard: {exc}"
        ) from exc
    except UnidentifiedImageError as exc:
        raise SourceNotAnImageError(
            "the source URL did not return a JPEG, PNG, WebP or GIF image",
            bytes=len(data),
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise SourceNotAnImageError(f"the source image is damaged: {exc}") from exc
    width, height = image.size
    if width * height > max_pixels:
        raise SourceTooLargeError(
            f"the source image is {width}x{height} ({width * height / 1e6:.0f} MP), over the "
            f"{max_pixels / 1e6:.0f} MP limit; use a smaller image",
            width=width,
            height=height,
        )
    if width < 1 or height < 1:
        raise SourceNotAnImageError("the source image has no pixels")
    return image


def crop_box(
    size: tuple[int, int], ratio: float, focal: tuple[float, float]
) -> tuple[float, float, float, float]:
    """The largest ``ratio`` (width/height) box in ``size`` centred as near ``focal`` as fits."""
    width, height = size
    if width / height > ratio:
        crop_w, crop_h = height * ratio, float(height)
    else:
        crop_w, crop_h = float(width), width / ratio
    left = min(max(focal[0] * width - crop_w / 2, 0.0), width - crop_w)
    top = min(max(focal[1] * height - crop_h / 2, 0.0), height - crop_h)
    return (left, top, left + crop_w, top + crop_h)


_TRANSPOSED = {5, 6, 7, 8}


def prepare(image: Image.Image, size: tuple[int, int], focal: tuple[float, float]) -> Prepared:
    """``image`` (opened, not decoded) as exactly ``size``, cropped around ``focal``."""
    target_w, target_h = size
    ratio = target_w / target_h
    orientation = image.getexif().get(0x0112, 1)
    stored_w, stored_h = image.size
    shown = (stored_h, stored_w) if orientation in _TRANSPOSED else (stored_w, stored_h)
    left, top, right, bottom = crop_box(shown, ratio, focal)
    scale = max(target_w / (right - left), target_h / (bottom - top))
    if image.format == "JPEG" and scale < 1:
        need = (math.ceil(shown[0] * scale), math.ceil(shown[1] * scale))
        if orientation in _TRANSPOSED:
            need = (need[1], need[0])
        image.draft("RGB", need)
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except (OSError, SyntaxError, ValueError) as exc:
        raise SourceNotAnImageError(f"the source image is damaged: {exc}") from exc
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    box = crop_box(image.size, ratio, focal)
    out = image.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=REDUCING_GAP)
    if out.mode != "RGB":
        out = _flatten(out)
    fx = (focal[0] * image.width - box[0]) / (box[2] - box[0])
    fy = (focal[1] * image.height - box[1]) / (box[3] - box[1])
    return Prepared(out, box, (fx, fy), shown)


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    return image.convert("RGB")


def dominant_color(image: Image.Image) -> str:
    """The most common of five median-cut colours of a thumbnail, as ``#RRGGBB``."""
    small = image.resize((40, 60), Image.Resampling.BOX).quantize(
        colors=5, method=Image.Quantize.MEDIANCUT
    )
    counts = small.getcolors() or [(1, 0)]
    index = max(counts, key=lambda pair: pair[0])[1]
    palette = small.getpalette() or [0, 0, 0]
    base = cast(int, index) * 3
    rgb: RGB = (palette[base], palette[base + 1], palette[base + 2])
    return rgb_to_hex(rgb)


def encode(image: Image.Image, scene: Scene) -> bytes:
    buffer = BytesIO()
    if scene.content_type == "image/png":
        image.save(buffer, "PNG", optimize=False)
    else:
        image.save(buffer, "JPEG", quality=scene.jpeg_quality, progressive=True, optimize=False)
    data = buffer.getvalue()
    if len(data) > scene.max_file_bytes:
        raise RenderError(
            f"the rendered image is {len(data)} bytes, over {scene.platform}'s "
            f"{scene.max_file_bytes}-byte limit",
            code="rendered_too_large",
        )
    return data


def render(
    source: bytes,
    spec: DesignSpec,
    scene: Scene,
    *,
    max_source_pixels: int = DEFAULT_MAX_SOURCE_PIXELS,
) -> RenderedImage:
    """Source bytes and a design in, the finished Pin image out."""
    image = open_source(source, max_pixels=max_source_pixels)
    try:
        prepared = prepare(image, scene.size, (spec.focal_point.x, spec.focal_point.y))
    except OSError as exc:
        raise SourceNotAnImageError(f"the source image could not be decoded: {exc}") from exc
    finally:
        image.close()
    canvas = prepared.image
    overlay = draw_headline(
        canvas, spec.headline, scene, spec.layout, spec.palette[0],
        focal_y=prepared.focal_point[1],
    )
    data = encode(canvas, scene)
    return RenderedImage(
        data=data,
        content_type=scene.content_type,
        width=canvas.width,
        height=canvas.height,
        focal_point=prepared.focal_point,
        layout=overlay.layout,
        text_box=overlay.text_box,
        band_box=overlay.band_box,
        dominant_color=dominant_color(canvas),
        band_color=rgb_to_hex(overlay.band_color),
        text_color=rgb_to_hex(overlay.text_color),
        contrast_ratio=overlay.contrast_ratio,
        source_size=prepared.source_size,
    )
