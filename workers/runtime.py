"""Per-process worker state: the generator, the note writer, the Kafka producer and the Redis client.

Built lazily on the first task (in the pool child, after fork), so the model loads once per process.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

import redis
from kafka import KafkaProducer

from newsgen.config import Settings
from newsgen.generation import load_generator
from newsgen.messages import NOTE_SCHEMA, NoteMessage, dump
from newsgen.notes import NoteWriter

log = logging.getLogger("newsgen.worker")

#: Redis key marking a note as published to a topic (value: topic/partition/offset), kept a week
PUBLISHED_KEY = "newsgen:published:{topic}:{key}"
PUBLISHED_TTL_S = 7 * 24 * 3600


@dataclass
class WorkerRuntime:
    settings: Settings

    @cached_property
    def writer(self) -> NoteWriter:
        generator = load_generator(self.settings)
        log.info("model %s loaded, backend %s", generator.model_id, generator.backend)
        return NoteWriter(generator, self.settings)

    @cached_property
    def producer(self) -> KafkaProducer:
        # idempotent producer with acks=all: a retried send never duplicates a note in the partition
        return KafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap, acks="all",
                             enable_idempotence=True, linger_ms=5, max_request_size=4 * 1024 * 1024)

    @cached_property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.settings.redis_url)

    def already_published(self, key: str) -> bool:
        return bool(self.redis.exists(PUBLISHED_KEY.format(topic=self.settings.notes_topic, key=key)))

    def publish(self, note: NoteMessage) -> str:
        """Send a note and wait for the broker's ack; then mark its key as published."""
        meta = self.producer.send(self.settings.notes_topic, key=note.key.encode(), value=dump(note),
                                  headers=[("schema", NOTE_SCHEMA.encode())]).get(timeout=60)
        where = f"{meta.topic}/{meta.partition}/{meta.offset}"
        self.redis.set(PUBLISHED_KEY.format(topic=meta.topic, key=note.key), where, ex=PUBLISHED_TTL_S)
        return where

    def close(self) -> None:
        if "producer" in self.__dict__:
            self.producer.flush(timeout=30)
            self.producer.close(timeout=30)
