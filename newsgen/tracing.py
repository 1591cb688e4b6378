"""OpenTelemetry traces from record to note: set-up, and W3C trace context in Kafka and Celery headers.

Off by default. :func:`setup` turns it on in a process when ``NEWSGEN_TRACE_FILE`` is set (every span as
one JSON line appended to that file: tests, debugging) or ``OTEL_TRACES_EXPORTER`` is ``otlp`` (the OTLP
exporter, configured by the standard ``OTEL_EXPORTER_OTLP_*`` variables; needs the ``otlp`` extra) or
``console``. ``OTEL_SDK_DISABLED=true`` wins over both; ``OTEL_SERVICE_NAME`` and
``OTEL_RESOURCE_ATTRIBUTES`` name the process.

Off or on, trace context *passes through*: a record's ``traceparent`` header reaches the note's headers
with the same trace id (the API's non-recording spans carry the parent's context). Only the SDK records
and exports spans.

Headers: Kafka headers are ``[(name, bytes)]`` lists; Celery headers are ``{name: str}`` dicts. A
CloudEvent may carry the context as the Distributed Tracing extension (``ce_traceparent`` header, or
``traceparent`` attribute in structured mode): it is read when no plain ``traceparent`` header is there.
"""
from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger("newsgen.tracing")

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
#: attribute names of the spans (OpenTelemetry messaging conventions where they fit)
RECORD_ID, RECORD_TYPE, TASK, KEY = "newsgen.record.id", "newsgen.record.type", "newsgen.task", "newsgen.key"
MODEL, BACKEND = "newsgen.model", "newsgen.backend"

PRODUCER, CONSUMER = trace.SpanKind.PRODUCER, trace.SpanKind.CONSUMER
#: Celery header with the bridge's send time in ns (the start of a task's ``queue wait`` span)
SENT_NS_HEADER = "newsgen-sent-ns"

_propagator = TraceContextTextMapPropagator()
_lock = threading.Lock()
_provider: Any = None      # the SDK TracerProvider this process set up, if any
_exporting: set[str] = set()   # the trace files (or "otlp", "console") spans go to


class _DictGetter(Getter):
    def get(self, carrier: dict[str, str], key: str) -> list[str] | None:
        value = carrier.get(key)
        return [value] if isinstance(value, str) else None

    def keys(self, carrier: dict[str, str]) -> list[str]:
        return list(carrier)


_GETTER = _DictGetter()


def enabled_by_env(settings: Any = None) -> str | None:
    """Which exporter the environment asks for: ``file``, ``otlp``, ``console`` or None (off)."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    if settings is not None and getattr(settings, "trace_file", None):
        return "file"
    wanted = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    return wanted if wanted in ("otlp", "console") else None


def setup(settings: Any, service_name: str) -> bool:
    """Install the SDK's tracer provider in this process (once; a second trace file gets its own exporter
    too); returns whether tracing records spans."""
    global _provider
    kind = enabled_by_env(settings)
    if kind is None:
        return False
    with _lock:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

        target = str(settings.trace_file) if kind == "file" else kind
        if target in _exporting:
            return True
        provider = _provider
        if provider is None:
            existing = trace.get_tracer_provider()
            if isinstance(existing, TracerProvider):      # set up by the embedding program (or a test)
                provider = existing
            else:
                attributes: dict[str, Any] = {"process.pid": os.getpid()}
                if not os.environ.get("OTEL_SERVICE_NAME"):
                    attributes["service.name"] = service_name
                provider = TracerProvider(resource=Resource.create(attributes))
                trace.set_tracer_provider(provider)
        if kind == "file":
            out = open(settings.trace_file, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - kept open
            # one span per line, written when the span ends: several processes append to one file
            provider.add_span_processor(SimpleSpanProcessor(
                ConsoleSpanExporter(out=out, formatter=lambda span: span.to_json(indent=None) + "\n")))
        elif kind == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        else:
            try:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            except ImportError:
                log.error("OTEL_TRACES_EXPORTER=otlp needs the OTLP exporter: pip install 'newsgen[otlp]'; "
                          "spans are not exported")
                return False
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        _provider = provider
        _exporting.add(target)
        log.info("tracing on (%s exporter) as %s", target, service_name)
        return True


def flush() -> None:
    """Export the spans still buffered (the SDK also flushes when the process exits)."""
    if _provider is not None:
        _provider.force_flush()


def tracer() -> trace.Tracer:
    return trace.get_tracer("newsgen")


# --- context in headers --------------------------------------------------------------------------------

def extract(carrier: dict[str, str], fallback: str | None = None) -> tuple[otel_context.Context, str]:
    """The context a message carries, and how it went: ``ok``, ``absent`` or ``invalid`` (a present but
    malformed ``traceparent``: a new trace starts, logged and counted by the caller)."""
    if TRACEPARENT not in carrier and fallback is not None:
        carrier = {**carrier, TRACEPARENT: fallback}
    if TRACEPARENT not in carrier:
        return otel_context.Context(), "absent"
    ctx = _propagator.extract(carrier, context=otel_context.Context(), getter=_GETTER)
    if not trace.get_current_span(ctx).get_span_context().is_valid:
        return otel_context.Context(), "invalid"
    return ctx, "ok"


def extract_kafka(headers: Iterable[tuple[str, Any]] | None,
                  fallback: str | None = None) -> tuple[otel_context.Context, str]:
    """:func:`extract` over Kafka headers; when there is no ``traceparent`` header, ``ce_traceparent``
    (CloudEvents binary mode), else ``fallback`` (a structured CloudEvent's ``traceparent``)."""
    from newsgen.cloudevent import header_map

    # a value that is not UTF-8 is present but unreadable: a malformed traceparent
    carrier = {k: "\ufffd" if v is None else v for k, v in header_map(headers).items()}
    return extract(carrier, carrier.get("ce_" + TRACEPARENT, fallback))


def inject() -> dict[str, str]:
    """The current context as ``traceparent`` (and ``tracestate``) headers; empty when there is none."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier


def inject_kafka() -> list[tuple[str, bytes]]:
    return [(k, v.encode("utf-8")) for k, v in inject().items()]


def trace_id_of(traceparent: str | None) -> str | None:
    """The 32-hex trace id of a valid ``traceparent`` value."""
    if not traceparent:
        return None
    ctx, status = extract({TRACEPARENT: traceparent})
    return format(trace.get_current_span(ctx).get_span_context().trace_id, "032x") if status == "ok" else None


@contextmanager
def span(name: str, attributes: dict[str, Any] | None = None, kind: trace.SpanKind = trace.SpanKind.INTERNAL,
         context: otel_context.Context | None = None, start_time: int | None = None) -> Iterator[trace.Span]:
    """A span, current inside the block; attributes with ``None`` values are left out."""
    attrs = {k: v for k, v in (attributes or {}).items() if v is not None}
    with tracer().start_as_current_span(name, context=context, kind=kind, attributes=attrs,
                                        start_time=start_time) as current:
        yield current


def record_span(name: str, start_ns: int, end_ns: int, attributes: dict[str, Any] | None = None) -> None:
    """A span of work measured elsewhere (the backend's prefill and decode times, a task's wait in the
    queue): a child of the current span, with the given start and end times."""
    attrs = {k: v for k, v in (attributes or {}).items() if v is not None}
    s = tracer().start_span(name, start_time=start_ns, attributes=attrs)
    s.end(end_time=max(start_ns, end_ns))


class TracedGenerator:
    """A generator wrapper (``newsgen.generation`` contract) adding spans to the current trace.

    Each ``generate`` call is a ``generate`` span (its real wall time, micro-batch wait included) with the
    backend's own measured phases as children (``prefill``, ``decode``, and ``batch wait`` for the rest of
    the call), laid out back from the call's end. The time between two calls of one thread, and from the
    last call to :meth:`finish`, is the ``fact check`` span: the note writer reads, cuts and fact-checks
    each round's texts there (the template fallback too, after the last round).
    """

    def __init__(self, inner: Any):
        self.inner = inner
        self._local = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _checked_since_last(self, now: int, emit: bool = True) -> None:
        last = getattr(self._local, "last_end", None)
        if last is not None and emit:
            record_span("fact check", last, now)
        self._local.last_end = None

    def generate(self, requests: Any) -> Any:
        import time

        start = time.time_ns()
        self._checked_since_last(start)
        attrs = {MODEL: getattr(self.inner, "model_id", None), BACKEND: getattr(self.inner, "backend", None),
                 "newsgen.requests": len(requests)}
        with span("generate", attrs, start_time=start) as current:
            results = self.inner.generate(requests)
            end = time.time_ns()
            timings = results[0].timings_ms if results else {}
            decode_ns = int(float(timings.get("decode_ms", 0.0)) * 1e6)
            prefill_ns = int(float(timings.get("prefill_ms", 0.0)) * 1e6)
            decode_start = max(start, end - decode_ns)
            prefill_start = max(start, decode_start - prefill_ns)
            if prefill_start > start:
                record_span("batch wait", start, prefill_start)
            if prefill_ns:
                record_span("prefill", prefill_start, decode_start,
                            {"newsgen.prompt_tokens": sum(r.prompt_tokens for r in results)})
            if decode_ns:
                record_span("decode", decode_start, end, {"newsgen.new_tokens": sum(r.new_tokens for r in results)})
            current.set_attribute("newsgen.batch_size", int(timings.get("batch_size", len(requests)) or 0))
        self._local.last_end = time.time_ns()
        return results

    def finish(self, ok: bool = True) -> None:
        """The current thread's note is written (``ok``) or failed: end its last ``fact check`` span (or
        drop it)."""
        import time

        self._checked_since_last(time.time_ns(), emit=ok)
