"""One brief -> Pin is one trace, continuing the upstream producer's: a brief carrying a
``traceparent`` goes through the writer and the publisher (real Redis, real worker threads, the
sandbox's model and Pinterest), and the SDK's in-memory exporter holds the jobs' consumer spans,
the LLM call, the source fetch and the Pinterest calls, all under the producer's trace id."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import dramatiq
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import SecretStr

from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.jobs.actors import WRITE_ACTOR
from pinterest_agent.queues.settings import Settings
from tests.conftest import Channel, RunningWorker, make_settings
from tests.helpers import wait_for
from tests.test_write_worker import brief

pytestmark = pytest.mark.redis

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    """The process's tracer provider (installed once: OTel allows one) with an in-memory
    exporter for this module's tests."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer, tmp_path: Path) -> Settings:
    return make_settings(
        prefix, fresh_sandbox, openai_base_url=f"{fresh_sandbox.base_url}/openai/v1",
        openai_api_key=SecretStr("sandbox-key"), media_dir=tmp_path / "media",
        tracing_enabled=True,
    )


def in_trace(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans()
            if s.context is not None and f"{s.context.trace_id:032x}" == TRACE_ID]


def test_a_brief_with_a_traceparent_is_one_trace_down_to_the_pin(
    exporter: InMemorySpanExporter, fresh_sandbox: SandboxServer, channel: Channel,
    start_worker: Callable[..., RunningWorker],
) -> None:
    # Given a worker with tracing on, and an upstream producer's trace context
    exporter.clear()
    running = start_worker()
    payload = brief(fresh_sandbox)
    # When the producer enqueues a brief carrying its traceparent in the message options
    running.broker.enqueue(dramatiq.Message(
        queue_name=running.runtime.settings.queue_writer, actor_name=WRITE_ACTOR,
        args=(payload,), kwargs={}, options={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"}))
    # Then the Pin is published, and both jobs ran in the producer's trace
    wait_for(lambda: (running.runtime.store.outcomes.get("post", payload["brief_id"])
                      or {}).get("status") == "published")
    writer_queue = running.runtime.settings.queue_writer
    jobs = wait_for(lambda: consumers if len(consumers := [
        s for s in in_trace(exporter) if s.kind is trace.SpanKind.CONSUMER]) >= 2 else None)
    writer = next(s for s in jobs
                  if (s.attributes or {}).get("messaging.destination.name") == writer_queue)
    assert writer.parent is not None and f"{writer.parent.span_id:016x}" == PARENT_ID
    assert writer.attributes is not None and writer.attributes["messaging.system"] == "redis"
    spans = in_trace(exporter)
    names = [s.name for s in spans]
    # And the LLM call, the source image fetch and the Pin's create are spans in it
    llm = [s for s in spans if s.name.startswith("chat ")]
    assert llm and all((s.attributes or {}).get("gen_ai.usage.output_tokens", 0) > 0 for s in llm)
    assert any(name.startswith("fetch ") for name in names), names
    create = [s for s in spans if s.name == "POST /v5/pins"]
    assert len(create) == 1 and (create[0].attributes or {})["http.response.status_code"] == 201
    # And nothing of this job leaked into another trace: every span has a parent in the trace
    ids = {s.context.span_id for s in spans if s.context is not None}
    assert all(s.parent is not None and (s.parent.span_id in ids or s is writer) for s in spans)
