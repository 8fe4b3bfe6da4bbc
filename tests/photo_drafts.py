"""Draft a Pin from a photo of ``tests.photo_set`` the way ``pinterest-agent draft`` does against
the local sandbox: ``draft_post`` with the writer's copy scripted and a design answered as the
sandbox's stand-in answers it (the brief's name as the headline, cut to 40 characters at a
word; the layout by the brief's kind; with vision, the subject's box the sandbox's
``subject_in_image`` reads off the 512 px preview the design call carries), or blind (no box:
a model that cannot see).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from typing import Any

from PIL import Image

from pinterest_agent.agents.design.brand import BrandKit
from pinterest_agent.agents.design.designer import DesignSpec
from pinterest_agent.agents.design.imaging import RenderedImage
from pinterest_agent.agents.design.preview import preview_data_url
from pinterest_agent.agents.design.sources import load_source
from pinterest_agent.agents.drafting import draft_post
from pinterest_agent.agents.llm import ScriptedLLM
from pinterest_agent.agents.writer import PinCopy
from pinterest_agent.providers.sandbox.openai_compat import subject_in_image
from tests.conftest_llm import FixtureFetcher, load_brief
from tests.photo_set import PHOTOS, photo_bytes, photo_image

__all__ = ["Drafted", "draft_photo"]


@dataclass(frozen=True, slots=True)
class Drafted:
    image: RenderedImage
    pin: Image.Image
    source: Image.Image
    crop_box: tuple[float, float, float, float]
    photo_box: tuple[int, int, int, int]
    covers: list[tuple[int, int, int, int]]


LAYOUTS = {"recipe": "band_bottom", "product": "band_top", "how-to": "band_top",
           "article": "band_center"}
"""The layout the sandbox's stand-in asks for, by the brief's kind."""
DANGLING = {"a", "an", "and", "for", "in", "of", "on", "or", "the", "to", "with"}


def _design(kind: str, name: str, preview: bytes | None) -> DesignSpec:
    subject: dict[str, Any] | None = subject_in_image(preview) if preview is not None else None
    focal = {"x": 0.5, "y": 0.5}
    if subject is not None:
        focal = {"x": (subject["x0"] + subject["x1"]) / 2, "y": (subject["y0"] + subject["y1"]) / 2}
    words = name.split()
    while len(" ".join(words)) > 40 or words[-1].lower() in DANGLING:
        words.pop()
    headline = " ".join(words)
    return DesignSpec.model_validate({
        "headline": headline, "layout": LAYOUTS.get(kind, "band_bottom"),
        "palette": ["#2E5E4E", "#F1F7F2"], "dominant_color": "#F1F7F2", "focal_point": focal,
        "subject": subject, "image_prompt": None})


@cache
def draft_photo(name: str, *, vision: bool = True, brand: BrandKit | None = None,
                layout: str | None = None) -> Drafted:
    """The photo drafted (once per process for the same arguments)."""
    photo = next(p for p in PHOTOS if p.name == name)
    url = f"https://images.example.com/{name}.png"
    brief = load_brief(photo.kind).model_copy(update={"source_image_urls": [url],
                                                      "layout": layout})
    data = photo_bytes(name)
    source = load_source(data, (1000, 1500))
    preview = None
    if vision:
        preview = base64.b64decode(preview_data_url(source.image).split(",", 1)[1])
    title = f"{brief.keywords[0].capitalize()}: {brief.name}"[:100]
    copy = PinCopy(title=title, description=brief.summary[:400], alt_text="A photo.",
                   link=brief.destination_url, keywords=brief.keywords[:3], hashtags=[])
    llm = ScriptedLLM().enqueue(PinCopy, copy).enqueue(DesignSpec,
                                                       _design(photo.kind, brief.name, preview))
    draft = draft_post(brief, llm=llm, fetcher=FixtureFetcher({url: data}), vision=vision,
                       brand=brand)
    image = draft.image
    pin = Image.open(BytesIO(image.data)).convert("RGB")
    crop = getattr(image, "source_crop", None)
    photo_box = getattr(image, "photo_box", None)
    if crop is None or photo_box is None:  # a render from before these were reported
        crop, photo_box = _old_placement(draft.design, source, image)
    covers = [image.band_box] + [placed.box for placed in image.texts]
    return Drafted(image, pin, photo_image(name), crop, photo_box, covers)


def _old_placement(spec: DesignSpec, source: Any, image: RenderedImage) -> tuple[
        tuple[float, float, float, float], tuple[int, int, int, int]]:
    """Where the code before ``crop_box`` put the photo: the largest 2:3 crop centred on the
    chosen subject's focal point (``cover``), or the whole picture centred (``contain``)."""
    from pinterest_agent.agents.design.imaging import subject_of
    from pinterest_agent.agents.design.sources import cover_box

    width, height = source.image.size
    if image.fit == "cover":
        focal = subject_of(spec, source).focal
        box = cover_box((width, height), image.width / image.height, focal)
        return (box[0] / width, box[1] / height, box[2] / width, box[3] / height), (
            0, 0, image.width, image.height)
    scale = source.scale * source.size[0] / width
    shown = (round(width * scale), round(height * scale))
    left, top = round((image.width - shown[0]) / 2), round((image.height - shown[1]) / 2)
    return (0.0, 0.0, 1.0, 1.0), (left, top, left + shown[0], top + shown[1])
