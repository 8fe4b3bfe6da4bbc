"""Choose a board for a post from a brief's ``board_hint`` (a board name, loosely written)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from pinterest_agent.providers.pinterest import Board

__all__ = ["match_board"]


def _norm(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(folded.lower().replace("-", " ").replace("_", " ").split())


def match_board(boards: Sequence[Board], hint: str) -> Board | None:
    """The board named *hint* (ignoring case, accents and separators), else the only board
    whose name contains it; ``None`` when there is no match or the match is ambiguous."""
    wanted = _norm(hint)
    if not wanted:
        return None
    exact = [b for b in boards if _norm(b.name) == wanted]
    if len(exact) == 1:
        return exact[0]
    partial = [b for b in boards if wanted in _norm(b.name)]
    return partial[0] if len(partial) == 1 else None
