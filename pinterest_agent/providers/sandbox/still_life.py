"""Generated product photos for the sandbox: ``/_sandbox/images/product-NAME-WxH.jpg``.

A still life rather than a flat gradient, so a demo Pin looks like something someone would save:
a soft two-tone backdrop, a tabletop, a shadow, and one object drawn from ``NAME`` (a folded
throw, a vase with a stem, or a mug), its colours from a colour word in the name (sage, clay,
navy, ochre, ...) or seeded by it. Deterministic: the same
name and size give the same bytes.
"""

from __future__ import annotations

import hashlib

from PIL import Image, ImageDraw, ImageFilter

__all__ = ["still_life"]

RGB = tuple[int, int, int]
_PALETTES: tuple[tuple[RGB, RGB, RGB], ...] = (
    ((236, 228, 214), (214, 200, 178), (122, 150, 124)),   # linen and sage
    ((232, 222, 226), (206, 186, 192), (176, 92, 82)),     # blush and terracotta
    ((222, 230, 236), (190, 204, 214), (58, 92, 122)),     # mist and navy
    ((240, 232, 212), (220, 204, 170), (196, 140, 44)),    # sand and ochre
)

_PALETTE_WORDS = (("sage", "linen", "green"), ("terracotta", "clay", "blush", "cocoa"),
                  ("navy", "ink", "blue", "wool"), ("ochre", "sand", "oat", "vase"))
"""A name with one of these words gets that palette (else one chosen by its hash)."""


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t),
            round(a[2] + (b[2] - a[2]) * t))


def _shade(colour: RGB, factor: float) -> RGB:
    return (min(255, round(colour[0] * factor)), min(255, round(colour[1] * factor)),
            min(255, round(colour[2] * factor)))


def still_life(name: str, width: int, height: int) -> Image.Image:
    digest = hashlib.sha256(name.encode()).digest()
    lowered = name.lower()
    named = [index for index, words in enumerate(_PALETTE_WORDS)
             if any(word in lowered for word in words)]
    wall, table, colour = _PALETTES[named[0] if named else digest[0] % len(_PALETTES)]
    image = Image.new("RGB", (width, height), wall)
    draw = ImageDraw.Draw(image)
    horizon = round(height * 0.64)
    for y in range(height):  # a soft light from above, then the tabletop
        if y < horizon:
            draw.line([(0, y), (width, y)], fill=_mix(_shade(wall, 1.04), wall, y / horizon))
        else:
            t = (y - horizon) / max(1, height - horizon)
            draw.line([(0, y), (width, y)], fill=_mix(table, _shade(table, 0.86), t))
    cx, base = width // 2, round(height * 0.74)
    unit = min(width, height) / 10
    shadow = Image.new("L", (width, height), 0)
    ImageDraw.Draw(shadow).ellipse((cx - 3.2 * unit, base - 0.45 * unit, cx + 3.2 * unit,
                                    base + 0.45 * unit), fill=110)
    shadow = shadow.filter(ImageFilter.GaussianBlur(unit * 0.35))
    image.paste(_shade(table, 0.6), (0, 0), shadow)
    draw = ImageDraw.Draw(image)
    kind = digest[1] % 3
    if kind == 0:  # a folded throw: three layers with stripes and a fringe
        for layer in range(3):
            top = base - (layer + 1) * 1.05 * unit
            box = (cx - 3 * unit, top, cx + 3 * unit, top + 1.1 * unit)
            draw.rounded_rectangle(box, radius=round(0.45 * unit),
                                   fill=_shade(colour, 1.0 + 0.07 * layer))
            for stripe in range(1, 4):
                x = cx - 3 * unit + stripe * 1.5 * unit
                draw.line([(x, top + 0.15 * unit), (x, top + 0.95 * unit)],
                          fill=_shade(colour, 0.82), width=max(1, round(unit * 0.06)))
        for x in range(round(cx - 2.8 * unit), round(cx + 2.8 * unit), max(3, round(unit / 5))):
            draw.line([(x, base), (x, base + 0.3 * unit)], fill=_shade(colour, 0.75),
                      width=max(1, round(unit * 0.05)))
    elif kind == 1:  # a vase with a stem and two leaves
        draw.ellipse((cx - 1.6 * unit, base - 3.4 * unit, cx + 1.6 * unit, base), fill=colour)
        draw.rectangle((cx - 0.6 * unit, base - 4.4 * unit, cx + 0.6 * unit, base - 3 * unit),
                       fill=colour)
        draw.ellipse((cx - 1.1 * unit, base - 2.9 * unit, cx - 0.3 * unit, base - 1.2 * unit),
                     fill=_shade(colour, 1.18))
        stem = (86, 112, 74)
        draw.line([(cx, base - 4.4 * unit), (cx + 0.4 * unit, base - 7.6 * unit)], fill=stem,
                  width=max(2, round(unit * 0.12)))
        draw.ellipse((cx - 1.3 * unit, base - 7 * unit, cx + 0.2 * unit, base - 6.2 * unit),
                     fill=stem)
        draw.ellipse((cx + 0.3 * unit, base - 6.2 * unit, cx + 1.7 * unit, base - 5.5 * unit),
                     fill=_shade(stem, 1.2))
    else:  # a mug with a handle and steam
        draw.rounded_rectangle((cx - 1.6 * unit, base - 3 * unit, cx + 1.6 * unit, base),
                               radius=round(0.4 * unit), fill=colour)
        draw.ellipse((cx + 1.0 * unit, base - 2.5 * unit, cx + 2.6 * unit, base - 0.9 * unit),
                     outline=colour, width=max(2, round(unit * 0.3)))
        draw.ellipse((cx - 1.6 * unit, base - 3.3 * unit, cx + 1.6 * unit, base - 2.7 * unit),
                     fill=_shade(colour, 0.7))
        for dx in (-0.6, 0.2):
            x = cx + dx * unit
            draw.arc((x - 0.4 * unit, base - 5 * unit, x + 0.4 * unit, base - 3.6 * unit),
                     200, 340, fill=_shade(wall, 0.85), width=max(1, round(unit * 0.08)))
    return image
