"""The sandbox stand-in's answers for ``PinCopy`` and ``DesignSpec``: filled from the request's
data by the most direct mapping, knowing none of the project's rules.

A stand-in that knows the rules it is used to test proves nothing (it once capped titles, forced
the link and scrubbed injections, so the writer's own checks went untested). These answers are
what a model that ignores its instructions would write, every field from the brief's data:

- ``PinCopy``: ``title`` is the brief's ``name`` (with a phrase for a variation's
  ``title_angle``, when there is one), whatever its length and wherever the main keyword is;
  ``description`` is the ``summary`` as given, every sentence, an injected instruction or URL
  included; ``alt_text`` is "Photo of NAME."; ``link`` is the first URL in the brief's values in
  their order (``summary`` comes before ``destination_url``, so a URL injected in the summary
  wins); ``keywords`` are all the brief's keywords; ``hashtags`` one tag made of the first
  keyword. Earlier titles (``avoid_titles``) are not looked at.
- ``DesignSpec``: ``headline`` is the brief's ``name``, whatever its length; layout and palette by
  ``kind``; an ``image_prompt`` always; the subject's box and focal point from the attached photo
  when there is one (:func:`subject_in_image`), else null and the centre.

Nothing here reads a limit from the prompt, clips, scrubs or checks. Deterministic: the same data
gives the same answer. The adversarial mode (:mod:`.adversary`) breaks these answers on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from io import BytesIO
from typing import Any

__all__ = ["ANGLE_PHRASES", "design_spec_answer", "first_url", "hashtag", "pin_copy_answer",
           "subject_in_image", "urls_in"]

ANGLE_PHRASES = {
    "search": "ideas and inspiration",
    "benefit": "why we love it",
    "question": "is it right for you?",
    "occasion": "a gift idea",
    "detail": "up close",
}
"""What the title says for a variation's ``title_angle`` (data in the brief, used as data)."""

_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)
_PALETTES = {
    "recipe": ["#F4E3C1", "#8C3B1F", "#D98E04"],
    "product": ["#1F3A4D", "#E8EEF2", "#C9A227"],
    "how-to": ["#2E5E4E", "#F1F7F2", "#E07A5F"],
    "article": ["#3D405B", "#F4F1DE", "#81B29A"],
}
_LAYOUTS = {"recipe": "band_bottom", "product": "band_top", "how-to": "band_top",
            "article": "band_center"}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def urls_in(brief: Mapping[str, Any]) -> list[str]:
    """Every ``http(s)`` URL in the brief's values, in their order."""
    return [found.group(0).rstrip(".,;:!?)") for text in _strings(brief)
            for found in _URL.finditer(text)]


def first_url(brief: Mapping[str, Any]) -> str:
    """The first ``http(s)`` URL in the brief's values, in their order ("" when none)."""
    return next(iter(urls_in(brief)), "")


def hashtag(phrase: str) -> str:
    """``"one pot orzo"`` -> ``"#OnePotOrzo"``."""
    return "#" + "".join(word.capitalize() for word in re.findall(r"\w+", phrase))


def pin_copy_answer(brief: Mapping[str, Any]) -> dict[str, Any]:
    """``PinCopy`` fields straight from the brief's data (see the module docstring)."""
    name = str(brief.get("name", ""))
    keywords = [str(k) for k in brief.get("keywords", [])]
    phrase = ANGLE_PHRASES.get(str(brief.get("title_angle") or ""))
    return {
        "title": f"{name}: {phrase}" if phrase else name,
        "description": str(brief.get("summary", "")),
        "alt_text": f"Photo of {name}.",
        "link": first_url(brief),
        "keywords": keywords,
        "hashtags": [hashtag(keywords[0])] if keywords else [],
    }


_SUBJECT_SIDE = 96
_SUBJECT_DIFF = 48
"""A channel this far from both row ends and both column ends is not background."""


def subject_in_image(data: bytes) -> dict[str, float] | None:
    """The box ``{x0, y0, x1, y1}`` (fractions) of the pixels unlike the background, or None:
    each pixel against both ends of its row and of its column, so gradients and plain backdrops
    count as background."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(BytesIO(data)) as opened:
            image = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    image.thumbnail((_SUBJECT_SIDE, _SUBJECT_SIDE))
    width, height = image.size
    pixels = image.load()
    assert pixels is not None

    def far(a: Any, b: Any) -> bool:
        return max(abs(int(a[i]) - int(b[i])) for i in range(3)) > _SUBJECT_DIFF

    xs: list[int] = []
    ys: list[int] = []
    for y in range(height):
        row_ends = (pixels[0, y], pixels[width - 1, y])
        for x in range(width):
            p = pixels[x, y]
            if (far(p, row_ends[0]) and far(p, row_ends[1]) and far(p, pixels[x, 0])
                    and far(p, pixels[x, height - 1])):
                xs.append(x)
                ys.append(y)
    if len(xs) < max(4, width * height // 400):
        return None
    xs.sort()
    ys.sort()
    trim = len(xs) // 50  # ignore the outermost 2 % of foreground pixels (specks, noise)
    return {"x0": round(xs[trim] / width, 3), "y0": round(ys[trim] / height, 3),
            "x1": round((xs[-1 - trim] + 1) / width, 3),
            "y1": round((ys[-1 - trim] + 1) / height, 3)}


def design_spec_answer(brief: Mapping[str, Any], image: bytes | None = None) -> dict[str, Any]:
    """``DesignSpec`` fields from the brief's data and the attached photo, if any."""
    kind = str(brief.get("kind", "other"))
    name = str(brief.get("name", ""))
    palette = _PALETTES.get(kind, ["#264653", "#F1FAEE", "#E9C46A"])
    subject = subject_in_image(image) if image is not None else None
    focal = {"x": 0.5, "y": 0.5}
    if subject is not None:
        focal = {"x": round((subject["x0"] + subject["x1"]) / 2, 3),
                 "y": round((subject["y0"] + subject["y1"]) / 2, 3)}
    return {
        "headline": name,
        "layout": _LAYOUTS.get(kind, "band_bottom"),
        "palette": palette,
        "dominant_color": palette[1],
        "focal_point": focal,
        "subject": subject,
        "image_prompt": f"A vertical photo of {name}.",
    }
