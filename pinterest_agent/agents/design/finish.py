"""Turn a composed canvas into a :class:`~agents.design.imaging.RenderedImage`: check every
piece of text against the scene's safe zone and contrast minimum (a layout that breaks them is a
bug, refused as ``layout_unsafe`` rather than published), measure the dominant colour, encode."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from pinterest_agent.agents.design.contrast import rgb_to_hex
from pinterest_agent.agents.design.designer import Layout
from pinterest_agent.agents.design.imaging import RenderedImage, RenderError, dominant_color, encode
from pinterest_agent.agents.design.scene_map import Scene
from pinterest_agent.agents.design.sources import Fit
from pinterest_agent.agents.design.typeset import Box, PlacedText, layout_problems, union

__all__ = ["Composed", "finish"]


@dataclass(frozen=True, slots=True)
class Composed:
    """What a layout drew: the canvas, its texts (the headline first) and the panel or band
    the headline sits on."""

    pin_layout: str
    canvas: Image.Image
    texts: tuple[PlacedText, ...]
    panel_box: Box
    source_size: tuple[int, int] = (0, 0)
    focal_point: tuple[float, float] = (0.5, 0.5)
    subject_box: Box = (0, 0, 0, 0)
    subject_source: str = "centre"
    fit: Fit = "cover"
    source_profile: str | None = None
    source_crop: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
    photo_box: Box = (0, 0, 0, 0)
    extra: dict[str, object] = field(default_factory=dict)


def finish(composed: Composed, scene: Scene) -> RenderedImage:
    problems = layout_problems(composed.texts, scene)
    if problems:
        raise RenderError(f"the {composed.pin_layout} layout broke the scene's rules: "
                          + "; ".join(problems), code="layout_unsafe")
    headline = composed.texts[0]
    data = encode(composed.canvas, scene)
    return RenderedImage(
        data=data,
        content_type=scene.content_type,
        width=composed.canvas.width,
        height=composed.canvas.height,
        focal_point=composed.focal_point,
        layout=Layout.BAND_CENTER,
        text_box=union([placed.box for placed in composed.texts]),
        band_box=composed.panel_box,
        dominant_color=dominant_color(composed.canvas),
        band_color=rgb_to_hex(headline.background),
        text_color=rgb_to_hex(headline.colour),
        contrast_ratio=min(placed.contrast for placed in composed.texts),
        source_size=composed.source_size,
        subject_box=composed.subject_box,
        subject_source=composed.subject_source,
        fit=composed.fit,
        source_profile=composed.source_profile,
        pin_layout=composed.pin_layout,
        texts=composed.texts,
        source_crop=composed.source_crop,
        photo_box=composed.photo_box,
    )
