"""newsgen in an event pipeline, on the real services with a real bridge and worker (separate processes):
two schema versions of one record type on one topic, CloudEvents in and out, one trace from record to note."""
from __future__ import annotations

import json
import time
from collections import defaultdict

import pytest
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent
from kafka import TopicPartition

from newsgen.cli.stack import LocalStack
from newsgen.config import load_settings
from newsgen.messages import DeadLetter, NoteMessage
from producers.publish import EXAMPLES_DIR, RecordPublisher, read_lines
from workers import kafka_clients
from workers.topics import ensure_topics

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("services")]

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"
#: the stages of one note, in the order they start (the worker's three candidate rounds repeat the middle)
STAGES = ["process", "validate", "seed", "dispatch", "queue wait", "generate_note", "generate", "prefill",
          "decode", "fact check", "publish"]


def examples() -> list[dict]:
    """Finished football matches with a venue (model-narrated: their notes go through generation)."""
    out = [json.loads(line) for line in read_lines(EXAMPLES_DIR / "football.jsonl")]
    return [r for r in out if r["status"] == "finished" and isinstance(r.get("venue"), str)]


def read_raw(settings, topic: str, count: int, timeout_s: float = 120.0) -> list:
    """Messages of ``topic`` with their headers, from the beginning, until ``count`` arrived."""
    consumer = kafka_clients.consumer(settings, enable_auto_commit=False, group_id=None)
    got: list = []
    deadline = time.monotonic() + timeout_s
    try:
        parts = None
        while not parts and time.monotonic() < deadline:
            parts = consumer.partitions_for_topic(topic)
            time.sleep(0.2)
        tps = [TopicPartition(topic, p) for p in sorted(parts or [])]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        while len(got) < count and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                got.extend(records)
    finally:
        consumer.close()
    return got


def as_event(message) -> object:
    """The message parsed by the cloudevents SDK (binary mode); fails on an invalid CloudEvent."""
    headers = {k: v for k, v in message.headers}
    return ce_kafka.from_binary_event(ce_kafka.KafkaMessage(headers=headers, key=message.key, value=message.value))


def stage(span: dict) -> str:
    """A span's stage: ``process newsgen.records`` -> ``process``, ``send ...`` -> ``send``."""
    name = span["name"]
    return name.split(" ", 1)[0] if name.startswith(("process ", "send ")) else name


def log_tails(stack_dir) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(stack_dir.glob("*.log")))


def test_two_schema_versions_share_the_records_topic(pipeline_env, pipeline_settings, tmp_path):
    """A producer still on football_match 1 and one on 2 (structured venue) publish to one topic: both get
    notes from the same current model; a version nobody knows is a dead letter with its reason."""
    s = pipeline_settings
    old, new = examples()[:2]
    new = {**new, "venue": {"name": new["venue"], "city": new["home"].get("city", "Москва"), "capacity": 35000}}
    unknown = {**examples()[2], "id": "unknown-version-1"}
    ensure_topics(s)
    with LocalStack(pipeline_env, tmp_path / "logs", manage_services=False):
        v1, v2 = RecordPublisher(s), RecordPublisher(s)
        v1.publish([json.dumps(old, ensure_ascii=False).encode()])          # header football_match/1
        v2.publish([json.dumps(new, ensure_ascii=False).encode()])          # header football_match/2
        v2.publish([json.dumps(unknown, ensure_ascii=False).encode()], headers=[("schema", b"football_match/7")])
        v1.close()
        v2.close()
        messages = read_raw(s, s.notes_topic, count=4)
        letters = read_raw(s, s.dead_letter_topic, count=1, timeout_s=30)
    notes = {(n.record_id, n.task): n for n in (NoteMessage.model_validate_json(m.value) for m in messages)}
    assert set(notes) == {(old["id"], "note"), (old["id"], "summary"), (new["id"], "note"), (new["id"], "summary")}, \
        log_tails(tmp_path / "logs")
    assert notes[old["id"], "note"].record["venue"] == {"name": old["venue"]}, "version 1 upgraded to 2"
    assert notes[new["id"], "note"].record["venue"] == new["venue"]
    assert all(n.text for n in notes.values())

    [raw_letter] = letters
    letter = DeadLetter.model_validate_json(raw_letter.value)
    assert letter.reason == "unknown_schema_version" and letter.stage == "validate"
    assert "unknown football_match schema version '7'" in letter.error and "known: 1, 2" in letter.error
    assert json.loads(letter.original())["id"] == "unknown-version-1"
    event = as_event(raw_letter)
    assert event.get_type() == "newsgen.dead-letter.v1" and event.get_subject() == "unknown-version-1"


def test_a_cloudevent_record_yields_a_note_in_the_records_trace(pipeline_env, pipeline_settings, tmp_path,
                                                              monkeypatch):
    """Records sent as CloudEvents (structured mode with a traceparent; binary mode) become notes whose
    CloudEvents headers parse and whose trace continues the record's, with every stage's span in the trace
    file from the producer, the bridge and the worker processes; bad CloudEvents are dead letters and a
    malformed traceparent starts a new trace."""
    trace_file = tmp_path / "spans.jsonl"
    env = {**pipeline_env, "NEWSGEN_TRACE_FILE": str(trace_file)}
    monkeypatch.setenv("NEWSGEN_TRACE_FILE", str(trace_file))
    s = load_settings()
    structured_rec, binary_rec, plain_rec, bad_trace_rec = examples()[:4]
    structured = ce_kafka.to_structured_event(CloudEvent(
        attributes={"type": "com.example.match.finished", "source": "/feeds/rpl", "id": "evt-1",
                    "dataschema": "https://newsgen.local/schemas/football_match/1"}, data=structured_rec))
    binary = ce_kafka.to_binary_event(CloudEvent(
        attributes={"type": "com.example.match.finished", "source": "/feeds/rpl", "id": "evt-2",
                    "datacontenttype": "application/json"}, data=binary_rec))
    bad_json = b'{"specversion": "1.0", "id": "x", '
    missing = json.dumps({"specversion": "1.0", "type": "t", "data": plain_rec}).encode()
    structured_type = [("content-type", b"application/cloudevents+json; charset=UTF-8")]

    ensure_topics(s)
    with LocalStack(env, tmp_path / "logs", manage_services=False):
        publisher = RecordPublisher(s)
        publisher.publish([structured.value], headers=[*structured.headers.items(), ("traceparent", TRACEPARENT.encode())])
        publisher.publish([binary.value], headers=list(binary.headers.items()))
        publisher.publish([bad_json], headers=structured_type)
        publisher.publish([missing], headers=structured_type)
        publisher.publish([json.dumps(plain_rec, ensure_ascii=False).encode()])       # traced from the producer
        publisher.publish([json.dumps(bad_trace_rec, ensure_ascii=False).encode()],
                          headers=[("traceparent", b"00-not-a-trace-01")])
        publisher.close()
        messages = read_raw(s, s.notes_topic, count=8)
        letters = read_raw(s, s.dead_letter_topic, count=2, timeout_s=30)
        time.sleep(1.0)                        # the worker's last spans (publish) are written when it ends
    logs = log_tails(tmp_path / "logs")
    by_record = defaultdict(list)
    for m in messages:
        by_record[NoteMessage.model_validate_json(m.value).record_id].append(m)
    assert set(by_record) == {r["id"] for r in (structured_rec, binary_rec, plain_rec, bad_trace_rec)}, logs

    # every note is a valid binary-mode CloudEvent: ce_id the idempotency key, ce_subject the record id
    for m in messages:
        note, event = NoteMessage.model_validate_json(m.value), as_event(m)
        assert (event.get_id(), event.get_subject(), event.get_type()) == (note.key, note.record_id, "newsgen.note.v1")
        assert event.get_source() == "/newsgen/worker" and event.get_time() is not None
        assert dict(m.headers)["idempotency-key"] == note.key.encode()

    def trace_of(m) -> str:
        return dict(m.headers)["traceparent"].decode().split("-")[1]

    assert {trace_of(m) for m in by_record[structured_rec["id"]]} == {TRACE_ID}, "the record's trace goes on"
    others = {r["id"]: {trace_of(m) for m in by_record[r["id"]]} for r in (binary_rec, plain_rec, bad_trace_rec)}
    assert all(len(t) == 1 and TRACE_ID not in t for t in others.values()), "one new trace per record"

    reasons = sorted((DeadLetter.model_validate_json(m.value).reason, DeadLetter.model_validate_json(m.value).error)
                     for m in letters)
    assert [r for r, _ in reasons] == ["cloudevent", "cloudevent"]
    assert any("not valid JSON" in e for _, e in reasons) and any("lacks required attribute(s): id, source" in e
                                                                   for _, e in reasons)
    assert {as_event(m).get_type() for m in letters} == {"newsgen.dead-letter.v1"}

    spans = [json.loads(line) for line in trace_file.read_text().splitlines()]
    for trace_id, producer_span in ((TRACE_ID, False), (next(iter(others[plain_rec["id"]])), True)):
        mine = sorted((sp for sp in spans if sp["context"]["trace_id"] == "0x" + trace_id),
                      key=lambda sp: sp["start_time"])
        names = [stage(sp) for sp in mine]
        assert names[0] == ("send" if producer_span else "process"), names
        assert all(name in names for name in STAGES), f"missing stages: {names}"
        starts = [min(sp["start_time"] for sp in mine if stage(sp) == name) for name in STAGES]
        assert starts == sorted(starts), f"stages out of order: {list(zip(STAGES, starts))}"
        services = {sp["resource"]["attributes"]["service.name"]: sp["resource"]["attributes"]["process.pid"]
                    for sp in mine}
        assert {"newsgen-bridge", "newsgen-worker"} <= set(services)
        assert services["newsgen-bridge"] != services["newsgen-worker"], "bridge and worker are separate processes"
        generate = next(sp for sp in mine if sp["name"] == "generate")
        assert generate["attributes"]["newsgen.backend"] and generate["attributes"]["newsgen.model"]
        validate = next(sp for sp in mine if sp["name"] == "validate")
        assert validate["attributes"]["newsgen.record.id"] in (structured_rec["id"], plain_rec["id"])
    bad_trace = [sp for sp in spans if sp["name"].startswith("process")
                 and sp["attributes"].get("newsgen.traceparent") == "invalid"]
    assert len(bad_trace) == 1, "the malformed traceparent is noted on the new trace's first span"
