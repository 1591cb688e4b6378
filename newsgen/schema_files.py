"""JSON Schema files of the messages newsgen writes, generated from the pydantic models.

:mod:`newsgen.messages` is the source of truth; ``schemas/note.json``, ``schemas/dead_letter.json`` and
``schemas/task.json`` are generated from ``Model.model_json_schema(by_alias=True)`` plus a versioned
``$id`` (``https://newsgen.local/schemas/<name>/<version>``, the version taken from the model's ``schema``
field, e.g. ``newsgen.note/1``). A unit test pins the checked-in files to the generated ones; refresh them
with ``newsgen schemas write``. These schemas have no ``properties.type.const``: they are not input records.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from newsgen.messages import DeadLetter, NoteMessage, TaskMessage

BASE_ID = "https://newsgen.local/schemas"
#: file stem -> model
MODELS: dict[str, type[BaseModel]] = {"note": NoteMessage, "dead_letter": DeadLetter, "task": TaskMessage}


def _version(model: type[BaseModel]) -> int:
    default = model.model_fields["schema_"].default  # e.g. "newsgen.note/1"
    return int(str(default).rsplit("/", 1)[-1])


def message_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one message model, with ``$schema`` and a versioned ``$id`` first."""
    model = MODELS[name]
    body = model.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{BASE_ID}/{name}/{_version(model)}", **body}


def render(name: str) -> str:
    """The file text: 2-space JSON, UTF-8 characters kept, trailing newline."""
    return json.dumps(message_schema(name), ensure_ascii=False, indent=2) + "\n"


def write_message_schemas(schemas_dir: Path) -> list[Path]:
    """Write every message schema file; returns the paths written."""
    written = []
    for name in MODELS:
        path = Path(schemas_dir) / f"{name}.json"
        path.write_text(render(name), encoding="utf-8")
        written.append(path)
    return written


def stale_message_schemas(schemas_dir: Path) -> list[str]:
    """File names whose content differs from the generated schema (or that are missing)."""
    stale = []
    for name in MODELS:
        path = Path(schemas_dir) / f"{name}.json"
        if not path.is_file() or path.read_text(encoding="utf-8") != render(name):
            stale.append(path.name)
    return stale
