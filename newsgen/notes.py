"""Write notes: task messages in, note messages with provenance out (the worker's core, no Celery).

Policy per task:
  status gate (postponed / abandoned / cancelled / scheduled match) -> template-only status note
  else up to ``settings.candidates`` rounds: generate one candidate per pending task (one batch), fact-check
  it against the record, publish the first that passes; none passes -> template-only note, flagged
  ``fallback_reason = "fact_check"`` with the rejected candidates and their reasons in provenance.
"""
from __future__ import annotations

import hashlib
import socket
from typing import Any, Mapping, Sequence

from newsgen import metrics
from newsgen.allowed import frame_words, grounding_for
from newsgen.config import Settings
from newsgen.errors import GenerationError
from newsgen.facts import FactCheck, check, default_lexicon, lexicon_of
from newsgen.fallback import needs_model, render_fallback
from newsgen.generation import GenerationRequest, GenerationResult, Generator, PromptFormat, SamplingParams
from newsgen.generation.grounding import Grounding
from newsgen.generation.postprocess import finish_text
from newsgen.grammar import Lexicon
from newsgen.messages import Candidate, NoteMessage, Provenance, TaskMessage
from newsgen.slots import SlotError, Slots, served_prompt


def sampling_seed(base: int, key: str, candidate: int = 0) -> int:
    """Per-note RNG seed: the configured base mixed with the idempotency key and the candidate number."""
    material = key if candidate == 0 else f"{key}#{candidate}"
    return (base + int.from_bytes(hashlib.sha256(material.encode()).digest()[:4], "big")) % 2**32


def sampling_for(settings: Settings, key: str, candidate: int = 0,
                 model_defaults: Mapping[str, Any] | None = None) -> SamplingParams:
    """Sampling parameters of one candidate with its own seed: newsgen's defaults, over them what the model
    recommends (``model_defaults``, from its generation_config.json), over that what the settings set. A
    retried candidate (``candidate`` > 0) samples hotter by ``retry_temperature_step`` each time, so that
    best-of-N tries other texts rather than the same peaked one again."""
    s = settings.sampling
    values = s.request_fields()
    values.pop("seed")
    values.update({k: v for k, v in (model_defaults or {}).items() if k in values and k not in s.model_fields_set})
    base = values["temperature"]
    values["temperature"] = round(min(base + candidate * s.retry_temperature_step, max(base, 1.0)), 6)
    return SamplingParams(**values, seed=sampling_seed(s.seed, key, candidate))


def grounding_of(settings: Settings, task: TaskMessage, slots: Slots | None = None) -> Grounding | None:
    """What the task's text may state (:mod:`newsgen.allowed`), with the record's ``slots`` and the task's
    language for a slot model; None when grounding is off."""
    frame = frame_words(str(settings.templates_dir), task.record_type, task.language)
    return grounding_for(task.record, settings.grounding, task.seed.prompt, task.seed.prefix, frame,
                         lexicon_of(settings.templates_dir), slots=slots.tokens() if slots is not None else (),
                         language=task.language)


def model_prompt(task: TaskMessage, fmt: PromptFormat = PromptFormat(),
                 lexicon: Lexicon | None = None) -> tuple[str, str, Slots | None]:
    """The prompt and shared prefix the model reads for a task, as its :class:`PromptFormat` wants them, and
    the record's slots when it writes with them (:func:`newsgen.slots.served_prompt`)."""
    prefix, rest, slots = served_prompt(task.seed, task.record, task.language, fmt, lexicon or default_lexicon())
    return prefix + rest, prefix, slots


def request_for(settings: Settings, task: TaskMessage, candidate: int = 0,
                model_defaults: Mapping[str, Any] | None = None, grounding: Grounding | None = None,
                prompt: tuple[str, str] | None = None) -> GenerationRequest:
    """The generation request of one candidate of a task; ``prompt`` is (prompt, prefix) when the model
    reads another than the seed's own (:func:`model_prompt`)."""
    text, prefix = prompt or (task.seed.prompt, task.seed.prefix)
    return GenerationRequest(prompt=text, prefix=prefix, sampling=sampling_for(settings, task.key, candidate, model_defaults),
                             grounding=grounding)


class NoteWriter:
    """Generates, checks and falls back; one ``generate`` call per round for the whole batch of tasks."""

    def __init__(self, generator: Generator, settings: Settings, worker: str | None = None):
        self.generator = generator
        self.settings = settings
        self.worker = worker or socket.gethostname()
        self.model_sampling = getattr(generator, "sampling_defaults", {})
        self.prompt_format = getattr(generator, "prompt_format", PromptFormat())
        self.lexicon = lexicon_of(settings.templates_dir)

    def write(self, tasks: Sequence[TaskMessage]) -> list[NoteMessage]:
        notes: dict[str, NoteMessage] = {t.key: self._fallback(t, "status_gate") for t in tasks
                                         if not needs_model(t.record)}
        pending = [t for t in tasks if t.key not in notes]
        rejected: dict[str, list[Candidate]] = {t.key: [] for t in pending}
        prompts = {t.key: model_prompt(t, self.prompt_format, self.lexicon) for t in pending}
        grounding = {t.key: grounding_of(self.settings, t, prompts[t.key][2]) for t in pending}
        for candidate in range(self.settings.candidates):
            if not pending:
                break
            try:
                results = self.generator.generate([request_for(self.settings, t, candidate, self.model_sampling,
                                                               grounding[t.key], prompts[t.key][:2])
                                                   for t in pending])
            except GenerationError as exc:
                if exc.retriable:
                    raise                     # the task is retried: the same request may succeed later
                for task in pending:          # e.g. a seed longer than the model's context
                    metrics.FACTCHECK.labels("fallback").inc()
                    notes[task.key] = self._fallback(task, "generation_error", rejected[task.key])
                pending = []
                break
            still = []
            for task, res in zip(pending, results):
                if res.finish_reason == "context":     # the seed is longer than the model's context
                    metrics.FACTCHECK.labels("fallback").inc()
                    notes[task.key] = self._fallback(task, "context_overflow", rejected[task.key])
                    continue
                text, verdict = self._read(task, res.text, prompts[task.key][2])
                if verdict is None or isinstance(verdict, FactCheck) and verdict.passed:
                    metrics.FACTCHECK.labels("pass" if verdict else "unchecked").inc()
                    notes[task.key] = self._note(task, text, res, candidate, verdict, rejected[task.key])
                else:
                    metrics.FACTCHECK.labels("fail").inc()
                    reasons = verdict.reasons() if isinstance(verdict, FactCheck) else [f"slot: {verdict}"]
                    rejected[task.key].append(Candidate(seed=sampling_seed(self.settings.sampling.seed, task.key,
                                                                           candidate), text=text, reasons=reasons))
                    still.append(task)
            pending = still
        for task in pending:
            metrics.FACTCHECK.labels("fallback").inc()
            notes[task.key] = self._fallback(task, "fact_check", rejected[task.key])
        return [notes[t.key] for t in tasks]

    def _read(self, task: TaskMessage, generated: str,
              slots: Slots | None) -> tuple[str, FactCheck | SlotError | None]:
        """The note of a generated text (slots realised, cut at a sentence end) and its fact check (None when
        off; the :class:`SlotError` when the text names a slot the record does not have or a form it cannot take)."""
        if slots is not None:
            try:
                generated = slots.realise(generated)
            except SlotError as exc:
                return generated, exc
        text = finish_text(task.seed.lead, generated)
        return text, check(task.record, text, task.task, task.language,
                           lexicon=self.lexicon) if self.settings.fact_check else None

    def _provenance(self, task: TaskMessage, **fields) -> Provenance:
        return Provenance(seed_sha256=hashlib.sha256(task.seed.prompt.encode()).hexdigest(), worker=self.worker,
                          source=task.source, **fields)

    def _message(self, task: TaskMessage, text: str, language: str, provenance: Provenance) -> NoteMessage:
        return NoteMessage(key=task.key, task=task.task, record_type=task.record_type, record_id=task.record_id,
                           revision=task.revision, edit=task.edit, language=language, text=text, record=task.record,
                           provenance=provenance)

    def _note(self, task: TaskMessage, text: str, res: GenerationResult, candidate: int, verdict,
              rejected: list[Candidate]) -> NoteMessage:
        sampling = request_for(self.settings, task, candidate, self.model_sampling).sampling
        provenance = self._provenance(
            task, model=self.generator.model_id, backend=res.backend, template=task.seed.template,
            template_version=task.seed.template_version,
            sampling={k: v for k, v in vars(sampling).items() if k != "stop"},
            prompt_tokens=res.prompt_tokens, new_tokens=res.new_tokens, finish_reason=res.finish_reason,
            timings_ms=res.timings_ms, candidate=candidate, grounding=self.settings.grounding,
            factcheck=verdict.model_dump(mode="json") if verdict else None, rejected=rejected)
        return self._message(task, text, task.language, provenance)

    def _fallback(self, task: TaskMessage, reason: str, rejected: list[Candidate] = ()) -> NoteMessage:
        """The deterministic template-only note of a task (checked too, for the record)."""
        note = render_fallback(task.record, task.task, task.language, templates_dir=self.settings.templates_dir)
        verdict = check(task.record, note.text, task.task, note.language) if self.settings.fact_check else None
        if verdict is not None and not verdict.passed:
            metrics.FALLBACK_CHECK_FAILURES.labels(task.record_type, task.task, note.language).inc()
        provenance = self._provenance(
            task, model="template", backend="template", template=note.template,
            template_version=note.template_version, sampling={}, prompt_tokens=0, new_tokens=0,
            finish_reason="template", timings_ms={}, fallback=True, fallback_reason=reason,
            factcheck=verdict.model_dump(mode="json") if verdict else None, rejected=list(rejected))
        return self._message(task, note.text, note.language, provenance)
