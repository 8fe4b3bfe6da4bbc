"""The designer: the LLM fills a ``DesignSpec`` for the platform's scene; ``agents.design.imaging``
renders it.

With a vision model (``vision=True`` and a source image), the design call carries a downscaled
copy of the photo (``preview``, a JPEG data URL) and the model answers the subject's box and
focal point as well; ``agents.design.focus`` decides whether to trust that box or the
deterministic estimate. Without one the model cannot see the photo: ``subject`` is null, its
focal point is only a hint, and the estimate decides. Its dominant colour is an intent either
way; the renderer measures the real dominant colour of the finished image for the post.

The headline drawn on the image is plain text where the model's answer becomes a ``DesignSpec``
(``agents.messages.Line``: markup stripped, entities decoded; a headline of nothing but markup,
such as ``<img src=x``, or holding a line separator is refused and sent back for repair).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from pinterest_agent.agents.design.scene_map import Scene
from pinterest_agent.agents.grounding import brief_grounds, grounding_problems
from pinterest_agent.agents.llm import LLMResult, StructuredLLM
from pinterest_agent.agents.messages import Line, PinBrief
from pinterest_agent.agents.text_rules import find_urls
from pinterest_agent.agents.writer import PinCopy

__all__ = [
    "TEMPLATE",
    "DesignResult",
    "DesignSpec",
    "FocalPoint",
    "Layout",
    "SubjectBox",
    "design",
    "design_problems",
    "design_result",
    "design_variables",
]

TEMPLATE = "design_spec"
HEADLINE_MAX = 40

HexColor = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]


class Layout(enum.StrEnum):
    """Where the headline band sits inside the safe zone."""

    BAND_TOP = "band_top"
    BAND_CENTER = "band_center"
    BAND_BOTTOM = "band_bottom"


class FocalPoint(BaseModel):
    """The subject's centre in the source image, as fractions of its width and height."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    x: float = Field(ge=0.0, le=1.0)
    y: float = Field(ge=0.0, le=1.0)


class SubjectBox(BaseModel):
    """The main subject's bounding box in the source image, as fractions of its width and height
    (``x0, y0`` top-left, ``x1, y1`` bottom-right)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    x0: float = Field(ge=0.0, le=1.0)
    y0: float = Field(ge=0.0, le=1.0)
    x1: float = Field(ge=0.0, le=1.0)
    y1: float = Field(ge=0.0, le=1.0)

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)


class DesignSpec(BaseModel):
    """How to turn the source image into the Pin image."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    headline: Line = Field(min_length=1, max_length=HEADLINE_MAX)
    layout: Layout
    palette: list[HexColor] = Field(min_length=1, max_length=5)
    dominant_color: HexColor
    focal_point: FocalPoint
    subject: SubjectBox | None = Field(
        description="The subject's box in the attached photo; null without a photo to see."
    )
    image_prompt: str | None = Field(max_length=1000)


@dataclass(frozen=True, slots=True)
class DesignResult:
    spec: DesignSpec
    llm: LLMResult[DesignSpec]


def design_variables(
    brief: PinBrief, copy: PinCopy, scene: Scene, *, sees_photo: bool = False
) -> dict[str, Any]:
    facts = brief.model_dump(
        mode="json", include={"kind", "name", "summary", "audience", "tone"}, exclude_none=True
    )
    facts["has_source_image"] = bool(brief.source_image_urls)
    if len(facts["summary"]) > 600:
        facts["summary"] = facts["summary"][:600].rsplit(" ", 1)[0] + "..."
    return {
        "brief": facts,
        "copy": {"title": copy.title, "keywords": copy.keywords},
        "has_source_image": bool(brief.source_image_urls),
        "sees_photo": sees_photo,
        "layouts": [layout.value for layout in Layout],
        "scene": {
            "platform": scene.platform,
            "width": scene.width,
            "height": scene.height,
            "ratio": scene.ratio_text,
            "max_headline_chars": scene.max_headline_chars,
            "style_notes": list(scene.style_notes),
        },
    }


def design_problems(spec: DesignSpec, brief: PinBrief, scene: Scene) -> list[str]:
    """The rules ``DesignSpec``'s schema cannot express, as sentences the model can act on: the
    scene's headline length, no URL and nothing the brief does not state in the headline
    (:mod:`agents.grounding`), an image prompt when there is no photo, a well-formed box."""
    problems: list[str] = []
    if len(spec.headline) > scene.max_headline_chars:
        problems.append(
            f"headline must be at most {scene.max_headline_chars} characters, not "
            f"{len(spec.headline)}"
        )
    if find_urls(spec.headline):
        problems.append("headline must not contain a URL or domain")
    problems += grounding_problems({"headline": spec.headline}, brief_grounds(brief))
    if not brief.source_image_urls and brief.layout != "typographic" and not spec.image_prompt:
        problems.append("image_prompt is required: the brief has no source image")
    box = spec.subject
    if box is not None and not (box.x0 < box.x1 and box.y0 < box.y1):
        problems.append("subject must have x0 < x1 and y0 < y1 (top-left, then bottom-right)")
    return problems


def design(
    brief: PinBrief, copy: PinCopy, llm: StructuredLLM, scene: Scene, *,
    preview: str | None = None,
) -> DesignSpec:
    """The model's ``DesignSpec`` for the brief and its copy (checked, repaired once)."""
    return design_result(brief, copy, llm, scene, preview=preview).spec


def design_result(
    brief: PinBrief, copy: PinCopy, llm: StructuredLLM, scene: Scene, *,
    preview: str | None = None,
) -> DesignResult:
    """``design`` with the LLM call's provenance (template, hash, model, tokens).

    ``preview``: the source photo as an image data URL, for a model that accepts images."""
    result = llm.generate(
        template=TEMPLATE,
        variables=design_variables(brief, copy, scene, sees_photo=preview is not None),
        output=DesignSpec,
        check=lambda spec: design_problems(spec, brief, scene),
        images=(preview,) if preview is not None else (),
    )
    return DesignResult(spec=result.value, llm=result)
