"""``pinterest-agent demo``: the main job, offline, through the real code paths.

It starts the local sandbox on loopback, connects a sandbox channel with the real OAuth flow,
and runs real Dramatiq worker threads on Redis (or, when no Redis answers, on an in-memory Redis
so the same broker and store code runs). It prints each step and the outcome. Keys it writes use
a fresh prefix and are removed afterwards unless ``--keep``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import dramatiq
import httpx
import redis
from pydantic import SecretStr

from providers.sandbox.server import SandboxServer
from queues.actors import build_broker, declare_actors
from queues.connect import connect_with_oauth
from queues.enqueue import enqueue_post
from queues.runtime import Runtime
from queues.settings import Settings, load_settings
from queues.store import SecretBox

__all__ = ["run_demo"]

Echo = Callable[[str], None]
DEMO_TIMEOUT_S = 60.0


def _redis(url: str, echo: Echo) -> tuple[redis.Redis[bytes], bool]:
    client: redis.Redis[bytes] = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
        echo(f"Redis answers at {url}: using it for the broker and the store")
        return client, True
    except redis.ConnectionError:
        import fakeredis

        echo(f"no Redis at {url}: using an in-memory Redis for this run")
        fake: redis.Redis[bytes] = fakeredis.FakeRedis()
        return fake, False


def _demo_settings(base: Settings, sandbox: SandboxServer, prefix: str) -> Settings:
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
            "openai_base_url": f"{sandbox.base_url}/openai/v1",
            "openai_api_key": SecretStr("sandbox-key"),
            "min_backoff_ms": 200,
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


def sample_post(sandbox: SandboxServer, post_id: str) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "post_id": post_id,
        "platform": "pinterest",
        "channel_id": "demo",
        "title": "Linen summer dress with pockets: breathable everyday outfit idea",
        "description": (
            "Looking for a breathable summer dress? This linen midi dress has deep pockets, "
            "a relaxed fit and washes easily. Outfit ideas for beach days and city walks."
        ),
        "link": f"{sandbox.https_base_url}/_sandbox/pages/linen-summer-dress",
        "alt_text": "A light blue linen midi dress with pockets on a wooden hanger",
        "media": {"type": "image_url", "url": f"{sandbox.base_url}/_sandbox/images/dress.jpg"},
    }


def run_demo(*, keep: bool = False, echo: Echo = print) -> dict[str, Any]:
    base = load_settings()
    with SandboxServer(https=True) as sandbox:
        echo(f"1. local Pinterest sandbox on {sandbox.base_url}")
        client, real_redis = _redis(base.redis_url, echo)
        prefix = f"pinterest-agent-demo-{uuid.uuid4().hex[:8]}"
        settings = _demo_settings(base, sandbox, prefix)
        runtime = Runtime.build(settings, redis_client=client)
        worker: dramatiq.Worker | None = None
        try:
            sandbox.state.seed_account("demo_shop")
            creds = connect_with_oauth(
                runtime, "demo", port=0,
                open_url=lambda url: httpx.get(url, follow_redirects=True, timeout=10).close(),
            )
            echo(f"2. channel 'demo' connected by OAuth as {creds.username} "
                 f"(default board {creds.default_board_id})")
            broker = build_broker(settings, client)
            declare_actors(broker, runtime)
            broker.emit_after("process_boot")
            worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
            worker.start()
            post_id = f"demo-{uuid.uuid4().hex[:8]}"
            message = enqueue_post(settings, sample_post(sandbox, post_id), broker=broker)
            echo(f"3. SocialPost {post_id} enqueued on {settings.queue_publisher} "
                 f"(message {message.message_id}); worker threads publishing")
            outcome = _wait_outcome(runtime, "post", post_id, {"published", "failed"})
            events = [e for e in runtime.store.outcomes.events() if e["id"] == post_id]
            if outcome["status"] != "published":
                echo("publish failed: " + json.dumps(outcome.get("error"), indent=2))
                raise SystemExit(1)
            echo(f"4. published: Pin {outcome['pin_id']}  {outcome['pin_url']}")
            on_board = sandbox.state.pins_on_board(creds.default_board_id or "")
            echo(f"   the sandbox board now holds {len(on_board)} Pin(s)")
            echo("   event: " + json.dumps({k: events[-1][k] for k in ("stream_id", "type", "id")}))
            return {"outcome": outcome, "events": events, "redis": real_redis}
        finally:
            if worker is not None:
                worker.stop(timeout=5_000)
            if not keep:
                for key in client.scan_iter(match=f"{prefix}*", count=1000):
                    client.delete(key)
            runtime.close()
