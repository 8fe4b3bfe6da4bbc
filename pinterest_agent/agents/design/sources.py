"""Source images are untrusted bytes: check the header, decode within a memory bound, and end
with one small upright 8-bit sRGB working image.

1. ``open_source`` reads only the header: formats other than JPEG/PNG/WebP/GIF, and bodies that
   are not images, are ``source_not_an_image``; more than ``SourceRules.max_pixels`` (50 MP by
   default, stricter than Pillow's own ``Image.MAX_IMAGE_PIXELS`` bomb guard, whose error is
   caught too) is ``source_too_large``; a shortest side under ``min_side_px`` (400) or a long
   side more than ``max_aspect`` (4) times the short one is ``source_too_small``.
2. ``load_source`` decodes it *fully* (a truncated JPEG or PNG fails here, before any LLM call is
   paid) and reduces it at once to the working size: the JPEG decoder is asked for the smallest
   DCT scale that still covers the Pin (``Image.draft``); other formats are reduced by an integer
   factor strip by strip, so the only full-size buffer is the decoder's own. Each strip is made
   8-bit (16-bit greyscale scaled, not clipped) and every kind of transparency (alpha, LA,
   palette with transparency, ``tRNS`` on RGB or greyscale, GIF) is flattened onto the same
   white ``BACKGROUND``, before averaging, so edges do not darken. Then the embedded ICC profile
   converts the working image to sRGB (``agents.design.colour``) and the EXIF orientation is
   applied.
3. Decodes of more than ``large_pixels`` (20 MP by default) pass a process-wide ``DecodeGate``
   (2 at once by default), so eight worker threads cannot each hold a 200 MB decode.

``Source.fit`` says how the Pin will use it: ``cover`` (crop 2:3 and scale) when that scales the
crop up at most ``max_upscale`` (2.5x) times, else ``contain`` (the whole picture, scaled up at
most that much, on a blurred backdrop of itself): a small source is never stretched into mush.

Every failure is a permanent ``InvalidInputError`` subclass with a machine-readable code.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from typing import Literal

from PIL import Image, UnidentifiedImageError

from pinterest_agent.agents.design.colour import profile_name, to_8bit, to_srgb
from pinterest_agent.errors import InvalidInputError

__all__ = [
    "ALLOWED_FORMATS",
    "BACKGROUND",
    "DEFAULT_LARGE_DECODE_PIXELS",
    "DEFAULT_LARGE_DECODE_SLOTS",
    "DEFAULT_MAX_ASPECT",
    "DEFAULT_MAX_SOURCE_PIXELS",
    "DEFAULT_MAX_UPSCALE",
    "DEFAULT_MIN_SIDE_PX",
    "DecodeGate",
    "Fit",
    "Source",
    "SourceNotAnImageError",
    "SourceRules",
    "SourceTooLargeError",
    "SourceTooSmallError",
    "cover_box",
    "load_source",
    "megapixels",
    "open_source",
]

DEFAULT_MAX_SOURCE_PIXELS = 50_000_000
DEFAULT_MIN_SIDE_PX = 400
DEFAULT_MAX_UPSCALE = 2.5
DEFAULT_MAX_ASPECT = 4.0
DEFAULT_LARGE_DECODE_PIXELS = 20_000_000
DEFAULT_LARGE_DECODE_SLOTS = 2
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
BACKGROUND = (255, 255, 255)
"""Transparent pixels of every kind are flattened onto this colour."""
STRIP_PIXELS = 1 << 20
"""About this many source pixels are converted and reduced at a time."""

Fit = Literal["cover", "contain"]
_TRANSPOSED = {5, 6, 7, 8}


class SourceNotAnImageError(InvalidInputError):
    default_code = "source_not_an_image"


class SourceTooLargeError(InvalidInputError):
    default_code = "source_too_large"


class SourceTooSmallError(InvalidInputError):
    default_code = "source_too_small"


def megapixels(pixels: int) -> str:
    """``50.1 MP``: one decimal, so 50.1 never reads as the 50 MP limit it exceeds."""
    return f"{pixels / 1e6:.1f} MP"


class DecodeGate:
    """At most ``slots`` decodes of more than ``large_pixels`` pixels at once in this process."""

    def __init__(
        self,
        *,
        large_pixels: int = DEFAULT_LARGE_DECODE_PIXELS,
        slots: int = DEFAULT_LARGE_DECODE_SLOTS,
    ) -> None:
        if slots < 1:
            raise ValueError("a decode gate needs at least one slot")
        self.large_pixels = large_pixels
        self.slots = slots
        self._semaphore = threading.BoundedSemaphore(slots)

    @contextmanager
    def admit(self, pixels: int) -> Iterator[None]:
        if pixels <= self.large_pixels:
            yield
            return
        with self._semaphore:
            yield


DEFAULT_GATE = DecodeGate()
"""The process-wide gate used unless the composition root passes its own."""


@dataclass(frozen=True, slots=True)
class SourceRules:
    """What a source image must be to become a Pin, and how large decodes are bounded."""

    max_pixels: int = DEFAULT_MAX_SOURCE_PIXELS
    min_side_px: int = DEFAULT_MIN_SIDE_PX
    max_upscale: float = DEFAULT_MAX_UPSCALE
    max_aspect: float = DEFAULT_MAX_ASPECT
    gate: DecodeGate = field(default=DEFAULT_GATE, compare=False)


@dataclass(frozen=True, slots=True, repr=False)
class Source:
    """A decoded source: upright 8-bit sRGB ``RGB``, reduced to what the Pin needs."""

    image: Image.Image
    size: tuple[int, int]
    """The upright source's full size, before any reduction."""
    fit: Fit
    scale: float
    """From the full size to the Pin: the cover crop's scale, or the contained picture's."""
    profile: str | None
    """The description of the ICC profile it was converted from, if it had one."""

    def __repr__(self) -> str:
        return (f"Source({self.size[0]}x{self.size[1]} as {self.image.width}x"
                f"{self.image.height}, {self.fit}, profile={self.profile!r})")


def open_source(data: bytes, rules: SourceRules | None = None) -> Image.Image:
    """Identify ``data`` as an image (header only) and enforce the size rules."""
    rules = rules or SourceRules()
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
    if width < 1 or height < 1:
        raise SourceNotAnImageError("the source image has no pixels")
    if width * height > rules.max_pixels:
        raise SourceTooLargeError(
            f"the source image is {width}x{height} ({megapixels(width * height)}), over the "
            f"{megapixels(rules.max_pixels)} limit; use a smaller image",
            width=width,
            height=height,
        )
    short, long = min(width, height), max(width, height)
    if short < rules.min_side_px:
        raise SourceTooSmallError(
            f"the source image is {width}x{height}: its shortest side must be at least "
            f"{rules.min_side_px} px for a Pin; use a larger image",
            width=width,
            height=height,
        )
    if long / short > rules.max_aspect:
        raise SourceTooSmallError(
            f"the source image is {width}x{height}, {long / short:.1f} times longer than wide: "
            f"at most {rules.max_aspect:g}:1 can become a 2:3 Pin; crop it nearer to 2:3",
            width=width,
            height=height,
        )
    return image


def cover_box(
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


def _needed_scale(shown: tuple[int, int], target: tuple[int, int], rules: SourceRules) -> tuple[
        Fit, float]:
    """How the source will be used and the scale from its full size to the Pin."""
    left, top, right, bottom = cover_box(shown, target[0] / target[1], (0.5, 0.5))
    cover = max(target[0] / (right - left), target[1] / (bottom - top))
    if cover <= rules.max_upscale:
        return "cover", cover
    return "contain", min(target[0] / shown[0], target[1] / shown[1], rules.max_upscale)


def load_source(data: bytes, target: tuple[int, int], rules: SourceRules | None = None) -> Source:
    """Decode ``data`` fully, within the memory bound, as the working image for ``target``."""
    rules = rules or SourceRules()
    image = open_source(data, rules)
    try:
        source = _decode(image, target, rules)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        image.close()
        raise SourceNotAnImageError(
            f"the source image is damaged or truncated and cannot be decoded: {exc}"
        ) from exc
    if source.image is not image:
        image.close()  # else the decoded image *is* the working image: keep it open, no copy
    return source


def _decode(image: Image.Image, target: tuple[int, int], rules: SourceRules) -> Source:
    orientation = image.getexif().get(0x0112, 1)
    stored = image.size
    shown = (stored[1], stored[0]) if orientation in _TRANSPOSED else stored
    fit, scale = _needed_scale(shown, target, rules)
    icc = image.info.get("icc_profile") or None
    with rules.gate.admit(stored[0] * stored[1]):
        if image.format == "JPEG" and scale < 1:
            need = (math.ceil(stored[0] * scale), math.ceil(stored[1] * scale))
            image.draft(image.mode if image.mode in ("L", "CMYK") else "RGB", need)
        image.load()
        factor = max(1, math.floor(image.width / (stored[0] * scale) + 1e-9))
        working = _reduce_flat(image, factor)
    if working.mode not in ("RGB", "L", "CMYK"):
        working = working.convert("RGB")
    working = to_srgb(working, icc if isinstance(icc, bytes) else None)
    working.info.clear()
    working = _apply_orientation(working, orientation)
    return Source(working, shown, fit, scale, profile_name(icc) if isinstance(icc, bytes) else None)


def _apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orientation)
    return image.transpose(method) if method is not None else image


def _flat(strip: Image.Image, transparency: object) -> Image.Image:
    """One strip as 8-bit ``RGB``, ``L`` or ``CMYK`` with any transparency on ``BACKGROUND``."""
    strip = to_8bit(strip)
    if transparency is not None and strip.mode in ("P", "L", "RGB"):
        strip.info["transparency"] = transparency
        strip = strip.convert("RGBA")
    elif strip.mode in ("P", "PA"):
        strip = strip.convert("RGBA" if strip.mode == "PA" else "RGB")
    if strip.mode in ("RGBA", "LA", "La", "RGBa"):
        rgba = strip.convert("RGBA")
        flat = Image.new("RGB", strip.size, BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if strip.mode not in ("RGB", "L", "CMYK"):
        return strip.convert("RGB")
    return strip


def _reduce_flat(image: Image.Image, factor: int) -> Image.Image:
    """``image`` reduced by ``factor`` and flattened, a strip at a time."""
    transparency = image.info.get("transparency")
    if image.mode in ("RGB", "L", "CMYK") and transparency is None and factor == 1:
        return image
    width, height = image.size
    rows = max(factor, (STRIP_PIXELS // max(width, 1)) // factor * factor)
    out: Image.Image | None = None
    for top in range(0, height, rows):
        strip = _flat(image.crop((0, top, width, min(top + rows, height))), transparency)
        reduced = strip.reduce(factor) if factor > 1 else strip
        if out is None:
            out = Image.new(reduced.mode, (math.ceil(width / factor), math.ceil(height / factor)))
        out.paste(reduced, (0, top // factor))
    assert out is not None
    return out
