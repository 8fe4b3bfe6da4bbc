"""Subject-aware crops and bands: the headline never covers the product.

Golden cases (``fixtures/images``: a cut-out bottle on white, an off-centre subject, a 3:1
panorama) are rendered blind (no model box: the deterministic estimate decides) with a design
that asks for the band at the bottom, where each subject would be covered or cropped away. The
subject is found in the output by its colour, independently of the estimate, and checked
geometrically; a downscaled golden PNG (``fixtures/images/golden``) is compared with a
tolerance. ``python tests/test_subject_crops.py`` rewrites the goldens after a deliberate change.
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

from pinterest_agent.agents.design.designer import DesignSpec, FocalPoint, Layout, SubjectBox  # noqa: E402
from pinterest_agent.agents.design.focus import choose_subject, disagree, iou  # noqa: E402
from pinterest_agent.agents.design.imaging import RenderedImage, render  # noqa: E402
from pinterest_agent.agents.design.saliency import Subject, estimate_subject  # noqa: E402
from pinterest_agent.agents.design.scene_map import PINTEREST  # noqa: E402
from pinterest_agent.agents.drafting import draft_post  # noqa: E402
from pinterest_agent.agents.llm import ScriptedLLM, make_openai_client  # noqa: E402
from pinterest_agent.agents.writer import PinCopy  # noqa: E402
from tests.conftest_llm import (  # noqa: E402
    IMAGES,
    TEST_API_KEY,
    FixtureFetcher,
    load_brief,
)

GOLDEN = IMAGES / "golden"
GOLDEN_SIZE = (100, 150)
GOLDEN_TOLERANCE = 4.0
"""Mean absolute difference per channel (0-255) allowed against a golden thumbnail."""
CASES = {
    "cutout.png": (30, 110, 70),
    "offcentre.jpg": (230, 40, 40),
    "panorama.jpg": (230, 40, 40),
}


def spec(**changes: object) -> DesignSpec:
    values: dict[str, object] = {
        "headline": "Small balcony, big garden", "layout": Layout.BAND_BOTTOM,
        "palette": ["#F4D35E", "#F1F7F2"], "dominant_color": "#F1F7F2",
        "focal_point": FocalPoint(x=0.5, y=0.5), "subject": None, "image_prompt": None,
    }
    values.update(changes)
    return DesignSpec.model_construct(**values)  # type: ignore[arg-type]


def colour_mask(
    image: Image.Image, colour: tuple[int, int, int], tolerance: int = 40
) -> Image.Image:
    """An ``L`` mask (255) of the pixels within ``tolerance`` of ``colour`` on every channel."""
    diff = ImageChops.difference(image.convert("RGB"), Image.new("RGB", image.size, colour))
    r, g, b = (band.point(lambda v: 255 if v <= tolerance else 0) for band in diff.split())
    return ImageChops.multiply(ImageChops.multiply(r, g), b)


def count(mask: Image.Image) -> int:
    histogram = mask.histogram()
    return histogram[255]


def render_case(name: str, **changes: object) -> tuple[RenderedImage, Image.Image]:
    result = render((IMAGES / name).read_bytes(), spec(**changes), PINTEREST)
    return result, Image.open(BytesIO(result.data)).convert("RGB")


def overlap_fraction(box: tuple[int, int, int, int], band: tuple[int, int, int, int]) -> float:
    ix = max(0, min(box[2], band[2]) - max(box[0], band[0]))
    iy = max(0, min(box[3], band[3]) - max(box[1], band[1]))
    area = max(1, (box[2] - box[0]) * (box[3] - box[1]))
    return ix * iy / area


def golden_thumbnail(image: Image.Image) -> Image.Image:
    return image.resize(GOLDEN_SIZE, Image.Resampling.BOX)


@pytest.mark.parametrize("name", list(CASES))
def test_the_subject_stays_whole_and_clear_of_the_band(name: str) -> None:
    # Given a source whose subject is off the centre (or low in a cut-out) and a design that
    # wants the band at the bottom, with no model box
    colour = CASES[name]
    source = Image.open(IMAGES / name).convert("RGB")
    in_source = count(colour_mask(source, colour))
    # When rendered
    result, image = render_case(name)
    # Then the whole subject is in the Pin, none of it under the band: as many subject pixels
    # as the source has, scaled to the Pin (by the scale of the part shown: the photo's height
    # on the Pin over the height of the source it shows)
    _, y0, _, y1 = result.photo_box
    scale = (y1 - y0) / ((result.source_crop[3] - result.source_crop[1]) * source.height)
    visible = count(colour_mask(image, colour))
    assert visible >= 0.93 * in_source * scale * scale, (visible, in_source * scale * scale)
    # And the subject's box in the output (found by colour) and the band do not overlap
    box = colour_mask(image, colour).getbbox()
    assert box is not None
    assert overlap_fraction(box, result.band_box) <= 0.02
    assert result.subject_source == "estimate"


@pytest.mark.parametrize("name", list(CASES))
def test_golden_images(name: str) -> None:
    # Given the committed golden thumbnail of the case
    golden = GOLDEN / (name.rsplit(".", 1)[0] + ".png")
    assert golden.is_file(), f"missing {golden}: run python tests/test_subject_crops.py"
    # When the case is rendered again, then it looks the same (within JPEG noise)
    _, image = render_case(name)
    diff = ImageChops.difference(golden_thumbnail(image), Image.open(golden).convert("RGB"))
    assert max(ImageStat.Stat(diff).mean) <= GOLDEN_TOLERANCE


# -- the model's box and the estimate ----------------------------------------------------------


BOTTLE_BOX = SubjectBox(x0=0.37, y0=0.35, x1=0.63, y1=0.85)


def test_a_model_box_that_agrees_with_the_estimate_is_used() -> None:
    # Given the cut-out and a model box around the bottle (roughly where the estimate is)
    result, image = render_case("cutout.png", subject=BOTTLE_BOX,
                                focal_point=FocalPoint(x=0.5, y=0.6))
    # Then the model's box places the subject, and the band keeps off the bottle
    assert result.subject_source == "model"
    box = colour_mask(image, CASES["cutout.png"]).getbbox()
    assert box is not None and overlap_fraction(box, result.band_box) <= 0.02


def test_a_model_box_that_disagrees_wildly_is_overruled_by_the_estimate() -> None:
    # Given a model box in the empty top-left corner of the cut-out
    wrong = SubjectBox(x0=0.0, y0=0.0, x1=0.2, y1=0.15)
    result, image = render_case("cutout.png", subject=wrong, focal_point=FocalPoint(x=0.1, y=0.1))
    # Then the estimate decides, and the band still keeps off the bottle
    assert result.subject_source == "estimate"
    box = colour_mask(image, CASES["cutout.png"]).getbbox()
    assert box is not None and overlap_fraction(box, result.band_box) <= 0.02


def test_disagreement_rule() -> None:
    estimate = Subject((0.4, 0.4, 0.6, 0.8), (0.5, 0.6), "estimate")
    assert iou((0, 0, 1, 1), (0, 0, 1, 1)) == 1.0
    # overlapping boxes agree; far-apart boxes disagree; a box containing the other's centre
    # agrees even with a small overlap
    assert not disagree((0.35, 0.35, 0.65, 0.85), estimate.box)
    assert disagree((0.0, 0.0, 0.2, 0.2), estimate.box)
    assert not disagree((0.0, 0.0, 1.0, 1.0), estimate.box)
    assert choose_subject(None, (0.5, 0.5), estimate) is estimate
    assert choose_subject((0.0, 0.0, 0.2, 0.2), (0.1, 0.1), estimate) is estimate
    assert choose_subject((0.5, 0.5, 0.505, 0.9), (0.5, 0.5), estimate) is estimate  # degenerate
    chosen = choose_subject((0.35, 0.35, 0.65, 0.85), (0.9, 0.9), estimate)
    assert chosen.source == "model" and chosen.focal == pytest.approx((0.5, 0.6))


@pytest.mark.parametrize("name,colour", [("portrait.jpg", (230, 40, 40)),
                                         ("landscape.jpg", (230, 40, 40)),
                                         ("cutout.png", (30, 110, 70)),
                                         ("offcentre.jpg", (230, 40, 40)),
                                         ("panorama.jpg", (230, 40, 40))])
def test_the_estimate_finds_the_subject(name: str, colour: tuple[int, int, int]) -> None:
    # Given a fixture whose subject has a known colour
    image = Image.open(IMAGES / name).convert("RGB")
    truth = colour_mask(image, colour).getbbox()
    assert truth is not None
    w, h = image.size
    true_box = (truth[0] / w, truth[1] / h, truth[2] / w, truth[3] / h)
    # When the subject is estimated from the pixels, then its box overlaps the true one well
    # and its focal point is inside it
    estimate = estimate_subject(image)
    assert iou(estimate.box, true_box) >= 0.5, (estimate.box, true_box)
    fx, fy = estimate.focal
    assert true_box[0] <= fx <= true_box[2] and true_box[1] <= fy <= true_box[3]


# -- the vision path: the design call sees the photo -------------------------------------------


def copy_for(name: str) -> PinCopy:
    brief = load_brief(name)
    return PinCopy(title=brief.name, description=brief.summary[:400], alt_text="A photo.",
                   link=brief.destination_url, keywords=brief.keywords[:3], hashtags=[])


def cutout_brief() -> tuple[object, FixtureFetcher]:
    url = "https://images.example.com/cutout.png"
    brief = load_brief("product").model_copy(update={"source_image_urls": [url]})
    return brief, FixtureFetcher({url: (IMAGES / "cutout.png").read_bytes()})


def test_with_vision_the_design_call_carries_a_small_jpeg_of_the_photo() -> None:
    # Given a vision model (scripted) that answers the bottle's box
    brief, fetcher = cutout_brief()
    llm = ScriptedLLM().enqueue(PinCopy, copy_for("product")).enqueue(
        DesignSpec, spec(subject=BOTTLE_BOX, focal_point=FocalPoint(x=0.5, y=0.6)))
    # When drafted with vision on
    draft = draft_post(brief, llm=llm, fetcher=fetcher, vision=True)  # type: ignore[arg-type]
    # Then the design request's user message has the text and one image part: a JPEG data URL
    # of at most 512 px, at OpenAI's low detail
    design_call = next(c for c in llm.calls if c.output is DesignSpec)
    content = design_call.messages[-1]["content"]
    assert isinstance(content, list) and content[0]["type"] == "text"
    assert "The attached image is the source photo" in content[0]["text"]
    image_part = content[1]
    assert image_part["type"] == "image_url" and image_part["image_url"]["detail"] == "low"
    url = image_part["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    import base64

    preview = Image.open(BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert max(preview.size) <= 512 and preview.format == "JPEG"
    assert "subject: the main subject" in design_call.messages[0]["content"]
    # And the model's box placed the subject
    assert draft.image.subject_source == "model"


def test_without_vision_the_model_is_told_it_cannot_see_and_the_estimate_decides() -> None:
    brief, fetcher = cutout_brief()
    llm = ScriptedLLM().enqueue(PinCopy, copy_for("product")).enqueue(DesignSpec, spec())
    draft = draft_post(brief, llm=llm, fetcher=fetcher, vision=False)  # type: ignore[arg-type]
    design_call = next(c for c in llm.calls if c.output is DesignSpec)
    assert isinstance(design_call.messages[-1]["content"], str)
    assert "You cannot see the photo" in design_call.messages[0]["content"]
    assert draft.image.subject_source == "estimate"
    box = colour_mask(Image.open(BytesIO(draft.image.data)), CASES["cutout.png"]).getbbox()
    assert box is not None and overlap_fraction(box, draft.image.band_box) <= 0.02


def test_the_sandbox_answers_the_subject_from_the_image(sandbox: object) -> None:
    # Given the real openai client pointed at the local sandbox's OpenAI-compatible endpoint
    from pinterest_agent.agents.llm import OpenAIStructuredLLM
    from pinterest_agent.prompts.loader import PromptLibrary

    base_url = sandbox.base_url + "/openai/v1"  # type: ignore[attr-defined]
    client = make_openai_client(api_key=TEST_API_KEY, base_url=base_url, timeout_s=10,
                                max_retries=0)
    llm = OpenAIStructuredLLM(client, model="gpt-4o-mini", prompts=PromptLibrary())
    brief, fetcher = cutout_brief()
    # When the cut-out is drafted with vision
    draft = draft_post(brief, llm=llm, fetcher=fetcher, vision=True)  # type: ignore[arg-type]
    # Then the sandbox found the bottle in the attached photo, and the renderer used its box
    subject = draft.design.subject
    assert subject is not None
    truth = (225 / 600, 320 / 900, 375 / 600, 760 / 900)
    assert iou(subject.as_tuple(), truth) >= 0.6
    assert draft.image.subject_source == "model"


def write_goldens() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for name in CASES:
        _, image = render_case(name)
        golden_thumbnail(image).save(GOLDEN / (name.rsplit(".", 1)[0] + ".png"), optimize=True)
        print("wrote", GOLDEN / (name.rsplit(".", 1)[0] + ".png"))


if __name__ == "__main__":
    write_goldens()
