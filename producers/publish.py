"""Publish records to the records topic, keyed by record id so one match stays on one partition."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator

from newsgen import tracing
from newsgen.config import Settings
from newsgen.records import RecordValidator, jsonl_lines
from workers import kafka_clients

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"


def read_lines(path: Path) -> Iterator[bytes]:
    """Non-empty lines of a JSONL file as raw bytes (invalid ones too: the bridge dead-letters them), split
    exactly as ``newsgen validate`` splits them (:func:`newsgen.records.jsonl_lines`)."""
    with open(path, "rb") as fh:
        for _, line in jsonl_lines(fh):
            yield line


def key_and_headers(raw: bytes, validator: RecordValidator) -> tuple[bytes | None, list[tuple[str, bytes]]]:
    """Kafka key and ``schema=<type>/<version>`` header, when the record says them (the version the record
    is written in, see :meth:`RecordValidator.detect_version`). The key is the record id,
    or for a match event its ``match_id``: events share their match's partition and stay in order with it."""
    try:
        obj = json.loads(raw)
    except ValueError:
        return None, []
    if not isinstance(obj, dict):
        return None, []
    key_field = "match_id" if "match_id" in obj else "id"
    key = str(obj[key_field]).encode() if key_field in obj else None
    record_type = obj.get("type")
    headers = []
    if isinstance(record_type, str) and record_type in validator.record_types:
        # the version the record is written in: its own schema_version field, else the latest it is valid
        # under; none for a record valid under no version (the bridge reads it as the version it breaks
        # least, and its dead letter names the real mistake)
        version = validator.detect_version(obj)
        if version is not None:
            headers.append(("schema", f"{record_type}/{version}".encode()))
    return key, headers


class RecordPublisher:
    """Sends raw records with an idempotent, acks=all producer."""

    def __init__(self, settings: Settings, topic: str | None = None):
        self.settings = settings
        self.topic = topic or settings.records_topic
        self.validator = RecordValidator(settings.schemas_dir)
        self.producer = kafka_clients.producer(settings, acks="all", enable_idempotence=True,
                                               max_request_size=12 * 1024 * 1024)
        tracing.setup(settings, "newsgen-producer")

    def publish(self, lines: Iterable[bytes], headers: list[tuple[str, bytes]] | None = None) -> int:
        """Send every line (with ``headers`` added, e.g. CloudEvents ``ce_`` headers or a ``schema`` of the
        caller's own: the caller's win); returns the count once all are acknowledged. With tracing on, each record starts a trace (a ``send`` span) whose
        ``traceparent`` header the bridge continues."""
        futures = []
        for raw in lines:
            key, own = key_and_headers(raw, self.validator)
            with tracing.span(f"send {self.topic}", {"messaging.system": "kafka",
                                                     "messaging.destination.name": self.topic},
                              kind=tracing.PRODUCER):
                given = {n for n, _ in headers or []}          # the caller's headers win
                trace_headers = [] if tracing.TRACEPARENT in given else tracing.inject_kafka()
                futures.append(self.producer.send(self.topic, key=key, value=raw, headers=[
                    *(h for h in own if h[0] not in given), *(headers or []), *trace_headers]))
        self.producer.flush(timeout=60)
        for f in futures:
            f.get(timeout=60)
        return len(futures)

    def close(self) -> None:
        self.producer.close(timeout=30)
        tracing.flush()
