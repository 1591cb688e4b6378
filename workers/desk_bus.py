"""The desk's Kafka adapter: follows the notes and approved topics into a :class:`NoteStore`, publishes actions.

The follower reads every partition by direct assignment (no consumer group, no commits): it starts at the
last ``desk_backlog`` messages of each partition, marks the store ready once it has caught up with the
offsets the topics had at start, and then reads live.

:class:`RedisLedger` is the desk's share of the one revision history (``newsgen.history``): editorial
sequence counters, editorial notes published under the workers' own per-note lock and latest-revision
guard (``workers.runtime``), and approvals once per key and never backwards, in the pipeline's Redis.
"""
from __future__ import annotations

import json
import logging
import threading
from typing import Callable, Protocol

import redis
from kafka import KafkaConsumer, TopicPartition

from newsgen.config import Settings
from newsgen.desk.guard import BadMessage, check_message
from newsgen.desk.store import NoteStore
from newsgen.grammar.text import clean_text
from newsgen.metrics import DESK_MESSAGES_SKIPPED
from newsgen.history import Decision, Place, approval_decision
from workers import kafka_clients
from workers.runtime import KEY_TTL_S, LATEST_KEY, LOCK_KEY, PUBLISHED_KEY
from workers.topics import ensure_topics

log = logging.getLogger("newsgen.desk")
SKIPPED_KEPT = 10_000  # positions of skipped messages remembered (so each is logged once)


class DeskBus(Protocol):
    """What the app needs from the message bus (a test double can implement it)."""

    #: optional: the shared ledger (``newsgen.desk.ledger.Ledger``); the app falls back to an in-memory one
    ledger: object

    def publish(self, topic: str, key: str, value: bytes, headers: list[tuple[str, bytes]]) -> str: ...

    def start(self, store: NoteStore) -> None: ...

    def close(self) -> None: ...


#: the next number of a desk counter (0 first), never below ARGV[1]
_ALLOCATE = """
local v = redis.call('INCR', KEYS[1]) - 1
local floor = tonumber(ARGV[1])
if v < floor then redis.call('SET', KEYS[1], floor + 1); v = floor end
return v
"""
COUNTER_KEY = "newsgen:desk:counter:{topic}:{name}"
APPROVED_KEY = "newsgen:approved:{topic}:{key}"
LATEST_APPROVAL_KEY = "newsgen:approval-latest:{topic}:{note}"
APPROVAL_LOCK_KEY = "newsgen:approval-lock:{topic}:{note}"


class RedisLedger:
    """:class:`newsgen.desk.ledger.Ledger` in Redis, shared by every desk process and the workers."""

    def __init__(self, client: redis.Redis, settings: Settings):
        self.redis = client
        self.notes_topic = settings.notes_topic
        self.approved_topic = settings.approved_topic
        self._allocate = client.register_script(_ALLOCATE)

    def allocate(self, name: str, at_least: int = 0) -> int:
        return int(self._allocate(keys=[COUNTER_KEY.format(topic=self.notes_topic, name=name)], args=[at_least]))

    def publish_note(self, note_id: str, key: str, revision: int,
                     publish: Callable[[str], str]) -> tuple[str | None, bool]:
        t = self.notes_topic
        with self.redis.lock(LOCK_KEY.format(topic=t, key=note_id), timeout=120, blocking_timeout=120):
            if self.redis.exists(PUBLISHED_KEY.format(topic=t, key=key)):
                return None, False
            latest = self.redis.get(LATEST_KEY.format(topic=t, key=note_id))
            current = latest is None or int(latest) <= revision
            where = publish(note_id if current else key)
            self.redis.set(PUBLISHED_KEY.format(topic=t, key=key), where, ex=KEY_TTL_S)
            if current:
                self.redis.set(LATEST_KEY.format(topic=t, key=note_id), revision, ex=KEY_TTL_S)
        return where, current

    def approve(self, note_id: str, key: str, where: Place, publish: Callable[[], str]) -> tuple[Decision, str | None]:
        t = self.approved_topic
        with self.redis.lock(APPROVAL_LOCK_KEY.format(topic=t, note=note_id), timeout=120, blocking_timeout=120):
            earlier = self.redis.get(APPROVED_KEY.format(topic=t, key=key))
            raw = self.redis.get(LATEST_APPROVAL_KEY.format(topic=t, note=note_id))
            latest = None
            if raw is not None:
                value = json.loads(raw)
                latest = (value["key"], tuple(value["place"]))
            decision = approval_decision(latest, key, where, earlier is not None)
            if decision == "duplicate":
                return decision, earlier.decode() if earlier is not None else None
            if decision == "backwards":
                return decision, None
            at = publish()
            self.redis.set(APPROVED_KEY.format(topic=t, key=key), at, ex=KEY_TTL_S)
            self.redis.set(LATEST_APPROVAL_KEY.format(topic=t, note=note_id),
                           json.dumps({"key": key, "place": list(where)}), ex=KEY_TTL_S)
        return decision, at


class KafkaDeskBus:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.producer = kafka_clients.producer(settings, acks="all", enable_idempotence=True,
                                               max_request_size=12 * 1024 * 1024)
        self.ledger = RedisLedger(redis.Redis.from_url(settings.redis_url), settings)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._skipped: dict[tuple[str, int, int], None] = {}  # messages already counted and logged

    def ensure_topics(self) -> None:
        """Create the topics the desk reads or writes if they are missing (records, notes, approved)."""
        ensure_topics(self.settings, self.settings.approved_topic)

    def publish(self, topic: str, key: str, value: bytes, headers: list[tuple[str, bytes]]) -> str:
        """Send one message and wait for the broker's ack; returns ``topic/partition/offset``."""
        meta = self.producer.send(topic, key=key.encode(), value=value, headers=headers).get(timeout=30)
        return f"{meta.topic}/{meta.partition}/{meta.offset}"

    def start(self, store: NoteStore) -> None:
        self._thread = threading.Thread(target=self._follow, args=(store,), name="newsgen-desk-follow", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.producer.close(timeout=10)

    # --- the follower thread ---------------------------------------------------------------------
    def _follow(self, store: NoteStore) -> None:
        while not self._stop.is_set():
            try:
                self._follow_once(store)
            except Exception:  # noqa: BLE001 - Kafka away or a bug: log, wait, start over from the backlog
                log.exception("following the notes topic failed; retrying in 2 s")
                self._stop.wait(2)

    def _follow_once(self, store: NoteStore) -> None:
        s = self.settings
        consumer = kafka_clients.consumer(s, group_id=None, enable_auto_commit=False)
        try:
            parts = self._assign(consumer, {s.notes_topic: s.desk_backlog, s.approved_topic: 4 * s.desk_backlog})
            if parts is None:
                return
            targets = consumer.end_offsets(parts)
            while not self._stop.is_set():
                for tp, records in consumer.poll(timeout_ms=500).items():
                    for m in records:
                        self._take(store, m, note=tp.topic == s.notes_topic)
                if targets is not None and all(consumer.position(tp) >= end for tp, end in targets.items()):
                    targets = None
                    store.set_ready()
                    log.info("desk caught up: %d notes", len(store))
        finally:
            consumer.close(autocommit=False)

    def _take(self, store: NoteStore, m, note: bool) -> None:
        """Keep one message in the store, or skip it: a message that is not a valid note (approval) is
        counted and logged once (a restart of the follower reads it again) and never reaches the store, so
        one bad message cannot stop the desk nor the notes after it."""
        at = (m.topic, m.partition, m.offset)
        try:
            value = check_message("note" if note else "approval", m.value)
            if note:
                store.add_note(value, f"{m.partition}:{m.offset}", m.timestamp)
            else:
                store.add_approval(value)
        except Exception as exc:  # noqa: BLE001 - a bad message (or a store bug on it) skips that message only
            if at in self._skipped:
                return
            self._skipped[at] = None
            while len(self._skipped) > SKIPPED_KEPT:
                self._skipped.pop(next(iter(self._skipped)))
            reason = exc.reason if isinstance(exc, BadMessage) else "store"
            DESK_MESSAGES_SKIPPED.labels(m.topic, reason).inc()
            log.warning("skipping the message at %s/%d/%d (%s): %s", m.topic, m.partition, m.offset, reason,
                        clean_text(str(exc))[:300], exc_info=not isinstance(exc, BadMessage))

    def _assign(self, consumer: KafkaConsumer, backlog: dict[str, int]) -> list[TopicPartition] | None:
        """Assign every partition of the topics, each at its last ``backlog[topic]`` messages."""
        parts: list[TopicPartition] = []
        for topic in backlog:
            found = None
            while not found:
                found = consumer.partitions_for_topic(topic)
                if not found:
                    if self._stop.wait(0.5):
                        return None
            parts += [TopicPartition(topic, p) for p in sorted(found)]
        consumer.assign(parts)
        begin, end = consumer.beginning_offsets(parts), consumer.end_offsets(parts)
        for tp in parts:
            consumer.seek(tp, max(begin[tp], end[tp] - backlog[tp.topic]))
        return parts

