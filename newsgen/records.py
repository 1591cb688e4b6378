"""Load and validate input records against the JSON Schemas in ``schemas/``.

A record is a JSON object with a ``type`` (the schema name, e.g. ``football_match``), an ``id`` (the
Kafka key: one match stays on one partition) and an optional ``revision``. Validation errors name the
JSON path and the rule broken, e.g. ``$.score.home: -1 is less than the minimum of 0 (minimum)``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from newsgen.errors import DecodeError, SchemaError, UnknownRecordType


@dataclass(frozen=True)
class Record:
    """A validated record."""

    type: str
    id: str
    revision: int
    data: dict[str, Any]
    schema_version: int

    def key(self, task: str) -> str:
        """Idempotency key of the note for ``task``: ``<id>:<task>:<revision>``."""
        return f"{self.id}:{task}:{self.revision}"


def decode(raw: bytes | str) -> Any:
    """Bytes from Kafka to JSON; invalid UTF-8 or JSON raises :class:`DecodeError`."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    except UnicodeDecodeError as exc:
        raise DecodeError(f"record is not valid UTF-8 (byte {exc.start})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DecodeError(f"record is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc


def json_path(parts) -> str:
    """``['score', 'home']`` -> ``$.score.home``; list indexes as ``[0]``."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


class RecordValidator:
    """Validates records of every type that has a schema with ``properties.type.const``."""

    def __init__(self, schemas_dir: Path):
        self.schemas_dir = Path(schemas_dir)

    @cached_property
    def _validators(self) -> dict[str, tuple[Draft202012Validator, int]]:
        found = {}
        for path in sorted(self.schemas_dir.glob("*.json")):
            schema = json.loads(path.read_text(encoding="utf-8"))
            record_type = schema.get("properties", {}).get("type", {}).get("const")
            if record_type:
                Draft202012Validator.check_schema(schema)
                version = int(schema["$id"].rstrip("/").rsplit("/", 1)[-1])
                found[record_type] = (Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER),
                                      version)
        return found

    @property
    def record_types(self) -> list[str]:
        return sorted(self._validators)

    def schema_version(self, record_type: str) -> int:
        return self._validators[record_type][1]

    def validate(self, obj: Any) -> Record:
        """Check one decoded record; raise a typed :class:`~newsgen.errors.RecordError` if it is bad."""
        if not isinstance(obj, dict):
            raise SchemaError(f"$: a record must be a JSON object, got {type(obj).__name__}", "$", "type")
        record_type = obj.get("type")
        if not isinstance(record_type, str) or record_type not in self._validators:
            raise UnknownRecordType(f"$.type: unknown record type {str(record_type)[:60]!r}; "
                                    f"known: {', '.join(self.record_types)}")
        validator, version = self._validators[record_type]
        error = best_match(validator.iter_errors(obj))
        if error is not None:
            path = json_path(error.absolute_path)
            message = error.message if len(error.message) <= 300 else error.message[:300] + "..."
            raise SchemaError(f"{path}: {message} ({error.validator})", path, str(error.validator))
        _check_consistency(obj)
        return Record(type=record_type, id=obj["id"], revision=obj.get("revision", 0), data=obj,
                      schema_version=version)

    def load(self, raw: bytes | str) -> Record:
        """Decode and validate raw bytes."""
        return self.validate(decode(raw))


def _check_consistency(obj: dict[str, Any]) -> None:
    """Rules JSON Schema cannot state: listed goals must add up to the score."""
    goals = obj.get("goals")
    score = obj.get("score")
    if goals is None or not isinstance(score, dict):
        return
    for side in ("home", "away"):
        counted = sum(1 for g in goals if g.get("team") == side)
        if counted != score.get(side):
            raise SchemaError(f"$.goals: {counted} goal(s) listed for {side} but $.score.{side} is "
                              f"{score.get(side)} (consistency)", "$.goals", "consistency")
