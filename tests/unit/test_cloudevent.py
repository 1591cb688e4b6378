"""CloudEvents over Kafka: the headers newsgen writes parse with the cloudevents SDK; records sent as
CloudEvents (binary or structured mode) unwrap to the record, bad ones to a reason."""
from __future__ import annotations

import base64
import json

import pytest
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent

from newsgen import cloudevent
from newsgen.messages import DeadLetter, NoteMessage, Provenance, Source

RECORD = {"type": "football_match", "id": "m:1", "status": "scheduled", "date": "2026-12-01",
          "tournament": "РПЛ", "home": {"name": "Зенит"}, "away": {"name": "Спартак"}}
RAW = json.dumps(RECORD, ensure_ascii=False).encode()


def sdk_message(headers, value, key=None) -> ce_kafka.KafkaMessage:
    return ce_kafka.KafkaMessage(headers={k: v for k, v in headers}, key=key, value=value)


def note() -> NoteMessage:
    p = Provenance(model="m", backend="torch", template="t", template_version="v", seed_sha256="0" * 64,
                   sampling={}, prompt_tokens=1, new_tokens=1, finish_reason="stop", timings_ms={}, worker="w")
    return NoteMessage(key="m:1:note:3", task="note", record_type="football_match", record_id="m:1", revision=3,
                       language="ru", text="Текст.", record=RECORD, provenance=p)


def test_note_headers_are_a_valid_binary_cloudevent():
    n = note()
    headers = cloudevent.note_headers(n, "/newsgen/worker")
    names = [k for k, _ in headers]
    assert names[:2] == ["schema", "idempotency-key"] and "content-type" in names
    event = ce_kafka.from_binary_event(sdk_message(headers, n.model_dump_json(by_alias=True).encode()))
    assert event.get_specversion() == "1.0" and event.get_type() == "newsgen.note.v1"
    assert event.get_id() == n.key and event.get_subject() == "m:1" and event.get_source() == "/newsgen/worker"
    assert event.get_time() is not None and event.get_data()["text"] == "Текст."
    assert event.get_dataschema() == "https://newsgen.local/schemas/note/1"
    assert dict(headers)["ce_time"].decode().endswith("Z")


def test_dead_letter_headers_name_the_record_when_they_can():
    letter = DeadLetter.of(RAW, reason="schema", error="$.x: bad", stage="validate",
                           source=Source(topic="t", partition=2, offset=7))
    headers = cloudevent.dead_letter_headers(letter, "/newsgen/bridge")
    event = ce_kafka.from_binary_event(sdk_message(headers, letter.model_dump_json(by_alias=True).encode()))
    assert event.get_type() == "newsgen.dead-letter.v1" and event.get_id() == "dead-letter:t/2/7"
    assert event.get_subject() == "m:1"
    keyed = DeadLetter.of(b"x", reason="max_attempts", error="e", stage="generate", key="a:b:note:1")
    assert dict(cloudevent.dead_letter_headers(keyed, "/w"))["ce_subject"] == b"a:b"
    unknown = DeadLetter.of(b"\xff not json", reason="decode", error="e", stage="decode")
    hdrs = dict(cloudevent.dead_letter_headers(unknown, "/w"))
    assert "ce_subject" not in hdrs and hdrs["ce_id"].startswith(b"dead-letter:")


def test_a_plain_record_passes_through():
    got = cloudevent.unwrap(RAW, [("schema", b"football_match/1")])
    assert got.mode == "plain" and got.record == RAW and got.error is None


def test_a_binary_mode_record_from_the_sdk_unwraps():
    event = CloudEvent(attributes={"type": "com.example.match", "source": "/feed", "id": "e-1",
                                   "dataschema": "https://newsgen.local/schemas/football_match/1",
                                   "traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"}, data=RECORD)
    msg = ce_kafka.to_binary_event(event)
    got = cloudevent.unwrap(msg.value, list(msg.headers.items()))
    assert got.mode == "binary" and got.error is None and json.loads(got.record) == RECORD
    assert got.dataschema.endswith("/football_match/1") and got.traceparent.startswith("00-aaaa")


def test_a_structured_mode_record_from_the_sdk_unwraps():
    event = CloudEvent(attributes={"type": "com.example.match", "source": "/feed", "id": "e-2"}, data=RECORD)
    msg = ce_kafka.to_structured_event(event)
    got = cloudevent.unwrap(msg.value, list(msg.headers.items()))
    assert got.mode == "structured" and got.error is None and json.loads(got.record) == RECORD


def test_structured_data_base64():
    value = json.dumps({"specversion": "1.0", "id": "1", "source": "/s", "type": "t",
                        "data_base64": base64.b64encode(RAW).decode()}).encode()
    got = cloudevent.unwrap(value, [("Content-Type", b"application/cloudevents+json; charset=UTF-8")])
    assert got.error is None and got.record == RAW


@pytest.mark.parametrize("value, content_type, reason", [
    (b"{not json", "application/cloudevents+json", "not valid JSON"),
    (b"[1, 2]", "application/cloudevents+json", "must be a JSON object"),
    (json.dumps({"specversion": "1.0", "data": RECORD}).encode(), "application/cloudevents+json",
     "lacks required attribute(s): id, source, type"),
    (json.dumps({"specversion": "0.3", "id": "1", "source": "/s", "type": "t", "data": RECORD}).encode(),
     "application/cloudevents+json", "unsupported CloudEvents specversion '0.3'"),
    (json.dumps({"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}).encode(),
     "application/cloudevents+json", "has no data"),
    (json.dumps({"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "datacontenttype": "text/xml",
                 "data": "<x/>"}).encode(), "application/cloudevents+json", "data must be JSON"),
    (json.dumps({"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "data_base64": "%%%"}).encode(),
     "application/cloudevents+json", "not base64"),
    (b"\x00\x01", "application/cloudevents+avro", "unsupported event format"),
    (b"\xff\xfe", "application/cloudevents+json", "not valid JSON"),
])
def test_bad_structured_events_say_why(value, content_type, reason):
    got = cloudevent.unwrap(value, [("content-type", content_type.encode())])
    assert got.mode == "structured" and reason in got.error


@pytest.mark.parametrize("headers, reason", [
    ([("ce_specversion", b"1.0"), ("ce_type", b"t")], "lacks required attribute(s): ce_id, ce_source"),
    ([("ce_specversion", b"1.0"), ("ce_type", b"t"), ("ce_id", b""), ("ce_source", b"/s")], "ce_id"),
    ([("ce_specversion", b"2.0"), ("ce_type", b"t"), ("ce_id", b"1"), ("ce_source", b"/s")], "specversion '2.0'"),
    ([("ce_specversion", b"1.0"), ("ce_type", b"t"), ("ce_id", b"1"), ("ce_source", b"/s"),
      ("content-type", b"application/xml")], "data must be JSON"),
    ([("ce_specversion", b"\xff"), ("ce_type", b"t")], "not UTF-8: ce_specversion"),
])
def test_bad_binary_events_say_why(headers, reason):
    got = cloudevent.unwrap(RAW, headers)
    assert got.mode == "binary" and reason in got.error


def test_hostile_headers_never_raise():
    for headers in ([(None, b"x")], [("content-type", None)], [("ce_id", None)], None, [],
                    [("content-type", b"\xff")], [(b"ce_id", b"1")]):
        assert isinstance(cloudevent.unwrap(b"{}", headers), cloudevent.Inbound)


def test_approval_headers_are_a_valid_binary_cloudevent():
    from newsgen.desk.actions import APPROVAL_SCHEMA, approval

    message = approval(note().model_dump(mode="json", by_alias=True), "editor")
    headers = cloudevent.approved_headers(message, "/newsgen/desk", APPROVAL_SCHEMA)
    event = ce_kafka.from_binary_event(sdk_message(headers, message.model_dump_json(by_alias=True).encode()))
    assert (event.get_type(), event.get_id(), event.get_subject()) == ("newsgen.approved.v1", "m:1:note:3", "m:1")
    assert dict(headers)["schema"] == APPROVAL_SCHEMA.encode()
