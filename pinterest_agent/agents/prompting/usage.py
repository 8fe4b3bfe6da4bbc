"""Which template versions wrote each draft: recorded by the writer, read by the comparison of
versions by real results and by the novelty assertion (a channel's recent titles).

``queues.stores.prompts.RedisPromptUsage`` keeps the records in Redis, per channel by time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict

from pinterest_agent.agents.prompting.versions import TemplateRef

__all__ = ["PromptUse", "UsageLog"]


class PromptUse(BaseModel):
    """One drafted post and the version of each template that wrote it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    post_id: str
    channel_id: str
    drafted_at: AwareDatetime
    title: str | None = None
    templates: dict[str, TemplateRef]
    trend_keywords: int | None = None
    """How many trending keywords (Pinterest Trends) the copy used; None when not recorded
    (posts drafted before trends were offered, or rewrites)."""


class UsageLog(Protocol):
    def record(self, use: PromptUse) -> None: ...

    def uses(self, channel_id: str, *, since: datetime, until: datetime) -> list[PromptUse]:
        """Records of posts drafted between ``since`` and ``until`` (inclusive), oldest first."""
        ...

    def recent_titles(self, channel_id: str, *, limit: int = 50) -> list[str]:
        """Titles of the channel's latest drafts, newest first."""
        ...
