"""Kafka -> Celery bridge: consume records, route each to tasks or the dead-letter topic, then commit.

Delivery: offsets are committed only after every record of a poll was dispatched to Celery or written
to the dead-letter topic (acked by Kafka), so a crash re-reads records instead of losing them; duplicates
are harmless because task ids and note keys are idempotency keys.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.structs import OffsetAndMetadata

from newsgen.config import Settings
from newsgen.messages import DEAD_LETTER_SCHEMA, DeadLetter, Source, TaskMessage, dump
from newsgen.routing import RecordRouter

log = logging.getLogger("newsgen.bridge")

TASK_NAME = "newsgen.generate_note"


class _CommitOnRevoke(ConsumerRebalanceListener):
    def __init__(self, bridge: "Bridge"):
        self.bridge = bridge

    def on_partitions_revoked(self, revoked):
        self.bridge.commit()

    def on_partitions_assigned(self, assigned):
        log.info("assigned partitions: %s", sorted(tp.partition for tp in assigned))


class Bridge:
    """One bridge process. ``run()`` loops until ``stop()`` (or SIGTERM/SIGINT via ``install_signals``)."""

    def __init__(self, settings: Settings, celery_app: Any):
        self.settings = settings
        self.celery = celery_app
        self.router = RecordRouter(settings)
        self._stop = threading.Event()
        self._done: dict[TopicPartition, int] = {}   # next offset to commit per partition
        self.consumer: KafkaConsumer | None = None
        self.producer: KafkaProducer | None = None
        self.counts = {"records": 0, "tasks": 0, "dead_letters": 0}

    def install_signals(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop())

    def stop(self) -> None:
        self._stop.set()

    def run(self, idle_exit_s: float | None = None) -> None:
        """Consume until stopped (or until no record arrived for ``idle_exit_s`` seconds)."""
        s = self.settings
        self.consumer = KafkaConsumer(bootstrap_servers=s.kafka_bootstrap, group_id=s.consumer_group,
                                      enable_auto_commit=False, auto_offset_reset="earliest",
                                      max_poll_records=100, fetch_max_bytes=64 * 1024 * 1024,
                                      max_partition_fetch_bytes=16 * 1024 * 1024)
        self.consumer.subscribe([s.records_topic], listener=_CommitOnRevoke(self))
        self.producer = KafkaProducer(bootstrap_servers=s.kafka_bootstrap, acks="all", enable_idempotence=True,
                                      max_request_size=8 * 1024 * 1024)
        log.info("bridge consuming %s as group %s -> celery queue %s", s.records_topic, s.consumer_group,
                 s.celery_queue)
        last_record = time.monotonic()
        try:
            while not self._stop.is_set():
                batch = self.consumer.poll(timeout_ms=500)
                for records in batch.values():
                    for message in records:
                        self.handle(message)
                        last_record = time.monotonic()
                self.commit()
                if idle_exit_s is not None and time.monotonic() - last_record > idle_exit_s:
                    break
        finally:
            self.commit()
            self.producer.flush(timeout=30)
            self.consumer.close(autocommit=False)
            self.producer.close(timeout=30)
            log.info("bridge stopped: %s", self.counts)

    def handle(self, message: Any) -> None:
        """Route one Kafka message; returns once its tasks or dead letter are durably handed on."""
        source = Source(topic=message.topic, partition=message.partition, offset=message.offset)
        raw = message.value if message.value is not None else b""
        routed = self.router.route(raw, source)
        if routed.dead_letter is not None:
            self.dead_letter(routed.dead_letter, message.key)
        for task in routed.tasks:
            self.dispatch(task)
        self.counts["records"] += 1
        self._done[TopicPartition(message.topic, message.partition)] = message.offset + 1

    def dispatch(self, task: TaskMessage) -> None:
        self.celery.send_task(TASK_NAME, args=[task.model_dump(mode="json", by_alias=True)], task_id=task.key,
                              queue=self.settings.celery_queue)
        self.counts["tasks"] += 1

    def dead_letter(self, letter: DeadLetter, key: bytes | None) -> None:
        log.warning("dead letter (%s) at %s: %s", letter.reason,
                    f"{letter.source.partition}/{letter.source.offset}" if letter.source else "?", letter.error)
        self.producer.send(self.settings.dead_letter_topic, key=key, value=dump(letter),
                           headers=[("schema", DEAD_LETTER_SCHEMA.encode())]).get(timeout=60)
        self.counts["dead_letters"] += 1

    def commit(self) -> None:
        """Commit the offsets of every record handled so far."""
        if not self._done or self.consumer is None:
            return
        offsets = {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in self._done.items()}
        self.consumer.commit(offsets)
        self._done.clear()
