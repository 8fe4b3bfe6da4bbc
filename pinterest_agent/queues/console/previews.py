"""Pin previews: a Pin as Pinterest shows it (its image, its title, its board), the card the
Top Pins tab, a post's page and the calendar share (``templates/_pin_preview.html``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pinterest_agent.queues.stores.schedule import Preview

__all__ = ["PinPreview", "pin_preview"]


@dataclass(frozen=True)
class PinPreview:
    """A Pin as Pinterest shows it: the image, the title and the board."""

    title: str
    board: str
    image_src: str | None
    href: str | None = None


def pin_preview(preview: Preview, board_names: Mapping[str, str], *,
                planned_board: str | None = None, href: str | None = None) -> PinPreview:
    """The card of a scheduled Pin: an image the worker rendered is served by the console
    (``/images/{sha256}``); a board is named by its name when the figures know it."""
    board = (board_names.get(preview.board_id, preview.board_id) if preview.board_id
             else planned_board or "the default board")
    image = (f"/images/{preview.image_sha256}" if preview.image_sha256 else preview.image_url)
    return PinPreview(title=preview.title or "Untitled Pin", board=board, image_src=image,
                      href=href)
