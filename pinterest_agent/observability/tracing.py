"""OpenTelemetry spans at the worker's seams: the job (continuing an upstream producer's
``traceparent``), each LLM call, each Pinterest call, each fetch.

Off unless configured: with the ``[otel]`` extra absent, or no tracer provider installed
(:func:`install` from the worker's settings, or the application's own), every span here is
OpenTelemetry's no-op one or a ``nullcontext``. Attribute names follow the semantic conventions
(``messaging.*``, ``http.*``, ``gen_ai.*``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from opentelemetry.context import Context

try:
    from opentelemetry import context as otel_context
    from opentelemetry import trace
    from opentelemetry.propagate import extract, inject
except ImportError:  # pragma: no cover - the [otel] extra is not installed
    trace = None  # type: ignore[assignment]

__all__ = ["Job", "Kind", "active", "begin_job", "end_job", "inject_into", "install",
           "set_attributes", "span"]

Kind = Literal["internal", "client", "consumer", "producer"]
Attributes = Mapping[str, str | int | float | bool]
_TRACER = "pinterest_agent"


def active() -> bool:
    """True when OpenTelemetry is installed (its no-op provider counts: spans then cost nothing)."""
    return trace is not None


def install(exporter: Literal["console", "otlp"], service_name: str) -> None:
    """Install the SDK's tracer provider with a batch exporter (the worker's composition root
    calls it when ``tracing_exporter`` is set)."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

    chosen: SpanExporter
    if exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # type: ignore[import-not-found]
            OTLPSpanExporter,
        )
        chosen = OTLPSpanExporter()  # OTEL_EXPORTER_OTLP_* from the environment, as documented
    else:
        chosen = ConsoleSpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(chosen))
    trace.set_tracer_provider(provider)


@contextmanager
def span(name: str, *, kind: Kind = "internal", attributes: Attributes | None = None,
         ) -> Iterator[Any]:
    """A span around the block (its exception recorded); ``None`` when OTel is absent."""
    if trace is None:
        yield None
        return
    tracer = trace.get_tracer(_TRACER)
    with tracer.start_as_current_span(name, kind=_KINDS[kind], attributes=attributes) as current:
        yield current


def set_attributes(current: Any, attributes: Attributes) -> None:
    if current is not None:
        current.set_attributes(dict(attributes))


def inject_into(carrier: MutableMapping[str, Any]) -> None:
    """Put the current context's ``traceparent`` (and ``tracestate``) into *carrier*."""
    if trace is not None:
        inject(carrier)


class Job:
    """A job's consumer span, current in its worker thread until :func:`end_job`."""

    def __init__(self, current: Any, tokens: list[Any]) -> None:
        self.span = current
        self.tokens = tokens


def begin_job(carrier: Mapping[str, Any], name: str, attributes: Attributes) -> Job | None:
    """Start the job's span as a child of the upstream context in *carrier* (its
    ``traceparent``; a new trace without one) and make it current."""
    if trace is None:
        return None
    remote: Context = extract({k: v for k, v in carrier.items() if isinstance(v, str)})
    current = trace.get_tracer(_TRACER).start_span(
        name, context=remote, kind=trace.SpanKind.CONSUMER, attributes=attributes)
    return Job(current, [otel_context.attach(trace.set_span_in_context(current, remote))])


def end_job(job: Job | None, exception: BaseException | None) -> None:
    if job is None or trace is None:
        return
    if exception is not None:
        job.span.record_exception(exception)
        job.span.set_status(trace.Status(trace.StatusCode.ERROR, type(exception).__name__))
    job.span.end()
    for token in reversed(job.tokens):
        otel_context.detach(token)


if trace is not None:
    _KINDS = {"internal": trace.SpanKind.INTERNAL, "client": trace.SpanKind.CLIENT,
              "consumer": trace.SpanKind.CONSUMER, "producer": trace.SpanKind.PRODUCER}
