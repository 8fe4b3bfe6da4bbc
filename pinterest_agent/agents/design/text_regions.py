"""Lines of text in a source (a poster, a screenshot, a page), so a crop never slices them and
no band covers them.

On the detectors' greyscale working copy: the morphological gradient (strokes light up), Otsu's
threshold, a closing with a flat horizontal kernel (letters of a line merge into one blob while
lines stay apart), then each blob's bounding box is a *line* when it is wide and flat (at least
``MIN_LINE_ASPECT`` times wider than tall, at most ``MAX_LINE_HEIGHT`` of the picture tall) and
part ink (``INK_RANGE`` of its box: solid bars and empty outlines are not text).

A source is **text-heavy** when it has at least ``HEAVY_MIN_LINES`` lines covering at least
``HEAVY_MIN_AREA`` of it: its text block (the lines' bounding box) must then be shown whole. The
lines of a photo that merely has some (a label, a sign) are left to the saliency map.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["HEAVY_MIN_AREA", "HEAVY_MIN_LINES", "TextRegions", "find_text"]

MIN_LINE_ASPECT = 3.0
MAX_LINE_HEIGHT = 0.08
MIN_LINE_WIDTH = 0.04
MIN_LINE_PX = 5
INK_RANGE = (0.2, 0.85)
HEAVY_MIN_LINES = 4
HEAVY_MIN_AREA = 0.05
Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class TextRegions:
    lines: tuple[Box, ...]
    """Each line's box, as fractions."""
    area: float
    """The share of the picture the lines cover."""

    @property
    def heavy(self) -> bool:
        return len(self.lines) >= HEAVY_MIN_LINES and self.area >= HEAVY_MIN_AREA

    @property
    def block(self) -> Box | None:
        """The box around every line, when the source is text-heavy."""
        if not self.heavy:
            return None
        return (min(b[0] for b in self.lines), min(b[1] for b in self.lines),
                max(b[2] for b in self.lines), max(b[3] for b in self.lines))


def find_text(grey: np.ndarray) -> TextRegions:
    """The lines of text in a ``uint8`` greyscale image."""
    height, width = grey.shape
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    gradient = cv2.morphologyEx(grey, cv2.MORPH_GRADIENT, kernel)
    _, ink = cv2.threshold(gradient, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    joined = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(
        cv2.MORPH_RECT, (max(5, width // 60), 1)))
    contours, _ = cv2.findContours(joined, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    lines: list[Box] = []
    covered = 0
    for contour in contours:
        x, y, w, h = (int(v) for v in cv2.boundingRect(contour))
        if (h < MIN_LINE_PX or h > MAX_LINE_HEIGHT * height or w < MIN_LINE_ASPECT * h
                or w < MIN_LINE_WIDTH * width):
            continue
        share = cv2.countNonZero(ink[y:y + h, x:x + w]) / (w * h)
        if not INK_RANGE[0] <= share <= INK_RANGE[1]:
            continue
        lines.append((x / width, y / height, (x + w) / width, (y + h) / height))
        covered += w * h
    lines.sort(key=lambda box: (box[1], box[0]))
    return TextRegions(tuple(lines), covered / (width * height))
