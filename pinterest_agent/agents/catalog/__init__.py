"""From a product catalog or a blog feed to a steady flow of fresh Pins: ``feeds`` (reading each
format), ``mapping`` (items to boards, kinds, keywords and the brand), ``state`` (what the sync
remembers), ``variations`` (fresh Pins over time), ``planner`` (the cadence), ``briefs`` (the
messages) and ``sync`` (the run). Nothing here imports Redis or Dramatiq: ``queues/`` passes the
store, the board directory and the sender in."""

from pinterest_agent.agents.catalog.feeds import FeedError, detect_format, parse_feed
from pinterest_agent.agents.catalog.items import FeedItem, FeedProblem, ParsedFeed
from pinterest_agent.agents.catalog.mapping import CatalogMapping, MappingError, Route, load_mapping
from pinterest_agent.agents.catalog.planner import CadenceLimits, Peaks, Planner, Slot
from pinterest_agent.agents.catalog.state import CatalogStore, ItemState, OutboxEntry
from pinterest_agent.agents.catalog.sync import BoardDirectory, CatalogSync, SyncOptions, SyncReport
from pinterest_agent.agents.catalog.variations import VariationPolicy

__all__ = [
    "BoardDirectory",
    "CadenceLimits",
    "CatalogMapping",
    "CatalogStore",
    "CatalogSync",
    "FeedError",
    "FeedItem",
    "FeedProblem",
    "ItemState",
    "MappingError",
    "OutboxEntry",
    "ParsedFeed",
    "Peaks",
    "Planner",
    "Route",
    "Slot",
    "SyncOptions",
    "SyncReport",
    "VariationPolicy",
    "detect_format",
    "load_mapping",
    "parse_feed",
]
