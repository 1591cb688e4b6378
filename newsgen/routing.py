"""Decide what one input record becomes: task messages for the workers, or a dead letter.

Pure core logic used by the Kafka bridge (``workers/bridge.py``) and by tests, no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from newsgen import tracing
from newsgen.config import Settings
from newsgen.errors import RecordError, SchemaError, SchemaVersionError, SeedError
from newsgen.history import note_key
from newsgen.living import apply_event
from newsgen.messages import DeadLetter, SeedInfo, Source, TaskMessage
from newsgen.records import SCHEMA_BASE_ID, Record, RecordValidator, decode
from newsgen.seeds import SeedRenderer

TASKS = ("note", "summary", "rewrite")
EVENT_TYPE = "match_event"
#: record types whose revisions the match store keeps (the ones match_event applies to)
LIVE_TYPES = ("football_match",)
#: Kafka header of a desk regeneration: the editorial sequence (``newsgen.history``) its notes take
EDIT_HEADER = "newsgen-edit"
#: Kafka header naming a record's schema and version: ``<type>/<version>`` (e.g. ``football_match/2``)
SCHEMA_HEADER = "schema"


def edit_of(headers: Any) -> int:
    """The editorial sequence a records-topic message asks for (0: none, an ordinary record)."""
    for name, value in headers or ():
        if name == EDIT_HEADER:
            try:
                edit = int(bytes(value).decode("ascii"))
            except (TypeError, ValueError, UnicodeDecodeError):
                return 0
            return edit if edit > 0 else 0
    return 0


def schema_of(headers: Any) -> str | None:
    """The ``schema`` header of a records-topic message (None: absent or not UTF-8)."""
    for name, value in headers or ():
        if name == SCHEMA_HEADER:
            try:
                return bytes(value).decode("utf-8")
            except (TypeError, UnicodeDecodeError):
                return "\ufffd"      # present but unreadable: an unknown version
    return None


def split_schema(schema: str) -> tuple[str | None, str]:
    """``football_match/2`` or ``https://newsgen.local/schemas/football_match/2`` (a CloudEvent's
    ``dataschema``) -> ``("football_match", "2")``; anything else -> ``(None, schema)``."""
    text = schema.strip()
    if text.startswith(SCHEMA_BASE_ID + "/"):
        text = text[len(SCHEMA_BASE_ID) + 1:]
    parts = text.rstrip("/").split("/")
    if len(parts) == 2 and parts[0]:
        return parts[0], parts[1]
    return None, schema


class MatchStore(Protocol):
    """The latest revision of each match: ``get`` -> (record, event id) or None; ``put`` keeps the higher."""

    def get(self, match_id: str) -> tuple[dict[str, Any], str | None] | None: ...

    def put(self, record: dict[str, Any], event_id: str | None = None) -> bool: ...


class StaleRecord(SchemaError):
    """An old revision or event of a match: dead-lettered, it never rolls a note back."""

    reason = "stale"


class UnknownMatch(SchemaError):
    reason = "unknown_match"


@dataclass
class Routed:
    """The outcome for one record: tasks to send, or a dead letter (never both, never neither)."""

    tasks: list[TaskMessage] = field(default_factory=list)
    dead_letter: DeadLetter | None = None


class RecordRouter:
    """Validates a raw record, renders one seed per task its type has templates for.

    With a match store, football matches are remembered by id and ``match_event`` records become new
    revisions of their match (living notes); a match revision or event older than the stored one is
    dead-lettered as stale instead of rolling the match back.
    """

    def __init__(self, settings: Settings, store: MatchStore | None = None):
        self.settings = settings
        self.validator = RecordValidator(settings.schemas_dir)
        self.renderer = SeedRenderer(settings.templates_dir)
        self.store = store

    def tasks_for(self, record_type: str) -> list[str]:
        return [t for t in TASKS if self.renderer.has_template(record_type, t, self.settings.language)]

    def load(self, raw: bytes, schema: str | None = None) -> Record:
        """Decode and validate a record in the version ``schema`` names (the ``schema`` header
        ``<type>/<version>`` or a schema URI), else the record's own ``schema_version``, else the latest."""
        obj = decode(raw)
        if schema is None:
            return self.validator.validate(obj)
        said_type, version = split_schema(schema)
        if said_type is None:
            raise SchemaVersionError(f"$: schema header {schema[:80]!r} is not <type>/<version>, e.g. "
                                     "football_match/2")
        record_type = obj.get("type") if isinstance(obj, dict) else None
        if isinstance(record_type, str) and record_type != said_type:
            raise SchemaError(f"$.type: the schema header says {schema[:80]!r} but the record is a "
                              f"{record_type[:60]!r}", "$.type", "schema_header")
        return self.validator.validate(obj, version)

    def route(self, raw: bytes, source: Source | None = None, edit: int = 0, schema: str | None = None) -> Routed:
        """Never raises for bad input: a bad record becomes a dead letter naming the stage and reason.

        ``edit`` > 0 is a desk regeneration (``newsgen.history``): the record's notes are written again as
        ``<id>:<task>:<revision>.<edit>``; it takes no machine revision and never writes the match store.
        ``schema`` is the message's ``schema`` header (see :meth:`load`). Spans ``validate`` and ``seed``
        go to the current trace (``newsgen.tracing``).
        """
        with tracing.span("validate") as span:
            try:
                record = self.load(raw, schema)
                record = self._regenerated(record) if edit else self._live(record)
            except RecordError as exc:
                stage = "decode" if exc.reason == "decode" else "validate"
                span.set_attribute("newsgen.dead_letter.reason", exc.reason)
                return Routed(dead_letter=DeadLetter.of(raw, reason=exc.reason, error=str(exc), stage=stage,
                                                        path=getattr(exc, "path", None), source=source))
            span.set_attributes({tracing.RECORD_ID: record.id, tracing.RECORD_TYPE: record.type,
                                 "newsgen.schema_version": record.schema_version})
        tasks = []
        language = self.settings.language
        for task in self.tasks_for(record.type):
            try:
                with tracing.span("seed", {tracing.RECORD_ID: record.id, tracing.TASK: task}):
                    seed = self.renderer.render(record.data, task, language)
            except SeedError as exc:
                return Routed(dead_letter=DeadLetter.of(raw, reason=exc.reason, error=str(exc), stage="seed",
                                                        source=source, key=note_key(record.id, task,
                                                                                    record.revision, edit)))
            key = note_key(record.id, task, record.revision, edit)
            tasks.append(TaskMessage(key=key, task=task, record_type=record.type, edit=edit,
                                     record_id=record.id, revision=record.revision, language=language,
                                     record=record.data, source=source,
                                     seed=SeedInfo.of(seed)))
        if not tasks:
            return Routed(dead_letter=DeadLetter.of(raw, reason="no_task", stage="seed", source=source,
                                                    error=f"no {language} template for record type {record.type!r}"))
        return Routed(tasks=tasks)

    def _regenerated(self, record: Record) -> Record:
        """A regeneration of a live match is written from the match store's record, and only if that is
        still the revision asked for: regenerating an old revision never rolls the match back."""
        if self.store is None or record.type not in LIVE_TYPES:
            return record
        stored = self.store.get(record.id)
        if stored is None:
            return record
        match = stored[0]
        if match.get("revision", 0) != record.revision:
            raise StaleRecord(f"$.revision: regeneration of revision {record.revision} of {record.id!r}, but the "
                              f"match is at revision {match.get('revision', 0)} (stale)", "$.revision", "stale")
        return self.validator.validate(match)

    def _live(self, record: Record) -> Record:
        """Apply a match event to its match, or remember a match; raise :class:`StaleRecord` for old input."""
        if self.store is None or record.type not in (EVENT_TYPE, *LIVE_TYPES):
            return record
        if record.type in LIVE_TYPES:
            if not self.store.put(record.data):
                raise StaleRecord(f"$.revision: revision {record.revision} of {record.id!r} is older than the "
                                  "one already seen (stale)", "$.revision", "stale")
            return record
        event = record.data
        stored = self.store.get(event["match_id"])
        if stored is None:
            raise UnknownMatch(f"$.match_id: no match {event['match_id']!r} seen before this event "
                               "(send the football_match record first)", "$.match_id", "unknown_match")
        match, last_event = stored
        if event["seq"] == match.get("revision", 0) and last_event == event["id"]:
            return self.validator.validate(match)        # the same event read again after a crash
        if event["seq"] <= match.get("revision", 0):
            raise StaleRecord(f"$.seq: event {event['seq']} is not after revision {match.get('revision', 0)} "
                              f"of match {event['match_id']!r} (stale or duplicate)", "$.seq", "stale")
        updated = self.validator.validate(apply_event(match, event))
        if not self.store.put(updated.data, event["id"]):
            raise StaleRecord(f"$.seq: match {event['match_id']!r} moved past {event['seq']} meanwhile",
                              "$.seq", "stale")
        return updated
