"""The Pin designs and how each is chosen and rendered.

- ``band`` (1 photo): the photo cropped 2:3, the headline in a band, both placed together so
  faces, text and the salient region stay clear (``agents.design.placement``); when no crop
  and band keep them clear enough, the photo is shown whole on a backdrop with the band beside
  it, or the Pin becomes a ``split``;
- ``split`` (1 photo): the photo above a text panel with the headline and the brand
  (``agents.design.split``), its crop chosen the same way;
- ``collage`` (2-3 photos): the photos tiled, the headline on a band across the seam
  (``agents.design.collage``);
- ``typographic`` (no photo): the headline set large on the brand's colours
  (``agents.design.typographic``).

Every layout applies the channel's :class:`~agents.design.brand.BrandKit` and passes the same
checks (every piece of text inside the safe zone, WCAG contrast at least the scene's minimum);
:func:`effective_layout` says which one a brief gets from what it asks for and what it has.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from pinterest_agent.agents.design.arrange import plan_pin
from pinterest_agent.agents.design.brand import DEFAULT_BRAND, BrandKit
from pinterest_agent.agents.design.collage import MAX_TILES, MIN_TILES, compose_collage
from pinterest_agent.agents.design.designer import DesignSpec
from pinterest_agent.agents.design.finish import finish
from pinterest_agent.agents.design.imaging import RenderedImage, RenderError, compose
from pinterest_agent.agents.design.placement import Design
from pinterest_agent.agents.design.saliency import Subject
from pinterest_agent.agents.design.scene_map import Scene
from pinterest_agent.agents.design.sources import Source
from pinterest_agent.agents.design.split import compose_split, split_photo_height
from pinterest_agent.agents.design.typeset import layout_problems
from pinterest_agent.agents.design.typographic import compose_typographic

__all__ = ["PinLayout", "compose_layout", "effective_layout", "photos_needed"]


class PinLayout(enum.StrEnum):
    BAND = "band"
    SPLIT = "split"
    COLLAGE = "collage"
    TYPOGRAPHIC = "typographic"


def photos_needed(layout: PinLayout) -> int:
    """How many source photos the layout uses at most."""
    return {PinLayout.BAND: 1, PinLayout.SPLIT: 1, PinLayout.COLLAGE: MAX_TILES,
            PinLayout.TYPOGRAPHIC: 0}[layout]


def effective_layout(asked: str | None, *, images: int, can_generate: bool) -> PinLayout:
    """The layout a brief gets: what it asks for (band by default) when it has the photos for
    it; a collage with one photo is a band; no photo and no image generation is typographic."""
    layout = PinLayout(asked) if asked else PinLayout.BAND
    if layout is PinLayout.TYPOGRAPHIC:
        return layout
    if images == 0 and not can_generate:
        return PinLayout.TYPOGRAPHIC
    if layout is PinLayout.COLLAGE and images < MIN_TILES:
        return PinLayout.BAND
    return layout


def compose_layout(
    layout: PinLayout, sources: Sequence[Source], subjects: Sequence[Subject],
    spec: DesignSpec, scene: Scene, *, kind: str, brand: BrandKit | None = None,
) -> RenderedImage:
    """Render ``layout`` from decoded ``sources`` and their ``subjects`` (none for
    typographic)."""
    kit = brand or DEFAULT_BRAND
    if layout is PinLayout.TYPOGRAPHIC:
        return finish(compose_typographic(spec.headline, kind, scene, kit), scene)
    if not sources:
        raise ValueError(f"the {layout} layout needs a photo")
    if layout is PinLayout.COLLAGE and len(sources) >= MIN_TILES:
        return finish(compose_collage(sources[:MAX_TILES], subjects[:MAX_TILES], spec.headline,
                                      scene, kit), scene)
    designs: tuple[Design, ...] = ("split",) if layout is PinLayout.SPLIT else (
        "band", "whole", "split")
    plan = plan_pin(sources[0], subjects[0], spec.headline, scene, wanted=spec.layout,
                    brand=brand, designs=designs, split_height=split_photo_height(scene))
    if plan.design == "split":
        return finish(compose_split(sources[0], subjects[0], spec.headline, scene, kit,
                                    view=plan.view), scene)
    rendered = compose(sources[0], spec, scene, subjects[0], brand, plan=plan)
    return finish_band(rendered, scene)


def finish_band(rendered: RenderedImage, scene: Scene) -> RenderedImage:
    """The band layout's texts pass the same checks as the others'."""
    problems = layout_problems(rendered.texts, scene)
    if problems:
        raise RenderError("the band layout broke the scene's rules: " + "; ".join(problems),
                          code="layout_unsafe")
    return rendered
