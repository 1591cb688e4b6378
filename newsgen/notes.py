"""Write notes: task messages in, note messages with provenance out (the worker's core, no Celery)."""
from __future__ import annotations

import hashlib
import socket
from typing import Sequence

from newsgen.config import Settings
from newsgen.fallback import needs_model, render_fallback
from newsgen.generation import GenerationRequest, GenerationResult, Generator, SamplingParams
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
    """Generates the notes of a batch of tasks in one ``generate`` call.

    Records the status gate stops (postponed, abandoned, cancelled, scheduled matches) get their
    template-only status note instead, without touching the model.
    """

    def __init__(self, generator: Generator, settings: Settings, worker: str | None = None):
        self.generator = generator
        self.settings = settings
        self.worker = worker or socket.gethostname()

    def write(self, tasks: Sequence[TaskMessage]) -> list[NoteMessage]:
        modelled = [t for t in tasks if needs_model(t.record)]
        results = dict(zip((t.key for t in modelled),
                           self.generator.generate([request_for(self.settings, t) for t in modelled])))
        return [self._note(t, results[t.key]) if t.key in results else self._fallback(t, "status_gate")
                for t in tasks]

    def _provenance(self, task: TaskMessage, **fields) -> Provenance:
        return Provenance(seed_sha256=hashlib.sha256(task.seed.prompt.encode()).hexdigest(), worker=self.worker,
                          source=task.source, **fields)

    def _message(self, task: TaskMessage, text: str, language: str, provenance: Provenance) -> NoteMessage:
        return NoteMessage(key=task.key, task=task.task, record_type=task.record_type, record_id=task.record_id,
                           revision=task.revision, language=language, text=text, record=task.record,
                           provenance=provenance)

    def _note(self, task: TaskMessage, res: GenerationResult) -> NoteMessage:
        sampling = request_for(self.settings, task).sampling
        provenance = self._provenance(
            task, model=self.generator.model_id, backend=res.backend, template=task.seed.template,
            template_version=task.seed.template_version,
            sampling={k: v for k, v in vars(sampling).items() if k != "stop"},
            prompt_tokens=res.prompt_tokens, new_tokens=res.new_tokens, finish_reason=res.finish_reason,
            timings_ms=res.timings_ms)
        return self._message(task, finish_text(task.seed.lead, res.text), task.language, provenance)

    def _fallback(self, task: TaskMessage, reason: str) -> NoteMessage:
        """The deterministic template-only note of a task."""
        note = render_fallback(task.record, task.task, task.language, templates_dir=self.settings.templates_dir)
        provenance = self._provenance(
            task, model="template", backend="template", template=note.template,
            template_version=note.template_version, sampling={}, prompt_tokens=0, new_tokens=0,
            finish_reason="template", timings_ms={}, fallback=True, fallback_reason=reason)
        return self._message(task, note.text, note.language, provenance)
