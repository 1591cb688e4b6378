"""Celery tasks: thin adapters from a task message to the core note writer and the notes topic.

Delivery of one task (acks_late: the message is acked only when this function returns):
  already published?          -> skip (a redelivery after a crash between publish and ack)
  attempt > max_attempts?     -> dead-letter "max_attempts" (a poison task that keeps killing workers)
  bad message / non-retriable -> dead-letter with the reason
  any other failure           -> retry with exponential backoff (counts as an attempt); an exception
                                 never just fails a task, since a failed task is acked and lost
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from celery.signals import after_setup_logger, worker_process_shutdown, worker_ready, worker_shutdown
from opentelemetry import context as otel_context
from pydantic import ValidationError

from newsgen import metrics, tracing
from newsgen.errors import NewsgenError
from newsgen.messages import TaskMessage
from workers.celery_app import app
from workers.runtime import WorkerRuntime

log = logging.getLogger("newsgen.worker")
_runtime: WorkerRuntime | None = None
_runtime_lock = threading.Lock()


def runtime() -> WorkerRuntime:
    """The process's runtime, made once even when pool threads ask at the same time."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = WorkerRuntime(app.conf.newsgen_settings)
        return _runtime


@after_setup_logger.connect
def _quiet_client_logs(**_kwargs) -> None:
    # kafka-python logs every connection and metadata refresh at INFO
    logging.getLogger("kafka").setLevel(logging.WARNING)


@worker_ready.connect
def _warm_up(**_kwargs) -> None:
    """Load the model now (not on the first task) and serve /livez (the process answers) and /readyz =
    /healthz (503 until the model is loaded, and while Redis or Kafka is out of reach)."""
    from newsgen.health import serve

    settings = app.conf.newsgen_settings
    state: dict = {"model": "loading"}

    def load() -> None:
        try:
            runtime().writer()
            state["model"] = "loaded"
        except Exception as exc:  # noqa: BLE001 - reported on /healthz and in the log
            state["model"] = f"error: {exc}"
            log.critical("model failed to load: %s", exc)

    threading.Thread(target=load, name="newsgen-model-load", daemon=True).start()
    if settings.broker == "rabbitmq":  # the dead-letter exchange must exist before a task can die here
        from workers.broker import declare_topology

        with app.connection_for_write() as conn:
            declare_topology(conn, settings)
    def ready() -> tuple[bool, dict]:
        ok, details = runtime().ready()
        return ok and state["model"] == "loaded", {"pid": os.getpid(), **details, **state}

    if settings.worker_port:
        # liveness is the main process answering; not Celery's heartbeats: the consumer stops them while
        # Redis is away, and a Redis outage must not restart the worker (and reload its model)
        serve(settings.worker_port, ready, live=lambda: (True, {"pid": os.getpid(), **state}),
              host=settings.metrics_host, timeout_s=settings.metrics_timeout_s)


@worker_process_shutdown.connect
@worker_shutdown.connect
def _close_runtime(**_kwargs) -> None:
    if _runtime is not None:
        _runtime.close()


def _trace_context(request) -> Any:
    """The trace context the bridge put in the Celery headers, and a ``queue wait`` span from the bridge's
    send to now (a sibling of this task's span, under the bridge's ``dispatch``)."""
    headers = {k: v for k, v in (getattr(request, "headers", None) or {}).items()
               if isinstance(k, str) and isinstance(v, str)}
    ctx, status = tracing.extract(headers)
    if status == "invalid":
        log.warning("task %s: malformed traceparent %r, a new trace starts", request.id,
                    headers.get(tracing.TRACEPARENT, "")[:80])
    sent = headers.get(tracing.SENT_NS_HEADER, "")
    if status == "ok" and sent.isdigit():
        token = otel_context.attach(ctx)
        try:
            tracing.record_span("queue wait", int(sent), time.time_ns(), {"newsgen.retries": request.retries})
        finally:
            otel_context.detach(token)
    return ctx


@app.task(name="newsgen.generate_note", bind=True, max_retries=None)
def generate_note(self, message: dict) -> dict:
    """Write the note for one task message and publish it (see the module docstring for the policy)."""
    rt = runtime()                                  # first: it sets tracing up in this process
    key = message.get("key") if isinstance(message, dict) else None
    with tracing.span("generate_note", {tracing.KEY: key, "messaging.system": "celery",
                                        "newsgen.attempt": self.request.retries + 1},
                      kind=tracing.CONSUMER, context=_trace_context(self.request)):
        return _generate_note(self, rt, message)


def _generate_note(self, rt: WorkerRuntime, message: dict) -> dict:
    settings = rt.settings
    key = message.get("key") if isinstance(message, dict) else None
    try:
        task = TaskMessage.model_validate(message)
    except ValidationError as exc:
        rt.dead_letter(message, key, "bad_task", str(exc))
        metrics.TASKS_DEAD_LETTERED.labels("bad_task").inc()
        return {"key": key, "dead_letter": "bad_task"}
    if rt.already_published(task.key):
        log.info("note %s already published, skipping", task.key)
        metrics.NOTES_SKIPPED.inc()
        return {"key": task.key, "skipped": True}
    attempt = rt.count_attempt(task.key)
    if attempt > settings.max_attempts:
        rt.dead_letter(message, task.key, "max_attempts", f"gave up after {attempt - 1} attempts")
        metrics.TASKS_DEAD_LETTERED.labels("max_attempts").inc()
        return {"key": task.key, "dead_letter": "max_attempts"}
    try:
        writer = rt.writer()
        finish = getattr(writer.generator, "finish", lambda ok=True: None)   # the last round's fact check span
        try:
            [note] = writer.write([task])
        except BaseException:
            finish(ok=False)
            raise
        finish()
        trace_note(note)
        where = rt.publish(note)
        if where is None:  # a redelivered copy finished first, or a newer revision is already out
            metrics.NOTES_SKIPPED.inc()
            return {"key": task.key, "skipped": True}
    except NewsgenError as exc:
        if not exc.retriable:
            rt.dead_letter(message, task.key, exc.reason, str(exc))
            metrics.TASKS_DEAD_LETTERED.labels(exc.reason).inc()
            return {"key": task.key, "dead_letter": exc.reason}
        metrics.TASKS_RETRIED.labels(exc.reason).inc()
        raise self.retry(exc=exc, countdown=min(60, 2 ** attempt))
    except Exception as exc:  # noqa: BLE001 - anything else (Kafka/Redis away, a bug): retry, never drop
        log.exception("task %s attempt %d failed", task.key, attempt)
        metrics.TASKS_RETRIED.labels(type(exc).__name__).inc()
        raise self.retry(exc=exc, countdown=min(60, 2 ** attempt))
    p = note.provenance
    metrics.NOTES_PUBLISHED.labels(task.task, p.backend).inc()
    log.info("note %s published to %s (attempt %d, %d tokens, batch %d, %.0f ms)", task.key, where, attempt,
             p.new_tokens, p.timings_ms.get("batch_size", 1), p.timings_ms.get("total_ms", 0.0))
    return {"key": task.key, "published": where}


def trace_note(note) -> None:
    """The note's model, backend and outcome on the task's span."""
    p = note.provenance
    tracing.trace.get_current_span().set_attributes({
        tracing.RECORD_ID: note.record_id, tracing.TASK: note.task, tracing.MODEL: p.model,
        tracing.BACKEND: p.backend, "newsgen.fallback": p.fallback, "newsgen.fallback_reason": p.fallback_reason or ""})
