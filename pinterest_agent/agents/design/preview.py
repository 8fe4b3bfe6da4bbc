"""The copy of the source photo a vision model sees: small, JPEG, inline as a data URL.

``PREVIEW_SIDE`` (512 px on the long side) is what OpenAI's ``detail: "low"`` looks at anyway, so
a larger copy would cost upload time and nothing else; at JPEG quality 70 it is 20-60 kB, about
30-80 kB as base64, and a fixed image-token cost per call (see the README's token budget).
"""

from __future__ import annotations

import base64
from io import BytesIO

from PIL import Image

__all__ = ["PREVIEW_QUALITY", "PREVIEW_SIDE", "preview_data_url"]

PREVIEW_SIDE = 512
PREVIEW_QUALITY = 70


def preview_data_url(image: Image.Image, *, side: int = PREVIEW_SIDE) -> str:
    """``data:image/jpeg;base64,...`` of ``image`` scaled to at most ``side`` px."""
    small = image.convert("RGB") if image.mode != "RGB" else image.copy()
    small.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    buffer = BytesIO()
    small.save(buffer, "JPEG", quality=PREVIEW_QUALITY, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
