"""Following Pinterest's ``bookmark`` from page to page: the one pager, with a loop guard and a cap.

Every list of Pinterest v5 answers ``{"items": [...], "bookmark": "..." | null}``; the next page
is the same request with ``bookmark=<that>``. :func:`walk_pages` follows it for every lister of
the provider (``PinterestClient``'s boards, sections and board Pins; ``AnalyticsAPI``'s Pins and
boards), given ``fetch(bookmark) -> (page, next_bookmark)``:

- it ends when the bookmark is empty (``null`` or ``""``);
- a bookmark Pinterest already handed out raises :class:`PaginationLoopError`
  (``pagination_loop``, transient): following it would fetch the same pages forever (a server
  that repeats its first bookmark is caught after the second page);
- a walk that would need more than ``page_cap`` pages raises :class:`TooManyPagesError`
  (``too_many_pages``, the operator's setting ``PINTEREST_AGENT_MAX_PAGES``);
- ``stop_after`` pages, when given, end the walk quietly: a caller that only wants the newest
  pages (reconciliation) says so.

Pages are yielded as they arrive, so a lazy caller sends nothing until it iterates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from pinterest_agent.providers.pinterest.errors import PaginationLoopError, TooManyPagesError

__all__ = ["DEFAULT_PAGE_CAP", "walk_pages"]

DEFAULT_PAGE_CAP = 500
"""Pages one walk may take: 125,000 items at 250 a page (enough for 100,000 Pins)."""

PageT = TypeVar("PageT")


def walk_pages(
    fetch: Callable[[str | None], tuple[PageT, str | None]],
    *,
    what: str,
    page_cap: int = DEFAULT_PAGE_CAP,
    stop_after: int | None = None,
) -> Iterator[PageT]:
    """Yield every page ``fetch`` returns, following bookmarks (see the module docstring).

    ``what`` names the request in errors (``GET /v5/pins``). ``page_cap`` and ``stop_after``
    must be at least 1.
    """
    if page_cap < 1:
        raise ValueError(f"page_cap must be at least 1, got {page_cap}")
    if stop_after is not None and stop_after < 1:
        raise ValueError(f"stop_after must be at least 1, got {stop_after}")
    seen: set[str] = set()
    bookmark: str | None = None
    pages = 0
    while True:
        page, following = fetch(bookmark)
        pages += 1
        yield page
        if not following or (stop_after is not None and pages >= stop_after):
            return
        if following in seen:
            raise PaginationLoopError(
                f"Pinterest answered {what} (page {pages}) with a bookmark it had already given: "
                "following it would fetch the same pages forever. Retry later; if it persists, "
                "report it to Pinterest.",
                path=what, pages=pages,
            )
        if pages >= page_cap:
            raise TooManyPagesError(
                f"{what} has more than {page_cap} pages, the cap of one walk. If the account "
                "really holds that many items, raise PINTEREST_AGENT_MAX_PAGES.",
                path=what, pages=pages,
            )
        seen.add(following)
        bookmark = following
