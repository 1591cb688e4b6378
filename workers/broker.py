"""The Celery broker, Redis or RabbitMQ (``settings.broker``), and what newsgen declares on RabbitMQ.

RabbitMQ topology (declared by the bridge at start, by every worker when it is ready, and by the bridge's
first publish):

  exchange <queue> (topic, durable) --<queue>--> quorum queue <queue>
      x-delivery-limit = max_attempts - 1   RabbitMQ counts *returns*: a limit of N allows N + 1 deliveries
                                            (measured on 3.10.8), so a task whose worker dies every time is
                                            delivered max_attempts times, then dead-lettered by the broker
      x-dead-letter-exchange = <queue>.dead-letter, x-dead-letter-strategy = at-least-once (and
      x-overflow = reject-publish, which at-least-once needs): a dead-lettered task is not dropped
  exchange <queue>.dead-letter (fanout) --> quorum queue <queue>.dead-letter
      drained by :class:`BrokerDeadLetters` (in the bridge) into the Kafka dead-letter topic, reason
      ``max_attempts``, and acked only after Kafka acked the dead letter.

The queue's exchange is a topic exchange because Celery's native delayed delivery (retries with a countdown
on quorum queues) does not work with direct exchanges.
"""
from __future__ import annotations

import json
import logging
import threading
from typing import Any

from kombu import Connection, Consumer, Exchange, Queue

from newsgen import cloudevent, metrics
from newsgen.config import Settings
from newsgen.messages import DeadLetter, dump

log = logging.getLogger("newsgen.broker")


def broker_url(settings: Settings) -> str:
    return settings.amqp_url if settings.broker == "rabbitmq" else settings.redis_url


def dead_letter_name(settings: Settings) -> str:
    """Name of the dead-letter exchange and of its queue on RabbitMQ."""
    return f"{settings.celery_queue}.dead-letter"


def delivery_limit(settings: Settings) -> int:
    """``x-delivery-limit`` giving exactly ``max_attempts`` deliveries (RabbitMQ allows limit + 1)."""
    return settings.max_attempts - 1


def task_queue(settings: Settings) -> Queue:
    """The durable quorum queue the bridge publishes to and the workers consume (RabbitMQ)."""
    exchange = Exchange(settings.celery_queue, type="topic", durable=True)
    return Queue(settings.celery_queue, exchange, routing_key=settings.celery_queue, durable=True,
                 queue_arguments={"x-queue-type": "quorum", "x-delivery-limit": delivery_limit(settings),
                                  "x-dead-letter-exchange": dead_letter_name(settings),
                                  "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"})


def dead_letter_queue(settings: Settings) -> Queue:
    name = dead_letter_name(settings)
    return Queue(name, Exchange(name, type="fanout", durable=True), durable=True,
                 queue_arguments={"x-queue-type": "quorum"})


def celery_options(settings: Settings) -> dict[str, Any]:
    """Broker-specific Celery settings (the common ones are in :func:`workers.celery_app.make_app`)."""
    if settings.broker == "redis":
        # Redis redelivers a task whose worker vanished after this long: keep it above the longest generation
        return {"broker_transport_options": {"visibility_timeout": settings.visibility_timeout_s}}
    queue = task_queue(settings)
    return {
        "task_queues": [queue],
        "task_default_exchange": queue.exchange.name, "task_default_exchange_type": "topic",
        "task_default_routing_key": queue.routing_key, "task_default_queue_type": "quorum",
        "task_create_missing_queue_type": "quorum",
        # quorum queues refuse global QoS: Celery then sets the prefetch per consumer (static, as today's 1 x
        # concurrency); explicit, although it is Celery's default since 5.5
        "worker_detect_quorum_queues": True,
        # publisher confirms: send_task returns only once RabbitMQ has the task (in the quorum queue's log);
        # the bridge commits the record's offset after that
        "broker_transport_options": {"confirm_publish": True},
        # a worker that stops answering (node lost, not just its process) is dropped after this, and
        # RabbitMQ returns its unacked tasks to the queue
        "broker_heartbeat": settings.broker_heartbeat_s,
    }


def declare_topology(connection: Connection, settings: Settings) -> None:
    """Declare the dead-letter exchange and queue, then the task queue (RabbitMQ; idempotent).

    A queue that exists with other arguments (``max_attempts`` changed) is refused by RabbitMQ with
    PRECONDITION_FAILED: delete the queue when it is empty, or change the limit with a policy."""
    channel = connection.default_channel
    dead_letter_queue(settings)(channel).declare()
    task_queue(settings)(channel).declare()


def delete_topology(connection: Connection, queue: str) -> None:
    """Delete the queue ``queue``, its dead-letter queue and their exchanges, messages and all (tests, benches)."""
    for name in (queue, f"{queue}.dead-letter"):
        channel = connection.channel()
        channel.queue_delete(name)
        channel.exchange_delete(name)


def queue_depth(celery_app: Any, settings: Settings) -> int:
    """Tasks waiting in the Celery queue (ready, not taken by a worker)."""
    with celery_app.connection_for_write() as conn:
        if settings.broker == "rabbitmq":
            return conn.default_channel.queue_declare(queue=settings.celery_queue, passive=True).message_count
        return conn.default_channel.client.llen(settings.celery_queue)


def letter_of(body: Any, headers: dict, settings: Settings) -> DeadLetter:
    """The Kafka dead letter of a Celery task message the broker dead-lettered (protocol 2: body is
    ``[args, kwargs, embed]``, the task message is ``args[0]``; the task id is its idempotency key)."""
    try:
        message = body[0][0]
    except (TypeError, IndexError, KeyError):
        message = body
    key = headers.get("id") or (message.get("key") if isinstance(message, dict) else None)
    deaths = headers.get("x-death") or [{}]
    reason = deaths[0].get("reason", "?")
    raw = json.dumps(message, ensure_ascii=False).encode()
    return DeadLetter.of(raw, reason="max_attempts", stage="generate", key=key,
                         error=f"RabbitMQ dead-lettered the task ({reason}) after {settings.max_attempts} "
                               f"deliveries: its worker died every time")


class BrokerDeadLetters:
    """A thread that moves tasks RabbitMQ dead-lettered into the Kafka dead-letter topic.

    It runs in the bridge: the bridge is the long-lived process that already owns the pipeline's Kafka
    dead letters, it keeps running when KEDA scales the workers to zero, and it is not the process a poison
    task keeps killing. Several bridges share the queue (one gets each message). A message is acked only
    after Kafka acked its dead letter; on any failure the connection is dropped and the message returns.
    """

    def __init__(self, settings: Settings, producer: Any, connection: Connection):
        self.settings = settings
        self.producer = producer
        self.connection = connection
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="newsgen-broker-dead-letters", daemon=True)
        self.count = 0

    def start(self) -> "BrokerDeadLetters":
        self.thread.start()
        return self

    def stop(self, timeout_s: float = 10) -> None:
        self._stop.set()
        self.thread.join(timeout_s)

    def _handle(self, body: Any, message: Any) -> None:
        letter = letter_of(body, message.headers or {}, self.settings)
        self.producer.send(self.settings.dead_letter_topic, key=letter.key.encode() if letter.key else None,
                           value=dump(letter),
                           headers=cloudevent.dead_letter_headers(letter, f"{self.settings.cloudevents_source}/broker")
                           ).get(timeout=60)
        message.ack()
        self.count += 1
        metrics.TASKS_DEAD_LETTERED.labels("max_attempts").inc()
        log.warning("task %s dead-lettered by RabbitMQ after %d deliveries", letter.key, self.settings.max_attempts)

    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            conn = self.connection.clone()
            try:
                conn.ensure_connection(max_retries=1)
                declare_topology(conn, self.settings)
                with Consumer(conn.default_channel, [dead_letter_queue(self.settings)], callbacks=[self._handle],
                              accept=["json"], prefetch_count=10):
                    delay = 0.5
                    while not self._stop.is_set():
                        try:
                            conn.drain_events(timeout=1)
                        except TimeoutError:
                            conn.heartbeat_check()
            except Exception as exc:  # noqa: BLE001 - broker or Kafka away: reconnect; unacked messages return
                log.warning("broker dead-letter drain: %s: %s; retrying in %.1fs", type(exc).__name__, exc, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, 30.0)
            finally:
                conn.release()
