"""Every layout (band, split, collage, typographic) with a brand kit: its text inside the safe
zone and readable (WCAG), the brand applied, and a golden image.

The goldens are 100x150 thumbnails in ``fixtures/images/golden/layout-*.png``, compared with a
tolerance (mean absolute difference per channel), not byte for byte.
``python tests/test_layouts.py`` rewrites them after a deliberate change.
"""

from __future__ import annotations

import sys
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pinterest_agent.agents.design.brand import BrandKit  # noqa: E402
from pinterest_agent.agents.design.contrast import contrast_ratio, hex_to_rgb  # noqa: E402
from pinterest_agent.agents.design.designer import DesignSpec, FocalPoint, Layout  # noqa: E402
from pinterest_agent.agents.design.imaging import RenderedImage  # noqa: E402
from pinterest_agent.agents.design.layouts import PinLayout, compose_layout  # noqa: E402
from pinterest_agent.agents.design.saliency import estimate_subject  # noqa: E402
from pinterest_agent.agents.design.scene_map import PINTEREST  # noqa: E402
from pinterest_agent.agents.design.sources import load_source  # noqa: E402

IMAGES = ROOT / "fixtures" / "images"
GOLDEN = IMAGES / "golden"
GOLDEN_SIZE = (100, 150)
GOLDEN_TOLERANCE = 4.0
LOGO = ROOT / "fixtures" / "feeds" / "logo.png"
PHOTOS = {
    PinLayout.BAND: ["portrait.jpg"],
    PinLayout.SPLIT: ["offcentre.jpg"],
    PinLayout.COLLAGE: ["portrait.jpg", "landscape.jpg", "offcentre.jpg"],
    PinLayout.TYPOGRAPHIC: [],
}
BRAND = BrandKit(name="Linen & Sage", domain="shop.example.com", primary="#2E5E4E",
                 accent="#B5651D", background="#F4EFE6", logo_png=LOGO.read_bytes())
SPEC = DesignSpec(headline="Linen that gets softer every wash", layout=Layout.BAND_BOTTOM,
                  palette=["#1F3A4D", "#E8EEF2"], dominant_color="#E8EEF2",
                  focal_point=FocalPoint(x=0.5, y=0.5), subject=None, image_prompt=None)


def render(layout: PinLayout, brand: BrandKit | None = BRAND) -> RenderedImage:
    sources = [load_source((IMAGES / name).read_bytes(), PINTEREST.size)
               for name in PHOTOS[layout]]
    subjects = [estimate_subject(source.image) for source in sources]
    return compose_layout(layout, sources, subjects, SPEC, PINTEREST, kind="how-to",
                          brand=brand)


def pixels(rendered: RenderedImage) -> Image.Image:
    return Image.open(BytesIO(rendered.data)).convert("RGB")


def thumbnail(image: Image.Image) -> Image.Image:
    return image.resize(GOLDEN_SIZE, Image.Resampling.BOX)


def inside(box: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    return box[0] >= outer[0] and box[1] >= outer[1] and box[2] <= outer[2] \
        and box[3] <= outer[3]


@pytest.mark.parametrize("layout", list(PinLayout))
def test_every_text_is_inside_the_safe_zone_and_readable(layout: PinLayout) -> None:
    # Given a layout rendered with the brand kit
    rendered = render(layout)
    image = pixels(rendered)
    # Then it is a 1000x1500 Pin, it says which layout it is, and it has a headline and the
    # brand's signature
    assert (rendered.width, rendered.height) == PINTEREST.size
    assert rendered.pin_layout == layout.value
    assert len(rendered.texts) >= 2
    # And every piece of text lies inside the safe zone, on a colour it reads on (WCAG >= 4.5),
    # checked on the pixels: the text's declared background is what surrounds it
    for placed in rendered.texts:
        assert inside(placed.box, PINTEREST.safe_box()), (layout, placed.box)
        assert contrast_ratio(placed.colour, placed.background) >= PINTEREST.min_contrast_ratio
        x0, y0, x1, y1 = placed.box
        ring = [image.getpixel((x0 - 3, (y0 + y1) // 2)), image.getpixel((x1 + 3, (y0 + y1) // 2))]
        for pixel in ring:
            assert isinstance(pixel, tuple)
            assert max(abs(a - b) for a, b in zip(pixel, placed.background, strict=True)) <= 24


@pytest.mark.parametrize("layout", list(PinLayout))
def test_golden_images(layout: PinLayout) -> None:
    # Given the committed golden thumbnail of the layout
    golden = GOLDEN / f"layout-{layout.value}.png"
    assert golden.is_file(), f"missing {golden}: run python tests/test_layouts.py"
    # When it is rendered again, then it looks the same (within JPEG noise)
    diff = ImageChops.difference(thumbnail(pixels(render(layout))),
                                 Image.open(golden).convert("RGB"))
    assert max(ImageStat.Stat(diff).mean) <= GOLDEN_TOLERANCE


def test_the_brand_kit_is_applied_to_every_layout() -> None:
    # Given the same layouts without and with a brand kit
    for layout in PinLayout:
        plain = render(layout, brand=None)
        branded = render(layout)
        # Then the branded one carries the logo's colour and the brand's primary colour
        image = pixels(branded)
        primary = hex_to_rgb(BRAND.primary)
        near = [p for p in image.resize((200, 300)).get_flattened_data()
                if max(abs(a - b) for a, b in zip(p, primary, strict=True)) <= 12]
        assert len(near) > 200, layout
        assert branded.data != plain.data


def test_a_brand_font_is_used(tmp_path: Path) -> None:
    from pinterest_agent.agents.design.overlay import FONT_FILE
    from pinterest_agent.agents.design.typeset import fit_text

    # Given a brand kit whose font is a different face (the bundled font at another path is
    # the only TTF the suite ships, so compare metrics of the same text)
    font_bytes = (ROOT / "agents" / "design" / "fonts" / FONT_FILE).read_bytes()
    kit = BRAND.model_copy(update={"font": font_bytes})
    font, lines = fit_text("Linen", 500, sizes=(80, 40), max_lines=1, font_data=kit.font)
    assert lines == ["Linen"] and font.size == 80
    with pytest.raises(ValueError, match="not a readable TrueType"):
        BrandKit(font=b"not a font")
    with pytest.raises(ValueError, match="must be a PNG"):
        buffer = BytesIO()
        Image.new("RGB", (10, 10)).save(buffer, "JPEG")
        BrandKit(logo_png=buffer.getvalue())


def test_the_typographic_decoration_stays_clear_of_the_text() -> None:
    rendered = render(PinLayout.TYPOGRAPHIC)
    image = pixels(rendered)
    accent = hex_to_rgb(BRAND.accent)
    for placed in rendered.texts:
        x0, y0, x1, y1 = placed.box
        crop = image.crop((x0, y0, x1, y1)).resize((40, 10))
        assert not any(max(abs(a - b) for a, b in zip(p, accent, strict=True)) <= 10
                       for p in crop.get_flattened_data())


def write_goldens() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for layout in PinLayout:
        path = GOLDEN / f"layout-{layout.value}.png"
        thumbnail(pixels(render(layout))).save(path, optimize=True)
        print("wrote", path)


if __name__ == "__main__":
    write_goldens()
