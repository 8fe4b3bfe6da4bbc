"""Designer and drafting: every sample brief becomes a 1000x1500 Pin with readable, safe text."""

from __future__ import annotations

import base64
from io import BytesIO

import pytest
from PIL import Image, ImageOps

from pinterest_agent.agents.design.contrast import contrast_ratio, hex_to_rgb
from pinterest_agent.agents.design.designer import (
    DesignSpec,
    FocalPoint,
    Layout,
    SubjectBox,
    design_problems,
)
from pinterest_agent.agents.design.scene_map import PINTEREST, SCENE_MAP
from pinterest_agent.agents.drafting import Draft, draft_post
from pinterest_agent.agents.image_generation import OpenAIImageGenerator, closest_size
from pinterest_agent.agents.llm import LLMOutputInvalidError, ScriptedLLM, make_openai_client
from pinterest_agent.agents.messages import ImageBase64Media, ImageUrlMedia, PinBrief
from pinterest_agent.agents.writer import PinCopy
from pinterest_agent.providers.sandbox.naive_answers import subject_in_image
from pinterest_agent.providers.sandbox.server import SandboxServer
from tests.conftest_llm import (
    IMAGES,
    SAMPLE_BRIEFS,
    TEST_API_KEY,
    FixtureFetcher,
    load_brief,
    replay,
)

SUBJECT_RED = (230, 40, 40)
BALCONY = "Small balcony garden ideas"
"""A headline the article brief grounds (``spec()``'s default is about the linen throw)."""


def spec(**changes: object) -> DesignSpec:
    values: dict[str, object] = {
        "headline": "Calm linen for your sofa",
        "layout": Layout.BAND_BOTTOM,
        "palette": ["#1F3A4D", "#E8EEF2"],
        "dominant_color": "#E8EEF2",
        "focal_point": FocalPoint(x=0.5, y=0.5),
        "subject": None,
        "image_prompt": None,
    }
    values.update(changes)
    return DesignSpec.model_construct(**values)  # type: ignore[arg-type]


def copy_for(name: str) -> PinCopy:
    """Copy that passes every check: the main keyword first, the brief's own words."""
    brief = load_brief(name)
    return PinCopy(title=f"{brief.keywords[0].capitalize()}: {brief.name}",
                   description=brief.summary, alt_text="A photo.", link=brief.destination_url,
                   keywords=brief.keywords[:3], hashtags=[])


def inside(box: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    return (box[0] >= outer[0] and box[1] >= outer[1] and box[2] <= outer[2]
            and box[3] <= outer[3])


def near_red(pixel: object) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) < 40 for a, b in zip(pixel[:3], SUBJECT_RED, strict=True))


def assert_designed_pin(draft: Draft, brief: PinBrief, fetcher: FixtureFetcher) -> None:
    image = draft.image
    decoded = Image.open(BytesIO(image.data))
    # The image is exactly 1000x1500 JPEG
    assert decoded.format == "JPEG" and decoded.size == (1000, 1500)
    assert (image.width, image.height) == PINTEREST.size
    # The focal point is in frame, with the source's subject under it
    fx, fy = image.focal_point
    assert 0 <= fx <= 1 and 0 <= fy <= 1
    assert near_red(decoded.convert("RGB").getpixel((int(fx * 999), int(fy * 1499))))
    # The headline is inside the safe zone, on a band (or the split layout's panel) that does
    # not cover the subject
    safe = PINTEREST.safe_box()
    assert inside(image.text_box, image.band_box) and inside(image.text_box, safe)
    assert not (image.band_box[1] <= fy * 1500 <= image.band_box[3])
    # The text meets WCAG AA contrast on its band
    assert contrast_ratio(hex_to_rgb(image.band_color), hex_to_rgb(image.text_color)) >= 4.5
    assert image.contrast_ratio >= PINTEREST.min_contrast_ratio
    # The post is a valid draft for the publisher
    post = draft.post
    assert (post.post_id, post.platform, post.channel_id) == (
        brief.brief_id, "pinterest", brief.channel_id)
    assert post.board_id == brief.board_id  # None with only a board_hint: publisher resolves
    assert post.link == brief.destination_url and post.scheduled_at == brief.scheduled_at
    assert isinstance(post.media, ImageBase64Media)
    assert base64.b64decode(post.media.data) == image.data
    assert post.dominant_color == image.dominant_color
    assert set(draft.provenance.templates) == {"pin_copy", "design_spec"}
    assert len(draft.design.headline) <= PINTEREST.max_headline_chars
    assert fetcher.fetched == brief.source_image_urls[:1]


def test_the_product_brief_becomes_a_designed_pin_through_the_recorded_stand_in() -> None:
    # Given the product brief, its fixture image and the stand-in's recorded answers (it sees
    # the photo: the subject's box comes from the pixels)
    brief = load_brief("product")
    fetcher = FixtureFetcher()
    with replay("draft_product") as llm:
        # When it is drafted
        draft = draft_post(brief, llm=llm, fetcher=fetcher)
    # Then it is a designed Pin, its subject clear of the band
    assert_designed_pin(draft, brief, fetcher)
    assert draft.image.subject_source == "model"


@pytest.mark.parametrize(("name", "broken"), [
    ("recipe", "title must contain the main keyword"),
    ("how-to", "title must contain the main keyword"),
    ("article", "headline: String should have at most 40 characters"),
])
def test_a_brief_the_stand_in_echoes_into_broken_answers_is_a_typed_failure(
    name: str, broken: str
) -> None:
    # Given a sample brief the rule-blind stand-in answers with its name as the title (no main
    # keyword) or as the headline (the article's name is 41 characters), recorded
    brief = load_brief(name)
    fetcher = FixtureFetcher()
    with pytest.raises(LLMOutputInvalidError) as info, replay(f"draft_{name}") as llm:
        # When it is drafted
        draft_post(brief, llm=llm, fetcher=fetcher)
    # Then there is no draft but a typed, permanent failure naming the rule, after the repair
    assert broken in str(info.value) and info.value.code == "llm_output_invalid"
    assert fetcher.fetched == brief.source_image_urls[:1]  # the photo was checked first


def seen_subject(brief: PinBrief) -> SubjectBox:
    """The subject's box a vision model would answer for the brief's fixture photo."""
    with Image.open(IMAGES / brief.source_image_urls[0].rsplit("/", 1)[-1]) as opened:
        upright = ImageOps.exif_transpose(opened).convert("RGB")
    buffer = BytesIO()
    upright.save(buffer, "PNG")
    box = subject_in_image(buffer.getvalue())
    assert box is not None
    return SubjectBox(**box)


@pytest.mark.parametrize("name", SAMPLE_BRIEFS)
def test_every_sample_brief_becomes_a_designed_pin(name: str) -> None:
    # Given a sample brief, its fixture source image, and a model that follows the rules and
    # sees the photo (scripted: copy and headline from the brief, the subject's box)
    brief = load_brief(name)
    fetcher = FixtureFetcher()
    subject = seen_subject(brief)
    centre = FocalPoint(x=(subject.x0 + subject.x1) / 2, y=(subject.y0 + subject.y1) / 2)
    llm = ScriptedLLM().enqueue(PinCopy, copy_for(name)).enqueue(DesignSpec, spec(
        headline=brief.keywords[0].capitalize(), layout=Layout.BAND_TOP, subject=subject,
        focal_point=centre))
    # When it is drafted
    draft = draft_post(brief, llm=llm, fetcher=fetcher)
    # Then it is a designed Pin around the subject the model saw
    assert_designed_pin(draft, brief, fetcher)
    assert draft.image.subject_source == "model" and llm.remaining() == 0
    assert len(llm.calls) == 2  # copy and design, no repair round


def test_public_media_url_mode_names_the_object_to_store() -> None:
    brief = load_brief("product")
    with replay("draft_product") as llm:
        draft = draft_post(brief, llm=llm, fetcher=FixtureFetcher(),
                           media_public_base_url="https://media.example.com/pins/")
    assert draft.media_key == "brief-product-001.jpg"
    assert isinstance(draft.post.media, ImageUrlMedia)
    assert draft.post.media.url == "https://media.example.com/pins/brief-product-001.jpg"


def test_no_source_image_without_generation_is_a_typographic_pin() -> None:
    # Given an article brief with no image, and image generation off
    brief = load_brief("article").model_copy(update={"source_image_urls": []})
    llm = ScriptedLLM().enqueue(PinCopy, copy_for("article")).enqueue(
        DesignSpec, spec(headline=BALCONY, image_prompt=None))  # no prompt: nothing to generate
    # When it is drafted
    draft = draft_post(brief, llm=llm, fetcher=FixtureFetcher())
    # Then it is a typographic Pin (not a no_source_image failure), its text safe and readable
    assert draft.image.pin_layout == "typographic"
    assert (draft.image.width, draft.image.height) == (1000, 1500)
    assert draft.image.contrast_ratio >= PINTEREST.min_contrast_ratio
    assert all(inside(t.box, PINTEREST.safe_box()) for t in draft.image.texts)
    assert len(llm.calls) == 2  # copy and design, no repair round


def test_an_unusable_layout_falls_back_without_failing() -> None:
    # Given a brief asking for a collage that has one photo
    from pinterest_agent.agents.design.layouts import PinLayout, effective_layout

    # Then it gets a band; with no photo and no generator, typographic
    assert effective_layout("collage", images=1, can_generate=False) is PinLayout.BAND
    assert effective_layout(None, images=0, can_generate=False) is PinLayout.TYPOGRAPHIC
    assert effective_layout(None, images=0, can_generate=True) is PinLayout.BAND
    assert effective_layout("split", images=2, can_generate=False) is PinLayout.SPLIT


class FakeGenerator:
    def __init__(self) -> None:
        self.prompts: list[str] = []

    def generate(self, prompt: str, *, width: int, height: int) -> bytes:
        self.prompts.append(prompt)
        buffer = BytesIO()
        Image.new("RGB", (1024, 1536), (90, 140, 200)).save(buffer, "PNG")
        return buffer.getvalue()


def test_no_source_image_with_generation_uses_the_design_prompt() -> None:
    brief = load_brief("article").model_copy(update={"source_image_urls": []})
    generator = FakeGenerator()
    llm = ScriptedLLM().enqueue(PinCopy, copy_for("article")).enqueue(
        DesignSpec,
        spec(headline=BALCONY, image_prompt=None),  # missing prompt is sent back for repair
        spec(headline=BALCONY, image_prompt="A sunny balcony garden with pots, vertical, no text"),
    )
    draft = draft_post(brief, llm=llm, fetcher=FixtureFetcher(), image_generator=generator)
    assert generator.prompts == ["A sunny balcony garden with pots, vertical, no text"]
    assert "image_prompt is required" in llm.calls[-1].messages[-1]["content"]
    assert (draft.image.width, draft.image.height) == (1000, 1500)


def test_openai_image_generator_through_the_sandbox(sandbox: SandboxServer) -> None:
    client = make_openai_client(api_key=TEST_API_KEY, base_url=sandbox.base_url + "/openai/v1",
                                timeout_s=5, max_retries=0)
    data = OpenAIImageGenerator(client).generate("a balcony garden", width=1000, height=1500)
    assert Image.open(BytesIO(data)).size == (1024, 1536)
    assert closest_size("dall-e-3", 1000, 1500) == "1024x1792"


def test_design_checks() -> None:
    brief = load_brief("product")
    assert design_problems(spec(), brief, PINTEREST) == []
    assert "headline must not contain a URL" in " ".join(
        design_problems(spec(headline="See shop.example.com"), brief, PINTEREST))
    no_source = brief.model_copy(update={"source_image_urls": []})
    assert design_problems(spec(), no_source, PINTEREST) == [
        "image_prompt is required: the brief has no source image"]


def test_scene_map_pinterest_entry() -> None:
    scene = SCENE_MAP["pinterest"]
    assert scene.size == (1000, 1500) and scene.ratio == (2, 3) and scene.ratio_text == "2:3"
    assert scene.max_headline_chars == 40 and scene.min_contrast_ratio == 4.5
    left, top, right, bottom = scene.safe_box()
    assert 0 < left < right < 1000 and 0 < top < bottom < 1500
    with pytest.raises(TypeError):
        SCENE_MAP["x"] = scene  # type: ignore[index]
