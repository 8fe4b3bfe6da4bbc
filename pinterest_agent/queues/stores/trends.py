"""Pinterest Trends in the store: each channel's trends settings, and a day's cache of answers.

Keys (``P`` is the ``key_prefix`` setting)::

    P:trend-settings:{channel}             str  the channel's overrides (ChannelTrendSettings JSON)
    P:trends:{region}:{type}:{filters}     str  a TrendingKeywords JSON; expires after the
                                                ``trends_cache_ttl_s`` setting (a day)

Trends are Pinterest's, not an account's: channels that ask for the same region, type and filters
share one cache entry (``{filters}`` is :meth:`TrendFilters.cache_key`, a digest of the
normalised filters, so the same ask in another order or case is the same entry).

A channel's settings hold only what was set for it (``None``: follow the settings' default), so
changing ``PINTEREST_AGENT_TRENDS_REGION`` moves every channel that never chose a region.
"""

from __future__ import annotations

import redis
from pydantic import BaseModel, ConfigDict, field_validator

from pinterest_agent.providers.pinterest.trends_models import (
    Interest,
    TrendFilters,
    TrendingKeywords,
    TrendRegion,
    parse_interests,
    parse_region,
)
from pinterest_agent.queues.stores.documents import Documents
from pinterest_agent.queues.stores.keys import Keys

__all__ = ["DEFAULT_TTL_S", "ChannelTrendSettings", "ChannelTrendSettingsStore", "TrendProfile",
           "TrendsCache"]

DEFAULT_TTL_S = 86_400
_DOCUMENT = "trend-settings"


class TrendProfile(BaseModel):
    """What a channel's trends are read for: a region and interests (empty: every interest)."""

    model_config = ConfigDict(frozen=True)

    channel_id: str
    region: TrendRegion
    interests: tuple[Interest, ...] = ()
    region_is_default: bool = True
    """The region comes from the ``trends_region`` setting, not the channel."""
    interests_are_default: bool = True
    """The interests come from the ``trends_interests`` setting, not the channel."""


class ChannelTrendSettings(BaseModel):
    """A channel's own trends settings; ``None`` follows the settings' default."""

    model_config = ConfigDict(frozen=True)

    region: TrendRegion | None = None
    interests: tuple[Interest, ...] | None = None
    """``()`` is "every interest" chosen for this channel, whatever the default says."""

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, value: object) -> object:
        return parse_region(value) if isinstance(value, str) else value

    @field_validator("interests", mode="before")
    @classmethod
    def _interests(cls, value: object) -> object:
        return parse_interests(value) if isinstance(value, str | list | tuple) else value

    def resolve(
        self, channel_id: str, *, region: TrendRegion, interests: tuple[Interest, ...]
    ) -> TrendProfile:
        """This channel's profile, the given defaults filling what it does not set."""
        return TrendProfile(
            channel_id=channel_id,
            region=self.region or region,
            interests=self.interests if self.interests is not None else interests,
            region_is_default=self.region is None,
            interests_are_default=self.interests is None,
        )


class ChannelTrendSettingsStore:
    """Each channel's :class:`ChannelTrendSettings` (``P:trend-settings:{channel}``)."""

    def __init__(self, documents: Documents) -> None:
        self._documents = documents

    def get(self, channel_id: str) -> ChannelTrendSettings:
        """The channel's settings (all ``None`` when nothing was set)."""
        stored = self._documents.get(_DOCUMENT, channel_id)
        return (ChannelTrendSettings.model_validate_json(stored) if stored is not None
                else ChannelTrendSettings())

    def put(self, channel_id: str, settings: ChannelTrendSettings) -> None:
        self._documents.put(_DOCUMENT, channel_id, settings.model_dump_json())


class TrendsCache:
    """Trends answers by filters, for ``ttl_s`` seconds (``P:trends:...``)."""

    def __init__(self, client: redis.Redis[bytes], keys: Keys, *,
                 ttl_s: int = DEFAULT_TTL_S) -> None:
        if ttl_s < 1:
            raise ValueError("ttl_s must be at least 1")
        self._client = client
        self._keys = keys
        self.ttl_s = ttl_s

    def key(self, filters: TrendFilters) -> str:
        return self._keys("trends", filters.region, filters.trend_type, filters.cache_key())

    def get(self, filters: TrendFilters) -> TrendingKeywords | None:
        """The cached answer to ``filters``, or None (never cached, or expired)."""
        raw = self._client.get(self.key(filters))
        if raw is None:
            return None
        found = TrendingKeywords.model_validate_json(raw)
        return found if found.filters == filters else None  # a digest collision: ask again

    def put(self, found: TrendingKeywords) -> None:
        """Keep ``found`` for ``ttl_s`` seconds under its filters."""
        self._client.set(self.key(found.filters), found.model_dump_json(), ex=self.ttl_s)
