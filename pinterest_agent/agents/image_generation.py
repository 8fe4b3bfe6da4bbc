"""Making a source image when a brief has none: the ``ImageGenerator`` seam and its OpenAI
implementation (``client.images.generate``, base64 answer).

Used only when image generation is enabled (the ``image_generation`` setting); otherwise a brief
without a source image fails with ``no_source_image``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Protocol

import openai

from pinterest_agent.agents.llm import LLMRequestError, map_openai_error

__all__ = ["DEFAULT_IMAGE_MODEL", "ImageGenerator", "OpenAIImageGenerator", "closest_size"]

DEFAULT_IMAGE_MODEL = "gpt-image-1"


class ImageGenerator(Protocol):
    def generate(self, prompt: str, *, width: int, height: int) -> bytes:
        """Image bytes (PNG/JPEG/WebP) for ``prompt``, roughly ``width`` x ``height``."""
        ...


def closest_size(model: str, width: int, height: int) -> str:
    """The model's supported size nearest the target's orientation."""
    if width == height:
        return "1024x1024"
    portrait = height > width
    if model.startswith("dall-e-3"):
        return "1024x1792" if portrait else "1792x1024"
    return "1024x1536" if portrait else "1536x1024"


class OpenAIImageGenerator:
    def __init__(self, client: openai.OpenAI, *, model: str = DEFAULT_IMAGE_MODEL) -> None:
        self._client = client
        self._model = model

    def generate(self, prompt: str, *, width: int, height: int) -> bytes:
        extra: dict[str, Any] = {}
        if self._model.startswith("dall-e"):
            extra["response_format"] = "b64_json"  # GPT image models always answer base64
        try:
            response = self._client.images.generate(
                model=self._model,
                prompt=prompt,
                size=closest_size(self._model, width, height),
                n=1,
                **extra,
            )
        except openai.OpenAIError as exc:
            raise map_openai_error(exc) from exc
        data = response.data[0].b64_json if response.data else None
        if not data:
            raise LLMRequestError("the images API answered without base64 image data")
        try:
            return base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise LLMRequestError("the images API answered with invalid base64") from exc
