"""Items' links checked where a feed enters (``catalog check``, the sync), with the guard the
publisher uses, so an item whose Pin could never be published is a problem row, not a draft.

``check_link(url)`` is the publisher's link check (``SafeFetcher.check_link``: strict syntax,
then every address the host resolves to against the block policy; no request to the link). A
link it refuses (a private or metadata address, user info, a backslash, no host, a host that
does not exist or cannot be resolved for now) makes its item a :class:`FeedProblem` naming the
row and the id; the sync plans nothing for it (and, since a problem row is still *in* the feed,
does not count it as removed). A link that could not be resolved for now is checked again at
the next run.

A feed's links share few hosts (a shop links to its own site), so the syntax of every link is
checked, each row, and each distinct host and port is looked up once, ``concurrency`` lookups
at a time: a 100,000-row feed of one shop costs one lookup, not 100,000. Each lookup is bounded
by the fetcher's own deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from pinterest_agent.agents.catalog.items import FeedItem, FeedProblem, ParsedFeed
from pinterest_agent.errors import TransientError, WorkerError
from pinterest_agent.providers.netsafe import UnsafeURLError, parse_url, redact

__all__ = ["DEFAULT_CONCURRENT_LOOKUPS", "LinkCheck", "screen_links"]

LinkCheck = Callable[[str], object]
"""The publisher's link check: raises a :class:`~errors.WorkerError` for a link it refuses."""
DEFAULT_CONCURRENT_LOOKUPS = 8


def _refusal(check_link: LinkCheck, url: str) -> str | None:
    try:
        check_link(url)
    except WorkerError as exc:
        later = " (checked again at the next run)" if isinstance(exc, TransientError) else ""
        return f"{exc.message}{later}"
    return None


def screen_links(
    feed: ParsedFeed, check_link: LinkCheck, *,
    concurrency: int = DEFAULT_CONCURRENT_LOOKUPS,
) -> ParsedFeed:
    """``feed`` without the items whose link ``check_link`` refuses; each becomes a problem."""
    refused: dict[str, str] = {}
    by_host: dict[tuple[str, int], list[FeedItem]] = {}
    for item in feed.items:
        try:
            target = parse_url(item.link)
        except UnsafeURLError as exc:
            refused[item.item_id] = exc.message
            continue
        by_host.setdefault((target.host, target.port), []).append(item)
    hosts = list(by_host)
    if hosts:
        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(hosts))),
                                thread_name_prefix="link-check") as pool:
            verdicts = list(pool.map(lambda host: _refusal(check_link, by_host[host][0].link),
                                     hosts))
        for host, verdict in zip(hosts, verdicts, strict=True):
            if verdict is not None:
                refused.update((item.item_id, verdict) for item in by_host[host])
    if not refused:
        return feed
    problems = [FeedProblem(item.position, f"link {redact(item.link)} is refused: "
                                           f"{refused[item.item_id]}", item.item_id)
                for item in feed.items if item.item_id in refused]
    return replace(feed, items=tuple(i for i in feed.items if i.item_id not in refused),
                   problems=(*feed.problems, *problems))
