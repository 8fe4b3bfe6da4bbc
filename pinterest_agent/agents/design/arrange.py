"""A Pin's plan: the frame a source, its subject and a headline give the placement
(``agents.design.placement``), and the plan it picks.

- The band is as tall as the headline set in it (``overlay.band_height``) plus the brand's tab.
- A ``cover`` source may be cropped, zoomed in while the crop is scaled up at most
  ``max_upscale`` times from the full-size source and ``MAX_WORKING_ZOOM`` times from the
  decoded working image (so a zoom never shows mush), or shown whole at the size that fits the
  canvas; a ``contain`` source (too small to crop) is only shown whole, at the size decoding
  chose for it.
- The focal points are the detectors' (``Subject.focus``); a subject with none (placed by hand,
  or from before the detectors) is taken as evenly salient inside its box.
"""

from __future__ import annotations

import numpy as np

from pinterest_agent.agents.design.brand import BrandKit
from pinterest_agent.agents.design.designer import Layout
from pinterest_agent.agents.design.overlay import band_height, band_place
from pinterest_agent.agents.design.placement import Design, Frame, Plan, plan_placement
from pinterest_agent.agents.design.saliency import FocalPoints, Subject
from pinterest_agent.agents.design.scene_map import Scene
from pinterest_agent.agents.design.signature import tab_height
from pinterest_agent.agents.design.sources import DEFAULT_MAX_UPSCALE, Source
from pinterest_agent.agents.design.text_regions import TextRegions

__all__ = ["MAX_WORKING_ZOOM", "focus_of", "plan_pin"]

MAX_WORKING_ZOOM = 1.4
BOX_GRID = 48


def focus_of(subject: Subject) -> FocalPoints:
    """The subject's focal points, or an even mass over its box when it has none."""
    if subject.focus is not None:
        return subject.focus
    grid = np.zeros((BOX_GRID, BOX_GRID), dtype=np.float32)
    x0, y0, x1, y1 = subject.box
    c0, r0 = int(x0 * BOX_GRID), int(y0 * BOX_GRID)
    c1 = max(c0 + 1, round(x1 * BOX_GRID))
    r1 = max(r0 + 1, round(y1 * BOX_GRID))
    grid[r0:r1, c0:c1] = 1.0
    mass = grid / float(grid.sum())
    return FocalPoints(mass, mass, (), TextRegions((), 0.0))


def plan_pin(
    source: Source, subject: Subject, headline: str, scene: Scene, *, wanted: Layout,
    brand: BrandKit | None = None, designs: tuple[Design, ...] = ("band", "whole", "split"),
    split_height: int = 0, max_upscale: float = DEFAULT_MAX_UPSCALE,
) -> Plan:
    """Where ``source``'s photo and ``headline``'s band go on ``scene``'s canvas."""
    width, height = scene.size
    left, _, right, _ = scene.safe_box()
    band_h = band_height(headline, scene, font_data=brand.font if brand is not None else None)
    reach = tab_height(brand, right - left) if brand is not None else 0
    full_w, full_h = source.size
    image_w, image_h = source.image.size
    if source.fit == "cover":
        whole = min(width / full_w, height / full_h)
        crop_w = min(image_w, image_h * width / height)
        max_zoom = min(max_upscale / source.scale, MAX_WORKING_ZOOM * crop_w / width)
    else:
        whole = source.scale
        designs = tuple(d for d in designs if d == "whole") or ("whole",)
        max_zoom = 1.0
    frame = Frame(
        size=scene.size, safe=scene.safe_box(), band_height=band_h + reach,
        wanted_top=band_place(wanted, scene, band_h + reach),
        source_aspect=image_w / image_h,
        largest_whole=(max(1, round(full_w * whole)), max(1, round(full_h * whole))),
        max_zoom=max(1.0, max_zoom), split_height=split_height, designs=designs,
    )
    return plan_placement(focus_of(subject), subject.box, frame)
