"""Where the subject is: the focal points of a source, from real detectors, and the subject's box.

``find_focal_points`` makes one small working copy of the decoded source (its short side
``DETECT_SHORT_SIDE`` px, its long side at most ``DETECT_LONG_SIDE``) and runs, on it and never
on the full-resolution pixels:

- **faces**: OpenCV's frontal-face Haar cascade (``agents.design.faces``);
- **text**: lines of text and whether the source is text-heavy (``agents.design.text_regions``);
- **saliency**: spectral residual, colour rarity, skin, saturation and difference from the
  backdrop on a copy ``GRID_SIDE`` cells long (``agents.design.feature_maps``), kept twice:
  broadly (everything above the quietest quarter: what a band had better not cover) and as
  peaks (above the noise floor: the subject, which a crop must not leave out). Each face's
  head adds ``FACE_MASS`` of the mass (a third of it for a face only one cascade finds), so a
  face outweighs a bright patch of wall.

``estimate_subject`` derives the subject's box (the central ``MASS_KEPT`` of the mass along
each axis, so a stray speck does not stretch it) and focal point (the mass's centroid) and keeps
the focal points with it (``Subject.focus``): the placement (``agents.design.placement``) reads
the faces, the text and the map, whatever box the subject ends with. A picture with no salient
region gets the centre half as its box.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from pinterest_agent.agents.design.faces import DETECT_SHORT_SIDE, Face, find_faces, head_box
from pinterest_agent.agents.design.feature_maps import GRID_SIDE, saliency_grid
from pinterest_agent.agents.design.text_regions import TextRegions, find_text

__all__ = [
    "DETECT_LONG_SIDE",
    "FACE_MASS",
    "MASS_KEPT",
    "Box",
    "FocalPoints",
    "Subject",
    "estimate_subject",
    "find_focal_points",
]

DETECT_LONG_SIDE = 768
FLOOR_PERCENTILE = 25
"""The quietest quarter of a picture holds no mass: room for a band, if it is in one piece."""
MASS_KEPT = 0.9
"""The box keeps this share of the saliency mass: 5 % is cut off at each end of each axis."""
FACE_MASS = 0.25
"""Each face's head adds this share of the saliency mass (before the map is renormalised)."""

Box = tuple[float, float, float, float]
"""``(x0, y0, x1, y1)`` as fractions of the picture's width and height."""


@dataclass(frozen=True, slots=True, eq=False)
class FocalPoints:
    """What the detectors found in a source (every box as fractions of it)."""

    saliency: np.ndarray
    """Everything a band had better not cover: the map above its quietest quarter, as mass on
    a grid (rows, columns) summing to 1 (or all zero), each face's head added."""
    peaks: np.ndarray
    """The subject: the map above its noise floor (the median plus a third of the way to the
    top), as mass on the same grid, each face's head added: what a crop must not leave out."""
    faces: tuple[Face, ...]
    text: TextRegions

    @property
    def heads(self) -> tuple[Box, ...]:
        """The heads around the confirmed faces: never cropped, never covered."""
        return tuple(head_box(face.box) for face in self.faces if face.confirmed)


@dataclass(frozen=True, slots=True)
class Subject:
    """The subject's box and focal point as fractions, who found them, and the focal points."""

    box: Box
    focal: tuple[float, float]
    source: str
    """``estimate`` (this module), ``model`` (the vision model's answer) or ``centre``."""
    focus: FocalPoints | None = None
    """The detectors' findings, whoever placed the box (None: place by the box alone)."""


def _working_copy(image: Image.Image) -> Image.Image:
    rgb = image.convert("RGB") if image.mode != "RGB" else image
    scale = min(DETECT_SHORT_SIDE / min(rgb.size), DETECT_LONG_SIDE / max(rgb.size), 1.0)
    if scale < 1:
        size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        factor = int(1 / scale)
        if factor > 1:  # an integer reduction first: a quarter of the time of one resize
            rgb = rgb.reduce(factor)
        rgb = rgb.resize(size, Image.Resampling.BOX)
    return rgb


def _grid(working: Image.Image) -> np.ndarray:
    scale = GRID_SIDE / max(working.size)
    size = (max(2, round(working.width * scale)), max(2, round(working.height * scale)))
    small = working.resize(size, Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / 255.0


def _add_faces(mass: np.ndarray, faces: tuple[Face, ...]) -> np.ndarray:
    if not faces:
        return mass
    rows, columns = mass.shape
    out = mass.copy()
    for face in faces:
        x0, y0, x1, y1 = head_box(face.box)
        c0, c1 = int(x0 * columns), max(int(x0 * columns) + 1, round(x1 * columns))
        r0, r1 = int(y0 * rows), max(int(y0 * rows) + 1, round(y1 * rows))
        share = FACE_MASS if face.confirmed else FACE_MASS / 3
        out[r0:r1, c0:c1] += share / ((r1 - r0) * (c1 - c0))
    return out / float(out.sum())


def find_focal_points(image: Image.Image) -> FocalPoints:
    """Faces, text and saliency in ``image``, found on one small working copy of it."""
    working = _working_copy(image)
    grey = np.asarray(working.convert("L"))
    faces = tuple(find_faces(cv2.equalizeHist(grey)))
    text = find_text(grey)
    score = saliency_grid(_grid(working))
    broad = _mass(score, float(np.percentile(score, FLOOR_PERCENTILE)))
    median = float(np.median(score))
    peaks = _mass(score, median + (float(score.max()) - median) / 3)
    return FocalPoints(_add_faces(broad, faces), _add_faces(peaks, faces), faces, text)


def _mass(score: np.ndarray, floor: float) -> np.ndarray:
    """The map above ``floor``, summing to 1 (all zeros for a flat picture)."""
    mass = np.clip(score - floor, 0.0, None)
    total = float(mass.sum())
    return mass / total if total > 0 else mass


def _span(mass: np.ndarray) -> tuple[float, float]:
    cumulative = np.cumsum(mass)
    total = float(cumulative[-1])
    cut = total * (1 - MASS_KEPT) / 2
    start = int(np.searchsorted(cumulative, cut, side="right"))
    end = int(np.searchsorted(cumulative, total - cut, side="left"))
    return start / len(mass), (min(end, len(mass) - 1) + 1) / len(mass)


def estimate_subject(image: Image.Image) -> Subject:
    """The subject's box and focal point in ``image``, from its pixels alone, with the focal
    points they came from."""
    focus = find_focal_points(image)
    mass = focus.peaks
    total = float(mass.sum())
    if total <= 0:
        return Subject((0.25, 0.25, 0.75, 0.75), (0.5, 0.5), "centre", focus)
    rows, columns = mass.shape
    column_mass, row_mass = mass.sum(axis=0), mass.sum(axis=1)
    x0, x1 = _span(column_mass)
    y0, y1 = _span(row_mass)
    fx = float((np.arange(columns) + 0.5) @ column_mass) / total / columns
    fy = float((np.arange(rows) + 0.5) @ row_mass) / total / rows
    return Subject((x0, y0, x1, y1), (fx, fy), "estimate", focus)
