"""Choose dead letters to replay and recover the record bytes to publish again (pure, no Kafka)."""
from __future__ import annotations

import json
from dataclasses import dataclass

from newsgen.messages import DeadLetter


@dataclass(frozen=True)
class Replay:
    """What to publish again for one dead letter: the record bytes and its key, or why it cannot be."""

    key: bytes | None
    raw: bytes | None
    problem: str | None = None


def replay_of(letter: DeadLetter) -> Replay:
    """The record a dead letter stands for. A worker-stage letter holds the task message: replay its record."""
    if letter.truncated:
        return Replay(None, None, f"only {len(letter.original())} of {letter.original_size} bytes were kept")
    raw = letter.original()
    if letter.stage == "generate":
        try:
            record = json.loads(raw)["record"]
        except (ValueError, KeyError, TypeError):
            return Replay(None, None, "the task message holds no record")
        raw = json.dumps(record, ensure_ascii=False).encode()
        return Replay(str(record.get("id")).encode() if isinstance(record, dict) else None, raw)
    key = None
    try:
        obj = json.loads(raw)
        if isinstance(obj, dict) and "id" in obj:
            key = str(obj["id"]).encode()
    except ValueError:
        pass
    return Replay(key, raw)
