"""CloudEvents 1.0 over Kafka (the Kafka protocol binding), written to the spec; no Kafka import.

Out: the messages newsgen writes are *binary mode* CloudEvents: the value is the JSON message as before,
``content-type: application/json``, and the attributes as ``ce_`` headers (:func:`headers`).

In: a record on the records topic may be a plain JSON record (as before), a binary-mode CloudEvent (any
``ce_`` header: the value is the record; ``ce_specversion``, ``ce_id``, ``ce_source`` and ``ce_type`` are
required) or a structured-mode CloudEvent (``content-type: application/cloudevents+json``: the value is the
event as JSON with the record in ``data`` or ``data_base64``). :func:`unwrap` turns any of them into the
record's bytes, or the reason it is not a valid CloudEvent (a dead letter with reason ``cloudevent``).
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Iterable

SPECVERSION = "1.0"
STRUCTURED_PREFIX = "application/cloudevents"
JSON_CONTENT_TYPE = "application/json"
PREFIX = "ce_"
REQUIRED = ("specversion", "id", "source", "type")
#: ce_type of each message newsgen writes (versioned with the message's schema)
NOTE_TYPE, DEAD_LETTER_TYPE, APPROVED_TYPE = "newsgen.note.v1", "newsgen.dead-letter.v1", "newsgen.approved.v1"
REASON = "cloudevent"


def headers(type_: str, id_: str, source: str, time: str, subject: str | None = None,
            dataschema: str | None = None, extensions: dict[str, str] | None = None) -> list[tuple[str, bytes]]:
    """Binary-mode headers of a JSON message: ``content-type`` and the ``ce_`` attributes."""
    attrs = {"specversion": SPECVERSION, "id": id_, "source": source, "type": type_, "time": _rfc3339(time),
             "subject": subject, "dataschema": dataschema, **(extensions or {})}
    out = [("content-type", JSON_CONTENT_TYPE.encode())]
    out += [(PREFIX + k, str(v).encode("utf-8")) for k, v in attrs.items() if v not in (None, "")]
    return out


def _rfc3339(time: str) -> str:
    """``2026-12-01T10:00:00.123+00:00`` -> ``2026-12-01T10:00:00.123Z`` (both RFC 3339; Z is usual)."""
    return time[:-6] + "Z" if time.endswith("+00:00") else time


def subject_of(raw: bytes) -> str | None:
    """The record id of raw record bytes, when they are a JSON object with a string id (for ``ce_subject``
    of a dead letter)."""
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    value = obj.get("id") if isinstance(obj, dict) else None
    return value[:200] if isinstance(value, str) else None


@dataclass(frozen=True)
class Inbound:
    """A records-topic message unwrapped: the record's bytes, or ``error``."""

    mode: str                       # plain | binary | structured
    record: bytes = b""
    error: str | None = None
    attributes: dict[str, Any] | None = None   # the CloudEvent's attributes (not data)

    @property
    def dataschema(self) -> str | None:
        value = (self.attributes or {}).get("dataschema")
        return value if isinstance(value, str) else None

    @property
    def traceparent(self) -> str | None:
        value = (self.attributes or {}).get("traceparent")
        return value if isinstance(value, str) else None


def header_map(headers_: Iterable[tuple[str, Any]] | None) -> dict[str, str | None]:
    """Kafka headers ``[(name, bytes)]`` as ``{lower-case name: text}`` (the first of repeated names; ``None``
    for a value that is not UTF-8)."""
    out: dict[str, str | None] = {}
    for name, value in headers_ or ():
        if not isinstance(name, str):
            continue
        try:
            out.setdefault(name.lower(), bytes(value).decode("utf-8") if value is not None else "")
        except (TypeError, UnicodeDecodeError):
            out.setdefault(name.lower(), None)      # present, not UTF-8
    return out


def _json_type(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in ("application/json", "text/json") or media.endswith("+json")


def _missing(attrs: dict[str, Any]) -> list[str]:
    return [k for k in REQUIRED if not isinstance(attrs.get(k), str) or not attrs[k]]


def unwrap(value: bytes, headers_: Iterable[tuple[str, Any]] | None) -> Inbound:
    """The record inside a records-topic message; never raises."""
    hdrs = header_map(headers_)
    content_type = hdrs.get("content-type")
    if content_type is not None and content_type.strip().lower().startswith(STRUCTURED_PREFIX):
        return _structured(value, content_type)
    ce = {k[len(PREFIX):]: v for k, v in hdrs.items() if k.startswith(PREFIX)}
    if not ce:
        return Inbound("plain", value)
    bad = sorted(k for k, v in ce.items() if v is None)
    if bad:
        return Inbound("binary", error=f"binary-mode CloudEvent header(s) not UTF-8: {', '.join(PREFIX + k for k in bad)}")
    missing = _missing(ce)
    if missing:
        return Inbound("binary", error="binary-mode CloudEvent lacks required attribute(s): "
                                       + ", ".join(PREFIX + k for k in missing), attributes=ce)
    if ce["specversion"] != SPECVERSION:
        return Inbound("binary", error=f"unsupported CloudEvents specversion {ce['specversion'][:20]!r} "
                                       f"(supported: {SPECVERSION})", attributes=ce)
    if content_type is not None and not _json_type(content_type):
        return Inbound("binary", error=f"binary-mode CloudEvent data must be JSON, content-type is "
                                       f"{content_type[:80]!r}", attributes=ce)
    return Inbound("binary", value, attributes=ce)


def _structured(value: bytes, content_type: str) -> Inbound:
    media = content_type.split(";", 1)[0].strip().lower()
    if media != STRUCTURED_PREFIX + "+json":
        return Inbound("structured", error=f"structured-mode CloudEvent in an unsupported event format "
                                           f"{media[:80]!r} (supported: {STRUCTURED_PREFIX}+json)")
    try:
        event = json.loads(value)
    except (ValueError, UnicodeDecodeError) as exc:
        return Inbound("structured", error=f"structured-mode CloudEvent is not valid JSON: {str(exc)[:200]}")
    if not isinstance(event, dict):
        return Inbound("structured", error=f"structured-mode CloudEvent must be a JSON object, "
                                           f"got {type(event).__name__}")
    attrs = {k: v for k, v in event.items() if k not in ("data", "data_base64")}
    missing = _missing(attrs)
    if missing:
        return Inbound("structured", error="structured-mode CloudEvent lacks required attribute(s): "
                                           + ", ".join(missing), attributes=attrs)
    if attrs["specversion"] != SPECVERSION:
        return Inbound("structured", error=f"unsupported CloudEvents specversion {attrs['specversion'][:20]!r} "
                                           f"(supported: {SPECVERSION})", attributes=attrs)
    datacontenttype = attrs.get("datacontenttype")
    if datacontenttype is not None and (not isinstance(datacontenttype, str) or not _json_type(datacontenttype)):
        return Inbound("structured", error=f"structured-mode CloudEvent data must be JSON, datacontenttype is "
                                           f"{str(datacontenttype)[:80]!r}", attributes=attrs)
    if "data_base64" in event:
        try:
            data = base64.b64decode(str(event["data_base64"]), validate=True)
        except (binascii.Error, ValueError) as exc:
            return Inbound("structured", error=f"structured-mode CloudEvent data_base64 is not base64: {exc}",
                           attributes=attrs)
        return Inbound("structured", data, attributes=attrs)
    if "data" not in event:
        return Inbound("structured", error="structured-mode CloudEvent has no data (the record)", attributes=attrs)
    return Inbound("structured", json.dumps(event["data"], ensure_ascii=False).encode("utf-8"), attributes=attrs)


# --- the headers of each message newsgen writes --------------------------------------------------------

def _schema_uri(name: str, schema: str) -> str:
    """``note``, ``newsgen.note/1`` -> ``https://newsgen.local/schemas/note/1``."""
    from newsgen.records import SCHEMA_BASE_ID

    return f"{SCHEMA_BASE_ID}/{name}/{schema.rsplit('/', 1)[-1]}"


def _traced(out: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    from newsgen import tracing

    return out + tracing.inject_kafka()


def note_headers(note: Any, source: str) -> list[tuple[str, bytes]]:
    """Headers of a note (:class:`newsgen.messages.NoteMessage`): ``schema``, ``idempotency-key``, the
    CloudEvent (``ce_id`` = the idempotency key, ``ce_subject`` = the record id) and the current trace."""
    from newsgen.messages import NOTE_SCHEMA

    return _traced([("schema", NOTE_SCHEMA.encode()), ("idempotency-key", note.key.encode())]
                   + headers(NOTE_TYPE, note.key, source, note.created_at, note.record_id,
                             _schema_uri("note", NOTE_SCHEMA)))


def dead_letter_id(letter: Any) -> str:
    """``ce_id`` of a dead letter: its idempotency key, else where the record was read, else a hash of it."""
    if letter.key:
        return f"dead-letter:{letter.key}"
    if letter.source is not None:
        s = letter.source
        return f"dead-letter:{s.topic}/{s.partition}/{s.offset}"
    import hashlib

    return "dead-letter:" + hashlib.sha256(f"{letter.original_b64}{letter.at}".encode()).hexdigest()[:32]


def dead_letter_headers(letter: Any, source: str) -> list[tuple[str, bytes]]:
    """Headers of a dead letter (:class:`newsgen.messages.DeadLetter`): ``schema``, the CloudEvent
    (``ce_subject`` = the record id when the rejected bytes name one) and the current trace."""
    from newsgen.messages import DEAD_LETTER_SCHEMA

    subject = letter.key.rsplit(":", 2)[0] if letter.key else subject_of(letter.original())
    return _traced([("schema", DEAD_LETTER_SCHEMA.encode())]
                   + headers(DEAD_LETTER_TYPE, dead_letter_id(letter), source, letter.at, subject,
                             _schema_uri("dead_letter", DEAD_LETTER_SCHEMA)))


def approved_headers(approval: Any, source: str, schema: str) -> list[tuple[str, bytes]]:
    """Headers of an approval on the approved topic: ``schema``, ``idempotency-key`` and the CloudEvent."""
    return _traced([("schema", schema.encode()), ("idempotency-key", approval.key.encode())]
                   + headers(APPROVED_TYPE, approval.key, source, approval.approved_at,
                             approval.record_id))
