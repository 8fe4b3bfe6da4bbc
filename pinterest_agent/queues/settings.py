"""Every setting of the worker, read once from the environment (prefix ``PINTEREST_AGENT_``).

This is the only module that reads the environment. ``load_settings()`` is called by the
composition root (CLI, worker entry point) and the resulting object is passed down; agents and
providers never read settings themselves. The table in ``docs/settings.md`` is generated from
this class at build time (``docs/hooks/settings_table.py``): every field has a ``description``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pinterest_agent.agents.catalog.seasons import DEFAULT_REGION, Region
from pinterest_agent.errors import WorkerError
from pinterest_agent.providers.pinterest.pager import DEFAULT_PAGE_CAP
from pinterest_agent.providers.pinterest.trends_models import (
    Interest,
    TrendRegion,
    TrendType,
    parse_interests,
)

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_MESSAGE_BYTES",
    "PINTEREST_PRODUCTION",
    "PINTEREST_SANDBOX",
    "Settings",
    "load_settings",
]

DEFAULT_MAX_MESSAGE_BYTES = 28 * 1024 * 1024
"""The largest legitimate message: a post whose ``image_base64`` is Pinterest's 20 MiB image
limit (about 26.7 MiB of base64), plus the rest of the envelope."""
DEFAULT_MAX_DEPTH = 32
"""Nesting of JSON containers; the deepest real message (a carousel post) is 6 levels."""
PINTEREST_PRODUCTION = "https://api.pinterest.com/v5"
PINTEREST_SANDBOX = "https://api-sandbox.pinterest.com/v5"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PINTEREST_AGENT_", env_file=None, extra="ignore", frozen=True
    )

    # Redis: the store (ledger, leases, slots, outcomes, events, credentials), locks, rate limits,
    # and the broker unless broker_url names RabbitMQ.
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description="The store, locks, rate limits; the broker too unless broker_url is set.",
    )
    broker_url: str | None = Field(
        default=None, pattern=r"^amqps?://",
        description="amqp://user:password@host:5672/vhost: use RabbitMQ as the broker (Redis "
        "stays the store); unset: the Redis at redis_url is the broker too.",
    )
    key_prefix: str = Field(default="pinterest-agent", description="Prefix of the store's keys.")

    # Pinterest app and API.
    pinterest_app_id: str | None = Field(
        default=None, description="The Pinterest app's id (OAuth, token refresh)."
    )
    pinterest_app_secret: SecretStr | None = Field(
        default=None, description="The Pinterest app's secret (OAuth, token refresh)."
    )
    pinterest_api_base: str = Field(
        default=PINTEREST_PRODUCTION,
        description="Production, Pinterest's sandbox (https://api-sandbox.pinterest.com/v5), or "
        "the local sandbox (http://127.0.0.1:PORT/v5).",
    )
    pinterest_oauth_url: str = Field(
        default="https://www.pinterest.com/oauth/", description="Pinterest's authorization page."
    )
    pinterest_timeout_s: float = Field(
        default=30.0, gt=0,
        description="Total deadline of one Pinterest API request (connect, headers and body "
        "together; also each single wait); past it the request fails as network, with "
        "outcome_unknown for a POST or PATCH.",
    )
    video_upload_deadline_s: float = Field(
        default=300.0, gt=0,
        description="Total deadline of one video upload to Pinterest's upload store "
        "(upload_url); past it the upload fails as network and is retried.",
    )
    pinterest_write_concurrency: int = Field(
        default=3, ge=1, description="Creates in flight per channel (the channel's write slots)."
    )
    channel_turns: int = Field(
        default=5, ge=0,
        description="Publish jobs of one channel that run at once across every worker (fair "
        "dispatch): the channel's other posts wait their turn in Redis, in order, so other "
        "channels' posts are not queued behind its backlog. Its write slots "
        "(pinterest_write_concurrency, 3) cap its creates anyway; 5 keeps them busy while its "
        "other jobs record or wait for a link check (benchmarks/fairness.py: a lone busy "
        "channel at its first-in-first-out rate). 0 turns fair dispatch off (first in, first "
        "out).",
    )
    tenant_turns: int = Field(
        default=6, ge=0,
        description="Publish jobs of one tenant (the owner of several channels, set with "
        "`pinterest-agent channels set --tenant`) that run at once across every worker, all "
        "its channels together; each channel still has its channel_turns. The tenant's other "
        "posts wait in Redis and are handed the tenant's freed turns round robin across its "
        "channels, so a tenant with many busy channels does not take every worker thread from "
        "another tenant's quiet channel. 6 leaves 2 of one worker process's 8 threads (Dramatiq's "
        "default) to other tenants (benchmarks/fairness.py --tenants); at 8 or more a tenant "
        "can fill such a worker. Raise it with the fleet's threads. A channel without a tenant "
        "is its own tenant. 0: no tenant limit.",
    )
    turns_sweep_interval_s: float = Field(
        default=2.0, gt=0,
        description="How often each worker hands free turns to parked posts (a killed "
        "worker's turn lapses after claim_ttl_s) and updates the waiting gauges.",
    )
    create_settle_margin_s: float = Field(
        default=30.0, ge=0,
        description="A create whose outcome is unknown (timed out, 5xx, the worker died) is "
        "settled this long after its request's deadline (or after it ended, if sooner): no "
        "attempt creates the post again "
        "before then (the board is listed first, and again once it is settled). Covers "
        "Pinterest applying a create late and its board listing lagging behind.",
    )
    pinterest_scopes: str = Field(
        default="boards:read,boards:write,pins:read,pins:write,user_accounts:read",
        description="OAuth scopes requested and required (comma-separated).",
    )
    token_refresh_margin_s: int = Field(
        default=5 * 24 * 3600, ge=0,
        description="Access tokens are refreshed this long before they expire (and once on a 401).",
    )
    credentials_cache_s: float = Field(
        default=10.0, ge=0,
        description="Decrypted channel credentials are reused this long per worker process "
        "(a refresh always reads them afresh under the channel's lock; a token refreshed by "
        "another process meanwhile is at worst answered 401 once); 0 turns it off.",
    )
    max_pages: int = Field(
        default=DEFAULT_PAGE_CAP, ge=1,
        description="Pages one Pinterest listing may take (250 items each) before it fails with "
        "too_many_pages (the default is enough for 100,000 Pins); a repeated bookmark fails "
        "sooner, with pagination_loop.",
    )

    # LLM (any OpenAI-compatible server).
    openai_api_key: SecretStr | None = Field(
        default=None, description="The OpenAI (or compatible) API key."
    )
    openai_base_url: str | None = Field(
        default=None, description="Any OpenAI-compatible server; unset: OpenAI's."
    )
    openai_model: str = Field(
        default="gpt-4o-mini", description="The model for copy, design and insights."
    )
    openai_timeout_s: float = Field(
        default=20.0, gt=0,
        description="Total deadline of one model request (connect, headers and body together); "
        "past it the call fails with llm_unavailable. With the client's retries well below the "
        "actor limit.",
    )
    openai_max_retries: int = Field(default=1, ge=0, description="Client retries per request.")
    openai_max_output_tokens: int = Field(
        default=1024, ge=16, le=65536,
        description="Output tokens one answer may use; an answer cut there is a typed failure "
        "(llm_output_truncated). Sent as max_completion_tokens, and as max_tokens too to servers "
        "that read only that (llama.cpp, Ollama).",
    )
    openai_temperature: float | None = Field(
        default=None, ge=0.0, le=2.0,
        description="Sampling temperature; unset: the server's default. 0 makes a local model's "
        "answers repeatable.",
    )
    openai_output_mode: Literal["auto", "json_schema", "json_object", "tools", "prompted"] = Field(
        default="auto",
        description="How structured answers are asked for: json_schema (OpenAI's strict "
        "structured outputs), json_object with a schema (llama-cpp-python's server, older "
        "vLLM), tools (one forced function call), prompted (the schema in the prompt, the JSON "
        "taken from the text), or auto: the first the server accepts, remembered per base URL "
        "and model. Every mode ends in the same validation and repair.",
    )
    openai_vision: bool = Field(
        default=True,
        description="The model accepts images (gpt-4o-mini does): the design call sees a "
        "512 px copy of the source photo and answers the subject's box.",
    )
    llm_cache: bool = Field(
        default=True,
        description="Cache answers in Redis by model, template hash, inputs and output schema.",
    )
    image_generation: bool = Field(
        default=False,
        description="Make an image with the OpenAI images API when a brief has no source image.",
    )
    prompts_dir: Path | None = Field(
        default=None,
        description="A directory of *.j2 templates overriding the packaged ones and any published "
        "version (local iteration).",
    )

    # Prompt workbench: published template versions, rollouts, evals.
    prompt_label: str = Field(
        default="production", pattern=r"^[a-z][a-z0-9_-]{0,31}$",
        description="The label whose published template version the workers use (packaged "
        "templates while it points at none).",
    )
    llm_price_input_per_mtok: float = Field(
        default=0.15, ge=0,
        description="US dollars per million input tokens, for the eval's cost estimate "
        "(gpt-4o-mini's).",
    )
    llm_price_output_per_mtok: float = Field(
        default=0.60, ge=0,
        description="US dollars per million output tokens, for the eval's cost estimate "
        "(gpt-4o-mini's).",
    )
    prompt_report_min_pins: int = Field(
        default=5, ge=1,
        description="Template-version comparisons need this many measured Pins per version.",
    )
    prompt_report_min_impressions: int = Field(
        default=500, ge=0,
        description="... and this many impressions, else they say 'not enough data'.",
    )
    media_public_base_url: str | None = Field(
        default=None,
        description="Publish rendered images as image_url under this public base "
        "(the files are written to media_dir); unset: sent inline as image_base64.",
    )
    image_ttl_days: int = Field(
        default=7, ge=1,
        description="How long a rendered image is kept for its post (counted from the post's "
        "scheduled_at when later); the writer hands the publisher a reference to it "
        "(image_ref), so messages, drafts and events never carry the image.",
    )
    media_dir: Path | None = Field(
        default=None, description="Where the writer saves rendered images (served at "
        "media_public_base_url when that is set)."
    )

    # Secrets at rest.
    secret_key: SecretStr | None = Field(
        default=None,
        description="Required by workers: the Fernet key encrypting channel credentials at rest "
        "(pinterest-agent keygen); NEW,OLD during a rotation (the first encrypts, all decrypt).",
    )

    # Metrics (docs/observability.md): Dramatiq's Prometheus middleware and the worker's own.
    metrics_enabled: bool = Field(
        default=False,
        description="Serve Prometheus metrics from each worker host (one scrape target for all "
        "its processes, multiprocess mode).",
    )
    metrics_host: str = Field(default="127.0.0.1", description="Address /metrics listens on.")
    metrics_port: int = Field(default=9191, ge=1, le=65535, description="Port of /metrics.")
    metrics_dir: Path | None = Field(
        default=None,
        description="Where the worker processes keep their metric files (emptied at start); "
        "unset: a directory under the system's temporary directory.",
    )

    # Tracing (docs/observability.md): OpenTelemetry, the [otel] extra.
    tracing_enabled: bool = Field(
        default=False,
        description="Run each job in a span continuing its message's traceparent, with spans "
        "for LLM calls, Pinterest calls and fetches (needs the [otel] extra).",
    )
    tracing_exporter: Literal["console", "otlp"] | None = Field(
        default=None,
        description="Install OpenTelemetry's SDK with this exporter in the worker (otlp: "
        "opentelemetry-exporter-otlp-proto-http, configured by OTEL_EXPORTER_OTLP_*); unset: "
        "the application installs its own tracer provider, or spans go nowhere.",
    )
    tracing_service_name: str = Field(
        default="pinterest-agent-worker", description="The service.name of the worker's spans."
    )

    # Queues.
    broker_namespace: str = Field(default="dramatiq", description="Dramatiq's Redis key namespace.")
    broker_heartbeat_timeout_ms: int = Field(
        default=15_000, ge=1_000,
        description="A worker silent this long is dead: its unacked messages are redelivered.",
    )
    claim_ttl_s: float = Field(
        default=6.0, ge=1.0,
        description="Publish leases and write slots lapse this long after their holder stops "
        "renewing them (a killed worker's post can be retried after this).",
    )
    reconcile_interval_s: float = Field(
        default=60.0, gt=0,
        description="How often the reconciler looks for unfinished posts (one run per period "
        "across every worker).",
    )
    reconcile_after_s: float = Field(
        default=600.0, gt=0,
        description="A post not finished this long after its last attempt (or scheduled "
        "retry) is due, and is driven again from its stored message if no attempt holds it.",
    )
    broker_maintenance_interval_s: float = Field(
        default=3.0, gt=0,
        description="How often each worker beats its heartbeat and requeues dead workers' "
        "messages (every queue it serves, delay queues included).",
    )
    queue_writer: str = Field(
        default="agent__social-post-writer", description="The writer's queue (PinBrief)."
    )
    queue_publisher: str = Field(
        default="agent__social-publisher",
        description="The publisher's queue (SocialPost, PostUpdate).",
    )
    queue_insights: str = Field(
        default="agent__pinterest-insights", description="The insights queue (InsightsRequest)."
    )
    events_stream: str = Field(
        default="pinterest-agent:events",
        description="The Redis Stream of outcome events (capped near 100,000 entries).",
    )
    outcome_ttl_days: int = Field(
        default=90, ge=1,
        description="How long job outcomes are kept; the publish ledger (idempotency) is kept for "
        "good.",
    )
    max_retries: int = Field(
        default=8, ge=0, description="Transient retries before a job is dead-lettered."
    )
    rate_limit_budget_s: float = Field(
        default=3600.0, gt=0,
        description="A post rate limited (429) for this long in all fails with rate_limited; "
        "429s are waits, apart from the max_retries failures. No wait is scheduled past it: a "
        "Retry-After ending later fails the post rate_limited at once.",
    )
    min_backoff_ms: int = Field(default=2_000, ge=1, description="The shortest retry backoff.")
    max_backoff_ms: int = Field(
        default=15 * 60_000, ge=1,
        description="The longest retry backoff (keep RabbitMQ's consumer_timeout above it).",
    )
    actor_time_limit_ms: int = Field(
        default=5 * 60_000, ge=1_000, description="Dramatiq's time limit per job."
    )
    max_message_bytes: int = Field(
        default=DEFAULT_MAX_MESSAGE_BYTES, ge=1024,
        description="Larger messages are refused before decoding (message_too_large); the "
        "default fits a post carrying Pinterest's largest image as image_base64.",
    )
    max_message_depth: int = Field(
        default=DEFAULT_MAX_DEPTH, ge=8, le=200,
        description="Deeper JSON nesting is refused (message_too_deep).",
    )

    # Preflight and fetching.
    preflight_timeout_s: float = Field(
        default=5.0, gt=0,
        description="Each single wait (connect, one read) of the preflight and the fetcher; "
        "the deadlines below bound a whole call.",
    )
    preflight_deadline_s: float = Field(
        default=15.0, gt=0,
        description="Total deadline of a destination link's preflight (every redirect hop "
        "together); past it: destination_unavailable.",
    )
    source_fetch_deadline_s: float = Field(
        default=60.0, gt=0,
        description="Total deadline of a source image fetch; past it: source_unavailable.",
    )
    video_fetch_deadline_s: float = Field(
        default=240.0, gt=0,
        description="Total deadline of a video fetch (streamed to a file); past it: "
        "source_unavailable.",
    )
    preflight_cache_s: float = Field(
        default=300.0, ge=0,
        description="A destination link that answered < 400 is trusted this long by every "
        "worker (in Redis, P:preflight:{sha256 of the link}, and in each process), and a media "
        "host whose addresses passed the block policy per worker process (failures are never "
        "remembered; URL syntax is checked every time); 0 turns it off.",
    )
    preflight_ahead: bool = Field(
        default=True,
        description="Preflight a publish message's link when the worker fetches the message, "
        "on a pool of its own, so the job finds the verdict instead of making the round trip "
        "(the job's own check still decides: a failure is never reused).",
    )
    preflight_ahead_concurrency: int = Field(
        default=16, ge=1, le=256,
        description="Link preflights run ahead of their jobs at once, per worker process "
        "(threads; more fetched messages wait in a bounded backlog, or are left to their jobs).",
    )
    preflight_ahead_prefetch_scale: float = Field(
        default=1.5, ge=1.0, le=8.0,
        description="With preflight_ahead, the publisher queue prefetches this many times "
        "Dramatiq's 2 messages per worker thread (1.5: 3 per thread), so a fetched post waits "
        "about two jobs' time for a thread, long enough for its link's preflight (a round trip "
        "as long as the create's). 1 keeps Dramatiq's; more holds more messages per process.",
    )
    allow_loopback_urls: bool = Field(
        default=False,
        description="Let the preflight and image fetcher reach loopback (127.0.0.0/8, ::1). "
        "Only for the local sandbox and tests; never in production.",
    )
    preflight_ca_file: Path | None = Field(
        default=None,
        description="An extra CA (PEM) the fetcher trusts besides the system's; the demo and "
        "tests point it at the sandbox's throwaway CA.",
    )
    sandbox_url: str | None = Field(
        default=None, pattern=r"^https?://",
        description="The local sandbox's base URL (`pinterest-agent sandbox` writes it): a file "
        "the CLI reads (a message, a feed) may name it as ${PINTEREST_AGENT_SANDBOX_URL}, as the "
        "samples under fixtures/ do.",
    )
    sandbox_https_url: str | None = Field(
        default=None, pattern=r"^https://",
        description="The local sandbox's HTTPS base URL (its test pages), named as "
        "${PINTEREST_AGENT_SANDBOX_HTTPS_URL} in such files.",
    )
    max_source_image_bytes: int = Field(
        default=20 * 1024 * 1024, description="The largest source image fetched."
    )
    max_source_pixels: int = Field(
        default=50_000_000, ge=1, description="Larger sources are refused (source_too_large)."
    )
    min_source_side_px: int = Field(
        default=400, ge=1,
        description="Sources with a shorter shortest side are refused (source_too_small).",
    )
    max_source_aspect: float = Field(
        default=4.0, ge=1.5,
        description="Sources longer than this many times their width are refused "
        "(source_too_small).",
    )
    max_source_upscale: float = Field(
        default=2.5, ge=1.0,
        description="A 2:3 crop needing more upscaling than this is not cropped: the whole "
        "picture is shown, scaled up at most this much, on a blurred backdrop.",
    )
    large_decode_pixels: int = Field(
        default=20_000_000, ge=1,
        description="Decodes of larger sources wait for one of large_decode_slots per process.",
    )
    large_decode_slots: int = Field(
        default=2, ge=1,
        description="Decodes over large_decode_pixels a process runs at once (the others wait).",
    )

    # Video Pins.
    max_video_bytes: int = Field(
        default=2 * 1024 * 1024 * 1024, ge=1,
        description="The largest video file fetched (streamed to a temporary file, never held "
        "in memory).",
    )
    video_tmp_dir: Path | None = Field(
        default=None,
        description="Where a video waits between its fetch and its upload (deleted right "
        "after); unset: the system's temporary directory. Needs room for max_video_bytes per "
        "worker thread; avoid a RAM-backed tmpfs.",
    )
    video_poll_interval_s: float = Field(
        default=10.0, gt=0, description="Delay between checks of Pinterest's video processing."
    )
    video_processing_timeout_s: float = Field(
        default=1800.0, gt=0,
        description="Give up (video_processing_timeout, retried with a new upload) when the "
        "video is still not processed this long after its upload.",
    )

    # Web console.
    console_password: SecretStr | None = Field(
        default=None,
        description="The console's login password; required to listen beyond loopback. "
        "Unset (loopback only): a one-time password is printed when the console starts.",
    )
    console_session_max_age_s: int = Field(
        default=12 * 3600, ge=60,
        description="A console login lasts this long from the login (logging out ends it).",
    )
    console_host: str = Field(
        default="127.0.0.1",
        description="The address the console listens on (`console --host`); beyond loopback "
        "only with console_password set.",
    )
    console_port: int = Field(
        default=8086, ge=0, le=65535, description="The console's port (`console --port`).")
    console_forwarded_allow_ips: str = Field(
        default="",
        description="Comma-separated addresses or networks of the proxies the console trusts "
        "with `X-Forwarded-Proto` and `X-Forwarded-For` (uvicorn's forwarded_allow_ips; `*` "
        "trusts every peer). Unset: none, the headers are ignored "
        "(`console --forwarded-allow-ips`).",
    )
    console_allowed_hosts: str = Field(
        default="",
        description="Comma-separated host names (or addresses) browsers use to reach the "
        "console, besides console_host and, on loopback, the loopback names; any other "
        "`Host` is refused with 400 (`console --allowed-host`, repeatable).",
    )

    # Insights.
    insights_cron: str = Field(
        default="0 6 * * 1",
        description="The weekly insights trigger (cron, UTC); default Monday 06:00.",
    )
    analytics_requests_per_minute: int = Field(
        default=300, ge=1,
        description="Reads per channel and Pinterest rate-limit category per minute, apart "
        "from publishing: analytics and listings for insights (org_analytics, org_read) and "
        "trends (trends_read).",
    )
    pin_cache_refresh_days: int = Field(
        default=28, ge=1,
        description="The insight lists only a channel's newest Pins between full listings; a "
        "full listing (catching edits and deletions of older Pins) runs at least this often. "
        "The cache is forgotten after twice this long without a run.",
    )
    insight_categories: Literal["auto", "llm", "rules"] = Field(
        default="auto",
        description="Who decides Pin content categories: the LLM where the keyword rules are "
        "unsure and it agrees with them where they are sure (the rules elsewhere), the keyword "
        "rules alone, or auto (the LLM when an OpenAI key is set).",
    )
    insight_category_llm_max_pins: int = Field(
        default=500, ge=0,
        description="Pins one insight run sends to the LLM for categories (the most-seen "
        "first); the rest get the rules until a later run.",
    )
    insight_category_batch_size: int = Field(
        default=50, ge=1, le=200,
        description="Pins per categories request to the LLM. An answer takes about 13 output "
        "tokens a Pin: keep this times 13 under the output cap (at most 40 with the local "
        "model's 600).",
    )

    # Catalogs and feeds (queues/jobs/catalog_run.py).
    catalog_pins_per_board_per_day: int = Field(
        default=2, ge=1, description="New catalog Pins planned per board per day at most.")
    catalog_pins_per_board_per_week: int = Field(
        default=10, ge=1,
        description="New catalog Pins planned per board per ISO week at most (Pinterest's "
        "guidance: about 5-15).")
    catalog_horizon_days: int = Field(
        default=365, ge=7, description="How far ahead the planner may place Pins.")
    catalog_region: Region = Field(
        default=DEFAULT_REGION,
        description="Where movable seasons (Easter, Mother's Day, Thanksgiving) fall for "
        "season: tags: US, CA, GB or IE; a channel's mapping may name its own (region:).")
    catalog_max_variations: int = Field(
        default=4, ge=1, description="Pins per item over time (each a new image, layout, title).")
    catalog_variation_interval_days: float = Field(
        default=28.0, gt=0, description="Days between an item's Pins.")
    catalog_top_pin_bonus: int = Field(
        default=2, ge=0,
        description="Extra variations for an item whose Pin is among the latest insight's top "
        "Pins.")
    catalog_top_pin_interval_days: float = Field(
        default=7.0, gt=0, description="Days between a top item's Pins.")
    catalog_batch_size: int = Field(
        default=500, ge=1, le=10_000,
        description="Items per Redis round trip (and per transaction) in a sync.")
    catalog_max_feed_bytes: int = Field(
        default=100 * 1024 * 1024, ge=1024, description="The largest feed fetched or read.")
    feed_fetch_deadline_s: float = Field(
        default=300.0, gt=0,
        description="Total deadline of a feed fetched by URL; past it: source_unavailable.")

    # Pinterest Trends (a channel may override region and interests: `channels set`).
    trends_region: TrendRegion = Field(
        default="US",
        description="The Trends region of a channel that names none (`channels set "
        "--trends-region`): US, CA, DE, FR, ES, IT, DE+AT+CH, GB+IE, IT+ES+PT+GR+MT, "
        "PL+RO+HU+SK+CZ, SE+DK+FI+NO, NL+BE+LU, AR, BR, CO, MX, MX+AR+CO+CL or AU+NZ.")
    trends_interests: str = Field(
        default="",
        description="Comma-separated Trends interests of a channel that names none "
        "(home_decor,food_and_drinks,...; see docs/trends.md); empty: every interest.")
    trends_type: TrendType = Field(
        default="growing",
        description="The trend type jobs read by default: growing, monthly, yearly or seasonal.")
    trends_cache_ttl_s: int = Field(
        default=86_400, ge=60,
        description="How long a channel's trends are kept in Redis per region, type and "
        "filters before Pinterest is asked again (a day by default).")
    trends_prediction: bool = Field(
        default=True,
        description="Ask for the 90-day predicted series (include_prediction, a closed beta of "
        "Pinterest's); turn off if your app is refused it.")

    @field_validator("trends_interests", mode="after")
    @classmethod
    def _known_interests(cls, value: str) -> str:
        try:
            return ",".join(parse_interests(value))
        except WorkerError as exc:  # a clear ValueError: pydantic-settings names the variable
            raise ValueError(exc.message) from None

    @property
    def trends_interest_list(self) -> tuple[Interest, ...]:
        """``trends_interests`` as a tuple (empty: every interest)."""
        return parse_interests(self.trends_interests)

    @field_validator("broker_url", mode="before")
    @classmethod
    def _empty_broker_url_is_unset(cls, value: object) -> object:
        return None if value == "" else value


@lru_cache(maxsize=1)
def load_settings() -> Settings:
    """Read the environment once per process."""
    return Settings()
