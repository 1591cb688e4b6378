"""W3C trace context through Kafka and Celery headers, spans of the router and the traced generator
(in-memory exporter), the trace file exporter, and bad traceparents."""
from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from newsgen import tracing
from newsgen.config import load_settings
from newsgen.routing import RecordRouter, split_schema
from producers.publish import EXAMPLES_DIR

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture(scope="module")
def exporter():
    """An SDK provider (the process's, or a new one) with an in-memory exporter."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        pytest.skip("another tracer provider is installed in this process")
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return memory


@pytest.fixture
def spans(exporter):
    exporter.clear()
    yield exporter
    exporter.clear()


@pytest.mark.parametrize("value", ["", "garbage", "00-" + "0" * 32 + "-00f067aa0ba902b7-01",
                                   f"00-{TRACE_ID}-" + "0" * 16 + "-01", f"zz-{TRACE_ID}-00f067aa0ba902b7-01",
                                   f"00-{TRACE_ID.upper()}-00f067aa0ba902b7-01", "\ufffd"])
def test_a_malformed_traceparent_starts_a_new_trace(value):
    ctx, status = tracing.extract({"traceparent": value})
    assert status == "invalid" and not trace.get_current_span(ctx).get_span_context().is_valid


def test_kafka_headers_carry_the_context():
    ctx, status = tracing.extract_kafka([("schema", b"x/1"), ("traceparent", PARENT.encode())])
    assert status == "ok" and format(trace.get_current_span(ctx).get_span_context().trace_id, "032x") == TRACE_ID
    assert tracing.extract_kafka([])[1] == "absent"
    assert tracing.extract_kafka([("traceparent", b"\xff\xfe")])[1] == "invalid"
    assert tracing.extract_kafka([("ce_traceparent", PARENT.encode())])[1] == "ok", "CloudEvents binary mode"
    assert tracing.extract_kafka([], fallback=PARENT)[1] == "ok", "a structured CloudEvent's attribute"
    assert tracing.trace_id_of(PARENT) == TRACE_ID and tracing.trace_id_of("nope") is None


def test_context_passes_through_even_without_the_sdk_recording():
    """The API alone (tracing off) keeps the trace id from the record's header to the note's."""
    ctx, _ = tracing.extract({"traceparent": PARENT})
    with trace.NoOpTracer().start_as_current_span("x", context=ctx):
        assert tracing.trace_id_of(tracing.inject()["traceparent"]) == TRACE_ID


def test_router_spans_and_the_dispatch_context(spans):
    router = RecordRouter(load_settings())
    raw = (EXAMPLES_DIR / "football.jsonl").read_bytes().splitlines()[0]
    ctx, _ = tracing.extract({"traceparent": PARENT})
    with tracing.span("process records", kind=tracing.CONSUMER, context=ctx):
        routed = router.route(raw, schema="football_match/1")
        with tracing.span("dispatch", kind=tracing.PRODUCER):
            sent = tracing.inject()
    names = [s.name for s in spans.get_finished_spans()]
    assert names[0] == "validate" and names.count("seed") == len(routed.tasks) >= 1
    assert names[-2:] == ["dispatch", "process records"]
    assert {format(s.context.trace_id, "032x") for s in spans.get_finished_spans()} == {TRACE_ID}
    validate = spans.get_finished_spans()[0]
    assert validate.attributes["newsgen.record.type"] == "football_match"
    assert validate.attributes["newsgen.schema_version"] == 1
    dispatch = next(s for s in spans.get_finished_spans() if s.name == "dispatch")
    assert sent["traceparent"].split("-")[2] == format(dispatch.context.span_id, "016x")


def test_a_dead_letter_marks_the_validate_span(spans):
    RecordRouter(load_settings()).route(b'{"type": "football_match"}')
    [validate] = [s for s in spans.get_finished_spans() if s.name == "validate"]
    assert validate.attributes["newsgen.dead_letter.reason"] == "schema"


def test_schema_names_and_uris():
    assert split_schema("football_match/2") == ("football_match", "2")
    assert split_schema("https://newsgen.local/schemas/football_match/2") == ("football_match", "2")
    assert split_schema("football_match") == (None, "football_match")
    assert split_schema("a/b/c") == (None, "a/b/c")


class _FakeGenerator:
    model_id, backend = "tiny", "torch"

    def generate(self, requests):
        time.sleep(0.03)
        return [SimpleNamespace(timings_ms={"prefill_ms": 10.0, "decode_ms": 15.0, "batch_size": 1},
                                prompt_tokens=7, new_tokens=5) for _ in requests]


def test_the_traced_generator_lays_out_prefill_decode_and_fact_check(spans):
    gen = tracing.TracedGenerator(_FakeGenerator())
    assert gen.model_id == "tiny", "attributes pass through"
    with tracing.span("generate_note"):
        gen.generate([object()])
        time.sleep(0.005)                 # the note writer reads and checks the first round
        gen.generate([object()])
        gen.finish()
    done = spans.get_finished_spans()
    names = [s.name for s in sorted(done, key=lambda s: (s.start_time, s.name != "generate"))]
    assert names == ["generate_note", "generate", "batch wait", "prefill", "decode", "fact check",
                     "generate", "batch wait", "prefill", "decode", "fact check"]
    prefill = next(s for s in done if s.name == "prefill")
    decode = next(s for s in done if s.name == "decode")
    assert prefill.end_time == decode.start_time and abs((decode.end_time - decode.start_time) - 15e6) < 1e3
    generate = next(s for s in done if s.name == "generate")
    assert prefill.parent.span_id == generate.context.span_id
    assert generate.attributes["newsgen.model"] == "tiny"


def test_a_failed_write_drops_its_fact_check_span(spans):
    gen = tracing.TracedGenerator(_FakeGenerator())
    gen.generate([object()])
    gen.finish(ok=False)
    gen.finish()
    assert "fact check" not in [s.name for s in spans.get_finished_spans()]


def test_the_trace_file_gets_one_json_span_per_line(tmp_path, monkeypatch, exporter):
    path = tmp_path / "spans.jsonl"
    monkeypatch.setenv("NEWSGEN_TRACE_FILE", str(path))
    assert tracing.setup(load_settings(), "test")
    with tracing.span("hello", {"newsgen.key": "k"}):
        pass
    [line] = [json.loads(x) for x in path.read_text().splitlines() if '"hello"' in x]
    assert line["name"] == "hello" and line["attributes"]["newsgen.key"] == "k"


def test_tracing_is_off_by_default(monkeypatch):
    for name in ("NEWSGEN_TRACE_FILE", "OTEL_TRACES_EXPORTER", "OTEL_SDK_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    assert tracing.enabled_by_env(load_settings()) is None
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    assert tracing.enabled_by_env(load_settings()) == "otlp"
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert tracing.enabled_by_env(load_settings()) is None


def test_otlp_without_its_exporter_says_how_to_install_it(monkeypatch, caplog, exporter):
    try:
        import opentelemetry.exporter.otlp.proto.http.trace_exporter  # noqa: F401
        pytest.skip("the OTLP exporter is installed here")
    except ImportError:
        pass
    monkeypatch.delenv("NEWSGEN_TRACE_FILE", raising=False)
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    with caplog.at_level("ERROR", logger="newsgen.tracing"):
        assert tracing.setup(load_settings(), "test") is False
    assert "newsgen[otlp]" in caplog.text
