"""Preparing a 1000x1500 Pin image from 24-megapixel JPEGs, side by side in one run.

    python benchmarks/imaging.py [--repeat 7]

For a generated 4000x6000 portrait and 6000x4000 landscape JPEG (made in a temporary directory,
never committed) it times, with the median of several repetitions:

- ``ours``:  ``agents.design.imaging.open_source`` + ``prepare`` (JPEG draft mode, EXIF orientation,
  2:3 crop around the focal point, ``reducing_gap`` resize);
- ``naive``: ``ImageOps.fit(Image.open(...), (1000, 1500), Image.LANCZOS)`` on a full decode;
- ``bare``:  ``Image.open(...).load()``, the full decode alone;
- ``render``: the whole ``agents.design.imaging.render`` (prepare + headline band + JPEG encode).

Targets: ``ours`` at least 2x faster than ``naive`` on the portrait, and within 1.6x of ``bare``.
Figures are printed, never asserted: timing depends on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents.design.designer import DesignSpec, FocalPoint, Layout  # noqa: E402
from agents.design.imaging import open_source, prepare, render  # noqa: E402
from agents.design.scene_map import PINTEREST  # noqa: E402

TARGET = (1000, 1500)
SPEC = DesignSpec(headline="Small balcony, big garden", layout=Layout.BAND_BOTTOM,
                  palette=["#2E5E4E", "#F1F7F2"], dominant_color="#F1F7F2",
                  focal_point=FocalPoint(x=0.5, y=0.45), image_prompt=None)


def photo_like(size: tuple[int, int]) -> bytes:
    """A JPEG with photo-like entropy: gradients, shapes, blur and sensor-like noise."""
    width, height = size
    base = Image.merge("RGB", (
        Image.linear_gradient("L").resize(size),
        Image.radial_gradient("L").resize(size),
        Image.linear_gradient("L").rotate(90).resize(size),
    ))
    draw = ImageDraw.Draw(base)
    for i in range(40):
        x, y = (i * 7919) % width, (i * 104729) % height
        r = 80 + (i * 37) % 400
        draw.ellipse((x - r, y - r, x + r, y + r), fill=((i * 50) % 256, (i * 90) % 256, 120))
    base = base.filter(ImageFilter.GaussianBlur(3))
    noise = Image.effect_noise(size, 24).convert("RGB")
    picture = Image.blend(base, noise, 0.15)
    buffer = BytesIO()
    picture.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def ours(data: bytes) -> Image.Image:
    return prepare(open_source(data), TARGET, (0.5, 0.45)).image


def naive(data: bytes) -> Image.Image:
    return ImageOps.fit(Image.open(BytesIO(data)), TARGET, Image.Resampling.LANCZOS)


def bare(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


def full_render(data: bytes) -> object:
    return render(data, SPEC, PINTEREST)


def median_ms(func: Callable[[bytes], object], data: bytes, repeat: int) -> float:
    func(data)  # warm up (imports, font, caches)
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        func(data)
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pin-bench-") as tmp:
        sources = {}
        for name, size in (("portrait 4000x6000", (4000, 6000)),
                           ("landscape 6000x4000", (6000, 4000))):
            path = Path(tmp) / f"{size[0]}x{size[1]}.jpg"
            path.write_bytes(photo_like(size))
            sources[name] = path
        print(f"median of {args.repeat} runs, milliseconds")
        print(f"{'source':<28} {'ours':>7} {'naive':>7} {'bare':>7} {'render':>7}   "
              f"{'naive/ours':>10} {'ours/bare':>9}")
        for name, path in sources.items():
            data = path.read_bytes()
            times = {label: median_ms(func, data, args.repeat)
                     for label, func in (("ours", ours), ("naive", naive), ("bare", bare),
                                         ("render", full_render))}
            speedup = times["naive"] / times["ours"]
            vs_bare = times["ours"] / times["bare"]
            label = f"{name} ({len(data) / 1e6:.1f} MB)"
            print(f"{label:<28} {times['ours']:>7.1f} {times['naive']:>7.1f} "
                  f"{times['bare']:>7.1f} {times['render']:>7.1f}   {speedup:>9.1f}x "
                  f"{vs_bare:>8.2f}x")
        print("targets: naive/ours >= 2.0x on the portrait; ours/bare <= 1.6x")


if __name__ == "__main__":
    main()
