"""Draft a Pin from every photo of the judged set and write a contact sheet for a person to look
at, with the per-photo table of the judge's verdicts.

    python benchmarks/contact_sheet.py [--out crops-contact-sheet.png] [--blind] [--only NAME ...]

Each photo (``tests/photo_set.py``: the real photos scikit-image ships, a few made from them,
synthetic cut-outs, a poster and a screenshot) is drafted the way ``pinterest-agent draft`` does
against the sandbox (``tests/photo_drafts.py``; ``--blind``: a model that cannot see, so no
subject box), and judged by ``tests/photo_judge.py``: OpenCV's frontal-face Haar cascade on the
source and on the Pin, and frequency-tuned saliency (scikit-image) that the code under test does
not use. The sheet shows, for each photo, the source (the part the Pin shows outlined) and the
Pin, with the judge's faces (green: found again in the Pin; red: lost) and a caption: faces
found in the source / still found in the Pin, the salient mass clear of the band, and the
design the placement chose.

The table is printed as Markdown (for docs/benchmarks.md); the script exits 1 when a photo
fails (a face lost, less than 90 % of the salient mass clear, or the reported placement not
matching the pixels).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.photo_drafts import Drafted, draft_photo  # noqa: E402
from tests.photo_judge import Verdict, detect_faces, judge  # noqa: E402
from tests.photo_set import PHOTOS  # noqa: E402

CELL_H = 300
COLUMNS = 4
CAPTION_H = 46
FONT = ROOT / "pinterest_agent" / "agents" / "design" / "fonts" / "DejaVuSans-Bold.ttf"


def _scaled(image: Image.Image, height: int) -> tuple[Image.Image, float]:
    scale = height / image.height
    return image.resize((max(1, round(image.width * scale)), height),
                        Image.Resampling.LANCZOS), scale


def cell(name: str, drafted: Drafted, verdict: Verdict) -> Image.Image:
    source, s_scale = _scaled(drafted.source, CELL_H)
    if source.width > 2 * CELL_H:
        source, s_scale = _scaled(drafted.source, round(CELL_H * 2 * CELL_H / source.width))
    pin, p_scale = _scaled(drafted.pin, CELL_H)
    width = source.width + pin.width + 12
    out = Image.new("RGB", (width, CELL_H + CAPTION_H), (255, 255, 255))
    out.paste(source, (0, (CELL_H - source.height) // 2))
    out.paste(pin, (source.width + 12, 0))
    draw = ImageDraw.Draw(out)
    sw, sh = drafted.source.size
    c = drafted.crop_box
    top = (CELL_H - source.height) // 2
    draw.rectangle((c[0] * sw * s_scale, top + c[1] * sh * s_scale, c[2] * sw * s_scale,
                    top + c[3] * sh * s_scale), outline=(255, 200, 0), width=2)
    found = detect_faces(drafted.pin)
    for x0, y0, x1, y1 in found:
        left = source.width + 12
        draw.rectangle((left + x0 * p_scale, y0 * p_scale, left + x1 * p_scale, y1 * p_scale),
                       outline=(0, 200, 0), width=2)
    for x0, y0, x1, y1 in detect_faces(drafted.source):
        draw.rectangle((x0 * s_scale, top + y0 * s_scale, x1 * s_scale, top + y1 * s_scale),
                       outline=(0, 200, 0) if verdict.faces_kept == verdict.faces_in_source
                       else (220, 0, 0), width=2)
    font = ImageFont.truetype(str(FONT), 13)
    placement = drafted.image.pin_layout + (f"/{drafted.image.fit}"
                                            if drafted.image.fit != "cover" else "")
    colour = (0, 110, 0) if verdict.passed else (200, 0, 0)
    draw.text((4, CELL_H + 4), f"{name}  [{placement}]", font=font, fill=(20, 20, 20))
    draw.text((4, CELL_H + 24), f"faces {verdict.faces_kept}/{verdict.faces_in_source}  "
              f"clear {verdict.clear:.0%}  {'pass' if verdict.passed else 'FAIL'}",
              font=font, fill=colour)
    return out


def sheet(cells: list[Image.Image]) -> Image.Image:
    rows = [cells[i:i + COLUMNS] for i in range(0, len(cells), COLUMNS)]
    width = max(sum(c.width for c in row) + 16 * (len(row) + 1) for row in rows)
    height = sum(max(c.height for c in row) + 16 for row in rows) + 16
    out = Image.new("RGB", (width, height), (235, 235, 235))
    y = 16
    for row in rows:
        x = 16
        for each in row:
            out.paste(each, (x, y))
            x += each.width + 16
        y += max(c.height for c in row) + 16
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("crops-contact-sheet.png"))
    parser.add_argument("--blind", action="store_true", help="no vision: no subject box")
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    cells, failed = [], 0
    print("| photo | origin | faces in source | still found in the Pin | salient mass clear "
          "| design |")
    print("|---|---|---|---|---|---|")
    started = time.perf_counter()
    for photo in PHOTOS:
        if args.only and photo.name not in args.only:
            continue
        drafted = draft_photo(photo.name, vision=not args.blind)
        verdict = judge(drafted.source, drafted.pin, crop_box=drafted.crop_box,
                        photo_box=drafted.photo_box, covers=drafted.covers)
        failed += not verdict.passed
        placement = drafted.image.pin_layout + (f" ({drafted.image.fit})"
                                                if drafted.image.fit != "cover" else "")
        lost = f" (+{verdict.faces_outside_crop} cropped)" if verdict.faces_outside_crop else ""
        print(f"| {photo.name} | {photo.origin} | {verdict.faces_in_source}{lost} | "
              f"{verdict.faces_kept} | {verdict.clear:.0%} | {placement} |"
              + ("" if verdict.passed else " **fail**")
              + ("" if verdict.placement_error <= 14 else
                 f" placement error {verdict.placement_error:.1f}"))
        cells.append(cell(photo.name, drafted, verdict))
    sheet(cells).save(args.out, optimize=True)
    print(f"\n{len(cells) - failed}/{len(cells)} passed; contact sheet: {args.out} "
          f"({time.perf_counter() - started:.0f} s)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
