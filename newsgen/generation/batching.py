"""Micro-batching of concurrent callers: worker threads each hand in requests and block on their results.

Two policies over one queue, chosen at construction:

- **continuous** (the default when the inner generator has an ``engine``): one thread drives a
  :class:`~newsgen.generation.engine.DecodeEngine`; queued requests join the running batch at the next
  decode step and each caller gets its result as soon as its row finishes, not when the batch ends;
- **static**: take what is queued (up to ``max_batch``, waiting at most ``max_wait_s`` after the first
  request) and run the inner generator once on it (any :class:`Generator`).

Each caller still owns its request, so a failure or retry of one task never affects another's delivery.

Given a function that builds the generator instead of a generator, the batcher thread builds it, so that one
thread of the process runs every PyTorch operation. With GNU OpenMP (PyTorch's CPU threading on Linux) each
thread that runs a parallel operation keeps its own team of OpenMP threads; once the process has more of them
than cores, every barrier spins only briefly and then sleeps, and the decode loop's many small parallel
operations slow down: on 2 cores a matmul loop took 1.8x as long on the batcher thread after the model had been
loaded on another thread (``bench/results/pipeline.json`` has the pipeline figures).
"""
from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from typing import Callable, Sequence

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


def _drain(q: "queue.Queue[tuple[GenerationRequest, Future]]") -> list[tuple[GenerationRequest, Future]]:
    items = []
    while True:
        try:
            items.append(q.get_nowait())
        except queue.Empty:
            return items


class BatchingGenerator:
    """Wraps a :class:`Generator`; thread-safe ``generate`` that batches concurrent callers together."""

    def __init__(self, inner: Generator | Callable[[], Generator], max_batch: int = 8, max_wait_s: float = 0.05,
                 continuous: bool | None = None):
        """``inner``: the generator, or a function that builds it on the batcher thread (see the module's
        docstring); its errors are raised here."""
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._queue: queue.Queue[tuple[GenerationRequest, Future]] = queue.Queue()
        self._closed = threading.Event()
        started: Future = Future()
        self._thread = threading.Thread(target=self._run, args=(inner, continuous, started), name="newsgen-batcher",
                                        daemon=True)
        self._thread.start()
        started.result()

    def _run(self, inner: Generator | Callable[[], Generator], continuous: bool | None, started: Future) -> None:
        try:
            self._adopt(inner if hasattr(inner, "generate") else inner(), continuous)  # type: ignore[operator]
        except BaseException as exc:  # noqa: BLE001 - raised by the constructor
            started.set_exception(exc)
            return
        started.set_result(None)
        if self.continuous:
            self._continuous_loop()
        else:
            self._loop()

    def _adopt(self, inner: Generator, continuous: bool | None) -> None:
        self.inner = inner
        self.backend = inner.backend
        self.model_id = inner.model_id
        self.sampling_defaults = getattr(inner, "sampling_defaults", {})
        self.prompt_format = getattr(inner, "prompt_format", PromptFormat())
        self.continuous = hasattr(inner, "engine") if continuous is None else continuous
        if self.continuous and not hasattr(inner, "engine"):
            raise ValueError(f"continuous batching needs a generator with an engine, not {type(inner).__name__}")

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
                    self._one_by_one(batch)
                continue
            observe_generation(self.backend, len(batch), sum(r.new_tokens for r in results),
                               time.perf_counter() - started)
            for (_, fut), res in zip(batch, results):
                fut.set_result(res)

    def _continuous_loop(self) -> None:
        engine = self.inner.engine(self.max_batch)  # type: ignore[attr-defined]
        requests: dict[int, tuple[GenerationRequest, Future]] = {}
        while not self._closed.is_set():
            # idle: wait for a first request and let a burst gather; running: take what is queued, no wait
            incoming = (collect_batch(self._queue, self.max_batch, self.max_wait_s) if not engine.has_work
                        else _drain(self._queue))
            for req, fut in incoming:
                try:
                    engine.add(req, id(fut))
                except Exception as exc:  # noqa: BLE001 - this request only
                    fut.set_exception(exc)
                    continue
                requests[id(fut)] = (req, fut)
            if not engine.has_work:
                continue
            try:
                done = engine.step()
            except Exception:  # noqa: BLE001 - find the request that failed: the others must not pay for it
                self._one_by_one([requests.pop(h) for h in engine.abort()])
                continue
            for handle, res in done:  # one observation per request: its batch at joining, its latency
                requests.pop(handle)[1].set_result(res)
                observe_generation(self.backend, int(res.timings_ms.get("batch_size", 1)), res.new_tokens,
                                   res.timings_ms.get("total_ms", 0.0) / 1e3)
        for _, fut in list(requests.values()) + _drain(self._queue):  # closed: nobody waits for ever
            fut.set_exception(RuntimeError("generator is closed"))

    def _one_by_one(self, batch: list[tuple[GenerationRequest, Future]]) -> None:
        for req, fut in batch:
            try:
                fut.set_result(self.inner.generate([req])[0])
            except Exception as one:  # noqa: BLE001
                fut.set_exception(one)

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5)
