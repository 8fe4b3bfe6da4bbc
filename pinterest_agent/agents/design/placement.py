"""Where the photo goes and where the headline goes, chosen together.

Thumbor, smartcrop.js and Cloudinary's ``g_auto`` choose a crop; a Pin also puts a headline
over it, so the crop and the band are scored as pairs. The candidates (every one a ``View``:
the part of the source shown and where it lies on the canvas):

- **band**: a 2:3 crop (the largest, and zoomed in to ``ZOOMS`` when the source has the
  pixels), slid along both axes, with the headline band at any height of the safe zone
  (``STEP_PX`` apart, and the three layouts' places);
- **whole**: the source shown whole, at ``WHOLE_SCALES`` of the largest size it may have (and at
  the sizes that just fit beside a band at the top or the bottom of the safe zone), at the top,
  middle or bottom of the canvas or next to such a band, on a backdrop; the band anywhere in
  the safe zone (on the backdrop when there is room);
- **split**: a crop for the photo panel of the split layout; the headline sits in the panel
  below, over nothing.

Each is scored by what it costs the picture (lower is better):

- the salient mass the band covers, as a share of the mass shown (``COVER_WEIGHT``, and
  ``EXCESS_WEIGHT`` for every bit over ``COVER_LIMIT``), and the subject's mass (the peaks)
  the crop leaves out (``LOST_WEIGHT``);
- ``HARD`` for each confirmed face's head the crop cuts or the band comes within ``MARGIN`` of,
  and for a text-heavy source's text block cut or covered (a screenshot or a poster is shown
  whole or cropped to its text, never sliced);
- the subject's box (the vision model's, when the focus rule trusted it, else the estimate's):
  the share of it cut off or covered (``SUBJECT_WEIGHT``), so the model's opinion counts but
  never outweighs a face or the map;
- the design: a zoomed crop (``ZOOM_WEIGHT``), a source shown whole (``WHOLE_COST``, the
  share of the canvas it leaves empty, and ``HIDDEN_WEIGHT`` for the share of it under the
  bottom margin, where the platform's buttons sit), the split layout (``SPLIT_COST``), a band
  away from the place the design asked for (``PLACE_COST``).

The cheapest candidate is the plan. Mass queries use a summed-area table of the saliency grid,
interpolated, so every candidate costs a few array operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from pinterest_agent.agents.design.saliency import Box, FocalPoints

__all__ = [
    "COVER_LIMIT",
    "Design",
    "Frame",
    "Plan",
    "View",
    "plan_placement",
]

Design = Literal["band", "whole", "split"]
Pixels = tuple[int, int, int, int]

ZOOMS = (1.0, 0.85, 0.72)
WHOLE_SCALES = (1.0, 0.9, 0.8, 0.7)
STEP_PX = 10
POSITION_STEP = 0.05
COVER_WEIGHT = 3.0
COVER_LIMIT = 0.03
EXCESS_WEIGHT = 20.0
LOST_WEIGHT = 1.5
HARD = 10.0
MARGIN = 0.02
"""A band keeps this fraction of the canvas height away from a head or a text block."""
SUBJECT_WEIGHT = 0.4
ZOOM_WEIGHT = 0.5
WHOLE_COST = 0.3
WHOLE_AREA_WEIGHT = 0.6
HIDDEN_WEIGHT = 0.1
SPLIT_COST = 0.5
PLACE_COST = 0.02


@dataclass(frozen=True, slots=True)
class View:
    crop: Box
    """The part of the source shown, as fractions of it."""
    photo_box: Pixels
    """Where that part lies on the canvas (or, for ``split``, in the photo panel)."""


@dataclass(frozen=True, slots=True)
class Plan:
    design: Design
    view: View
    band_top: int | None
    """The band's top on the canvas (None for ``split``: the headline is in the panel)."""
    covered: float
    """The share of the salient mass shown that the band covers."""
    kept: float
    """The share of the subject's mass (the saliency peaks) shown."""
    cost: float


@dataclass(frozen=True, slots=True)
class Frame:
    """What a plan must fit: the canvas, its safe zone, the band, and what the source allows."""

    size: tuple[int, int]
    safe: Pixels
    band_height: int
    """The band with everything hung on it (the brand's tab)."""
    wanted_top: int
    """The band's top at the place the design asked for."""
    source_aspect: float
    """The source's width over its height."""
    largest_whole: tuple[int, int]
    """The largest the whole source may be shown on the canvas (its upscale limit)."""
    max_zoom: float = 1.0
    """How far a crop may zoom in past the largest 2:3 crop (1: not at all)."""
    split_height: int = 0
    """The split layout's photo panel height (0: no split)."""
    designs: tuple[Design, ...] = ("band", "whole", "split")


class _Mass:
    """Salient mass over any box of fractions, from the grid's summed-area table."""

    def __init__(self, grid: np.ndarray) -> None:
        self.rows, self.columns = grid.shape
        table = np.zeros((self.rows + 1, self.columns + 1), dtype=np.float64)
        table[1:, 1:] = grid.cumsum(axis=0).cumsum(axis=1)
        self.table = table
        self.total = float(table[-1, -1])

    def _at(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        x = np.clip(u, 0.0, 1.0) * self.columns
        y = np.clip(v, 0.0, 1.0) * self.rows
        x0 = np.minimum(np.floor(x).astype(int), self.columns - 1)
        y0 = np.minimum(np.floor(y).astype(int), self.rows - 1)
        fx, fy = x - x0, y - y0
        t = self.table
        return np.asarray(t[y0, x0] * (1 - fx) * (1 - fy) + t[y0, x0 + 1] * fx * (1 - fy)
                          + t[y0 + 1, x0] * (1 - fx) * fy + t[y0 + 1, x0 + 1] * fx * fy)

    def box(self, u0: np.ndarray, v0: np.ndarray, u1: np.ndarray, v1: np.ndarray) -> np.ndarray:
        return np.asarray(self._at(u1, v1) - self._at(u0, v1) - self._at(u1, v0)
                          + self._at(u0, v0))


@dataclass(frozen=True, slots=True)
class _Views:
    design: Design
    crop: np.ndarray
    """(N, 4) fractions."""
    photo: np.ndarray
    """(N, 4) canvas pixels."""
    cost: np.ndarray
    """(N,) what the design itself costs."""


def _cover_views(frame: Frame) -> _Views:
    width, height = frame.size
    ratio = width / height
    crops, costs = [], []
    for zoom in ZOOMS:
        if zoom < 1 / frame.max_zoom - 1e-9:
            continue
        if frame.source_aspect > ratio:
            cw, ch = ratio / frame.source_aspect * zoom, zoom
        else:
            cw, ch = zoom, frame.source_aspect / ratio * zoom
        for u in _positions(1 - cw):
            for v in _positions(1 - ch):
                crops.append((u, v, u + cw, v + ch))
                costs.append(ZOOM_WEIGHT * (1 / zoom - 1))
    photo = np.tile(np.array([0, 0, width, height], dtype=float), (len(crops), 1))
    return _Views("band", np.array(crops), photo, np.array(costs))


def _positions(room: float) -> np.ndarray:
    if room <= 1e-6:
        return np.array([0.0])
    return np.linspace(0.0, room, 1 + int(np.ceil(room / POSITION_STEP)))


def _whole_views(frame: Frame) -> _Views:
    width, height = frame.size
    _, safe_top, _, safe_bottom = frame.safe
    gap = round(MARGIN * height)
    photos, costs = [], []
    largest_h = frame.largest_whole[1]
    beside_band = {(height - safe_top - frame.band_height - gap) / largest_h,
                   (safe_bottom - frame.band_height - gap) / largest_h}
    scales = set(WHOLE_SCALES) | {s for s in beside_band if 0.3 <= s < 1}
    for scale in sorted(scales, reverse=True):
        pw, ph = round(frame.largest_whole[0] * scale), round(largest_h * scale)
        if pw < 1 or ph < 1:
            continue
        left = (width - pw) // 2
        tops = {0, (height - ph) // 2, height - ph, safe_top + frame.band_height + gap,
                safe_bottom - frame.band_height - gap - ph}
        for top in sorted(t for t in tops if 0 <= t <= height - ph):
            photos.append((left, top, left + pw, top + ph))
            hidden = max(0, top + ph - safe_bottom) / ph  # under the platform's buttons
            costs.append(WHOLE_COST + WHOLE_AREA_WEIGHT * (1 - pw * ph / (width * height))
                         + HIDDEN_WEIGHT * hidden)
    crop = np.tile(np.array([0.0, 0.0, 1.0, 1.0]), (len(photos), 1))
    return _Views("whole", crop, np.array(photos, dtype=float), np.array(costs))


def _split_views(frame: Frame) -> _Views:
    width = frame.size[0]
    ratio = width / frame.split_height
    if frame.source_aspect > ratio:
        cw, ch = ratio / frame.source_aspect, 1.0
    else:
        cw, ch = 1.0, frame.source_aspect / ratio
    crops = [(u, v, u + cw, v + ch) for u in _positions(1 - cw) for v in _positions(1 - ch)]
    photo = np.tile(np.array([0, 0, width, frame.split_height], dtype=float), (len(crops), 1))
    return _Views("split", np.array(crops), photo, np.full(len(crops), SPLIT_COST))


def _inside(box: Box, crop: np.ndarray) -> np.ndarray:
    slack = 0.005
    return ((crop[:, 0] <= box[0] + slack) & (crop[:, 1] <= box[1] + slack)
            & (crop[:, 2] >= box[2] - slack) & (crop[:, 3] >= box[3] - slack))


def _area_share_inside(box: Box, crop: np.ndarray) -> np.ndarray:
    area = max(1e-9, (box[2] - box[0]) * (box[3] - box[1]))
    ix = np.clip(np.minimum(crop[:, 2], box[2]) - np.maximum(crop[:, 0], box[0]), 0, None)
    iy = np.clip(np.minimum(crop[:, 3], box[3]) - np.maximum(crop[:, 1], box[1]), 0, None)
    return np.asarray(ix * iy / area)


@dataclass(frozen=True, slots=True)
class _Context:
    mass: _Mass
    peaks: _Mass
    heads: tuple[Box, ...]
    block: Box | None
    subject: Box
    frame: Frame


def _view_costs(views: _Views, ctx: _Context) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per view: its cost before any band, the mass shown, and the share of the subject's
    mass (the peaks) kept."""
    crop = views.crop
    shown = ctx.mass.box(crop[:, 0], crop[:, 1], crop[:, 2], crop[:, 3])
    peaks = ctx.peaks.box(crop[:, 0], crop[:, 1], crop[:, 2], crop[:, 3])
    kept = peaks / ctx.peaks.total if ctx.peaks.total > 0 else np.ones(len(crop))
    cost = views.cost + LOST_WEIGHT * (1 - kept)
    for head in ctx.heads:
        cost = cost + HARD * ~_inside(head, crop)
    if ctx.block is not None:
        cost = cost + HARD * ~_inside(ctx.block, crop)
    cost = cost + SUBJECT_WEIGHT * (1 - _area_share_inside(ctx.subject, crop))
    return cost, shown, kept


def _to_canvas(value: float, axis: int, crop: np.ndarray, photo: np.ndarray) -> np.ndarray:
    """Where ``value`` (a fraction of the source along ``axis``: 0 for x, 1 for y) lands on
    the canvas in each view."""
    low, high = axis, axis + 2
    return np.asarray(photo[:, low] + (value - crop[:, low]) / (crop[:, high] - crop[:, low])
                      * (photo[:, high] - photo[:, low]))


def _band_costs(views: _Views, shown: np.ndarray, tops: np.ndarray, ctx: _Context,
                ) -> tuple[np.ndarray, np.ndarray]:
    """(N, T) costs of a band at each of ``tops`` over each view, and the share covered."""
    frame = ctx.frame
    crop, photo = views.crop[:, None, :], views.photo[:, None, :]
    left, _, right, _ = frame.safe
    bottoms = tops + frame.band_height

    def u_at(x: float) -> np.ndarray:
        clipped = np.clip(x, photo[..., 0], photo[..., 2])
        return np.asarray(crop[..., 0] + (clipped - photo[..., 0])
                          / (photo[..., 2] - photo[..., 0]) * (crop[..., 2] - crop[..., 0]))

    def v_at(y: np.ndarray) -> np.ndarray:
        clipped = np.clip(y[None, :], photo[..., 1], photo[..., 3])
        return np.asarray(crop[..., 1] + (clipped - photo[..., 1])
                          / (photo[..., 3] - photo[..., 1]) * (crop[..., 3] - crop[..., 1]))

    ua, ub, va, vb = u_at(left), u_at(right), v_at(tops), v_at(bottoms)
    under = ctx.mass.box(np.broadcast_to(ua, va.shape), va, np.broadcast_to(ub, vb.shape), vb)
    covered = np.where(shown[:, None] > 0, under / np.maximum(shown[:, None], 1e-12), 0.0)
    cost = COVER_WEIGHT * covered + EXCESS_WEIGHT * np.clip(covered - COVER_LIMIT, 0, None)
    margin = MARGIN * frame.size[1]
    keep_clear = list(ctx.heads) + ([ctx.block] if ctx.block is not None else [])
    flat_crop, flat_photo = views.crop, views.photo
    for box in keep_clear:
        y0 = _to_canvas(box[1], 1, flat_crop, flat_photo)[:, None]
        y1 = _to_canvas(box[3], 1, flat_crop, flat_photo)[:, None]
        x0 = _to_canvas(box[0], 0, flat_crop, flat_photo)[:, None]
        x1 = _to_canvas(box[2], 0, flat_crop, flat_photo)[:, None]
        across = (x0 < right) & (x1 > left)
        hit = (tops[None, :] < y1 + margin) & (bottoms[None, :] > y0 - margin) & across
        cost = cost + HARD * hit
    sx0, sy0, sx1, sy1 = ctx.subject
    area = max(1e-9, (sx1 - sx0) * (sy1 - sy0))
    iy = np.clip(np.minimum(vb, sy1) - np.maximum(va, sy0), 0, None)
    ix = np.clip(np.minimum(ub, sx1) - np.maximum(ua, sx0), 0, None)
    cost = cost + SUBJECT_WEIGHT * ix * iy / area
    return cost, covered


def _tops(frame: Frame) -> np.ndarray:
    _, top, _, bottom = frame.safe
    highest = max(top, bottom - frame.band_height)
    places = {top, highest, (top + highest) // 2, frame.wanted_top}
    return np.array(sorted(places | set(range(top, highest + 1, STEP_PX))), dtype=float)


def plan_placement(focus: FocalPoints, subject: Box, frame: Frame) -> Plan:
    """The cheapest view and band for ``focus`` (see the module docstring for the costs)."""
    ctx = _Context(_Mass(focus.saliency), _Mass(focus.peaks), focus.heads, focus.text.block,
                   subject, frame)
    tops = _tops(frame)
    safe_top = frame.safe[1]
    canonical = {safe_top, int(tops[-1]), (safe_top + int(tops[-1])) // 2}
    place = np.where(tops == frame.wanted_top, 0.0,
                     np.where(np.isin(tops, list(canonical)), PLACE_COST / 2, PLACE_COST))
    best: Plan | None = None
    for design in frame.designs:
        if design == "split" and frame.split_height <= 0:
            continue
        views = {"band": _cover_views, "whole": _whole_views, "split": _split_views}[design](
            frame)
        if len(views.crop) == 0:
            continue
        view_cost, shown, kept = _view_costs(views, ctx)
        if design == "split":
            index = int(np.argmin(view_cost))
            candidate = Plan("split", _view(views, index), None, 0.0, float(kept[index]),
                             float(view_cost[index]))
        else:
            band_cost, covered = _band_costs(views, shown, tops, ctx)
            total = view_cost[:, None] + band_cost + place[None, :]
            flat = int(np.argmin(total))
            index, at = divmod(flat, total.shape[1])
            candidate = Plan(design, _view(views, index), int(tops[at]),
                             float(covered[index, at]), float(kept[index]),
                             float(total[index, at]))
        if best is None or candidate.cost < best.cost:
            best = candidate
    if best is None:
        raise ValueError("no design to place: frame.designs allows none that fits")
    return best


def _view(views: _Views, index: int) -> View:
    crop = views.crop[index]
    photo = views.photo[index]
    return View((float(crop[0]), float(crop[1]), float(crop[2]), float(crop[3])),
                (round(float(photo[0])), round(float(photo[1])), round(float(photo[2])),
                 round(float(photo[3]))))
