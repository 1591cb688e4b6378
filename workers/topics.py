"""Kafka topic helpers: create the pipeline's topics, read messages back (CLI, demo, tests)."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Iterator

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from newsgen.config import Settings

PARTITIONS = 3


def ensure_topics(settings: Settings, *extra: str, partitions: int = PARTITIONS) -> None:
    """Create the records, notes and dead-letter topics (and ``extra`` ones) if they do not exist yet."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    try:
        existing = set(admin.list_topics())
        wanted = dict.fromkeys([settings.records_topic, settings.notes_topic, settings.dead_letter_topic, *extra])
        new = [NewTopic(t, partitions, 1) for t in wanted if t not in existing]
        if new:
            try:
                admin.create_topics(new)
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()


@dataclass(frozen=True)
class TopicMessage:
    partition: int
    offset: int
    key: bytes | None
    value: dict[str, Any]
    timestamp_ms: int

    @property
    def at(self) -> str:
        """``partition:offset``, the id ``newsgen replay --at`` takes."""
        return f"{self.partition}:{self.offset}"


def read_messages(settings: Settings, topic: str, count: int | None = None, timeout_s: float = 30.0,
                  from_beginning: bool = True) -> Iterator[TopicMessage]:
    """Yield JSON messages of ``topic`` until ``count`` messages or ``timeout_s`` of silence.

    Reads every partition by direct assignment (no consumer group, no commits), so it neither disturbs
    the pipeline nor waits for a group rebalance.
    """
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False,
                             group_id=None)
    seen = 0
    deadline = time.monotonic() + timeout_s
    try:
        partitions = None
        while not partitions and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if not partitions:
                time.sleep(0.2)
        if not partitions:
            return
        parts = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(parts)
        (consumer.seek_to_beginning if from_beginning else consumer.seek_to_end)(*parts)
        while (count is None or seen < count) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                for m in records:
                    seen += 1
                    deadline = time.monotonic() + timeout_s
                    yield TopicMessage(m.partition, m.offset, m.key, json.loads(m.value), m.timestamp)
    finally:
        consumer.close(autocommit=False)


def read_topic(settings: Settings, topic: str, count: int | None = None, timeout_s: float = 30.0,
               from_beginning: bool = True) -> Iterator[tuple[bytes | None, dict[str, Any]]]:
    """Like :func:`read_messages`, yielding ``(key, value)`` pairs."""
    for m in read_messages(settings, topic, count, timeout_s, from_beginning):
        yield m.key, m.value
