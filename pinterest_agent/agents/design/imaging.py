"""Pillow rendering of a designed Pin image: decode, find the subject, crop 2:3, overlay, encode.

1. ``agents.design.sources.load_source`` checks the header and decodes the source within a memory
   bound into an upright 8-bit sRGB working image (see that module for every rule and error).
2. ``agents.design.saliency.estimate_subject`` estimates the subject's box from the pixels, and
   ``agents.design.focus.choose_subject`` decides between it and the vision model's box.
3. ``prepare`` makes the canvas: for a ``cover`` source the largest 2:3 crop centred as near the
   subject's focal point as fits (the crop always contains it), resized with Lanczos; for a
   ``contain`` source (too small to crop without stretching) the whole picture, scaled up at most
   ``SourceRules.max_upscale`` times, centred on a blurred backdrop made from itself. Either way
   the subject's box is mapped into the canvas.
4. ``agents.design.overlay`` draws the headline band inside the safe zone where it covers least of
   the subject.
5. ``encode`` writes a progressive JPEG (or PNG) tagged with the sRGB ICC profile and checks it
   against the platform's size limit.

Every failure is a permanent ``InvalidInputError`` subclass with a machine-readable code.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Protocol, cast

from PIL import Image, ImageFilter

from pinterest_agent.agents.design.brand import BrandKit
from pinterest_agent.agents.design.colour import SRGB_ICC
from pinterest_agent.agents.design.contrast import RGB, rgb_to_hex
from pinterest_agent.agents.design.designer import DesignSpec, Layout
from pinterest_agent.agents.design.focus import choose_subject
from pinterest_agent.agents.design.overlay import draw_headline
from pinterest_agent.agents.design.saliency import Subject, estimate_subject
from pinterest_agent.agents.design.scene_map import Scene
from pinterest_agent.agents.design.signature import draw_tab
from pinterest_agent.agents.design.sources import (
    ALLOWED_FORMATS,
    DEFAULT_MAX_SOURCE_PIXELS,
    Fit,
    Source,
    SourceNotAnImageError,
    SourceRules,
    SourceTooLargeError,
    SourceTooSmallError,
    cover_box,
    load_source,
    open_source,
)
from pinterest_agent.agents.design.typeset import PlacedText
from pinterest_agent.errors import InvalidInputError, PermanentError
from pinterest_agent.providers.netsafe import FetchedBody

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
    "SourceTooSmallError",
    "compose",
    "crop_box",
    "dominant_color",
    "encode",
    "open_source",
    "prepare",
    "render",
    "subject_of",
]

REDUCING_GAP = 2.0
"""Pillow reduces by an integer factor first while the remaining scale is at least this."""
BACKDROP_SIZE = (12, 18)
"""A ``contain`` backdrop is the picture squeezed to this and smoothly enlarged: a soft blur."""

Box = tuple[int, int, int, int]
crop_box = cover_box


class ImageFetcher(Protocol):
    """Fetches a source image URL safely (``providers.netsafe.SafeFetcher`` in production)."""

    def fetch(self, url: str, *, max_bytes: int) -> FetchedBody: ...


class NoSourceImageError(InvalidInputError):
    default_code = "no_source_image"


class RenderError(PermanentError):
    default_code = "render_failed"


@dataclass(frozen=True, slots=True)
class Prepared:
    image: Image.Image
    crop_box: tuple[float, float, float, float]
    """The part of the working image shown, in its pixels."""
    focal_point: tuple[float, float]
    """Where the subject's focal point landed, as fractions of the output."""
    subject_box: Box
    """The subject's box in the output's pixels (clipped to the canvas)."""
    source_size: tuple[int, int]
    """The upright source's full size, before any reduction."""
    fit: Fit


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
    subject_box: Box = (0, 0, 0, 0)
    subject_source: str = "estimate"
    """Who placed the subject: ``model``, ``estimate`` or ``centre`` (see agents.design.focus)."""
    fit: Fit = "cover"
    source_profile: str | None = None
    pin_layout: str = "band"
    """The design: band, split, collage or typographic (``agents.design.layouts``)."""
    texts: tuple[PlacedText, ...] = ()
    """Every piece of text drawn, for the safe-zone and contrast checks."""

    def __repr__(self) -> str:
        return (
            f"RenderedImage({self.content_type}, {self.width}x{self.height}, "
            f"{len(self.data)} bytes, contrast {self.contrast_ratio:.1f})"
        )


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def prepare(source: Source, size: tuple[int, int], subject: Subject) -> Prepared:
    """The canvas of exactly ``size`` from ``source``, placed around ``subject``."""
    image = source.image
    target_w, target_h = size
    sx0, sy0, sx1, sy1 = subject.box
    fx, fy = subject.focal
    if source.fit == "cover":
        box = cover_box(image.size, target_w / target_h, (fx, fy))
        canvas = image.resize(size, Image.Resampling.LANCZOS, box=box,
                              reducing_gap=REDUCING_GAP)
        left, top = box[0], box[1]
        scale = target_w / (box[2] - box[0])
        offset = (0.0, 0.0)
    else:
        scale = source.scale * source.size[0] / image.width
        photo_size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        photo = image.resize(photo_size, Image.Resampling.LANCZOS)
        canvas = _backdrop(image, size)
        offset = ((target_w - photo_size[0]) / 2, (target_h - photo_size[1]) / 2)
        canvas.paste(photo, (round(offset[0]), round(offset[1])))
        box = (0.0, 0.0, float(image.width), float(image.height))
        left = top = 0.0

    def to_canvas(x: float, y: float) -> tuple[float, float]:
        return (offset[0] + (x * image.width - left) * scale,
                offset[1] + (y * image.height - top) * scale)

    bx0, by0 = to_canvas(sx0, sy0)
    bx1, by1 = to_canvas(sx1, sy1)
    px, py = to_canvas(fx, fy)
    subject_box = (round(_clip(bx0, 0, target_w)), round(_clip(by0, 0, target_h)),
                   round(_clip(bx1, 0, target_w)), round(_clip(by1, 0, target_h)))
    focal = (_clip(px / target_w, 0.0, 1.0), _clip(py / target_h, 0.0, 1.0))
    return Prepared(canvas, box, focal, subject_box, source.size, source.fit)


def _backdrop(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    small = image.resize(BACKDROP_SIZE, Image.Resampling.BOX,
                         box=cover_box(image.size, size[0] / size[1], (0.5, 0.5)))
    small = small.filter(ImageFilter.GaussianBlur(1))
    return small.resize(size, Image.Resampling.BICUBIC)


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
    """The canvas as the scene's format, tagged sRGB, within its size limit."""
    buffer = BytesIO()
    if scene.content_type == "image/png":
        image.save(buffer, "PNG", optimize=False, icc_profile=SRGB_ICC)
    else:
        image.save(buffer, "JPEG", quality=scene.jpeg_quality, progressive=True, optimize=False,
                   icc_profile=SRGB_ICC)
    data = buffer.getvalue()
    if len(data) > scene.max_file_bytes:
        raise RenderError(
            f"the rendered image is {len(data)} bytes, over {scene.platform}'s "
            f"{scene.max_file_bytes}-byte limit",
            code="rendered_too_large",
        )
    return data


def subject_of(spec: DesignSpec, source: Source, estimate: Subject | None = None) -> Subject:
    """The subject the renderer uses: the model's box or the estimate (``choose_subject``)."""
    estimate = estimate or estimate_subject(source.image)
    model_box = spec.subject.as_tuple() if spec.subject is not None else None
    return choose_subject(model_box, (spec.focal_point.x, spec.focal_point.y), estimate)


def compose(source: Source, spec: DesignSpec, scene: Scene, subject: Subject,
            brand: BrandKit | None = None) -> RenderedImage:
    """A decoded source, a design and its subject in, the finished Pin image out. With a
    ``brand`` kit the band takes its primary colour and font, and carries its signature."""
    prepared = prepare(source, scene.size, subject)
    canvas = prepared.image
    overlay = draw_headline(canvas, spec.headline, scene, spec.layout,
                            brand.primary if brand is not None else spec.palette[0],
                            subject=prepared.subject_box,
                            font_data=brand.font if brand is not None else None)
    texts = [PlacedText(overlay.text_box, overlay.text_color, overlay.band_color,
                        overlay.contrast_ratio)]
    if brand is not None:
        tab = draw_tab(canvas, brand, overlay.band_box, overlay.band_color, overlay.text_color,
                       scene)
        texts += [tab] if tab is not None else []
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
        subject_box=prepared.subject_box,
        subject_source=subject.source,
        fit=prepared.fit,
        source_profile=source.profile,
        texts=tuple(texts),
    )


def render(
    source: bytes | Source,
    spec: DesignSpec,
    scene: Scene,
    *,
    rules: SourceRules | None = None,
) -> RenderedImage:
    """Source bytes (or a decoded ``Source``) and a design in, the finished Pin image out."""
    if not isinstance(source, Source):
        source = load_source(source, scene.size, rules)
    return compose(source, spec, scene, subject_of(spec, source))
