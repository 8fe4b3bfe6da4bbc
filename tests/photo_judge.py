"""The judge of a rendered Pin, written apart from the code it judges and sharing nothing with it.

- **Faces**: OpenCV's bundled frontal-face Haar cascade (``haarcascade_frontalface_default``,
  the detector the issue names), confirmed by its ``alt2`` sibling (either alone finds "faces"
  in coins and bricks), with the same parameters everywhere. Run on the part of the source the
  Pin shows, resampled to the size the Pin shows it and through the same JPEG encoder, every
  face it finds must be found again in the Pin's photo where it landed (intersection over union
  at least ``FACE_IOU``): only what was drawn over it can make it lose one. Run on the whole
  source at full size, it also counts the faces the crop cuts or leaves out.
- **Saliency**: frequency-tuned salient region detection (Achanta, Hemami, Estrada and
  Süsstrunk, CVPR 2009) with scikit-image: each pixel's distance in CIELAB from the picture's
  mean colour, on a slightly blurred copy; the salient mass is the part of the map above its
  mean (the paper's adaptive threshold, twice the mean, leaves nothing of a picture as varied as
  the astronaut portrait). The code under test uses a spectral residual, histogram contrast and
  smartcrop's scores, so the judge is not the thing judged. Of the salient mass inside the part
  shown, the share *not* under the band (or any text box) is ``clear``.
- **Where the photo went** is what the render reports (``crop_box``: the part of the source
  shown, as fractions; ``photo_box``: where it lies in the Pin), checked against the pixels: the
  source's part, resampled into that box, must match the Pin outside the text (``placement_error``,
  the mean absolute difference, at most ``PLACEMENT_TOLERANCE``), so a render cannot misreport
  it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from io import BytesIO

import cv2
import numpy as np
from PIL import Image
from skimage.color import rgb2lab
from skimage.filters import gaussian

__all__ = [
    "FACE_IOU",
    "PLACEMENT_TOLERANCE",
    "Verdict",
    "detect_faces",
    "judge",
    "judge_saliency",
]

FACE_IOU = 0.3
CONFIRM_IOU = 0.4
PLACEMENT_TOLERANCE = 14.0
SALIENCY_SIDE = 320
"""The judge's saliency map is computed with the long side at this many pixels."""
FaceBox = tuple[int, int, int, int]
Frac = tuple[float, float, float, float]


@cache
def _cascade(name: str) -> cv2.CascadeClassifier:
    return cv2.CascadeClassifier(cv2.data.haarcascades + name)  # type: ignore[attr-defined]


def _found(name: str, grey: np.ndarray, neighbours: int, side: int,
           largest: int | None = None) -> list[FaceBox]:
    found = _cascade(name).detectMultiScale(
        grey, scaleFactor=1.1, minNeighbors=neighbours, minSize=(side, side),
        maxSize=(largest, largest) if largest else (0, 0))
    return [(int(x), int(y), int(x + w), int(y + h)) for x, y, w, h in found]


def detect_faces(image: Image.Image, *, min_side: int | None = None) -> list[FaceBox]:
    """Faces as ``(x0, y0, x1, y1)`` pixels: what the default frontal cascade finds (scale step
    1.1, 5 neighbours, at least a twentieth of the short side) and the ``alt2`` frontal cascade
    confirms in a window a third of the face larger on each side (3 neighbours, overlap at least
    ``CONFIRM_IOU``). Either cascade alone finds faces in coins, bricks and grass at this size;
    both agree on few of those."""
    grey = cv2.equalizeHist(np.asarray(image.convert("L")))
    side = min_side or max(40, min(image.size) // 20)
    faces = []
    for face in _found("haarcascade_frontalface_default.xml", grey, 5, side):
        w = face[2] - face[0]
        x0, y0 = max(0, face[0] - w // 3), max(0, face[1] - w // 3)
        window = grey[y0:face[3] + w // 3, x0:face[2] + w // 3]
        confirming = [(a + x0, b + y0, c + x0, d + y0) for a, b, c, d in _found(
            "haarcascade_frontalface_alt2.xml", window, 3, int(w * 0.6), int(w * 1.6))]
        if any(_iou(face, other) >= CONFIRM_IOU for other in confirming):
            faces.append(face)
    return faces


def judge_saliency(image: Image.Image) -> np.ndarray:
    """Frequency-tuned saliency, long side ``SALIENCY_SIDE``: the map's excess over its mean."""
    scale = SALIENCY_SIDE / max(image.size)
    small = image.convert("RGB").resize(
        (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
        Image.Resampling.BOX)
    lab = rgb2lab(gaussian(np.asarray(small) / 255.0, sigma=1.0, channel_axis=-1))
    mean = lab.reshape(-1, 3).mean(axis=0)
    saliency = np.sqrt(((lab - mean) ** 2).sum(axis=-1))
    return np.clip(saliency - saliency.mean(), 0.0, None)


def _iou(a: FaceBox | Frac, b: FaceBox | Frac) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union if union > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Verdict:
    faces_in_source: int
    """Faces the cascade finds in the part of the source the Pin shows, at the size the Pin
    shows it (so a face is not lost to the detector's sensitivity to scale)."""
    faces_kept: int
    """Of those, how many it finds again in the Pin, where they landed."""
    faces_outside_crop: int
    """Faces found in the whole source (at full size) that the crop cuts or leaves out."""
    clear: float
    """The share of the salient mass inside the part shown that no band or text covers."""
    kept_mass: float
    """The share of the source's salient mass inside the part shown."""
    placement_error: float

    @property
    def passed(self) -> bool:
        return (self.faces_kept == self.faces_in_source and self.clear >= 0.9
                and self.placement_error <= PLACEMENT_TOLERANCE)


def _jpeg(image: Image.Image) -> Image.Image:
    """``image`` through the JPEG encoder at the Pin's quality, as the Pin's pixels went."""
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return Image.open(BytesIO(buffer.getvalue())).convert("RGB")


def _mask_out(size: tuple[int, int], covers: list[tuple[int, int, int, int]]) -> np.ndarray:
    mask = np.zeros((size[1], size[0]), dtype=bool)
    for x0, y0, x1, y1 in covers:
        mask[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = True
    return mask


def judge(source: Image.Image, pin: Image.Image, *, crop_box: Frac,
          photo_box: tuple[int, int, int, int], covers: list[tuple[int, int, int, int]],
          cropped_faces: bool = True) -> Verdict:
    """``crop_box``: the part of ``source`` shown (fractions); ``photo_box``: where it lies in
    ``pin`` (pixels); ``covers``: the band and every text box (pixels); ``cropped_faces``: also
    count the faces of the whole source the crop cuts (a full-size detection, the slowest step).
    """
    sw, sh = source.size
    cx0, cy0, cx1, cy1 = crop_box[0] * sw, crop_box[1] * sh, crop_box[2] * sw, crop_box[3] * sh
    px0, py0, px1, py1 = photo_box
    sx, sy = (px1 - px0) / (cx1 - cx0), (py1 - py0) / (cy1 - cy0)

    outside = 0
    for face in detect_faces(source) if cropped_faces else []:
        inter = (max(0.0, min(face[2], cx1) - max(face[0], cx0))
                 * max(0.0, min(face[3], cy1) - max(face[1], cy0)))
        if inter < 0.9 * (face[2] - face[0]) * (face[3] - face[1]):
            outside += 1
    part = source.convert("RGB").resize((max(1, px1 - px0), max(1, py1 - py0)),
                                        Image.Resampling.LANCZOS, box=(cx0, cy0, cx1, cy1))
    side = max(40, min(pin.size) // 20)
    in_part = detect_faces(_jpeg(part), min_side=side)
    pin_faces = detect_faces(pin.convert("RGB").crop(photo_box), min_side=side)
    kept = sum(1 for face in in_part
               if any(_iou(face, found) >= FACE_IOU for found in pin_faces))

    saliency = judge_saliency(source)
    mh, mw = saliency.shape
    ys, xs = np.mgrid[0:mh, 0:mw]
    fx = (xs + 0.5) / mw * sw  # each map cell's centre in source pixels
    fy = (ys + 0.5) / mh * sh
    inside = (fx >= cx0) & (fx < cx1) & (fy >= cy0) & (fy < cy1)
    total = float(saliency.sum())
    shown = float(saliency[inside].sum())
    qx = np.clip(((fx - cx0) * sx + px0).astype(int), 0, pin.width - 1)
    qy = np.clip(((fy - cy0) * sy + py0).astype(int), 0, pin.height - 1)
    covered_mask = _mask_out(pin.size, covers)[qy, qx] & inside
    covered = float(saliency[covered_mask].sum())
    clear = 1.0 - covered / shown if shown > 0 else 1.0

    region = pin.convert("RGB").crop(photo_box)
    visible = ~_mask_out(pin.size, covers)[py0:py1, px0:px1]
    diff = np.abs(np.asarray(part, dtype=np.int16) - np.asarray(region, dtype=np.int16))
    error = float(diff[visible].mean()) if visible.any() else 0.0
    return Verdict(len(in_part), kept, outside, clear, shown / total if total > 0 else 1.0,
                   error)
