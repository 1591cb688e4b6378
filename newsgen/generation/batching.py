"""Dynamic micro-batching: many callers, one ``generate`` call per batch.

Worker threads each hand in one request and block; a single batcher thread takes what is queued (up to
``max_batch``, waiting at most ``max_wait_s`` after the first request) and runs the inner generator once.
Each caller still owns its request, so a failure or retry of one task never affects another's delivery.
"""
from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from typing import Sequence

from newsgen.generation.base import GenerationRequest, GenerationResult, Generator, PromptFormat
from newsgen.metrics import observe_generation


def collect_batch(q: "queue.Queue[tuple[GenerationRequest, Future]]", max_batch: int, max_wait_s: float,
                  block_s: float = 0.5) -> list[tuple[GenerationRequest, Future]]:
    """Batching policy: the first item waits up to ``block_s``; others join until full or ``max_wait_s``."""
    try:
        batch = [q.get(timeout=block_s)]
    except queue.Empty:
        return []
    deadline = time.monotonic() + max_wait_s
    while len(batch) < max_batch:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            batch.append(q.get(timeout=remaining))
        except queue.Empty:
            break
    return batch


class BatchingGenerator:
    """Wraps a :class:`Generator`; thread-safe ``generate`` that batches concurrent callers together."""

    def __init__(self, inner: Generator, max_batch: int = 8, max_wait_s: float = 0.05):
        self.inner = inner
        self.backend = inner.backend
        self.model_id = inner.model_id
        self.sampling_defaults = getattr(inner, "sampling_defaults", {})
        self.prompt_format = getattr(inner, "prompt_format", PromptFormat())
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._queue: queue.Queue[tuple[GenerationRequest, Future]] = queue.Queue()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="newsgen-batcher", daemon=True)
        self._thread.start()

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        """Queue the requests and wait for their results (they may share a batch with other callers')."""
        if self._closed.is_set():
            raise RuntimeError("generator is closed")
        futures = []
        for req in requests:
            fut: Future = Future()
            self._queue.put((req, fut))
            futures.append(fut)
        return [f.result() for f in futures]

    def _loop(self) -> None:
        while not self._closed.is_set():
            batch = collect_batch(self._queue, self.max_batch, self.max_wait_s)
            if not batch:
                continue
            started = time.perf_counter()
            try:
                results = self.inner.generate([req for req, _ in batch])
            except Exception as exc:  # noqa: BLE001 - handed to the callers
                if len(batch) == 1:
                    batch[0][1].set_exception(exc)
                else:  # find the request that failed: its batch mates must not pay for it
                    for req, fut in batch:
                        try:
                            fut.set_result(self.inner.generate([req])[0])
                        except Exception as one:  # noqa: BLE001
                            fut.set_exception(one)
                continue
            observe_generation(self.backend, len(batch), sum(r.new_tokens for r in results),
                               time.perf_counter() - started)
            for (_, fut), res in zip(batch, results):
                fut.set_result(res)

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5)
