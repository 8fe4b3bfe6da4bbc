"""A saliency map of a small RGB copy of the source: where a viewer looks, from 0 to 1.

Five features, each scaled to 0..1 and mixed by ``WEIGHTS``:

- **spectral residual** (Hou and Zhang, CVPR 2007) on the luminance and two opponent colour
  channels: what the picture's log spectrum does not predict from its neighbours is what stands
  out (an object on a plain or evenly textured ground), computed with numpy's FFT (OpenCV has it
  only in its contrib build);
- **colour rarity**, histogram contrast (Cheng et al., 2011): a colour far from the colours
  that cover most of the picture (the dark coat against a grey field, a red cup on wood);
- **skin** and **saturation**, as smartcrop.js scores them: a colour near the mean skin tone
  at a reasonable brightness; a vivid colour that is neither near black nor near white;
- **difference from the backdrop**: the distance from the median colour of the frame's border,
  weighted by how uniform that border is (strong for a product cut out on white, nothing for a
  photo whose border is as busy as its middle).

The mix is blurred and scaled to 0..1; ``agents.design.saliency`` turns it into mass.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["GRID_SIDE", "WEIGHTS", "saliency_grid"]

GRID_SIDE = 96
"""The map's long side in cells."""
WEIGHTS = {"residual": 1.0, "rarity": 1.0, "skin": 0.6, "saturation": 0.5, "backdrop": 1.5}
RARITY_LEVELS = 6
"""Colours are counted in this many levels per channel for the rarity score."""
SKIN_RGB = np.array([0.78, 0.57, 0.44], dtype=np.float32)
SKIN_THRESHOLD = 0.8
SATURATION_THRESHOLD = 0.4


def _normalised(values: np.ndarray) -> np.ndarray:
    top = float(values.max())
    return values / top if top > 0 else values


def _residual(channel: np.ndarray) -> np.ndarray:
    spectrum = np.fft.fft2(channel)
    log_amplitude = np.log(np.abs(spectrum) + 1e-9).astype(np.float32)
    residual = log_amplitude - cv2.blur(log_amplitude, (3, 3))
    back = np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))
    energy = (np.abs(back) ** 2).astype(np.float32)
    energy[[0, -1], :] = 0  # the transform wraps around: the frame itself is not salient
    energy[:, [0, -1]] = 0
    return _normalised(cv2.GaussianBlur(energy, (0, 0), 2.5))


def _skin(rgb: np.ndarray, luma: np.ndarray) -> np.ndarray:
    direction = rgb / (np.linalg.norm(rgb, axis=-1, keepdims=True) + 1e-6)
    likeness = 1.0 - np.linalg.norm(direction - SKIN_RGB / np.linalg.norm(SKIN_RGB), axis=-1)
    score = np.clip((likeness - SKIN_THRESHOLD) / (1 - SKIN_THRESHOLD), 0, 1)
    return np.asarray(score * ((luma >= 0.2) & (luma <= 1.0)), dtype=np.float32)


def _saturation(rgb: np.ndarray, luma: np.ndarray) -> np.ndarray:
    high, low = rgb.max(axis=-1), rgb.min(axis=-1)
    lightness = (high + low) / 2
    spread = high - low
    denominator = np.where(lightness > 0.5, 2.0 - high - low, high + low) + 1e-6
    saturation = spread / denominator
    score = np.clip((saturation - SATURATION_THRESHOLD) / (1 - SATURATION_THRESHOLD), 0, 1)
    return np.asarray(score * ((luma >= 0.05) & (luma <= 0.9)), dtype=np.float32)


def _palette_distances() -> np.ndarray:
    levels = (np.arange(RARITY_LEVELS, dtype=np.float32) + 0.5) / RARITY_LEVELS
    centres = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(-1, 3)
    return np.asarray(np.linalg.norm(centres[:, None, :] - centres[None, :, :], axis=-1))


_DISTANCES = _palette_distances()


def _rarity(rgb: np.ndarray) -> np.ndarray:
    """Histogram contrast (Cheng et al., 2011): a colour's distance from every other colour in
    the picture, weighted by how much of the picture has it; a rare colour scores high."""
    quantised = np.minimum((rgb * RARITY_LEVELS).astype(np.int64), RARITY_LEVELS - 1)
    index = (quantised[..., 0] * RARITY_LEVELS + quantised[..., 1]) * RARITY_LEVELS \
        + quantised[..., 2]
    share = np.bincount(index.ravel(), minlength=RARITY_LEVELS ** 3) / index.size
    return _normalised((_DISTANCES @ share)[index].astype(np.float32))


def _backdrop(rgb: np.ndarray) -> np.ndarray:
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    median = np.median(border, axis=0)
    spread = float(border.std(axis=0).max()) * 255
    uniform = max(0.0, 1.0 - spread / 24.0)  # 1 for a flat backdrop, 0 for a busy frame
    distance = np.abs(rgb - median).max(axis=-1)
    return np.asarray(distance * uniform, dtype=np.float32)


def saliency_grid(rgb: np.ndarray) -> np.ndarray:
    """How salient each pixel of ``rgb`` (``float32`` 0..1, about ``GRID_SIDE`` on its long
    side) is, from 0 to 1."""
    luma = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    opponents = (rgb[..., 0] - rgb[..., 1], rgb[..., 2] - (rgb[..., 0] + rgb[..., 1]) / 2)
    residual = _residual(luma) + 0.5 * sum(_residual(o) for o in opponents)
    mixed = (WEIGHTS["residual"] * _normalised(residual)
             + WEIGHTS["rarity"] * _rarity(rgb)
             + WEIGHTS["skin"] * _skin(rgb, luma)
             + WEIGHTS["saturation"] * _saturation(rgb, luma)
             + WEIGHTS["backdrop"] * _backdrop(rgb)).astype(np.float32)
    return _normalised(cv2.GaussianBlur(mixed, (0, 0), 1.5))
