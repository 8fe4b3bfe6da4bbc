"""The photos crops and headline bands are judged by: real photographs that scikit-image ships in
its wheel (no download), a few made from them, and synthetic cases for what the wheel lacks
(a bottle cut-out whose cap is near the top, a text poster, a landscape screenshot of text).

Every source is scaled up so its long side is ``LONG_SIDE`` px (as a photo from a phone or a
shop would be), with Lanczos, and handed to the pipeline as a PNG. ``kind`` is the brief's kind,
which decides the layout a model asks for (``product`` asks for the band at the top).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

__all__ = ["LONG_SIDE", "PHOTOS", "Photo", "photo_bytes", "photo_image"]

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "fixtures" / "images"
FONT = ROOT / "pinterest_agent" / "agents" / "design" / "fonts" / "DejaVuSans-Bold.ttf"
LONG_SIDE = 1500


@dataclass(frozen=True, slots=True)
class Photo:
    name: str
    kind: str
    origin: str
    """``skimage`` (a real photo as shipped), ``derived`` (a real photo cut or placed) or
    ``synthetic`` (drawn for the test)."""
    make: Callable[[], Image.Image]


def _skimage(name: str) -> Callable[[], Image.Image]:
    def make() -> Image.Image:
        from skimage import data

        pixels = getattr(data, name)()
        if isinstance(pixels, tuple):  # stereo_motorcycle: (left, right, disparity)
            pixels = pixels[0]
        image = Image.fromarray(np.asarray(pixels))
        if image.mode == "RGBA":
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            return flat
        if image.mode not in ("RGB", "L"):
            image = image.convert("L") if pixels.ndim == 2 else image.convert("RGB")
        return image

    return make


def _astronaut_tall() -> Image.Image:
    """A tall portrait whose head is at the very top (the top 4 % of the frame is above her)."""
    return _skimage("astronaut")().crop((120, 10, 420, 470))


def _astronaut_wide() -> Image.Image:
    """The astronaut small and off to the right in a wide, plain room (a landscape source)."""
    person = _skimage("astronaut")().resize((300, 300), Image.Resampling.LANCZOS)
    room = Image.new("RGB", (900, 500), (196, 190, 180))
    room.paste(person, (560, 200))
    return room


def _coffee_tall() -> Image.Image:
    """The coffee cup cut to a portrait whose rim is near the top."""
    return _skimage("coffee")().crop((120, 30, 460, 400))


def _faces_row() -> Image.Image:
    """Three real faces (Labeled Faces in the Wild, as scikit-image ships them) side by side on
    a grey wall, in the upper third: a group photo."""
    from skimage import data

    faces = data.lfw_subset()[:3]
    wall = Image.new("L", (900, 600), 150)
    for i, face in enumerate(faces):
        tile = Image.fromarray(np.uint8(face * 255)).resize((200, 200), Image.Resampling.LANCZOS)
        wall.paste(tile, (60 + i * 280, 70))
    return wall.convert("RGB")


def _bottle(cap_top: float) -> Callable[[], Image.Image]:
    """A bottle cut out on white, its cap starting ``cap_top`` of the height from the top."""

    def make() -> Image.Image:
        width, height = 800, 1200
        image = Image.new("RGB", (width, height), (255, 255, 255))
        draw = ImageDraw.Draw(image)
        top = round(cap_top * height)
        draw.rectangle((360, top, 440, top + 90), fill=(40, 40, 40))  # the cap
        draw.rectangle((370, top + 90, 430, top + 190), fill=(30, 110, 70))  # the neck
        draw.rounded_rectangle((280, top + 190, 520, height - 60), radius=60,
                               fill=(30, 110, 70))
        draw.rectangle((300, top + 420, 500, top + 640), fill=(235, 220, 180))  # the label
        return image.filter(ImageFilter.GaussianBlur(1))

    return make


_WORDS = ("autumn", "soup", "recipes", "warm", "bowls", "for", "cold", "nights", "roasted",
          "squash", "ginger", "carrot", "lentil", "creamy", "tomato", "basil", "simple",
          "weeknight", "dinners", "from", "the", "pantry")


def _lines(count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(_WORDS, size=int(rng.integers(4, 8)))) for _ in range(count)]


def _poster() -> Image.Image:
    """A text poster: a big title at the top and lines of text down the page."""
    width, height = 1000, 1400
    image = Image.new("RGB", (width, height), (250, 240, 220))
    draw = ImageDraw.Draw(image)
    title = ImageFont.truetype(str(FONT), 84)
    body = ImageFont.truetype(str(FONT), 36)
    draw.text((60, 50), "Soup Season", font=title, fill=(150, 50, 30))
    y = 190
    for line in _lines(22, 7):
        draw.text((60, y), line[:44], font=body, fill=(40, 40, 40))
        y += 52
    return image


def _screenshot() -> Image.Image:
    """A landscape screenshot of text: a window of full-width lines."""
    width, height = 1600, 1000
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 60), fill=(230, 230, 235))
    body = ImageFont.truetype(str(FONT), 30)
    y = 100
    for line in _lines(20, 11):
        draw.text((40, y), (line + " " + line)[:78], font=body, fill=(30, 30, 30))
        y += 42
    return image


def _fixture(name: str) -> Callable[[], Image.Image]:
    return lambda: Image.open(IMAGES / name).convert("RGB")


PHOTOS: tuple[Photo, ...] = (
    Photo("astronaut", "how-to", "skimage", _skimage("astronaut")),
    Photo("coffee", "recipe", "skimage", _skimage("coffee")),
    Photo("chelsea", "article", "skimage", _skimage("chelsea")),
    Photo("rocket", "article", "skimage", _skimage("rocket")),
    Photo("camera", "how-to", "skimage", _skimage("camera")),
    Photo("coins", "product", "skimage", _skimage("coins")),
    Photo("horse", "product", "skimage", _skimage("horse")),
    Photo("logo", "product", "skimage", _skimage("logo")),
    Photo("motorcycle", "product", "skimage", _skimage("stereo_motorcycle")),
    Photo("hubble", "article", "skimage", _skimage("hubble_deep_field")),
    Photo("retina", "article", "skimage", _skimage("retina")),
    Photo("moon", "article", "skimage", _skimage("moon")),
    Photo("ihc", "article", "skimage", _skimage("immunohistochemistry")),
    Photo("page", "article", "skimage", _skimage("page")),
    Photo("text", "article", "skimage", _skimage("text")),
    Photo("brick", "how-to", "skimage", _skimage("brick")),
    Photo("grass", "how-to", "skimage", _skimage("grass")),
    Photo("colorwheel", "product", "skimage", _skimage("colorwheel")),
    Photo("astronaut-tall", "how-to", "derived", _astronaut_tall),
    Photo("astronaut-wide", "article", "derived", _astronaut_wide),
    Photo("coffee-tall", "recipe", "derived", _coffee_tall),
    Photo("faces-row", "article", "derived", _faces_row),
    Photo("bottle-cap-top", "product", "synthetic", _bottle(0.03)),
    Photo("bottle", "product", "synthetic", _bottle(0.2)),
    Photo("poster", "article", "synthetic", _poster),
    Photo("screenshot", "how-to", "synthetic", _screenshot),
    Photo("cutout", "product", "synthetic", _fixture("cutout.png")),
    Photo("portrait", "how-to", "synthetic", _fixture("portrait.jpg")),
    Photo("offcentre", "product", "synthetic", _fixture("offcentre.jpg")),
    Photo("landscape", "recipe", "synthetic", _fixture("landscape.jpg")),
    Photo("panorama", "article", "synthetic", _fixture("panorama.jpg")),
)


@cache
def photo_image(name: str) -> Image.Image:
    """The source as the pipeline gets it: its long side scaled to ``LONG_SIDE``."""
    photo = next(p for p in PHOTOS if p.name == name)
    image = photo.make()
    if image.mode != "RGB":
        image = image.convert("RGB")
    scale = LONG_SIDE / max(image.size)
    size = (round(image.width * scale), round(image.height * scale))
    return image.resize(size, Image.Resampling.LANCZOS)


@cache
def photo_bytes(name: str) -> bytes:
    buffer = BytesIO()
    photo_image(name).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()
