"""Rendered images travel by reference: stored once by content hash, read back at publish time.

The writer stores the rendered image in an :class:`~agents.ports.ImageStore` and hands the
publisher an :class:`~agents.messages.ImageRefMedia` (``{"type": "image_ref", "sha256": ...,
"content_type": ...}``), so the publish message, the stored draft, outcomes and events stay small.
The publisher turns the reference back into ``image_base64`` for Pinterest; a reference whose
image expired is a permanent ``image_expired`` error that says how to get the post out.
"""

from __future__ import annotations

import base64
from typing import Literal

from pinterest_agent.agents.messages import ImageRefMedia
from pinterest_agent.agents.ports import ImageStore
from pinterest_agent.errors import ConfigurationError, InvalidInputError
from pinterest_agent.providers.pinterest import ImageBase64Source

__all__ = ["ImageExpiredError", "image_source", "store_image"]


class ImageExpiredError(InvalidInputError):
    """The post's ``image_ref`` names an image the store no longer holds."""

    default_code = "image_expired"


def store_image(
    store: ImageStore, data: bytes, content_type: Literal["image/jpeg", "image/png"], *,
    due_at: float | None = None,
) -> ImageRefMedia:
    """Store a rendered image (once per content) and return the media that refers to it; it is
    kept for the store's TTL after *due_at* (a scheduled post's time), or after now."""
    return ImageRefMedia(sha256=store.put(data, due_at=due_at), content_type=content_type)


def image_source(media: ImageRefMedia, store: ImageStore | None) -> ImageBase64Source:
    """The stored image as Pinterest's ``image_base64`` source."""
    if store is None:
        raise ConfigurationError(
            "this publisher has no image store, so it cannot publish an image_ref post; "
            "build it with images= (the worker's runtime does)"
        )
    data = store.get(media.sha256)
    if data is None:
        raise ImageExpiredError(
            f"the rendered image {media.sha256[:12]}... is no longer stored (rendered images "
            "are kept PINTEREST_AGENT_IMAGE_TTL_DAYS days after their post is due); send the "
            "brief to the writer again to render it, or send the post with image_url or "
            "image_base64 media",
            field="media.sha256", sha256=media.sha256,
        )
    return ImageBase64Source(content_type=media.content_type,
                             data=base64.b64encode(data).decode("ascii"))
