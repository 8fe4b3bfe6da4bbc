"""``pinterest-agent demo``: the whole product, offline, through the real code paths.

It starts the local sandbox on loopback (Pinterest v5 and an OpenAI-compatible endpoint),
connects a sandbox channel with the real OAuth flow, and runs real Dramatiq worker threads on
Redis (or, when no Redis answers, on an in-memory Redis so the same broker and store code runs).
A product brief goes writer -> designer -> publisher (the rendered image is saved to a file it
names), then the weekly insights job reads the channel's analytics and prints its insight.
Keys it writes use a fresh prefix and are removed afterwards. With ``--keep`` they stay under
the prefix ``pinterest-agent-demo`` (a later ``--keep`` run replaces the channel), and the
settings that open them (prefix, namespace, stream, the secret key the credentials are sealed
with) are written to ``OUT/demo.env``: ``. pinterest-agent-demo/demo.env && pinterest-agent
console`` shows the demo channel, its figures and insight in the web console.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dramatiq
import httpx
import redis
from pydantic import SecretStr

from pinterest_agent.agents.design.brand import BrandKit
from pinterest_agent.agents.insights.models import ChannelInsight
from pinterest_agent.errors import ConfigurationError
from pinterest_agent.providers.sandbox.analytics_data import populate_channel
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.connect import connect_with_oauth
from pinterest_agent.queues.jobs.actors import (
    INSIGHTS_ACTOR,
    WRITE_ACTOR,
    build_broker,
    declare_actors,
)
from pinterest_agent.queues.jobs.enqueue import enqueue_message
from pinterest_agent.queues.jobs.insights import insights_request, latest_insight
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings, load_settings
from pinterest_agent.queues.stores.brands import save_brand_kit
from pinterest_agent.queues.stores.secrets import SecretBox

__all__ = ["KEPT_SUFFIX", "run_demo", "sandbox_settings"]

Echo = Callable[[str], None]
DEMO_TIMEOUT_S = 60.0
KEPT_SUFFIX = "-demo"
"""``demo --keep`` leaves its keys under the configured key prefix plus this (by default
``pinterest-agent-demo``; one kept demo at a time)."""
ENV_FILE = "demo.env"


def _redis(url: str, echo: Echo) -> tuple[redis.Redis[bytes], bool]:
    client: redis.Redis[bytes] = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
        echo(f"Redis answers at {url}: using it for the broker and the store")
        return client, True
    except redis.ConnectionError:
        try:
            import fakeredis
        except ImportError:
            raise ConfigurationError(
                f"no Redis answers at {url}: start one (or set PINTEREST_AGENT_REDIS_URL), or "
                "install the in-memory stand-in with `pip install 'pinterest-agent-worker[demo]'`"
            ) from None

        echo(f"no Redis at {url}: using an in-memory Redis for this run")
        fake: redis.Redis[bytes] = fakeredis.FakeRedis()
        return fake, False


def sandbox_settings(base: Settings, sandbox: SandboxServer, prefix: str) -> Settings:
    """*base* pointed at a local sandbox, under a fresh key prefix and Dramatiq namespace."""
    return base.model_copy(
        update={
            "key_prefix": prefix,
            "broker_namespace": f"{prefix}-ns",
            "events_stream": f"{prefix}:events",
            "pinterest_api_base": sandbox.api_base,
            "pinterest_oauth_url": sandbox.oauth_url,
            "pinterest_app_id": sandbox.state.app_id,
            "pinterest_app_secret": SecretStr(sandbox.state.app_secret),
            "secret_key": SecretStr(SecretBox.generate_key()),  # ephemeral: demo only
            "allow_loopback_urls": True,
            "preflight_ca_file": sandbox.ca_file,
            "min_backoff_ms": 200,
            "openai_base_url": f"{sandbox.base_url}/openai/v1",
            "openai_api_key": SecretStr("sandbox-key"),
            "sandbox_url": sandbox.base_url,
            "sandbox_https_url": sandbox.https_base_url if sandbox.tls is not None else None,
        }
    )


def _wait_outcome(runtime: Runtime, kind: str, subject: str, done: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + DEMO_TIMEOUT_S
    while time.monotonic() < deadline:
        outcome = runtime.store.outcomes.get(kind, subject)
        if outcome is not None and outcome.get("status") in done:
            return outcome
        time.sleep(0.05)
    raise TimeoutError(f"the demo's {kind} {subject!r} did not finish in {DEMO_TIMEOUT_S:.0f}s")


def sample_brief(sandbox: SandboxServer, brief_id: str) -> dict[str, Any]:
    """The product brief from ``fixtures/briefs``, pointed at the sandbox's pages and images."""
    return {
        "schema_version": 1,
        "brief_id": brief_id,
        "channel_id": "demo",
        "kind": "product",
        "name": "Linen Throw Blanket in Sage Green",
        "summary": (
            "A stonewashed European linen throw, 130 x 170 cm, that gets softer with every "
            "wash. Breathable in summer, layered in winter. Natural flax fibres, OEKO-TEX "
            "certified, finished with a simple fringe."
        ),
        "destination_url": f"{sandbox.https_base_url}/_sandbox/pages/linen-throw-sage",
        "source_image_urls": [
            f"{sandbox.base_url}/_sandbox/images/product-linen-throw-1200x1800.jpg"],
        "audience": "people furnishing a calm, natural living room",
        "keywords": ["linen throw blanket", "sage green decor", "cozy living room"],
        "tone": "warm, understated",
        "locale": "en-US",
        "layout": "split",
        "publish": True,
    }


DEMO_BRAND = BrandKit(name="Linen & Sage", domain="shop.example.com", primary="#2E5E4E",
                      accent="#B5651D", background="#F4EFE6")
"""The demo channel's brand kit: a catalog mapping's ``brand:`` sets a real channel's."""


def run_demo(
    *, keep: bool = False, out_dir: Path = Path("pinterest-agent-demo"), echo: Echo = print
) -> dict[str, Any]:
    base = load_settings()
    with SandboxServer(https=True) as sandbox:
        echo(f"1. local Pinterest + OpenAI-compatible sandbox on {sandbox.base_url}")
        client, real_redis = _redis(base.redis_url, echo)
        prefix = (base.key_prefix + KEPT_SUFFIX if keep
                  else f"pinterest-agent-demo-{uuid.uuid4().hex[:8]}")
        settings = sandbox_settings(base, sandbox, prefix).model_copy(
            update={"media_dir": out_dir.resolve(), "broker_url": None}  # Redis, own namespace
        )
        if keep and base.secret_key is not None:  # keep the operator's key: the console has it
            settings = settings.model_copy(update={"secret_key": base.secret_key})
        runtime = Runtime.build(settings, redis_client=client)
        worker: dramatiq.Worker | None = None
        try:
            seeded = sandbox.state.seed_account("demo_shop")
            populate_channel(sandbox.state, seeded.user_id, pins=40, boards=3,  # links that resolve
                             link_base=f"{sandbox.https_base_url}/_sandbox/pages")
            creds = connect_with_oauth(
                runtime, "demo", port=0,
                open_url=lambda url: httpx.get(url, follow_redirects=True, timeout=10).close(),
                default_board_id=seeded.board_id,
            )
            save_brand_kit(runtime.store.documents, "demo", DEMO_BRAND)
            echo(f"2. channel 'demo' connected by OAuth as {creds.username}; it has 90 days "
                 "of Pins and analytics history in the sandbox, and a brand kit")
            broker = build_broker(settings, client)
            declare_actors(broker, runtime)
            broker.emit_after("process_boot")
            worker = dramatiq.Worker(broker, worker_threads=4, worker_timeout=100)
            worker.start()

            brief_id = f"demo-{uuid.uuid4().hex[:8]}"
            enqueue_message(broker, queue=settings.queue_writer, actor=WRITE_ACTOR,
                            payload=sample_brief(sandbox, brief_id))
            echo(f"3. PinBrief {brief_id} enqueued on {settings.queue_writer}: "
                 "writer -> designer -> publisher")
            drafted = _wait_outcome(runtime, "brief", brief_id, {"drafted", "failed"})
            _stop_on_failure(drafted, echo)
            echo(f"   title:       {drafted['title']}")
            echo(f"   description: {drafted['description']}")
            echo(f"   alt text:    {drafted['alt_text']}")
            echo(f"   image:       {drafted['image']['path']} "
                 f"({drafted['image']['width']}x{drafted['image']['height']}, "
                 f"headline {drafted['headline']!r}, {drafted['design']} layout)")
            published = _wait_outcome(runtime, "post", brief_id, {"published", "failed"})
            _stop_on_failure(published, echo)
            echo(f"4. published: Pin {published['pin_id']}  {published['pin_url']}")
            events = [e for e in runtime.store.outcomes.events(count=1000) if e["id"] == brief_id]
            echo("   events: " + ", ".join(f"{e['type']} ({e['stream_id']})" for e in events))

            enqueue_message(broker, queue=settings.queue_insights, actor=INSIGHTS_ACTOR,
                            payload=insights_request("demo"))
            echo(f"5. InsightsRequest enqueued on {settings.queue_insights}")
            ready = _wait_outcome(runtime, "insight", "demo", {"ok", "no_data",
                                                               "no_analytics_access", "failed"})
            _stop_on_failure(ready, echo)
            insight = latest_insight(runtime, "demo")
            assert insight is not None
            _print_insight(insight, echo)
            if keep:
                _write_env(out_dir / ENV_FILE, settings, echo, persisted=real_redis)
            return {"brief": drafted, "post": published, "events": events,
                    "insight": insight.model_dump(mode="json"), "redis": real_redis}
        finally:
            if worker is not None:
                worker.stop(timeout=5_000)
            if not keep:
                for key in client.scan_iter(match=f"{prefix}*", count=1000):
                    client.delete(key)
            runtime.close()


def _write_env(path: Path, settings: Settings, echo: Echo, *, persisted: bool) -> None:
    """The settings that open the kept demo data (0600: it holds the secret key)."""
    if not persisted:
        echo("7. --keep: the in-memory Redis is gone with this process; start Redis to keep "
             "the demo for the console")
        return
    from pinterest_agent.queues.entry.sandbox_env import export_lines

    assert settings.secret_key is not None
    env = {
        "PINTEREST_AGENT_REDIS_URL": settings.redis_url,
        "PINTEREST_AGENT_KEY_PREFIX": settings.key_prefix,
        "PINTEREST_AGENT_BROKER_NAMESPACE": settings.broker_namespace,
        "PINTEREST_AGENT_EVENTS_STREAM": settings.events_stream,
        "PINTEREST_AGENT_SECRET_KEY": settings.secret_key.get_secret_value(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Written by `pinterest-agent demo --keep`: source it, then run "
                    "`pinterest-agent console` and open channel 'demo'\n"
                    + "\n".join(export_lines(env)) + "\n", encoding="utf-8")
    path.chmod(0o600)
    echo(f"7. kept in Redis under {settings.key_prefix!r}; open it in the web console:")
    echo(f"   . {path} && pinterest-agent console      (then open channel 'demo')")


def _stop_on_failure(outcome: dict[str, Any], echo: Echo) -> None:
    if outcome.get("status") == "failed":
        echo("the demo job failed: " + json.dumps(outcome.get("error"), indent=2))
        raise SystemExit(1)


def _print_insight(insight: ChannelInsight, echo: Echo) -> None:
    echo(f"6. insight for 'demo' ({insight.status}): {insight.summary}")
    metrics = insight.metrics
    if metrics is not None:
        totals = metrics.totals.current
        echo(f"   last {metrics.period.days} days: {totals.impressions} impressions, "
             f"{totals.saves} saves, {totals.outbound_clicks} outbound clicks")
        for rank, pin in enumerate(metrics.top_pins.pins, 1):
            echo(f"   top {rank}: {pin.title!r} save rate {pin.save_rate:.2%}")
    for suggestion in insight.suggestions:
        echo(f"   suggestion {suggestion.priority}: {suggestion.action} "
             f"[{suggestion.figure} = {suggestion.figure_value}]")
    if insight.next_pin is not None:
        echo(f"   next Pin concept: {insight.next_pin.name} -> {insight.next_pin.destination_url}")
