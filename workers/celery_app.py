"""The Celery app: Redis or RabbitMQ broker (``settings.broker``), Redis result backend, delivery settings
for "never lose a record". The RabbitMQ queue layout is in :mod:`workers.broker`.

Start a worker with ``newsgen worker`` (or ``celery -A workers.celery_app worker -Q gpu``).
"""
from __future__ import annotations

from celery import Celery

from newsgen.config import Settings, load_settings
from workers.broker import broker_url, celery_options


def make_app(settings: Settings) -> Celery:
    """A Celery app configured from ``settings``; every delivery option is explained here."""
    app = Celery("newsgen", broker=broker_url(settings), backend=settings.redis_url, include=["workers.tasks"])
    app.conf.update(
        task_default_queue=settings.celery_queue,
        task_serializer="json", accept_content=["json"], result_serializer="json",
        # ack after the note is published, not when the task starts: a crash means redelivery, not loss
        task_acks_late=True,
        # acks_late alone loses tasks whose pool child is SIGKILLed: requeue them at once instead
        task_reject_on_worker_lost=True,
        # take one task at a time so a busy worker does not hoard tasks other workers could run
        worker_prefetch_multiplier=1,
        result_expires=3600,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        # task events for Flower (and `celery events`): received/started/succeeded/retried from the workers,
        # "sent" from the bridge that dispatches them
        worker_send_task_events=True,
        task_send_sent_event=True,
        # Redis: visibility timeout; RabbitMQ: quorum queue, publisher confirms, heartbeats
        **celery_options(settings),
    )
    app.conf.newsgen_settings = settings
    return app


app = make_app(load_settings())
