"""Decide what one input record becomes: task messages for the workers, or a dead letter.

Pure core logic used by the Kafka bridge (``workers/bridge.py``) and by tests, no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from newsgen.config import Settings
from newsgen.errors import RecordError, SeedError
from newsgen.messages import DeadLetter, SeedInfo, Source, TaskMessage
from newsgen.records import RecordValidator
from newsgen.seeds import SeedRenderer

TASKS = ("note", "summary", "rewrite")


@dataclass
class Routed:
    """The outcome for one record: tasks to send, or a dead letter (never both, never neither)."""

    tasks: list[TaskMessage] = field(default_factory=list)
    dead_letter: DeadLetter | None = None


class RecordRouter:
    """Validates a raw record, renders one seed per task its type has templates for."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.validator = RecordValidator(settings.schemas_dir)
        self.renderer = SeedRenderer(settings.templates_dir)

    def tasks_for(self, record_type: str) -> list[str]:
        return [t for t in TASKS if self.renderer.has_template(record_type, t, self.settings.language)]

    def route(self, raw: bytes, source: Source | None = None) -> Routed:
        """Never raises for bad input: a bad record becomes a dead letter naming the stage and reason."""
        try:
            record = self.validator.load(raw)
        except RecordError as exc:
            stage = "decode" if exc.reason == "decode" else "validate"
            return Routed(dead_letter=DeadLetter.of(raw, reason=exc.reason, error=str(exc), stage=stage,
                                                    path=getattr(exc, "path", None), source=source))
        tasks = []
        language = self.settings.language
        for task in self.tasks_for(record.type):
            try:
                seed = self.renderer.render(record.data, task, language)
            except SeedError as exc:
                return Routed(dead_letter=DeadLetter.of(raw, reason=exc.reason, error=str(exc), stage="seed",
                                                        source=source, key=record.key(task)))
            tasks.append(TaskMessage(key=record.key(task), task=task, record_type=record.type,
                                     record_id=record.id, revision=record.revision, language=language,
                                     record=record.data, source=source,
                                     seed=SeedInfo(prompt=seed.prompt, prefix=seed.prefix, lead=seed.lead,
                                                   template=seed.template,
                                                   template_version=seed.template_version)))
        if not tasks:
            return Routed(dead_letter=DeadLetter.of(raw, reason="no_task", stage="seed", source=source,
                                                    error=f"no {language} template for record type {record.type!r}"))
        return Routed(tasks=tasks)
