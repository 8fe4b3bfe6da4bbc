"""A channel's brand kit: name, domain, colours, logo and font, applied to every layout.

The kit comes from the channel's catalog mapping file (``brand:``) and is stored with the channel,
so every writer renders the channel's Pins the same way. The logo is a PNG (transparency kept)
of at most ``LOGO_MAX_BYTES``; the font a TrueType/OpenType file of at most ``FONT_MAX_BYTES``;
both are checked when the kit is built, so a bad file fails ``catalog check``, not a render.
Without a kit the layouts use :data:`DEFAULT_BRAND` (no logo, the bundled font).
"""

from __future__ import annotations

from functools import cached_property
from io import BytesIO
from typing import Annotated

from PIL import Image, ImageFont, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from pinterest_agent.agents.design.contrast import RGB, hex_to_rgb

__all__ = ["DEFAULT_BRAND", "FONT_MAX_BYTES", "LOGO_MAX_BYTES", "BrandKit"]

LOGO_MAX_BYTES = 512 * 1024
FONT_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_PIXELS = 4_000_000

HexColour = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]


class BrandKit(BaseModel):
    """How a channel's Pins look whatever their layout."""

    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_bytes="base64",
                              val_json_bytes="base64")

    name: str | None = Field(default=None, max_length=40, description="Shown small on Pins.")
    domain: str | None = Field(default=None, max_length=60,
                               description="Shown next to the name, e.g. shop.example.com.")
    primary: HexColour = Field(default="#1F3A4D", description="Bands, panels, headlines.")
    accent: HexColour = Field(default="#C9A227", description="Rules, labels, decoration.")
    background: HexColour = Field(default="#F6F1E9",
                                  description="Text panels and typographic Pins.")
    logo_png: bytes | None = Field(default=None, max_length=LOGO_MAX_BYTES, repr=False)
    font: bytes | None = Field(default=None, max_length=FONT_MAX_BYTES, repr=False)

    @field_validator("logo_png")
    @classmethod
    def _png(cls, value: bytes | None) -> bytes | None:
        if value is None:
            return None
        try:
            with Image.open(BytesIO(value)) as image:
                if image.format != "PNG":
                    raise ValueError(f"the logo must be a PNG file, not {image.format}")
                if image.width * image.height > LOGO_MAX_PIXELS:
                    raise ValueError("the logo must be at most 4 megapixels")
                image.load()
        except (UnidentifiedImageError, OSError) as exc:
            raise ValueError("the logo is not a readable PNG file") from exc
        return value

    @field_validator("font")
    @classmethod
    def _font(cls, value: bytes | None) -> bytes | None:
        if value is None:
            return None
        try:
            ImageFont.truetype(BytesIO(value), 20)
        except OSError as exc:
            raise ValueError("the font is not a readable TrueType/OpenType file") from exc
        return value

    @property
    def primary_rgb(self) -> RGB:
        return hex_to_rgb(self.primary)

    @property
    def accent_rgb(self) -> RGB:
        return hex_to_rgb(self.accent)

    @property
    def background_rgb(self) -> RGB:
        return hex_to_rgb(self.background)

    @property
    def signature(self) -> str:
        """``name · domain`` (either alone when the other is missing), or empty."""
        return " \u00b7 ".join(part for part in (self.name, self.domain) if part)

    @cached_property
    def _logo(self) -> Image.Image | None:
        if self.logo_png is None:
            return None
        with Image.open(BytesIO(self.logo_png)) as image:
            return image.convert("RGBA")

    def logo(self, height: int) -> Image.Image | None:
        """The logo scaled to ``height`` px (RGBA), or None without one."""
        logo = self._logo
        if logo is None:
            return None
        width = max(1, round(logo.width * height / logo.height))
        return logo.resize((width, height), Image.Resampling.LANCZOS)


DEFAULT_BRAND = BrandKit()
