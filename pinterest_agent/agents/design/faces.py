"""Faces in a source photo, with OpenCV's frontal-face Haar cascades (shipped inside the
``opencv-python-headless`` wheel: no download, no model file of ours).

The default cascade runs on the detectors' working copy (``agents.design.saliency``: greyscale,
histogram-equalised, its short side ``DETECT_SHORT_SIDE`` px), never on the full-resolution
source: its 24 px window then finds faces down to about a thirteenth of the short side (smaller
ones are left to the saliency map's skin score), and a 24 MP photo of grass, texture everywhere
and the cascade's slowest case, costs it about 100 ms on a loaded 2-core machine. Thumbor's smart
crop takes the same first step (its focal points are OpenCV's faces, then features).
``SCALE_STEP`` 1.25 and ``NEIGHBOURS`` 3 favour finding a face over avoiding a false one; each
find is then looked at again by the ``alt2`` cascade in a window around it (cheap: a few scales
of a small patch). A face both agree on is ``confirmed``: the placement never crops it
or covers it. One only the first finds is kept as a *likely* face: it weighs in the saliency map
but does not bind (in coins, bricks and grass the first cascade alone finds "faces").

``CascadeClassifier`` is not safe to share between threads, so each thread loads its own (once).
OpenCV 5 removed the class: ``pyproject.toml`` pins ``opencv-python-headless<5``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "CASCADE",
    "CONFIRMING_CASCADE",
    "DETECT_SHORT_SIDE",
    "NEIGHBOURS",
    "SCALE_STEP",
    "Face",
    "find_faces",
    "head_box",
]

CASCADE = "haarcascade_frontalface_default.xml"
CONFIRMING_CASCADE = "haarcascade_frontalface_alt2.xml"
DETECT_SHORT_SIDE = 320
SCALE_STEP = 1.25
NEIGHBOURS = 3
MIN_FACE_PX = 24
Box = tuple[float, float, float, float]

_local = threading.local()


def _cascade(name: str) -> cv2.CascadeClassifier:
    loaded: dict[str, cv2.CascadeClassifier] = _local.__dict__.setdefault("cascades", {})
    if name not in loaded:
        cascade = cv2.CascadeClassifier(cv2.data.haarcascades + name)  # type: ignore[attr-defined]
        if cascade.empty():
            raise RuntimeError(f"OpenCV could not load its bundled {name}")
        loaded[name] = cascade
    return loaded[name]


@dataclass(frozen=True, slots=True)
class Face:
    box: Box
    """``(x0, y0, x1, y1)`` as fractions of the picture."""
    confirmed: bool
    """Both cascades found it."""


def _confirmed(grey: np.ndarray, x: int, y: int, w: int, h: int) -> bool:
    height, width = grey.shape
    pad = w // 3
    x0, y0 = max(0, x - pad), max(0, y - pad)
    patch = grey[y0:min(height, y + h + pad), x0:min(width, x + w + pad)]
    found = _cascade(CONFIRMING_CASCADE).detectMultiScale(
        patch, scaleFactor=1.1, minNeighbors=1, minSize=(int(w * 0.7), int(h * 0.7)),
        maxSize=(int(w * 1.45), int(h * 1.45)))
    return len(found) > 0


def find_faces(grey: np.ndarray) -> list[Face]:
    """Faces in an equalised ``uint8`` greyscale image."""
    height, width = grey.shape
    found = _cascade(CASCADE).detectMultiScale(grey, scaleFactor=SCALE_STEP,
                                               minNeighbors=NEIGHBOURS,
                                               minSize=(MIN_FACE_PX, MIN_FACE_PX))
    faces = []
    for x, y, w, h in (tuple(int(v) for v in face) for face in found):
        faces.append(Face((x / width, y / height, (x + w) / width, (y + h) / height),
                          _confirmed(grey, x, y, w, h)))
    return faces


def head_box(face: Box) -> Box:
    """The whole head around a face box (hair above, chin below, ears at the sides), clipped to
    the picture: what a band must keep clear of, not just the eyes."""
    x0, y0, x1, y1 = face
    w, h = x1 - x0, y1 - y0
    return (max(0.0, x0 - 0.2 * w), max(0.0, y0 - 0.45 * h), min(1.0, x1 + 0.2 * w),
            min(1.0, y1 + 0.25 * h))
