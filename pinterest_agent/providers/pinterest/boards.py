"""Boards and board sections: list, read and create (``/boards``, ``/boards/{id}/sections``).

Pinterest pages every list with a ``bookmark``; :meth:`Boards.list` follows it to the end with
the largest page (250), because a worker that silently misses board 251 picks the wrong board.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from pinterest_agent.providers.pinterest.errors import PinterestValidationError
from pinterest_agent.providers.pinterest.models import (
    SECTION_NAME_MAX,
    Board,
    BoardSection,
    Pin,
    require_id,
)

if TYPE_CHECKING:
    from pinterest_agent.providers.pinterest.client import PinterestClient

__all__ = ["BOARD_PINS_PAGE_SIZE", "BOARD_PRIVACY", "PRIVACY_FILTERS", "Boards"]

#: What ``GET /boards?privacy=`` accepts.
PRIVACY_FILTERS = frozenset({"ALL", "PUBLIC", "PROTECTED", "SECRET", "PUBLIC_AND_SECRET"})
#: What a new board may be.
BOARD_PRIVACY = frozenset({"PUBLIC", "PROTECTED", "SECRET"})
BOARD_PINS_PAGE_SIZE = 100

Privacy = Literal["PUBLIC", "PROTECTED", "SECRET"]


class Boards:
    """``api.boards``: the account's boards and their sections and Pins."""

    def __init__(self, api: PinterestClient) -> None:
        self._api = api

    def list(self, *, privacy: str | None = None) -> list[Board]:
        """Every board the token may see (owned and group boards), across all pages."""
        if privacy is not None and privacy not in PRIVACY_FILTERS:
            raise PinterestValidationError(
                f"privacy must be one of {', '.join(sorted(PRIVACY_FILTERS))}, got {privacy!r}.",
                field="privacy",
            )
        return list(self._api.paginate_models(Board, "/boards", params={"privacy": privacy}))

    def get(self, board_id: str) -> Board:
        """One board; ``PinterestNotFoundError`` (``board_not_found``) if it is gone."""
        return self._api.get_model(Board, f"/boards/{require_id(board_id, 'board_id')}")

    def create(
        self, name: str, *, description: str | None = None, privacy: str = "PUBLIC"
    ) -> Board:
        """Create a board (``PUBLIC``, ``PROTECTED`` or ``SECRET``)."""
        if not name or not name.strip():
            raise PinterestValidationError("A board needs a name.", field="name")
        if privacy not in BOARD_PRIVACY:
            raise PinterestValidationError(
                f"privacy must be one of {', '.join(sorted(BOARD_PRIVACY))}, got {privacy!r}.",
                field="privacy",
            )
        body = {"name": name, "description": description, "privacy": privacy}
        return self._api.post_model(
            Board, "/boards", json={k: v for k, v in body.items() if v is not None}
        )

    def sections(self, board_id: str) -> builtins.list[BoardSection]:
        """Every section of a board, across all pages."""
        path = f"/boards/{require_id(board_id, 'board_id')}/sections"
        return list(self._api.paginate_models(BoardSection, path))

    def create_section(self, board_id: str, name: str) -> BoardSection:
        """Add a section (name 1 to 180 characters) to a board."""
        path = f"/boards/{require_id(board_id, 'board_id')}/sections"
        if not name or not name.strip() or len(name) > SECTION_NAME_MAX:
            raise PinterestValidationError(
                f"A board section name must be 1 to {SECTION_NAME_MAX} characters, "
                f"got {len(name or '')}.",
                field="name",
            )
        return self._api.post_model(BoardSection, path, json={"name": name})

    def pins(
        self,
        board_id: str,
        *,
        max_pages: int | None = None,
        page_size: int = BOARD_PINS_PAGE_SIZE,
    ) -> Iterator[Pin]:
        """The board's Pins, newest first, lazily page by page.

        Meant for reconciliation after an unknown outcome: scan the first ``max_pages`` pages
        for a Pin matching the attempted one (link, title, creation time).
        """
        path = f"/boards/{require_id(board_id, 'board_id')}/pins"
        return self._api.paginate_models(Pin, path, page_size=page_size, max_pages=max_pages)
