"""Colour management: every source ends in 8-bit sRGB, and the output says so.

- ``to_8bit``: 16-bit greyscale (``I;16``, and ``I`` as Pillow opens 16-bit PNGs in some
  versions) is scaled by 1/256 to ``L``; a plain ``convert`` would clip everything above 255 of
  65535 to white.
- ``to_srgb``: an embedded ICC profile (``image.info["icc_profile"]``) whose colour space matches
  the image (RGB, GRAY or CMYK) is converted to sRGB with LittleCMS (Pillow's ``ImageCms``,
  perceptual intent, which falls back to relative colorimetric for matrix profiles such as
  Display P3). Without a profile the pixels are taken as sRGB already (the web's rule) and CMYK
  is converted naively. A profile LittleCMS cannot read is ignored with a warning: a broken tag
  must not fail a Pin whose pixels are fine.
- ``SRGB_ICC``: the sRGB profile embedded in every rendered JPEG/PNG, so viewers that honour
  profiles show the same colours as those that assume sRGB.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from io import BytesIO

from PIL import Image, ImageCms

__all__ = ["SRGB_ICC", "profile_name", "srgb_icc", "to_8bit", "to_srgb"]

log = logging.getLogger(__name__)

_SPACE_FOR_MODE = {"RGB": "RGB", "L": "GRAY", "CMYK": "CMYK"}


@lru_cache(maxsize=1)
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@lru_cache(maxsize=1)
def srgb_icc() -> bytes:
    """The ICC bytes of LittleCMS's built-in sRGB profile."""
    return _srgb_profile().tobytes()


SRGB_ICC = srgb_icc()


def to_8bit(image: Image.Image) -> Image.Image:
    """``image`` with 8 bits a channel; 16-bit greyscale is scaled, not clipped."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if image.mode == "F":
        return image.point(lambda v: v * 255).convert("L")
    return image


def profile_name(icc: bytes) -> str | None:
    """The profile's description, or ``None`` if it cannot be read."""
    try:
        profile = ImageCms.ImageCmsProfile(BytesIO(icc))
        return ImageCms.getProfileDescription(profile).strip() or None
    except (ImageCms.PyCMSError, OSError, ValueError):
        return None


@lru_cache(maxsize=16)
def _transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    try:
        profile = ImageCms.ImageCmsProfile(BytesIO(icc))
        space = profile.profile.xcolor_space.strip()
        if space != _SPACE_FOR_MODE.get(mode):
            log.warning("ignoring an embedded %s ICC profile on a %s image", space, mode)
            return None
        return ImageCms.buildTransform(
            profile, _srgb_profile(), mode, "RGB",
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
        )
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        log.warning("ignoring an unreadable embedded ICC profile: %s", exc)
        return None


def to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """``image`` (mode RGB, L or CMYK, 8-bit) as sRGB ``RGB`` pixels, honouring ``icc``."""
    if icc:
        transform = _transform(icc, image.mode)
        if transform is not None:
            return ImageCms.applyTransform(image, transform) or image.convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")
