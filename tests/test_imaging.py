"""Imaging: fast 2:3 preparation, EXIF orientation, contrast, and every bad source a clear error."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from io import BytesIO

import httpx
import pytest
from PIL import Image

from pinterest_agent.agents.design.contrast import (
    BLACK,
    WHITE,
    contrast_ratio,
    hex_to_rgb,
    readable_pair,
)
from pinterest_agent.agents.design.designer import DesignSpec, FocalPoint, Layout
from pinterest_agent.agents.design.imaging import (
    RenderError,
    SourceNotAnImageError,
    SourceTooLargeError,
    crop_box,
    open_source,
    prepare,
    render,
)
from pinterest_agent.agents.design.overlay import choose_layout
from pinterest_agent.agents.design.saliency import Subject
from pinterest_agent.agents.design.scene_map import PINTEREST
from pinterest_agent.agents.design.sources import SourceRules, load_source
from pinterest_agent.agents.drafting import draft_post
from pinterest_agent.agents.llm import ScriptedLLM
from pinterest_agent.errors import PermanentError, WorkerError
from pinterest_agent.providers.netsafe import FetchFailedError, SafeFetcher, UnsafeURLError
from tests.conftest_llm import IMAGES, FixtureFetcher, load_brief

PUBLIC_IP = "93.184.215.14"
RED = (230, 40, 40)


def jpeg(size: tuple[int, int], colour: tuple[int, int, int] = (120, 160, 90)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def spec(**changes: object) -> DesignSpec:
    values: dict[str, object] = {
        "headline": "Small balcony, big garden", "layout": Layout.BAND_TOP,
        "palette": ["#FFD166"], "dominant_color": "#FFD166",
        "focal_point": FocalPoint(x=0.5, y=0.5), "subject": None, "image_prompt": None,
    }
    values.update(changes)
    return DesignSpec.model_construct(**values)  # type: ignore[arg-type]


# -- cropping and decoding ----------------------------------------------------------------------


@pytest.mark.parametrize("size", [(4000, 6000), (6000, 4000), (300, 450), (1000, 1000)])
@pytest.mark.parametrize("focal", [(0.0, 0.0), (0.5, 0.5), (1.0, 1.0), (0.9, 0.1)])
def test_crop_is_2_by_3_in_bounds_and_keeps_the_focal_point(
    size: tuple[int, int], focal: tuple[float, float]
) -> None:
    left, top, right, bottom = crop_box(size, 2 / 3, focal)
    assert (right - left) / (bottom - top) == pytest.approx(2 / 3)
    assert left >= 0 and right <= size[0] + 1e-9 and top >= 0 and bottom <= size[1] + 1e-9
    assert left <= focal[0] * size[0] <= right and top <= focal[1] * size[1] <= bottom


def at(x: float, y: float) -> Subject:
    return Subject((x, y, x, y), (x, y), "model")


def test_jpeg_draft_mode_decodes_a_24_megapixel_portrait_at_reduced_scale() -> None:
    # Given a 4000x6000 JPEG, when loaded and prepared for 1000x1500
    source = load_source(jpeg((4000, 6000)), (1000, 1500))
    prepared = prepare(source, (1000, 1500), at(0.5, 0.5))
    # Then the decoder was asked for 1/4 scale (1000x1500), not the full 24 MP
    assert source.image.size == (1000, 1500)
    assert prepared.image.size == (1000, 1500) and prepared.source_size == (4000, 6000)


def test_landscape_subject_on_the_right_stays_in_frame() -> None:
    source = (IMAGES / "landscape.jpg").read_bytes()
    prepared = prepare(load_source(source, (1000, 1500)), (1000, 1500), at(0.75, 0.5))
    fx, fy = prepared.focal_point
    assert prepared.image.getpixel((int(fx * 999), int(fy * 1499))) == pytest.approx(RED, abs=40)


def test_exif_orientation_is_honoured() -> None:
    # Given a JPEG stored sideways with EXIF orientation 6 (shown 800x1200, subject at y=0.3)
    source = (IMAGES / "exif_rotated.jpg").read_bytes()
    assert Image.open(BytesIO(source)).size == (1200, 800)
    # When prepared with the focal point where the upright subject is
    prepared = prepare(load_source(source, (1000, 1500)), (1000, 1500), at(0.5, 0.3))
    # Then the output is upright: the subject is at the focal point, not rotated away
    assert prepared.source_size == (800, 1200)
    x, y = prepared.focal_point
    assert prepared.image.getpixel((int(x * 999), int(y * 1499))) == pytest.approx(RED, abs=40)


def test_transparent_pngs_are_flattened_onto_white() -> None:
    buffer = BytesIO()
    Image.new("RGBA", (400, 600), (0, 0, 0, 0)).save(buffer, "PNG")
    rendered = render(buffer.getvalue(), spec(), PINTEREST)
    decoded = Image.open(BytesIO(rendered.data))
    assert decoded.size == (1000, 1500) and decoded.mode == "RGB"
    assert decoded.getpixel((500, 1400)) == pytest.approx((255, 255, 255), abs=3)


# -- overlay and contrast -----------------------------------------------------------------------


def test_wcag_reference_values() -> None:
    assert contrast_ratio(BLACK, WHITE) == pytest.approx(21.0)
    assert contrast_ratio(hex_to_rgb("#777777"), WHITE) == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("band", ["#FFFFFF", "#777777", "#808080", "#FFD166", "#00FF00",
                                  "#FF0000", "#0000FF", "#000000", "#7F7F7F", "#6B8E23"])
def test_band_and_text_always_reach_the_minimum_contrast(band: str) -> None:
    fixed_band, text, ratio = readable_pair(hex_to_rgb(band), minimum=4.5)
    assert text in (WHITE, BLACK)
    assert ratio >= 4.5 and contrast_ratio(fixed_band, text) == pytest.approx(ratio)


@pytest.mark.parametrize("layout", list(Layout))
@pytest.mark.parametrize("headline", ["Hi", "Forty characters of headline text, yes!!",
                                      "Supercalifragilisticexpialidocious-ness"])
def test_headline_stays_inside_the_safe_zone(layout: Layout, headline: str) -> None:
    rendered = render(jpeg((800, 1200)), spec(headline=headline, layout=layout), PINTEREST)
    left, top, right, bottom = PINTEREST.safe_box()
    tl, tt, tr, tb = rendered.text_box
    assert left <= tl < tr <= right and top <= tt < tb <= bottom
    assert rendered.contrast_ratio >= 4.5


def test_band_moves_off_the_subject() -> None:
    layout, band_top = choose_layout(Layout.BAND_TOP, (500, 150, 500, 150), PINTEREST, band_h=250)
    assert layout is not Layout.BAND_TOP
    assert not band_top <= 0.1 * 1500 <= band_top + 250


def test_encoded_size_is_checked_against_the_platform_limit() -> None:
    from dataclasses import replace

    tiny_limit = replace(PINTEREST, max_file_bytes=1_000)
    with pytest.raises(RenderError) as info:
        render(jpeg((800, 1200)), spec(), tiny_limit)
    assert info.value.code == "rendered_too_large"


# -- bad sources: each a clear permanent error, before any LLM call, nothing published ----------


def bomb_png(width: int = 10_000, height: int = 6_000) -> bytes:
    """A real 60-megapixel PNG that compresses to a few kilobytes."""
    buffer = BytesIO()
    Image.new("1", (width, height), 0).save(buffer, "PNG")
    return buffer.getvalue()


def truncated_jpeg() -> bytes:
    return jpeg((800, 1200))[:600]


def safe_fetcher(handler: Callable[[httpx.Request], httpx.Response]) -> SafeFetcher:
    def resolve(host: str, port: int) -> list[str]:
        return {"images.example.com": [PUBLIC_IP], "internal.example.com": ["10.0.0.7"]}[host]

    return SafeFetcher(resolver=resolve, transport=httpx.MockTransport(handler))


def redirect_to(location: str) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": location})

    return handler


def not_found(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, text="nope")


BAD_SOURCES: dict[str, tuple[str, object, type[WorkerError], str]] = {
    "private address": ("http://10.0.0.7/hero.jpg", safe_fetcher(not_found), UnsafeURLError,
                        "unsafe_url"),
    "metadata address": ("http://169.254.169.254/latest/meta-data", safe_fetcher(not_found),
                         UnsafeURLError, "unsafe_url"),
    "redirect to a private address": (
        "https://images.example.com/hero.jpg",
        safe_fetcher(redirect_to("http://internal.example.com/secret.jpg")),
        UnsafeURLError, "unsafe_url"),
    "redirect to loopback": (
        "https://images.example.com/hero.jpg",
        safe_fetcher(redirect_to("http://127.0.0.1:6379/")), UnsafeURLError, "unsafe_url"),
    "404": ("https://images.example.com/missing.jpg", safe_fetcher(not_found), FetchFailedError,
            "source_unreachable"),
    "60-megapixel bomb": ("https://images.example.com/bomb.png",
                          FixtureFetcher({"https://images.example.com/bomb.png": bomb_png()}),
                          SourceTooLargeError, "source_too_large"),
    "non-image body": ("https://images.example.com/page.jpg",
                       FixtureFetcher({"https://images.example.com/page.jpg":
                                       b"<!doctype html><html><body>Hi</body></html>"}),
                       SourceNotAnImageError, "source_not_an_image"),
}


@pytest.mark.parametrize("story", list(BAD_SOURCES))
def test_bad_source_image_is_a_clear_permanent_error_and_nothing_is_drafted(story: str) -> None:
    # Given a brief whose source image URL is bad in one way
    url, fetcher, error, code = BAD_SOURCES[story]
    brief = load_brief("product").model_copy(update={"source_image_urls": [url]})
    llm = ScriptedLLM()  # no answers queued: any LLM call would fail the test differently
    # When it is drafted
    with pytest.raises(error) as info:
        draft_post(brief, llm=llm, fetcher=fetcher)  # type: ignore[arg-type]
    # Then the failure is permanent, machine-readable and human-readable, and no LLM call
    # (and so no draft, no post to publish) happened
    assert isinstance(info.value, PermanentError)
    assert info.value.code == code
    assert info.value.message
    assert llm.calls == []


def lying_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (the classic bomb shape)."""
    buffer = BytesIO()
    Image.new("1", (1, 1)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def test_pillow_bomb_guard_is_turned_into_the_same_error() -> None:
    # Given a header claiming 400 MP, over Pillow's own guard, with our cap switched off
    with pytest.raises(SourceTooLargeError, match="decompression bomb"):
        open_source(lying_png(20_000, 20_000), SourceRules(max_pixels=10**12))
    # And our stricter cap catches what Pillow's default guard lets through (60 MP < 89 MP)
    with pytest.raises(SourceTooLargeError, match=r"60\.0 MP"):
        open_source(lying_png(10_000, 6_000))


def test_damaged_jpeg_is_not_an_image() -> None:
    with pytest.raises(SourceNotAnImageError):
        render(truncated_jpeg(), spec(), PINTEREST)
