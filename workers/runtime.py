"""Per-process worker state: the generator, the note writer, the Kafka producer and the Redis client.

Built lazily (the model loads on the first task, once per process) and shared by the pool's threads.
"""
from __future__ import annotations

import json
import logging
import threading
from typing import Any

import redis

from newsgen import cloudevent, tracing
from newsgen.config import Settings
from newsgen.health import kafka_reachable
from newsgen.generation import load_generator
from newsgen.generation.batching import BatchingGenerator
from newsgen.messages import DeadLetter, NoteMessage, dump
from newsgen.notes import NoteWriter
from workers import kafka_clients

log = logging.getLogger("newsgen.worker")

#: Redis key marking a note as published to a topic (value: topic/partition/offset), kept a week
PUBLISHED_KEY = "newsgen:published:{topic}:{key}"
#: Redis counter of deliveries of one task (retries and redeliveries after a crash alike)
ATTEMPTS_KEY = "newsgen:attempts:{topic}:{key}"
#: latest revision published per record and task, and the lock that orders publishing them
LATEST_KEY = "newsgen:latest:{topic}:{key}"
LOCK_KEY = "newsgen:lock:{topic}:{key}"
KEY_TTL_S = 7 * 24 * 3600


class WorkerRuntime:
    """Clients are made at once (a bad address fails the worker's start); the model on first use."""

    def __init__(self, settings: Settings):
        self.settings = settings
        # idempotent producer with acks=all: a retried send never duplicates a note in the partition
        self.producer = kafka_clients.producer(settings, acks="all", enable_idempotence=True, linger_ms=5,
                                               max_request_size=4 * 1024 * 1024)
        self.redis = redis.Redis.from_url(settings.redis_url)
        # the readiness check's own client: short timeouts, so a Redis outage answers 503 at once, not never
        self._health_redis = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
        self._writer: NoteWriter | None = None
        self._lock = threading.Lock()
        tracing.setup(settings, "newsgen-worker")
        self.ce_source = f"{settings.cloudevents_source}/worker"

    @property
    def model_loaded(self) -> bool:
        return self._writer is not None

    def ready(self) -> tuple[bool, dict]:
        """Readiness: the model is loaded, Redis answers PING and a Kafka bootstrap server accepts connections.

        Not liveness: a Redis or Kafka outage takes the worker out of service, it does not restart it (and
        reload its model)."""
        details: dict = {"model": "loaded" if self.model_loaded else "loading"}
        try:
            redis_ok = bool(self._health_redis.ping())
        except redis.RedisError as exc:
            redis_ok, details["redis_error"] = False, str(exc)
        kafka_ok = kafka_reachable(self.settings.kafka_bootstrap)
        details.update(redis=redis_ok, kafka=kafka_ok)
        return self.model_loaded and redis_ok and kafka_ok, details

    def writer(self) -> NoteWriter:
        """The note writer; the first call loads the model (pool threads wait for it)."""
        with self._lock:
            if self._writer is None:
                s = self.settings
                # loaded on the batcher thread: one thread runs all of the model's torch work
                batching = BatchingGenerator(lambda: load_generator(s), s.max_batch_size, s.batch_wait_ms / 1000,
                                             continuous=None if s.continuous_batching else False)
                log.info("model %s loaded, backend %s, micro-batches of up to %d (wait %d ms)",
                         batching.model_id, batching.backend, s.max_batch_size, s.batch_wait_ms)
                self._writer = NoteWriter(tracing.TracedGenerator(batching), s)  # spans: generate, prefill, ...
            return self._writer

    def _key(self, template: str, key: str) -> str:
        return template.format(topic=self.settings.notes_topic, key=key)

    def already_published(self, key: str) -> bool:
        return bool(self.redis.exists(self._key(PUBLISHED_KEY, key)))

    def count_attempt(self, key: str) -> int:
        """Record one more delivery of the task ``key``; returns the attempt number (1 = first)."""
        name = self._key(ATTEMPTS_KEY, key)
        attempt = int(self.redis.incr(name))
        self.redis.expire(name, KEY_TTL_S)
        return attempt

    def publish(self, note: NoteMessage) -> str | None:
        """Send a note and wait for the broker's ack; ``None`` if it is stale or already published.

        The Kafka key is ``<record id>:<task>``: a compacted notes topic keeps the latest revision of each
        note. Under a per-note lock, a revision older than the one already published is never sent, so a late
        task cannot roll a living note back.
        """
        note_id = f"{note.record_id}:{note.task}"
        with tracing.span("publish", {tracing.KEY: note.key, "messaging.system": "kafka",
                                      "messaging.destination.name": self.settings.notes_topic},
                          kind=tracing.PRODUCER), \
                self.redis.lock(self._key(LOCK_KEY, note_id), timeout=120, blocking_timeout=120):
            if self.already_published(note.key):
                return None
            latest = self.redis.get(self._key(LATEST_KEY, note_id))
            if latest is not None and int(latest) > note.revision:
                log.info("note %s is stale: revision %s already published", note.key, int(latest))
                return None
            meta = self.producer.send(self.settings.notes_topic, key=note_id.encode(), value=dump(note),
                                      headers=cloudevent.note_headers(note, self.ce_source)).get(timeout=60)
            where = f"{meta.topic}/{meta.partition}/{meta.offset}"
            self.redis.set(self._key(PUBLISHED_KEY, note.key), where, ex=KEY_TTL_S)
            self.redis.set(self._key(LATEST_KEY, note_id), note.revision, ex=KEY_TTL_S)
        return where

    def dead_letter(self, message: Any, key: str | None, reason: str, error: str) -> None:
        """Give up on a task: its message goes to the dead-letter topic with the reason."""
        raw = json.dumps(message, ensure_ascii=False).encode()
        letter = DeadLetter.of(raw, reason=reason, error=error, stage="generate", key=key)
        self.producer.send(self.settings.dead_letter_topic, key=key.encode() if key else None, value=dump(letter),
                           headers=cloudevent.dead_letter_headers(letter, self.ce_source)).get(timeout=60)
        log.warning("task %s dead-lettered (%s): %s", key, reason, error)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.generator.close()
        self.producer.flush(timeout=30)
        self.producer.close(timeout=30)
        tracing.flush()
