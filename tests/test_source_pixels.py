"""Source pixels that used to come out wrong without an error: 16-bit greyscale, every kind of
transparency, colour profiles, sources too small for a Pin, truncated files, error wording.

Each case renders a committed fixture (``fixtures/images/make_images.py``) through ``render`` or
``draft_post`` and reads pixels back from the encoded Pin, away from the headline band.
"""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image, ImageCms

from pinterest_agent.agents.design.designer import DesignSpec, FocalPoint, Layout
from pinterest_agent.agents.design.imaging import (
    RenderedImage,
    SourceNotAnImageError,
    SourceTooLargeError,
    render,
)
from pinterest_agent.agents.design.scene_map import PINTEREST
from pinterest_agent.agents.drafting import draft_post
from pinterest_agent.agents.llm import ScriptedLLM
from pinterest_agent.errors import InvalidInputError, PermanentError
from tests.conftest_llm import IMAGES, FixtureFetcher, load_brief

RED = (230, 40, 40)
WHITE = (255, 255, 255)


def spec(**changes: object) -> DesignSpec:
    values: dict[str, object] = {
        "headline": "Small balcony, big garden", "layout": Layout.BAND_TOP,
        "palette": ["#2E5E4E"], "dominant_color": "#2E5E4E",
        "focal_point": FocalPoint(x=0.5, y=0.5), "subject": None, "image_prompt": None,
    }
    values.update(changes)
    return DesignSpec.model_construct(**values)  # type: ignore[arg-type]


def rendered(name: str) -> tuple[RenderedImage, Image.Image]:
    result = render((IMAGES / name).read_bytes(), spec(), PINTEREST)
    return result, Image.open(BytesIO(result.data))


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    value = image.convert("RGB").getpixel(xy)
    assert isinstance(value, tuple)
    return (int(value[0]), int(value[1]), int(value[2]))


def outside_band(result: RenderedImage, xy: tuple[int, int]) -> tuple[int, int]:
    left, top, right, bottom = result.band_box
    assert not (left <= xy[0] <= right and top <= xy[1] <= bottom), "sample point under the band"
    return xy


# -- 16-bit greyscale --------------------------------------------------------------------------


def test_16_bit_greyscale_is_scaled_to_8_bits_not_clipped_to_white() -> None:
    # Given a 16-bit greyscale PNG: left half 16384, right half 49152 of 65535
    assert Image.open(IMAGES / "grey16.png").mode.startswith("I")
    # When rendered
    result, image = rendered("grey16.png")
    # Then the halves are 8-bit 64 and 192 (they were both clipped to 255 before)
    assert pixel(image, outside_band(result, (200, 1350))) == pytest.approx((64, 64, 64), abs=3)
    assert pixel(image, outside_band(result, (800, 1350))) == pytest.approx((192, 192, 192),
                                                                              abs=3)


# -- transparency ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["trns_rgb.png", "trns_grey.png", "palette_trns.png", "la.png",
                                  "transparent.gif"])
def test_every_kind_of_transparency_is_flattened_onto_white(name: str) -> None:
    # Given a source whose background is transparent (tRNS on RGB or grey, a palette index,
    # an alpha channel, a GIF transparent colour) around an opaque disc
    # When rendered
    result, image = rendered(name)
    # Then the transparent background is white, never black
    for xy in [(40, 1450), (960, 1450), (40, 500), (960, 500)]:
        assert pixel(image, outside_band(result, xy)) == pytest.approx(WHITE, abs=3), xy
    # And the disc in the middle keeps its own colour
    assert pixel(image, (500, 750)) != pytest.approx(WHITE, abs=20)


def test_red_disc_on_transparent_rgb_keeps_its_colour() -> None:
    _result, image = rendered("trns_rgb.png")
    assert pixel(image, (500, 750)) == pytest.approx(RED, abs=6)


# -- colour profiles ---------------------------------------------------------------------------


def test_display_p3_photo_is_converted_to_srgb() -> None:
    # Given a Display-P3 JPEG of an orange that is sRGB (217, 80, 45), stored as P3 (199, 90, 59)
    # When rendered
    result, image = rendered("p3.jpg")
    # Then the Pin shows the sRGB orange, not the P3 numbers read as sRGB
    assert pixel(image, outside_band(result, (500, 1350))) == pytest.approx((217, 80, 45), abs=4)
    assert result.source_profile is not None and "P3" in result.source_profile


def test_cmyk_with_an_embedded_profile_is_converted_through_it() -> None:
    # Given a CMYK JPEG of cyan ink alone, with a profile that prints cyan as sRGB (0, 160, 220)
    # When rendered
    result, image = rendered("cmyk.jpg")
    # Then the Pin shows the profile's cyan, not the naive (0, 255, 255)
    assert pixel(image, outside_band(result, (500, 1350))) == pytest.approx((0, 160, 220), abs=12)


def test_the_output_is_tagged_srgb() -> None:
    _, image = rendered("p3.jpg")
    icc = image.info.get("icc_profile")
    assert icc, "the rendered JPEG carries no ICC profile"
    description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(BytesIO(icc)))
    assert "sRGB" in description


def test_an_unreadable_profile_is_ignored_not_fatal() -> None:
    # Given a JPEG with an embedded "profile" that is garbage
    buffer = BytesIO()
    Image.new("RGB", (400, 600), (90, 140, 60)).save(buffer, "JPEG", quality=95,
                                                     icc_profile=b"not an icc profile" * 8)
    # When rendered, then it is rendered as sRGB
    result = render(buffer.getvalue(), spec(), PINTEREST)
    image = Image.open(BytesIO(result.data))
    assert pixel(image, outside_band(result, (500, 1350))) == pytest.approx((90, 140, 60), abs=4)


# -- sources too small or too thin -------------------------------------------------------------


def png(size: tuple[int, int], colour: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("size", [(1, 1), (120, 80), (10_000, 3), (399, 900), (2400, 500)])
def test_sources_too_small_or_too_thin_for_a_pin_are_refused(size: tuple[int, int]) -> None:
    # Given a source too small (a 1x1, 120x80, a 399 px side) or too thin (10000x3, 4.8:1)
    # When rendered, then it is a permanent, typed error saying how big it must be
    with pytest.raises(InvalidInputError) as info:
        render(png(size), spec(), PINTEREST)
    assert info.value.code == "source_too_small"
    assert isinstance(info.value, PermanentError)
    assert "at least 400 px" in info.value.message or "at most 4:1" in info.value.message


def test_a_source_too_small_to_crop_is_shown_whole_not_stretched() -> None:
    # Given a 400x400 source with an 8 px black frame: a 2:3 crop of it would be upscaled 3.75x
    buffer = BytesIO()
    square = Image.new("RGB", (400, 400), (0, 0, 0))
    square.paste((30, 90, 160), (8, 8, 392, 392))
    square.save(buffer, "PNG")
    # When rendered
    result = render(buffer.getvalue(), spec(layout=Layout.BAND_BOTTOM), PINTEREST)
    image = Image.open(BytesIO(result.data))
    # Then the whole picture is shown at 2.5x (1000x1000), frame and all (the band may cover
    # one side of the frame, never the middle)
    assert result.fit == "contain"
    assert result.source_crop == (0.0, 0.0, 1.0, 1.0)
    x0, y0, x1, y1 = result.photo_box
    assert (x1 - x0, y1 - y0) == (1000, 1000)
    _left, top, _right, bottom = result.band_box
    middle = (y0 + y1) // 2
    assert not top <= middle <= bottom
    frame = [(10, middle), (990, middle), (500, y0 + 10), (500, y1 - 10)]  # 20 px wide
    visible = [(x, y) for x, y in frame if not top <= y <= bottom]
    assert len(visible) >= 3
    for xy in visible:
        assert pixel(image, xy) == pytest.approx((0, 0, 0), abs=30), xy
    assert pixel(image, (500, middle)) == pytest.approx((30, 90, 160), abs=8)
    # And around it is a soft backdrop, not more of the picture stretched
    for xy in [(500, y0 - 40) if y0 >= 40 else (500, y1 + 40)]:
        assert pixel(image, xy) != pytest.approx((0, 0, 0), abs=30), xy
        assert pixel(image, xy) != pytest.approx((30, 90, 160), abs=4), xy


# -- errors: precise numbers, no LLM call for a damaged file -----------------------------------


def test_pixel_limit_message_is_precise_enough() -> None:
    # Given a header claiming 8700x5760 (50.1 MP)
    from tests.test_imaging import lying_png

    # When opened, then the message does not round it down to the 50 MP limit it exceeds
    with pytest.raises(SourceTooLargeError) as info:
        render(lying_png(8700, 5760), spec(), PINTEREST)
    assert "(50.1 MP)" in info.value.message and "50.0 MP limit" in info.value.message


def truncated(name: str, keep: float) -> bytes:
    data = (IMAGES / name).read_bytes()
    return data[: int(len(data) * keep)]


def big_png() -> bytes:
    buffer = BytesIO()
    Image.effect_noise((600, 900), 60).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("story", ["jpeg", "png"])
def test_a_truncated_source_fails_before_any_llm_call(story: str) -> None:
    # Given a brief whose source is a JPEG or PNG cut off halfway (the header is intact)
    data = truncated("portrait.jpg", 0.5) if story == "jpeg" else big_png()[:20_000]
    url = f"https://images.example.com/cut.{story}"
    brief = load_brief("product").model_copy(update={"source_image_urls": [url]})
    llm = ScriptedLLM()  # records every call; none is queued
    # When it is drafted
    with pytest.raises(SourceNotAnImageError) as info:
        draft_post(brief, llm=llm, fetcher=FixtureFetcher({url: data}))
    # Then it fails as a damaged image and no LLM call was paid for
    assert info.value.code == "source_not_an_image"
    assert llm.calls == []
