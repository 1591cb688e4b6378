"""Kafka topic helpers: create the pipeline's topics, read messages back (CLI, demo, tests)."""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Iterator

from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import TopicAlreadyExistsError

from newsgen.config import Settings
from workers import kafka_clients

log = logging.getLogger(__name__)

#: partitions when settings do not say otherwise (``Settings.topic_partitions``)
PARTITIONS = 3
#: replication factor of a cluster with this many brokers or more, when ``topic_replication_factor`` is None
REPLICATION = 3


@dataclass(frozen=True)
class TopicSpec:
    """How newsgen creates one topic: partitions, replication factor and topic configs."""

    name: str
    partitions: int
    replication_factor: int
    configs: dict[str, str]


@dataclass(frozen=True)
class TopicDrift:
    """An existing topic whose settings differ from the spec (reported, never changed)."""

    topic: str
    setting: str
    wanted: str
    actual: str

    def __str__(self) -> str:
        return f"topic {self.topic}: {self.setting} is {self.actual}, settings want {self.wanted} (not changed)"


def topic_specs(settings: Settings, *extra: str, brokers: int | None = None,
                partitions: int | None = None) -> list[TopicSpec]:
    """The records, notes and dead-letter topics (and ``extra`` ones) as the settings want them.

    Replication is ``topic_replication_factor``, else 3 capped at ``brokers``; ``min.insync.replicas`` is
    ``topic_min_insync_replicas``, else one less than the replication (at least 1); the notes topic has
    ``cleanup.policy`` ``notes_cleanup_policy`` (compact), the others ``delete``.
    """
    rf = settings.topic_replication_factor or min(REPLICATION, brokers or REPLICATION)
    isr = settings.topic_min_insync_replicas or max(1, rf - 1)
    names = dict.fromkeys([settings.records_topic, settings.notes_topic, settings.dead_letter_topic, *extra])
    return [TopicSpec(name, partitions or settings.topic_partitions, rf,
                      {"cleanup.policy": settings.notes_cleanup_policy if name == settings.notes_topic else "delete",
                       "min.insync.replicas": str(isr)})
            for name in names]


def describe_topics(admin: KafkaAdminClient, names: list[str]) -> dict[str, TopicSpec]:
    """What the broker says about existing topics: partitions, replication factor, the configs newsgen sets."""
    if not names:
        return {}
    out: dict[str, TopicSpec] = {}
    configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n, {k: None for k in CONFIG_KEYS})
                                      for n in names], config_filter="all")
    topic_configs = configs.get("topic", {}) if isinstance(configs, dict) else {}
    described = admin.describe_topics(names)
    for _ in range(20):  # a topic made a moment ago may have no partitions in the metadata yet
        if all(t.get("partitions") for t in described):
            break
        time.sleep(0.25)
        described = admin.describe_topics(names)
    for t in described:
        parts = t.get("partitions") or []
        rf = max((len(p.get("replica_nodes") or p.get("replicas") or []) for p in parts), default=0)
        got = {k: str(v.get("value")) for k, v in (topic_configs.get(t["name"]) or {}).items() if k in CONFIG_KEYS}
        out[t["name"]] = TopicSpec(t["name"], len(parts), rf, got)
    return out


CONFIG_KEYS = ("cleanup.policy", "min.insync.replicas")


def ensure_topics(settings: Settings, *extra: str, partitions: int | None = None) -> list[TopicDrift]:
    """Create the records, notes and dead-letter topics (and ``extra`` ones) that do not exist yet, as
    :func:`topic_specs` says; an existing topic is left as it is and every setting of it that differs is
    logged as a warning and returned."""
    admin = kafka_clients.admin(settings)
    try:
        brokers = len(admin.describe_cluster().get("brokers") or []) or None
        specs = topic_specs(settings, *extra, brokers=brokers, partitions=partitions)
        existing = set(admin.list_topics())
        for spec in specs:
            if spec.name in existing:
                continue
            try:
                admin.create_topics([NewTopic(spec.name, spec.partitions, spec.replication_factor,
                                              topic_configs=spec.configs)])
            except TopicAlreadyExistsError:  # made meanwhile (or not yet in the metadata we listed)
                existing.add(spec.name)
                continue
            log.info("created topic %s: %d partitions, replication %d, %s", spec.name, spec.partitions,
                     spec.replication_factor, ", ".join(f"{k}={v}" for k, v in spec.configs.items()))
        old = [s for s in specs if s.name in existing]
        actual = describe_topics(admin, [s.name for s in old])
        drifts = []
        for want in old:
            got = actual.get(want.name)
            if got is None:
                continue
            pairs = [("partitions", str(want.partitions), str(got.partitions)),
                     ("replication factor", str(want.replication_factor), str(got.replication_factor)),
                     *((k, v, got.configs.get(k, "?")) for k, v in want.configs.items())]
            drifts += [TopicDrift(want.name, name, w, a) for name, w, a in pairs if w != a]
        for drift in drifts:
            log.warning("%s", drift)
        return drifts
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
    consumer = kafka_clients.consumer(settings, enable_auto_commit=False, group_id=None)
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
