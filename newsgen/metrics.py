"""Prometheus metrics of the bridge and the workers (one definition each, shared by all processes).

Workers run prefork pools: ``newsgen worker`` sets ``PROMETHEUS_MULTIPROC_DIR`` so every pool child writes
its samples there and the main process serves them together (see ``newsgen.health``).
"""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RECORDS_CONSUMED = Counter("newsgen_records_consumed_total", "Records read from the records topic")
RECORDS_REJECTED = Counter("newsgen_records_rejected_total", "Records sent to the dead-letter topic",
                           ["reason"])
TASKS_SENT = Counter("newsgen_tasks_sent_total", "Generation tasks dispatched to Celery", ["task"])
TRACE_CONTEXT_INVALID = Counter("newsgen_trace_context_invalid_total", "Records whose traceparent header was "
                                "malformed (a new trace was started)")
CONSUMER_LAG = Gauge("newsgen_consumer_lag", "Records not yet consumed by the bridge", ["partition"],
                     multiprocess_mode="max")
QUEUE_DEPTH = Gauge("newsgen_queue_depth", "Tasks waiting in the Celery queue", ["queue"],
                    multiprocess_mode="max")

NOTES_PUBLISHED = Counter("newsgen_notes_published_total", "Notes published to the notes topic",
                          ["task", "backend"])
NOTES_SKIPPED = Counter("newsgen_notes_skipped_total", "Tasks skipped because their note was already published")
TASKS_RETRIED = Counter("newsgen_tasks_retried_total", "Task attempts that failed and were retried", ["reason"])
TASKS_DEAD_LETTERED = Counter("newsgen_tasks_dead_lettered_total", "Tasks given up after their last attempt",
                              ["reason"])
GENERATION_SECONDS = Histogram("newsgen_generation_seconds", "Wall time of one generate() call", ["backend"],
                               buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128))
GENERATED_TOKENS = Counter("newsgen_generated_tokens_total", "New tokens generated", ["backend"])
TOKENS_PER_SECOND = Gauge("newsgen_tokens_per_second", "Tokens/s of the last generate() call", ["backend"],
                          multiprocess_mode="max")
BATCH_SIZE = Histogram("newsgen_batch_size", "Requests per generate() call", buckets=(1, 2, 4, 8, 16, 32, 64))
FACTCHECK = Counter("newsgen_factcheck_total", "Fact-check outcomes: pass, fail (candidate rejected), "
                    "fallback (template note published), unchecked (checking off)", ["result"])
FALLBACK_CHECK_FAILURES = Counter(
    "newsgen_fallback_check_failures_total",
    "Template-only notes that failed their own fact check (a template or checker bug; published anyway)",
    ["record_type", "task", "language"])
BACKEND_FALLBACKS = Counter("newsgen_backend_fallbacks_total", "Times a backend fell back to another",
                            ["from", "to", "reason"])


DRAFT_TOKENS = Counter("newsgen_draft_tokens_total", "Prompt-lookup draft tokens: proposed, and accepted by "
                       "verification", ["outcome"])
DRAFT_ACCEPTED = Histogram("newsgen_draft_accepted_tokens", "Draft tokens accepted per row and decode step that "
                           "had a draft (each step also writes one token of its own)", buckets=(0, 1, 2, 3, 4, 6, 8))


def observe_drafts(proposed: int, accepted: int) -> None:
    """Record one row's verified draft in one decode step."""
    DRAFT_TOKENS.labels("proposed").inc(proposed)
    DRAFT_TOKENS.labels("accepted").inc(accepted)
    DRAFT_ACCEPTED.observe(accepted)


def observe_generation(backend: str, batch_size: int, new_tokens: int, seconds: float) -> None:
    """Record one generate() call."""
    GENERATION_SECONDS.labels(backend).observe(seconds)
    GENERATED_TOKENS.labels(backend).inc(new_tokens)
    BATCH_SIZE.observe(batch_size)
    if seconds > 0:
        TOKENS_PER_SECOND.labels(backend).set(new_tokens / seconds)

# the editor desk (`newsgen desk`, its own /metrics)
DESK_MESSAGES_SKIPPED = Counter("newsgen_desk_messages_skipped_total", "Messages the desk skipped on a topic it "
                                "reads: not JSON, or not a valid note / approval", ["topic", "reason"])
DESK_REQUESTS_REFUSED = Counter("newsgen_desk_requests_refused_total", "Desk requests refused before the app: "
                                "body_too_large, host, streams, bad_length", ["reason"])
