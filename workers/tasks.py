"""Celery tasks: thin adapters from a task message to the core note writer and the notes topic."""
from __future__ import annotations

import logging

from celery.signals import after_setup_logger, worker_process_shutdown

from newsgen.messages import TaskMessage
from workers.celery_app import app
from workers.runtime import WorkerRuntime

log = logging.getLogger("newsgen.worker")
_runtime: WorkerRuntime | None = None


def runtime() -> WorkerRuntime:
    global _runtime
    if _runtime is None:
        _runtime = WorkerRuntime(app.conf.newsgen_settings)
    return _runtime


@after_setup_logger.connect
def _quiet_client_logs(**_kwargs) -> None:
    # kafka-python logs every connection and metadata refresh at INFO
    logging.getLogger("kafka").setLevel(logging.WARNING)


@worker_process_shutdown.connect
def _close_runtime(**_kwargs) -> None:
    if _runtime is not None:
        _runtime.close()


@app.task(name="newsgen.generate_note")
def generate_note(message: dict) -> dict:
    """Write the note for one task message and publish it; skip keys already published."""
    task = TaskMessage.model_validate(message)
    rt = runtime()
    if rt.already_published(task.key):
        log.info("note %s already published, skipping", task.key)
        return {"key": task.key, "skipped": True}
    [note] = rt.writer.write([task])
    where = rt.publish(note)
    log.info("note %s published to %s (%d tokens, %.0f ms)", task.key, where, note.provenance.new_tokens,
             note.provenance.timings_ms.get("total_ms", 0.0))
    return {"key": task.key, "published": where}
