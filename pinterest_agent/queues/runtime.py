"""The composition root: build every client, store and agent from :class:`Settings` once.

Actors, the CLI and the demo all get their collaborators from a :class:`Runtime`. Nothing below
``queues/`` reads settings or the environment; this module passes values in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

import httpx
import openai
import redis
from dramatiq.rate_limits.backends import RedisBackend

from pinterest_agent.agents.design.sources import DecodeGate, SourceRules
from pinterest_agent.agents.image_generation import ImageGenerator, OpenAIImageGenerator
from pinterest_agent.agents.llm import (
    OpenAIStructuredLLM,
    RedisLLMCache,
    StructuredLLM,
    make_openai_client,
)
from pinterest_agent.agents.llm.core import LLMCallRecord
from pinterest_agent.agents.prompting.performance import (
    PinFigures,
    TemplateVersionReport,
    VersionReportHook,
    version_report,
)
from pinterest_agent.agents.prompting.rollout import (
    PromptChoice,
    PromptRouter,
    RoutedLLM,
    fixed_choice,
)
from pinterest_agent.agents.publisher import SEND_WINDOW_S, PinterestPublisher, PlatformPublisher
from pinterest_agent.agents.tokens import TokenKeeper
from pinterest_agent.agents.video import VideoOptions, VideoUploads
from pinterest_agent.errors import ConfigurationError
from pinterest_agent.observability.metrics import count_llm_call
from pinterest_agent.prompts.loader import PromptLibrary
from pinterest_agent.providers.deadlines import DeadlineTransport, deadline_transport
from pinterest_agent.providers.netsafe import SafeFetcher
from pinterest_agent.providers.netsafe.ahead import PreflightAhead
from pinterest_agent.providers.netsafe.verdicts import CachedChecks
from pinterest_agent.providers.pinterest import PinterestClient, PinterestOAuth, TokenSet
from pinterest_agent.providers.pinterest.trends import TrendsAPI
from pinterest_agent.providers.pinterest.trends_models import (
    TrendFilters,
    TrendingKeywords,
    TrendType,
)
from pinterest_agent.queues.settings import Settings
from pinterest_agent.queues.stores.images import RedisImageStore
from pinterest_agent.queues.stores.keys import Keys
from pinterest_agent.queues.stores.limits import AnalyticsThrottle, ChannelWriteSlots
from pinterest_agent.queues.stores.prompts import RedisPromptUsage, RedisPromptVersions
from pinterest_agent.queues.stores.renewal import Renewer
from pinterest_agent.queues.stores.secrets import SecretBox
from pinterest_agent.queues.stores.store import Store
from pinterest_agent.queues.stores.trends import (
    ChannelTrendSettingsStore,
    TrendProfile,
    TrendsCache,
)
from pinterest_agent.queues.stores.turns import ChannelTenants
from pinterest_agent.queues.stores.verdicts import RedisVerdicts

__all__ = ["Runtime", "create_settle_ms", "safe_fetcher"]

log = logging.getLogger(__name__)



class _UnconfiguredOAuth:
    """Stands in for ``PinterestOAuth`` when no app credentials are set."""

    def refresh(self, refresh_token: str) -> TokenSet:
        raise ConfigurationError(
            "cannot refresh tokens: set PINTEREST_AGENT_PINTEREST_APP_ID and "
            "PINTEREST_AGENT_PINTEREST_APP_SECRET"
        )


def _pinterest_transport(
    settings: Settings, transport: httpx.BaseTransport | None
) -> DeadlineTransport:
    """Every Pinterest request (and upload) within its total deadline: over a connection pool
    of the system's sockets, or over the *transport* a test injects."""
    if transport is not None:
        return DeadlineTransport(transport, deadline_s=settings.pinterest_timeout_s)
    return deadline_transport(
        deadline_s=settings.pinterest_timeout_s,
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
    )


def safe_fetcher(
    settings: Settings, *, transport: httpx.BaseTransport | None = None
) -> SafeFetcher:
    """The SSRF-safe fetcher for job-supplied URLs, as the settings say (no Redis needed:
    ``catalog check`` uses it alone)."""
    return SafeFetcher(
        timeout_s=settings.preflight_timeout_s,
        preflight_deadline_s=settings.preflight_deadline_s,
        fetch_deadline_s=settings.source_fetch_deadline_s,
        file_deadline_s=settings.video_fetch_deadline_s,
        allow_loopback=settings.allow_loopback_urls,
        transport=transport,
        extra_ca_file=str(settings.preflight_ca_file) if settings.preflight_ca_file else None,
    )


def create_settle_ms(settings: Settings) -> int:
    """How long after its ``creating`` mark a create is settled: sent within the send window,
    ended by the Pinterest request's total deadline, then the settle margin."""
    return int((SEND_WINDOW_S + settings.pinterest_timeout_s
                + settings.create_settle_margin_s) * 1000)


@dataclass(eq=False)
class Runtime:
    settings: Settings
    redis_client: redis.Redis[bytes]
    store: Store
    pinterest_http: httpx.Client
    oauth: PinterestOAuth | _UnconfiguredOAuth
    tokens: TokenKeeper
    fetcher: SafeFetcher
    checks: CachedChecks
    """The fetcher's link and media checks with their verdicts remembered: the publisher's
    guard, also applied where links enter (the writer, the catalog sync)."""
    write_slots: ChannelWriteSlots
    renewer: Renewer
    """Keeps the claims this process holds alive (leases, write slots, channel turns)."""
    images: RedisImageStore
    ahead: PreflightAhead | None = None
    """Link preflights started as publish messages are fetched (``preflight_ahead``): the
    worker's broker feeds it (``queues.jobs.preflight_ahead``), the publisher asks it."""
    publishers: dict[str, PlatformPublisher] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        redis_client: redis.Redis[bytes] | None = None,
        pinterest_transport: httpx.BaseTransport | None = None,
        fetch_transport: httpx.BaseTransport | None = None,
    ) -> Runtime:
        if settings.secret_key is None:
            raise ConfigurationError(
                "PINTEREST_AGENT_SECRET_KEY is not set: channel credentials are encrypted at rest "
                "with it. Generate one with `pinterest-agent keygen` and keep it safe."
            )
        client = redis_client or redis.Redis.from_url(settings.redis_url)
        renewer = Renewer(client)
        claim_ttl_ms = int(settings.claim_ttl_s * 1000)
        store = Store.build(
            client,
            SecretBox(settings.secret_key),
            prefix=settings.key_prefix,
            events_stream=settings.events_stream,
            outcome_ttl_s=settings.outcome_ttl_days * 86400,
            renewer=renewer,
            lease_ttl_ms=claim_ttl_ms,
            reconcile_after_ms=int(settings.reconcile_after_s * 1000),
            settle_ms=create_settle_ms(settings),
            settle_margin_ms=int(settings.create_settle_margin_s * 1000),
        )
        http = httpx.Client(
            base_url=settings.pinterest_api_base,
            timeout=httpx.Timeout(settings.pinterest_timeout_s, connect=10.0),
            transport=_pinterest_transport(settings, pinterest_transport),
            headers={"User-Agent": "pinterest-agent-worker/0.1"},
        )
        oauth: PinterestOAuth | _UnconfiguredOAuth
        if settings.pinterest_app_id and settings.pinterest_app_secret:
            oauth = PinterestOAuth(
                http,
                app_id=settings.pinterest_app_id,
                app_secret=settings.pinterest_app_secret,
                authorize_url=settings.pinterest_oauth_url,
            )
        else:
            oauth = _UnconfiguredOAuth()
        tokens = TokenKeeper(store.credentials, oauth, margin_s=settings.token_refresh_margin_s,
                             cache_s=settings.credentials_cache_s)
        fetcher = safe_fetcher(settings, transport=fetch_transport)
        checks = CachedChecks(fetcher, ttl_s=settings.preflight_cache_s,
                              shared=RedisVerdicts(client, settings.key_prefix))
        ahead = None
        if settings.preflight_ahead:
            ahead = PreflightAhead(checks, wait_s=settings.preflight_deadline_s,
                                   concurrency=settings.preflight_ahead_concurrency)
        write_slots = ChannelWriteSlots(
            client,
            renewer,
            prefix=settings.key_prefix,
            limit=settings.pinterest_write_concurrency,
            ttl_ms=claim_ttl_ms,
        )
        images = RedisImageStore(client, settings.key_prefix,
                                 ttl_s=settings.image_ttl_days * 86400)
        runtime = cls(
            settings=settings,
            redis_client=client,
            store=store,
            pinterest_http=http,
            oauth=oauth,
            tokens=tokens,
            fetcher=fetcher,
            checks=checks,
            write_slots=write_slots,
            renewer=renewer,
            images=images,
            ahead=ahead,
        )
        runtime.publishers["pinterest"] = PinterestPublisher(
            tokens=tokens,
            ledger=store.ledger,
            api_factory=runtime.pinterest_api,
            write_slot=write_slots,
            preflight=checks.check_reachable if ahead is None else ahead.check_reachable,
            check_media_url=checks.check_url,
            check_link=checks.check_link,
            images=images,
            video=VideoUploads(
                ledger=store.ledger,
                fetcher=fetcher,
                options=VideoOptions(
                    max_bytes=settings.max_video_bytes,
                    processing_timeout_s=settings.video_processing_timeout_s,
                    tmp_dir=settings.video_tmp_dir,
                ),
            ),
        )
        return runtime

    @cached_property
    def openai_client(self) -> openai.OpenAI:
        s = self.settings
        return make_openai_client(
            api_key=s.openai_api_key.get_secret_value() if s.openai_api_key else None,
            base_url=s.openai_base_url,
            timeout_s=s.openai_timeout_s,
            max_retries=s.openai_max_retries,
        )

    @cached_property
    def base_llm(self) -> OpenAIStructuredLLM:
        """The model with the default templates (packaged, or ``prompts_dir``); built on first
        use, so publishing never needs an OpenAI key."""
        s = self.settings
        cache = None
        if s.llm_cache:
            cache = RedisLLMCache(self.redis_client, f"{s.key_prefix}:llm-cache")
        return OpenAIStructuredLLM(
            self.openai_client, model=s.openai_model, prompts=PromptLibrary(s.prompts_dir),
            cache=cache, mode=s.openai_output_mode,
            max_output_tokens=s.openai_max_output_tokens, temperature=s.openai_temperature,
            on_call=self._count_llm_call,
        )

    def _count_llm_call(self, record: LLMCallRecord) -> None:
        count_llm_call(
            template=record.template, model=record.model, version=record.template_hash,
            outcome=record.outcome, cached=record.cached, input_tokens=record.input_tokens,
            output_tokens=record.output_tokens,
            input_per_mtok=self.settings.llm_price_input_per_mtok,
            output_per_mtok=self.settings.llm_price_output_per_mtok)

    @cached_property
    def prompt_versions(self) -> RedisPromptVersions:
        return RedisPromptVersions(self.redis_client, self.settings.key_prefix)

    @cached_property
    def prompt_usage(self) -> RedisPromptUsage:
        return RedisPromptUsage(self.redis_client, self.settings.key_prefix)

    @cached_property
    def prompt_router(self) -> PromptRouter | None:
        """Published versions by the ``prompt_label`` setting, and rollouts; ``None`` when
        ``prompts_dir`` is set (a local override beats anything published)."""
        if self.settings.prompts_dir is not None:
            return None
        return PromptRouter(self.prompt_versions, label=self.settings.prompt_label)

    @cached_property
    def llm(self) -> StructuredLLM:
        """The model, rendering with the labelled template versions (read at each call)."""
        router = self.prompt_router
        return self.base_llm if router is None else RoutedLLM(self.base_llm, router)

    def llm_for(self, subject_id: str) -> tuple[StructuredLLM, PromptChoice]:
        """The model bound to one job's template versions (rollouts by ``subject_id``, a
        brief), and which versions those are, for the draft's provenance."""
        router = self.prompt_router
        if router is None:
            return self.base_llm, fixed_choice(self.base_llm.prompts)
        return RoutedLLM(self.base_llm, router).bind(subject_id)

    def template_version_hook(self, channel_id: str) -> VersionReportHook:
        """What the insights job calls with the per-Pin figures it fetched: template versions
        compared by the measured results of the channel's Pins (mapped through the ledger)."""
        s = self.settings

        def report(start: date, end: date,
                   figures: Mapping[str, PinFigures]) -> TemplateVersionReport:
            return version_report(
                self.prompt_usage, self.published_pin,
                lambda pin_ids, _start, _end: {p: figures[p] for p in pin_ids if p in figures},
                channel_id=channel_id, start=start, end=end,
                min_pins=s.prompt_report_min_pins, min_impressions=s.prompt_report_min_impressions,
            )

        return report

    def published_pin(self, post_id: str) -> str | None:
        """The Pin a post became, from the publish ledger."""
        entry = self.store.ledger.get(post_id)
        return entry.pin_id if entry is not None and entry.state == "published" else None

    @cached_property
    def source_rules(self) -> SourceRules:
        """The source-image rules, with this process's one gate on large decodes."""
        s = self.settings
        return SourceRules(
            max_pixels=s.max_source_pixels,
            min_side_px=s.min_source_side_px,
            max_upscale=s.max_source_upscale,
            max_aspect=s.max_source_aspect,
            gate=DecodeGate(large_pixels=s.large_decode_pixels, slots=s.large_decode_slots),
        )

    @cached_property
    def image_generator(self) -> ImageGenerator | None:
        return OpenAIImageGenerator(self.openai_client) if self.settings.image_generation else None

    def pinterest_api(self, access_token: str) -> PinterestClient:
        return PinterestClient(self.pinterest_http, access_token,
                               page_cap=self.settings.max_pages,
                               upload_deadline_s=self.settings.video_upload_deadline_s)

    # -- Pinterest Trends ------------------------------------------------------------------

    @cached_property
    def trend_settings(self) -> ChannelTrendSettingsStore:
        """Each channel's trends region and interests (``channels set``)."""
        return ChannelTrendSettingsStore(self.store.documents)

    @cached_property
    def tenants(self) -> ChannelTenants:
        """Which tenant owns each channel (``channels set --tenant``; fair dispatch's
        ``tenant_turns``)."""
        return ChannelTenants(self.redis_client, prefix=self.settings.key_prefix)

    @cached_property
    def trends_cache(self) -> TrendsCache:
        """Trends answers by region, type and filters, kept ``trends_cache_ttl_s``."""
        return TrendsCache(self.redis_client, Keys(self.settings.key_prefix),
                           ttl_s=self.settings.trends_cache_ttl_s)

    def trend_profile(self, channel_id: str) -> TrendProfile:
        """The channel's trends region and interests, the settings' defaults filling in."""
        return self.trend_settings.get(channel_id).resolve(
            channel_id, region=self.settings.trends_region,
            interests=self.settings.trends_interest_list)

    def trend_filters(self, channel_id: str, trend_type: TrendType | None = None) -> TrendFilters:
        """What :meth:`trends` asks for: the channel's region and interests, ``trend_type``
        (default: the ``trends_type`` setting), the top 50 and, per ``trends_prediction``, the
        predicted series. Callers slice the 50 (``found.top(n)``), so every caller of a channel
        shares one cached answer."""
        profile = self.trend_profile(channel_id)
        return TrendFilters(region=profile.region,
                            trend_type=trend_type or self.settings.trends_type,
                            interests=profile.interests,
                            include_prediction=self.settings.trends_prediction)

    def read_throttle(self, channel_id: str) -> AnalyticsThrottle:
        """The channel's limiter for reads apart from publishing (analytics, Pins and boards
        listed for insights, trends): ``analytics_requests_per_minute`` per rate-limit
        category."""
        return AnalyticsThrottle(
            RedisBackend(client=self.redis_client), prefix=self.settings.key_prefix,
            channel_id=channel_id, per_minute=self.settings.analytics_requests_per_minute)

    def trends(
        self,
        channel_id: str,
        trend_type: TrendType | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> TrendingKeywords:
        """The channel's trending keywords (:meth:`trend_filters`), from the cache when it holds
        them, else from Pinterest with the channel's token (then cached). Raises the provider's
        errors (``PinterestError``), and ``TokenKeeper``'s when the channel is not connected."""
        filters = self.trend_filters(channel_id, trend_type)
        cached = self.trends_cache.get(filters)
        if cached is not None:
            return cached
        api = TrendsAPI(self.pinterest_api(self.tokens.access_token(channel_id)), clock=clock,
                        limiter=self.read_throttle(channel_id))
        found = api.trending_keywords(filters)
        self.trends_cache.put(found)
        log.info("trends channel=%s region=%s type=%s: %d keywords fetched", channel_id,
                 filters.region, filters.trend_type, len(found.trends))
        return found

    def close(self) -> None:
        if self.ahead is not None:
            self.ahead.close()
        self.pinterest_http.close()
        self.fetcher.close()
