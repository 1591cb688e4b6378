"""Kafka -> Celery bridge: consume records, route each to tasks or the dead-letter topic, then commit.

Delivery: offsets are committed only after every record of a poll was dispatched to Celery or written
to the dead-letter topic and acked by Kafka, so a crash re-reads records instead of losing them;
duplicates are harmless because task ids and note keys are idempotency keys. A transient failure
(Kafka or Redis away) is retried with backoff for the same record: the bridge never skips one.
``KafkaConsumer.poll`` itself raises while a broker restarts (kafka-python 3 lets a failed metadata refresh
of the coordinator lookup, e.g. ``KafkaConnectionError``, out of ``ensure_coordinator_ready``): the poll is
retried too, so a broker restart never ends the bridge. An offset commit the group refuses (membership lost
or a rebalance under way, ``CommitFailedError``) cannot succeed before the next poll rejoins: it is retried
after that poll instead of in a loop that would never poll.
A record with a ``newsgen-edit`` header is a desk regeneration (``newsgen.history``): its tasks are keyed
``<id>:<task>:<revision>.<edit>`` and it never writes the match store.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any, Callable

import redis
from amqp.exceptions import MessageNacked
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import (CommitFailedError, IllegalGenerationError, KafkaError, RebalanceInProgressError,
                          UnknownMemberIdError)
from kafka.structs import OffsetAndMetadata
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from newsgen import cloudevent, metrics, tracing
from newsgen.config import Settings
from newsgen.health import kafka_reachable
from newsgen.messages import DeadLetter, Source, TaskMessage, dump
from newsgen.routing import RecordRouter, Routed, edit_of, schema_of
from workers import kafka_clients
from workers.broker import BrokerDeadLetters, queue_depth
from workers.match_store import RedisMatchStore

log = logging.getLogger("newsgen.bridge")

TASK_NAME = "newsgen.generate_note"
# MessageNacked: RabbitMQ refused a publish (publisher confirms), e.g. a full or unavailable quorum queue
TRANSIENT = (KafkaError, OperationalError, RedisError, MessageNacked, ConnectionError, TimeoutError)
GAUGE_INTERVAL_S = 5.0
#: an offset commit refused because this member is out of the group or the group is rebalancing: only a
#: poll (which rejoins) can change that, so the commit is not retried in place
REJOIN = (CommitFailedError, RebalanceInProgressError, UnknownMemberIdError, IllegalGenerationError)
#: longest wait between two failed polls: a poll is also how the bridge finds the broker again
POLL_RETRY_MAX_S = 5.0


def clear_lag(partitions) -> None:
    """Drop the lag gauge of partitions this bridge no longer owns: another bridge reports them now, and a
    stale value would keep a lag alert (and KEDA's view in Prometheus) up after a rebalance."""
    for tp in partitions:
        try:
            metrics.CONSUMER_LAG.remove(str(tp.partition))
        except KeyError:  # never set: revoked before the first gauge update
            pass


class Stopped(Exception):
    """Raised inside a retry loop when the bridge was asked to stop."""


class _CommitOnRevoke(ConsumerRebalanceListener):
    """Forget what is owed for partitions this bridge loses.

    The bridge commits after every batch, before it polls again, so nothing is normally owed when a rebalance
    (which runs inside ``poll`` or ``close``) revokes partitions. What is owed after a commit the group refused
    cannot be committed here: kafka-python 3 calls a synchronous listener on its IO thread, where a blocking
    ``commit`` raises ``RuntimeError``. Those records are read again by the partitions' next owner (task ids
    and note keys are idempotency keys)."""

    def __init__(self, bridge: "Bridge"):
        self.bridge = bridge

    def on_partitions_revoked(self, revoked):
        self.bridge.forget(revoked)
        clear_lag(revoked)

    def on_partitions_assigned(self, assigned):
        log.info("assigned partitions: %s", sorted(tp.partition for tp in assigned))


class Bridge:
    """One bridge process. ``run()`` loops until ``stop()`` (or SIGTERM/SIGINT via ``install_signals``)."""

    def __init__(self, settings: Settings, celery_app: Any):
        self.settings = settings
        self.celery = celery_app
        self.router = RecordRouter(settings, RedisMatchStore(redis.Redis.from_url(settings.redis_url),
                                                             settings.records_topic))
        self._stop = threading.Event()
        self._done: dict[TopicPartition, int] = {}   # next offset to commit per partition
        self._pending: list[tuple] = []              # (key, value, future) of dead letters not yet acked
        self.consumer: KafkaConsumer | None = None
        self.producer: KafkaProducer | None = None
        self.counts = {"records": 0, "tasks": 0, "dead_letters": 0}
        self._gauges_at = 0.0
        self._beat = time.monotonic()            # the loop's last turn (liveness)
        self._failing: str | None = None         # what a retry loop is waiting for (readiness)
        self._health_redis = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
        tracing.setup(settings, "newsgen-bridge")
        self.ce_source = f"{settings.cloudevents_source}/bridge"

    def install_signals(self) -> None:
        """SIGTERM/SIGINT: stop polling, finish the records in hand, commit, exit."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, _frame: (log.info("signal %d: draining", signum), self.stop()))

    def stop(self) -> None:
        self._stop.set()

    def live(self) -> tuple[bool, dict]:
        """Liveness: the consume loop (or a retry inside it) turned within ``liveness_timeout_s``."""
        idle = time.monotonic() - self._beat
        return idle < self.settings.liveness_timeout_s, {"loop_idle_s": round(idle, 1)}

    def ready(self) -> tuple[bool, dict]:
        """Readiness: consuming, Kafka connected, Redis answering, no retry loop waiting on either."""
        details: dict = {"counts": dict(self.counts)}
        consuming = self.consumer is not None and not self._stop.is_set()
        kafka_ok = kafka_reachable(self.settings.kafka_bootstrap)
        try:
            redis_ok = bool(self._health_redis.ping())
        except RedisError as exc:
            redis_ok, details["redis_error"] = False, str(exc)
        details.update(consuming=consuming, kafka=kafka_ok, redis=redis_ok)
        if self._failing:
            details["retrying"] = self._failing
        return consuming and kafka_ok and redis_ok and not self._failing, details

    def run(self, idle_exit_s: float | None = None) -> None:
        """Consume until stopped (or until no record arrived for ``idle_exit_s`` seconds)."""
        s = self.settings
        self.consumer = kafka_clients.consumer(s, group_id=s.consumer_group, enable_auto_commit=False,
                                               auto_offset_reset="earliest", max_poll_records=200,
                                               fetch_max_bytes=64 * 1024 * 1024,
                                               max_partition_fetch_bytes=16 * 1024 * 1024)
        self.consumer.subscribe([s.records_topic], listener=_CommitOnRevoke(self))
        self.producer = kafka_clients.producer(s, acks="all", enable_idempotence=True,
                                               max_request_size=8 * 1024 * 1024)
        log.info("bridge consuming %s as group %s -> celery queue %s on %s", s.records_topic, s.consumer_group,
                 s.celery_queue, s.broker)
        # RabbitMQ dead-letters a task whose worker died max_attempts times: this thread forwards it to Kafka
        broker_letters = (BrokerDeadLetters(s, self.producer, self.celery.connection_for_write()).start()
                          if s.broker == "rabbitmq" else None)
        last_record = time.monotonic()
        try:
            while not self._stop.is_set():
                self._beat = time.monotonic()
                batch = self.retrying("poll", lambda: self.consumer.poll(timeout_ms=500), max_delay=POLL_RETRY_MAX_S)
                for records in batch.values():
                    for message in records:
                        self.handle(message)
                        last_record = time.monotonic()
                self.commit()
                self.update_gauges()
                if idle_exit_s is not None and time.monotonic() - last_record > idle_exit_s:
                    break
        except Stopped:
            log.info("stopped while retrying: the record in hand stays uncommitted and is read again")
        finally:
            try:
                self.commit()
            except (Stopped, *TRANSIENT) as exc:
                log.warning("final commit failed (%s): the last records will be read again", exc)
            self.consumer.close(autocommit=False)
            if broker_letters is not None:
                broker_letters.stop()
            self.producer.close(timeout=10)
            tracing.flush()
            log.info("bridge stopped: %s", self.counts)

    def retrying(self, what: str, fn: Callable[[], Any], max_delay: float = 30.0,
                 give_up: tuple[type[BaseException], ...] = ()) -> Any:
        """Run ``fn`` until it succeeds; transient failures back off up to ``max_delay`` s; raise
        :class:`Stopped`. An exception in ``give_up`` is raised at once (retrying it here cannot help)."""
        delay = 0.5
        while True:
            self._beat = time.monotonic()
            try:
                result = fn()
                self._failing = None
                return result
            except give_up:
                self._failing = None
                raise
            except TRANSIENT as exc:
                if self._stop.is_set():
                    raise Stopped() from exc
                self._failing = f"{what}: {type(exc).__name__}"
                log.warning("%s failed (%s: %s); retrying in %.1fs", what, type(exc).__name__, exc, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, max_delay)

    def handle(self, message: Any) -> None:
        """Route one Kafka message and hand its tasks or dead letter on (the dead letter is acked at commit).

        The message may be a plain record or a CloudEvent (binary or structured mode, ``newsgen.cloudevent``);
        its ``schema`` header (or the CloudEvent's ``dataschema``) names the record's version; its
        ``traceparent`` continues the producer's trace (a malformed one starts a new trace)."""
        source = Source(topic=message.topic, partition=message.partition, offset=message.offset)
        raw = message.value if message.value is not None else b""
        metrics.RECORDS_CONSUMED.inc()
        inbound = cloudevent.unwrap(raw, message.headers)
        ctx, status = tracing.extract_kafka(message.headers, inbound.traceparent)
        if status == "invalid":
            log.warning("malformed traceparent at %s/%s: a new trace starts", message.partition, message.offset)
            metrics.TRACE_CONTEXT_INVALID.inc()
        edit = edit_of(message.headers)                                          # a desk regeneration
        with tracing.span(f"process {message.topic}", {
                "messaging.system": "kafka", "messaging.destination.name": message.topic,
                "messaging.kafka.destination.partition": message.partition,
                "messaging.kafka.message.offset": message.offset, "newsgen.cloudevent": inbound.mode,
                "newsgen.traceparent": status}, kind=tracing.CONSUMER, context=ctx):
            if inbound.error is not None:
                routed = Routed(dead_letter=DeadLetter.of(raw, reason=cloudevent.REASON, error=inbound.error,
                                                          stage="decode", source=source))
            else:
                schema = schema_of(message.headers) or inbound.dataschema
                routed = self.retrying("route", lambda: self.router.route(inbound.record, source, edit, schema))
            if routed.dead_letter is not None:
                self.dead_letter(routed.dead_letter, message.key)
            for task in routed.tasks:
                self.retrying(f"dispatch {task.key}", lambda t=task: self.dispatch(t))
        self.counts["records"] += 1
        self._done[TopicPartition(message.topic, message.partition)] = message.offset + 1

    def dispatch(self, task: TaskMessage) -> None:
        with tracing.span("dispatch", {tracing.KEY: task.key, tracing.TASK: task.task, "messaging.system": "celery",
                                       "messaging.destination.name": self.settings.celery_queue},
                          kind=tracing.PRODUCER):
            headers = tracing.inject()
            if headers:
                headers[tracing.SENT_NS_HEADER] = str(time.time_ns())
            self.celery.send_task(TASK_NAME, args=[task.model_dump(mode="json", by_alias=True)], task_id=task.key,
                                  queue=self.settings.celery_queue, **({"headers": headers} if headers else {}))
        self.counts["tasks"] += 1
        metrics.TASKS_SENT.labels(task.task).inc()

    def dead_letter(self, letter: DeadLetter, key: bytes | None) -> None:
        src = letter.source
        log.warning("dead letter (%s) at %s: %s", letter.reason, f"{src.partition}/{src.offset}" if src else "?",
                    letter.error[:300])
        value = dump(letter)
        headers = cloudevent.dead_letter_headers(letter, self.ce_source)
        self._pending.append((key, value, headers, self._send_dead_letter(key, value, headers)))
        self.counts["dead_letters"] += 1
        metrics.RECORDS_REJECTED.labels(letter.reason).inc()

    def _send_dead_letter(self, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> Any:
        return self.producer.send(self.settings.dead_letter_topic, key=key, value=value, headers=headers)

    def _flush_dead_letters(self) -> None:
        """Wait until every dead letter sent since the last commit is acked; resend the failed ones."""
        if not self._pending:
            return
        self.producer.flush(timeout=60)
        failed = [(k, v, h) for k, v, h, f in self._pending if not f.succeeded()]
        self._pending = [(k, v, h, self._send_dead_letter(k, v, h)) for k, v, h in failed]
        if failed:
            raise KafkaError(f"{len(failed)} dead letters not acked")

    def commit(self) -> None:
        """Make dead letters durable, then commit the offsets of every record handled so far."""
        if self.consumer is None:
            return
        self.retrying("dead-letter flush", self._flush_dead_letters)
        if not self._done:
            return
        offsets = {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in self._done.items()}
        try:
            self.retrying("offset commit", lambda: self.consumer.commit(offsets), give_up=REJOIN)
        except REJOIN as exc:
            # the broker restarted or the session expired: the next poll rejoins the group, then this commit
            # is made again (or, for partitions that moved, their new owner reads the records again)
            log.warning("offset commit refused (%s): committing again after the group is rejoined",
                        kafka_clients.describe(exc))
            return
        for tp, meta in offsets.items():
            if self._done.get(tp) == meta.offset:
                del self._done[tp]

    def forget(self, partitions) -> None:
        """Drop the offsets owed for ``partitions`` (revoked or lost): their records will be read again."""
        dropped = {tp.partition: self._done.pop(tp) for tp in partitions if tp in self._done}
        if dropped:
            log.warning("partitions %s revoked before their offsets %s were committed: their records will be "
                        "read again", sorted(dropped), dropped)

    def update_gauges(self) -> None:
        """Consumer lag per partition and Celery queue depth, every few seconds."""
        now = time.monotonic()
        if now - self._gauges_at < GAUGE_INTERVAL_S:
            return
        self._gauges_at = now
        try:
            parts = list(self.consumer.assignment())
            for tp, end in self.consumer.end_offsets(parts).items():
                metrics.CONSUMER_LAG.labels(str(tp.partition)).set(max(0, end - self.consumer.position(tp)))
            depth = queue_depth(self.celery, self.settings)
            metrics.QUEUE_DEPTH.labels(self.settings.celery_queue).set(depth)
        except TRANSIENT as exc:
            log.debug("gauges not updated: %s", exc)
