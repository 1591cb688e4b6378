"""Envelopes that cross process boundaries: task requests, notes with provenance, dead letters.

Every message carries ``schema`` = ``<name>/<version>``; ``schemas/`` holds the JSON Schema of each one,
generated from these models (``newsgen schemas write``) and pinned by a test.
"""
from __future__ import annotations

import base64
import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TASK_SCHEMA = "newsgen.task/1"
NOTE_SCHEMA = "newsgen.note/1"
DEAD_LETTER_SCHEMA = "newsgen.dead-letter/1"

#: dead-letter messages keep at most this many bytes of the original record
EXCERPT_BYTES = 64 * 1024


def utcnow() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Message):
    """Where a record came from in Kafka."""

    topic: str
    partition: int
    offset: int


class SeedInfo(_Message):
    prompt: str
    prefix: str
    lead: str = ""
    template: str
    template_version: str
    lists: dict[str, str] = Field(default_factory=dict, description="the note's lists as the template writes "
                                  "them (newsgen.seeds.LIST_BLOCKS): a slot model writes each as one slot "
                                  "(newsgen.slots)")

    @classmethod
    def of(cls, seed: Any) -> "SeedInfo":
        """The message form of a rendered :class:`newsgen.seeds.Seed`."""
        return cls(prompt=seed.prompt, prefix=seed.prefix, lead=seed.lead, template=seed.template,
                   template_version=seed.template_version, lists=dict(seed.lists))


class TaskMessage(_Message):
    """What the bridge sends to a Celery worker: one note to write for one record."""

    schema_: Literal["newsgen.task/1"] = Field(TASK_SCHEMA, alias="schema")
    key: str = Field(description="idempotency key <record id>:<task>:<revision>, or <...>:<revision>.<edit> for "
                     "a regeneration; also the Celery task id")
    task: Literal["note", "summary", "rewrite"]
    record_type: str
    record_id: str
    revision: int
    edit: int = Field(0, ge=0, description="editorial sequence on top of the machine revision (newsgen.history): "
                      "0 for the record's own note, >0 for a desk regeneration")
    language: str
    record: dict[str, Any]
    seed: SeedInfo
    source: Source | None = None
    sent_at: str = Field(default_factory=utcnow)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Candidate(_Message):
    """A generated text that was not published, with why."""

    seed: int
    text: str
    reasons: list[str]


class Provenance(_Message):
    """How a note was made: enough to reproduce and audit it."""

    model: str
    backend: str
    template: str
    template_version: str
    seed_sha256: str
    sampling: dict[str, Any]
    prompt_tokens: int
    new_tokens: int
    finish_reason: str
    timings_ms: dict[str, float]
    worker: str
    source: Source | None = None
    fallback: bool = Field(False, description="text from the template-only path, not the model")
    fallback_reason: str | None = Field(None, description="why: status_gate, fact_check, context_overflow (the "
                                        "seed is longer than the model's context) or generation_error")
    candidate: int | None = Field(None, description="which generated candidate was published (0 = first)")
    grounding: str | None = Field(None, description="record-grounded decoding of the model text: strict, "
                                  "numbers or off (None for template notes)")
    factcheck: dict[str, Any] | None = Field(None, description="the fact-check verdict of the published text")
    rejected: list[Candidate] = Field(default_factory=list, description="candidates that failed the fact check")


class NoteMessage(_Message):
    """A note on the notes topic (key = idempotency key); its place in the note's history is
    ``(revision, edit)`` (``newsgen.history``)."""

    schema_: Literal["newsgen.note/1"] = Field(NOTE_SCHEMA, alias="schema")
    key: str = Field(description="idempotency key <record id>:<task>:<revision>, or <...>:<revision>.<edit> for "
                     "an editorial revision")
    task: str
    record_type: str
    record_id: str
    revision: int = Field(description="the machine revision (the record's revision or the live event's seq)")
    edit: int = Field(0, ge=0, description="editorial sequence on top of the machine revision: 0 for the "
                      "machine's note, >0 for a desk edit or regeneration")
    language: str
    text: str
    record: dict[str, Any] = Field(description="the record the note was written from (for checks and editors)")
    provenance: Provenance
    edited_by: str | None = Field(None, description="the editor who wrote this revision on the desk, if any")
    created_at: str = Field(default_factory=utcnow)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DeadLetter(_Message):
    """A rejected input: the original bytes (or an excerpt), why, and where it came from."""

    schema_: Literal["newsgen.dead-letter/1"] = Field(DEAD_LETTER_SCHEMA, alias="schema")
    reason: str = Field(description="machine-readable reason, e.g. decode, schema, unknown_type, seed")
    error: str = Field(description="human-readable message naming the field and rule")
    path: str | None = None
    stage: Literal["decode", "validate", "seed", "generate", "publish"]
    source: Source | None = None
    key: str | None = None
    original_b64: str = Field(description="base64 of the original bytes, cut at original_size or EXCERPT_BYTES")
    original_size: int
    truncated: bool
    at: str = Field(default_factory=utcnow)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @classmethod
    def of(cls, raw: bytes, **fields: Any) -> "DeadLetter":
        """Build a dead letter keeping at most :data:`EXCERPT_BYTES` of ``raw``."""
        return cls(original_b64=base64.b64encode(raw[:EXCERPT_BYTES]).decode("ascii"), original_size=len(raw),
                   truncated=len(raw) > EXCERPT_BYTES, **fields)

    def original(self) -> bytes:
        return base64.b64decode(self.original_b64)


def dump(message: BaseModel) -> bytes:
    """Serialise a message as UTF-8 JSON with its ``schema`` field."""
    return message.model_dump_json(by_alias=True).encode("utf-8")


MESSAGE_TYPES = {"task": TaskMessage, "note": NoteMessage, "dead_letter": DeadLetter}
