"""A channel's brand kit in the store (``P:brand:{channel_id}``, the kit as JSON with its logo
and font in base64), written by ``catalog sync`` from the channel's mapping file and read by the
writer for every Pin of the channel."""

from __future__ import annotations

from pinterest_agent.agents.design.brand import BrandKit
from pinterest_agent.queues.stores.documents import Documents

__all__ = ["brand_kit", "save_brand_kit"]


def brand_kit(documents: Documents, channel_id: str) -> BrandKit | None:
    stored = documents.get("brand", channel_id)
    return BrandKit.model_validate_json(stored) if stored is not None else None


def save_brand_kit(documents: Documents, channel_id: str, kit: BrandKit) -> None:
    documents.put("brand", channel_id, kit.model_dump_json())
