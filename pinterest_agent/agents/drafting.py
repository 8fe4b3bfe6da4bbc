"""Brief in, draft post out: fetch the source image, write the copy, design, render.

``draft_post`` is the writer actor's whole job minus recording and publishing. It checks the
brief's ``destination_url`` first with the publisher's link guard (``check_link``: a private or
metadata address, user info, a backslash, no host or a host that does not resolve fails before
any fetch, LLM call or render, as the publisher would refuse it anyway), then fetches and
fully decodes the source image *before* any LLM call (a private-address URL, a 404, a bomb, a
non-image, a truncated file or one too small for a Pin fails without spending tokens), estimates
its subject, then runs the writer and the designer (with ``vision``, the designer sees a small
copy of the photo and answers the subject's box too), makes an image with the ``ImageGenerator``
when the brief has none and generation is enabled, and renders around the chosen subject
(``agents.design.focus``) in the brief's layout (``agents.design.layouts``: band, split, a collage
of up to three of its photos, or typographic, which needs none: a brief with no image and image
generation off is typographic rather than a ``no_source_image`` failure).

The post's media:

- with ``media_public_base_url`` set, ``image_url`` = ``{media_public_base_url}/{media_key}``:
  the caller must store ``draft.image.data`` at that URL (``draft.media_key`` names the object)
  *before* the post is published, since Pinterest fetches the URL itself;
- else, with an ``images`` store (the worker always passes one), ``image_ref``: the rendered
  image is stored once by content hash and the post carries only the reference, which the
  publisher resolves (the image is kept for the store's TTL after the post's ``scheduled_at``);
- else ``image_base64`` with the rendered JPEG inline (Pinterest accepts it directly).

``board_id`` is the brief's; when the brief has only a ``board_hint``, the post's ``board_id`` is
``None`` and the publisher resolves the hint to a board.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from pinterest_agent.agents.design.brand import BrandKit
from pinterest_agent.agents.design.designer import DesignSpec, design_result
from pinterest_agent.agents.design.imaging import (
    ImageFetcher,
    NoSourceImageError,
    RenderedImage,
    subject_of,
)
from pinterest_agent.agents.design.layouts import (
    PinLayout,
    compose_layout,
    effective_layout,
    photos_needed,
)
from pinterest_agent.agents.design.preview import preview_data_url
from pinterest_agent.agents.design.saliency import estimate_subject
from pinterest_agent.agents.design.scene_map import SCENE_MAP, Scene
from pinterest_agent.agents.design.sources import Source, SourceRules, load_source
from pinterest_agent.agents.image_generation import ImageGenerator
from pinterest_agent.agents.image_refs import store_image
from pinterest_agent.agents.llm import StructuredLLM
from pinterest_agent.agents.messages import (
    SCHEMA_VERSION,
    ImageBase64Media,
    ImageUrlMedia,
    Media,
    PinBrief,
    SocialPost,
)
from pinterest_agent.agents.ports import ImageStore
from pinterest_agent.agents.writer import PinCopy, post_description, write_copy
from pinterest_agent.errors import ConfigurationError

__all__ = ["DEFAULT_MAX_SOURCE_BYTES", "Draft", "Provenance", "draft_post", "fetch_source"]

DEFAULT_MAX_SOURCE_BYTES = 20 * 1024 * 1024
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}


@dataclass(frozen=True, slots=True)
class Provenance:
    """Which templates (name -> content hash) and model made a draft, and at what cost."""

    model: str
    templates: Mapping[str, str]
    input_tokens: int
    output_tokens: int
    repaired: tuple[str, ...] = ()
    cached: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "templates": dict(self.templates),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "repaired": list(self.repaired),
            "cached": list(self.cached),
        }


@dataclass(frozen=True, slots=True)
class Draft:
    post: SocialPost
    copy: PinCopy
    design: DesignSpec
    image: RenderedImage
    provenance: Provenance
    media_key: str | None = field(default=None)
    """Set when the media is an ``image_url``: where the caller must store ``image.data``."""


def fetch_source(
    url: str, fetcher: ImageFetcher, *, max_bytes: int, rules: SourceRules, scene: Scene
) -> Source:
    """The source image fetched and fully decoded for ``scene`` (so a truncated or unusable
    image fails here, before any LLM call); the fetched bytes are not kept."""
    body = fetcher.fetch(url, max_bytes=max_bytes)
    return load_source(body.content, scene.size, rules)


def draft_post(
    brief: PinBrief,
    *,
    llm: StructuredLLM,
    fetcher: ImageFetcher,
    scene: Scene = SCENE_MAP["pinterest"],
    image_generator: ImageGenerator | None = None,
    media_public_base_url: str | None = None,
    max_source_bytes: int = DEFAULT_MAX_SOURCE_BYTES,
    images: ImageStore | None = None,
    source_rules: SourceRules | None = None,
    vision: bool = True,
    brand: BrandKit | None = None,
    check_link: Callable[[str], object] | None = None,
) -> Draft:
    """``check_link``: the publisher's link check (``SafeFetcher.check_link``), run on the
    brief's ``destination_url`` before anything else; ``vision``: the model accepts images, so
    the design call carries a preview of the source (the ``openai_vision`` setting); ``brand``:
    the channel's brand kit, applied to every layout. The layout is the brief's
    (``agents.design.layouts.effective_layout``): with no source image and no image
    generation, typographic."""
    if check_link is not None:
        check_link(brief.destination_url)
    rules = source_rules or SourceRules()
    if media_public_base_url is not None and not media_public_base_url.startswith(
        ("https://", "http://")
    ):
        raise ConfigurationError(
            "PINTEREST_AGENT_MEDIA_PUBLIC_BASE_URL must be an http(s) URL",
            setting="media_public_base_url",
        )
    layout = effective_layout(brief.layout, images=len(brief.source_image_urls),
                              can_generate=image_generator is not None)
    if layout is PinLayout.TYPOGRAPHIC and brief.layout != layout.value:
        brief = brief.model_copy(update={"layout": layout.value})  # no image prompt needed
    sources = [
        fetch_source(url, fetcher, max_bytes=max_source_bytes, rules=rules, scene=scene)
        for url in brief.source_image_urls[: photos_needed(layout)]
    ]
    source = sources[0] if sources else None
    if layout is not PinLayout.TYPOGRAPHIC and source is None and image_generator is None:
        raise NoSourceImageError(  # unreachable: effective_layout chose typographic
            "the brief has no source_image_urls and image generation is off",
            field="source_image_urls",
        )

    estimates = [estimate_subject(each.image) for each in sources]
    preview = preview_data_url(source.image) if source is not None and vision else None

    written = write_copy(brief, llm)
    designed = design_result(brief, written.copy, llm, scene, preview=preview)
    if source is None and layout is not PinLayout.TYPOGRAPHIC:
        assert image_generator is not None
        prompt = designed.spec.image_prompt or written.copy.alt_text
        generated = image_generator.generate(prompt, width=scene.width, height=scene.height)
        sources = [load_source(generated, scene.size, rules)]
        estimates = [estimate_subject(sources[0].image)]
    subjects = [subject_of(designed.spec, sources[0], estimates[0])] if sources else []
    subjects += estimates[1:]  # the other photos of a collage: their own estimate
    image = compose_layout(layout, sources, subjects, designed.spec, scene, kind=brief.kind,
                           brand=brand)

    media: Media
    media_key = None
    if media_public_base_url is not None:
        media_key = f"{brief.brief_id}.{_EXTENSIONS.get(image.content_type, 'img')}"
        media = ImageUrlMedia(url=f"{media_public_base_url.rstrip('/')}/{quote(media_key)}")
    elif images is not None:
        due_at = brief.scheduled_at.timestamp() if brief.scheduled_at is not None else None
        media = store_image(images, image.data, _content_type(image.content_type), due_at=due_at)
    else:
        media = ImageBase64Media(
            content_type=_content_type(image.content_type),
            data=base64.b64encode(image.data).decode("ascii"),
        )
    copy = written.copy
    post = SocialPost(
        schema_version=SCHEMA_VERSION,
        post_id=brief.brief_id,
        platform=scene.platform,
        channel_id=brief.channel_id,
        board_id=brief.board_id,
        board_section_id=brief.board_section_id,
        title=copy.title,
        description=post_description(copy),
        link=brief.destination_url,
        alt_text=copy.alt_text,
        dominant_color=image.dominant_color,
        media=media,
        scheduled_at=brief.scheduled_at,
    )
    steps = (written.llm, designed.llm)
    provenance = Provenance(
        model=designed.llm.model,
        templates={step.template: step.template_hash for step in steps},
        input_tokens=sum(step.input_tokens for step in steps),
        output_tokens=sum(step.output_tokens for step in steps),
        repaired=tuple(step.template for step in steps if step.repaired),
        cached=tuple(step.template for step in steps if step.cached),
    )
    return Draft(post, copy, designed.spec, image, provenance, media_key)


def _content_type(value: str) -> Any:
    if value not in _EXTENSIONS:
        raise ValueError(f"unsupported rendered content type {value}")
    return value
