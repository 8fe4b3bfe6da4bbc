"""Pillow rendering of a designed Pin image: decode, find the subject, place, overlay, encode.

1. ``agents.design.sources.load_source`` checks the header and decodes the source within a memory
   bound into an upright 8-bit sRGB working image (see that module for every rule and error).
2. ``agents.design.saliency.estimate_subject`` finds the focal points on a small working copy
   (faces with OpenCV's Haar cascade, lines of text, a saliency map) and the subject's box, and
   ``agents.design.focus.choose_subject`` decides between that box and the vision model's.
3. ``agents.design.arrange.plan_pin`` chooses the crop and the band together
   (``agents.design.placement``): a 2:3 crop with the band where it covers least, the source
   shown whole on a backdrop with the band beside it, or (through ``agents.design.layouts``) the
   split layout; faces and a text-heavy source's text are never cut or covered.
4. ``prepare`` makes the canvas from the plan's view (the part of the source shown, resized with
   Lanczos, and where it lies; a backdrop made from the picture itself around a photo that does
   not fill it), and ``agents.design.overlay`` draws the headline band where the plan put it.
5. ``encode`` writes a progressive JPEG (or PNG) tagged with the sRGB ICC profile and checks it
   against the platform's size limit.

Every failure is a permanent ``InvalidInputError`` subclass with a machine-readable code.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Protocol, cast

from PIL import Image, ImageFilter

from pinterest_agent.agents.design.arrange import plan_pin
from pinterest_agent.agents.design.brand import BrandKit
from pinterest_agent.agents.design.colour import SRGB_ICC
from pinterest_agent.agents.design.contrast import RGB, rgb_to_hex
from pinterest_agent.agents.design.designer import DesignSpec, Layout
from pinterest_agent.agents.design.focus import choose_subject
from pinterest_agent.agents.design.overlay import draw_headline
from pinterest_agent.agents.design.placement import Plan, View
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
    view: View
    """The part of the source shown (fractions) and where it lies on the canvas."""


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
    source_crop: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
    """The part of the (first) source the Pin shows, as fractions of it."""
    photo_box: Box = (0, 0, 0, 0)
    """Where that part lies on the Pin, in its pixels."""

    def __repr__(self) -> str:
        return (
            f"RenderedImage({self.content_type}, {self.width}x{self.height}, "
            f"{len(self.data)} bytes, contrast {self.contrast_ratio:.1f})"
        )


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def prepare(source: Source, size: tuple[int, int], subject: Subject, *,
            view: View | None = None) -> Prepared:
    """The canvas of exactly ``size`` from ``source``, placed around ``subject``: the part of the
    source and the place on the canvas that ``view`` says (``agents.design.placement``), else
    the largest 2:3 crop centred on the focal point (``cover``) or the whole picture centred on
    a backdrop (``contain``)."""
    image = source.image
    target_w, target_h = size
    view = view or _default_view(source, size, subject)
    u0, v0, u1, v1 = view.crop
    box = (u0 * image.width, v0 * image.height, u1 * image.width, v1 * image.height)
    px0, py0, px1, py1 = view.photo_box
    if (px0, py0, px1, py1) == (0, 0, target_w, target_h):
        canvas = image.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=REDUCING_GAP)
        fit: Fit = "cover"
    else:
        canvas = _backdrop(image, size)
        photo = image.resize((px1 - px0, py1 - py0), Image.Resampling.LANCZOS, box=box,
                             reducing_gap=REDUCING_GAP)
        canvas.paste(photo, (px0, py0))
        fit = "contain"
    scale_x = (px1 - px0) / (box[2] - box[0])
    scale_y = (py1 - py0) / (box[3] - box[1])

    def to_canvas(x: float, y: float) -> tuple[float, float]:
        return (px0 + (x * image.width - box[0]) * scale_x,
                py0 + (y * image.height - box[1]) * scale_y)

    sx0, sy0, sx1, sy1 = subject.box
    bx0, by0 = to_canvas(sx0, sy0)
    bx1, by1 = to_canvas(sx1, sy1)
    px, py = to_canvas(*subject.focal)
    subject_box = (round(_clip(bx0, 0, target_w)), round(_clip(by0, 0, target_h)),
                   round(_clip(bx1, 0, target_w)), round(_clip(by1, 0, target_h)))
    focal = (_clip(px / target_w, 0.0, 1.0), _clip(py / target_h, 0.0, 1.0))
    return Prepared(canvas, box, focal, subject_box, source.size, fit, view)


def _default_view(source: Source, size: tuple[int, int], subject: Subject) -> View:
    image = source.image
    target_w, target_h = size
    if source.fit == "cover":
        left, top, right, bottom = cover_box(image.size, target_w / target_h, subject.focal)
        return View((left / image.width, top / image.height, right / image.width,
                     bottom / image.height), (0, 0, target_w, target_h))
    scale = source.scale * source.size[0] / image.width
    photo_w, photo_h = max(1, round(image.width * scale)), max(1, round(image.height * scale))
    x0, y0 = round((target_w - photo_w) / 2), round((target_h - photo_h) / 2)
    return View((0.0, 0.0, 1.0, 1.0), (x0, y0, x0 + photo_w, y0 + photo_h))


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
            brand: BrandKit | None = None, *, plan: Plan | None = None) -> RenderedImage:
    """A decoded source, a design and its subject in, the finished Pin image out: the photo and
    the band where ``plan`` puts them (a band or whole plan; ``agents.design.arrange.plan_pin``
    makes one when none is given, without the split layout). With a ``brand`` kit the band takes
    its primary colour and font, and carries its signature."""
    if plan is None:
        plan = plan_pin(source, subject, spec.headline, scene, wanted=spec.layout, brand=brand,
                        designs=("band", "whole"))
    if plan.design == "split":
        raise ValueError("a split plan is rendered by agents.design.split")
    prepared = prepare(source, scene.size, subject, view=plan.view)
    canvas = prepared.image
    overlay = draw_headline(canvas, spec.headline, scene, spec.layout,
                            brand.primary if brand is not None else spec.palette[0],
                            subject=prepared.subject_box,
                            font_data=brand.font if brand is not None else None,
                            band_top=plan.band_top)
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
        source_crop=plan.view.crop,
        photo_box=plan.view.photo_box,
    )


def render(
    source: bytes | Source,
    spec: DesignSpec,
    scene: Scene,
    *,
    rules: SourceRules | None = None,
) -> RenderedImage:
    """Source bytes (or a decoded ``Source``) and a design in, the finished Pin image out: the
    band layout as ``agents.design.layouts`` renders it (which may show the photo whole, or
    switch to the split layout, when that keeps its faces and subject clearer)."""
    from pinterest_agent.agents.design.layouts import PinLayout, compose_layout  # imports this

    if not isinstance(source, Source):
        source = load_source(source, scene.size, rules)
    return compose_layout(PinLayout.BAND, [source], [subject_of(spec, source)], spec, scene,
                          kind="other")
