"""``SCENE_MAP``: what a designed image must look like on each platform, as data.

A :class:`Scene` holds the canvas (size and ratio), the safe zone (where text may go: the
platform's own UI covers the rest), the text rules (headline length, WCAG contrast) and style notes
the design template passes to the model. The renderer and the designer's checks read only this, so
a new platform is a new entry, not new code.

Pinterest: 1000x1500 (2:3) is the recommended standard Pin. Its UI overlays the top corners
(close/more buttons in close-up), the bottom (save button, product tags, the title on some
surfaces) and the right edge in the grid, so text stays inside 6% side margins, 7% at the top and
18% at the bottom. Images up to 20 MB, JPEG or PNG.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["PINTEREST", "SCENE_MAP", "SafeZone", "Scene"]


@dataclass(frozen=True, slots=True)
class SafeZone:
    """Margins as fractions of the canvas; text must stay inside them."""

    top: float
    right: float
    bottom: float
    left: float

    def box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The safe rectangle in pixels: ``(left, top, right, bottom)``, right/bottom exclusive."""
        return (
            round(width * self.left),
            round(height * self.top),
            width - round(width * self.right),
            height - round(height * self.bottom),
        )


@dataclass(frozen=True, slots=True)
class Scene:
    platform: str
    width: int
    height: int
    ratio: tuple[int, int]
    safe_zone: SafeZone
    max_headline_chars: int
    min_contrast_ratio: float
    headline_font_px: tuple[int, int]
    """Largest and smallest headline size; the renderer shrinks until it fits."""
    max_headline_lines: int
    max_file_bytes: int
    content_type: str
    jpeg_quality: int
    style_notes: tuple[str, ...]

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    @property
    def ratio_text(self) -> str:
        return f"{self.ratio[0]}:{self.ratio[1]}"

    def safe_box(self) -> tuple[int, int, int, int]:
        return self.safe_zone.box(self.width, self.height)


PINTEREST = Scene(
    platform="pinterest",
    width=1000,
    height=1500,
    ratio=(2, 3),
    safe_zone=SafeZone(top=0.07, right=0.06, bottom=0.18, left=0.06),
    max_headline_chars=40,
    min_contrast_ratio=4.5,
    headline_font_px=(84, 44),
    max_headline_lines=3,
    max_file_bytes=20 * 1024 * 1024,
    content_type="image/jpeg",
    jpeg_quality=85,
    style_notes=(
        "vertical 2:3, the subject large and clear",
        "one short headline readable on a phone at a glance",
        "warm, natural colours that suit the subject; no more than four",
        "no logos, no watermarks, no small print",
    ),
)

SCENE_MAP: Mapping[str, Scene] = MappingProxyType({"pinterest": PINTEREST})
