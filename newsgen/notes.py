"""Write notes: task messages in, note messages with provenance out (the worker's core, no Celery)."""
from __future__ import annotations

import hashlib
import socket
from dataclasses import replace
from typing import Sequence

from newsgen.config import Settings
from newsgen.generation import GenerationRequest, Generator, SamplingParams
from newsgen.generation.postprocess import finish_text
from newsgen.messages import NoteMessage, Provenance, TaskMessage


def sampling_seed(base: int, key: str) -> int:
    """Per-note RNG seed: the configured base mixed with the idempotency key (stable across runs)."""
    return (base + int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")) % 2**32


def sampling_for(settings: Settings, key: str) -> SamplingParams:
    """Sampling parameters of one note: the configured defaults with the note's own seed."""
    s = settings.sampling
    return SamplingParams(max_new_tokens=s.max_new_tokens, temperature=s.temperature, top_k=s.top_k,
                          top_p=s.top_p, repetition_penalty=s.repetition_penalty,
                          no_repeat_ngram_size=s.no_repeat_ngram_size, seed=sampling_seed(s.seed, key))


def request_for(settings: Settings, task: TaskMessage) -> GenerationRequest:
    """The generation request a task stands for."""
    return GenerationRequest(prompt=task.seed.prompt, prefix=task.seed.prefix,
                             sampling=sampling_for(settings, task.key))


class NoteWriter:
    """Generates the notes of a batch of tasks in one ``generate`` call."""

    def __init__(self, generator: Generator, settings: Settings, worker: str | None = None):
        self.generator = generator
        self.settings = settings
        self.worker = worker or socket.gethostname()

    def write(self, tasks: Sequence[TaskMessage]) -> list[NoteMessage]:
        requests = [request_for(self.settings, t) for t in tasks]
        results = self.generator.generate(requests)
        notes = []
        for task, req, res in zip(tasks, requests, results):
            sampling = {k: v for k, v in vars(replace(req.sampling)).items() if k != "stop"}
            provenance = Provenance(
                model=self.generator.model_id, backend=res.backend, template=task.seed.template,
                template_version=task.seed.template_version,
                seed_sha256=hashlib.sha256(task.seed.prompt.encode()).hexdigest(), sampling=sampling,
                prompt_tokens=res.prompt_tokens, new_tokens=res.new_tokens, finish_reason=res.finish_reason,
                timings_ms=res.timings_ms, worker=self.worker, source=task.source)
            notes.append(NoteMessage(key=task.key, task=task.task, record_type=task.record_type,
                                     record_id=task.record_id, revision=task.revision, language=task.language,
                                     text=finish_text(task.seed.lead, res.text), provenance=provenance))
        return notes
