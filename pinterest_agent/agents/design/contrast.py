"""WCAG 2.x colour contrast: relative luminance, contrast ratio, and a band colour that passes."""

from __future__ import annotations

__all__ = [
    "BLACK",
    "RGB",
    "WHITE",
    "contrast_ratio",
    "hex_to_rgb",
    "readable_pair",
    "relative_luminance",
    "rgb_to_hex",
]

RGB = tuple[int, int, int]
WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)


def hex_to_rgb(value: str) -> RGB:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def rgb_to_hex(rgb: RGB) -> str:
    return "#{:02X}{:02X}{:02X}".format(*rgb)


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def relative_luminance(rgb: RGB) -> float:
    r, g, b = (_channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: RGB, b: RGB) -> float:
    """From 1 (same luminance) to 21 (black on white)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def readable_pair(band: RGB, *, minimum: float) -> tuple[RGB, RGB, float]:
    """``(band, text, ratio)``: white or black text, whichever reads better on ``band``; the band
    is darkened (under white text) or lightened (under black text) until the ratio reaches
    ``minimum``. Always terminates: black/white is 21:1."""
    text = WHITE if contrast_ratio(band, WHITE) >= contrast_ratio(band, BLACK) else BLACK
    for _ in range(64):
        ratio = contrast_ratio(band, text)
        if ratio >= minimum:
            return band, text, ratio
        if text == WHITE:
            band = (int(band[0] * 0.9), int(band[1] * 0.9), int(band[2] * 0.9))
        else:
            band = (_lighter(band[0]), _lighter(band[1]), _lighter(band[2]))
    band = BLACK if text == WHITE else WHITE
    return band, text, contrast_ratio(band, text)


def _lighter(c: int) -> int:
    return min(255, c + max(1, (255 - c) // 10))
