"""Living notes: apply a live ``match_event`` to the last revision of its match (pure, no I/O).

The bridge keeps the latest revision of every match it has seen (``workers/match_store.py``) and turns each
event into a new revision of the match record; the new revision's notes replace the old ones. An event is
applied only if its ``seq`` is above the match's revision: a duplicate or late event changes nothing.
"""
from __future__ import annotations

import copy
from typing import Any


def apply_event(match: dict[str, Any], event_record: dict[str, Any]) -> dict[str, Any]:
    """The match record after ``event_record`` (a validated ``match_event``), with ``revision = seq``."""
    new = copy.deepcopy(match)
    event = event_record["event"]
    kind = event["kind"]
    if kind == "goal":
        goal = {k: event[k] for k in ("team", "player", "minute", "added") if k in event}
        if event.get("goal_kind", "regular") != "regular":
            goal["kind"] = event["goal_kind"]
        new.setdefault("goals", []).append(goal)
        score = new.setdefault("score", {"home": 0, "away": 0})
        score[event["team"]] += 1
        new["status"] = "live" if new.get("status") in (None, "scheduled") else new["status"]
    elif kind == "card":
        new.setdefault("cards", []).append({k: event[k] for k in ("team", "player", "minute", "added", "color")
                                            if k in event})
    elif kind == "status":
        new["status"] = event["status"]
        for field in ("status_reason", "elapsed"):
            if field in event:
                new[field] = event[field]
        if event["status"] == "live":
            new.setdefault("score", {"home": 0, "away": 0})
    elif kind == "final_whistle":
        new["status"] = "finished"
        new.setdefault("score", {"home": 0, "away": 0})
        new.pop("elapsed", None)
    new["revision"] = event_record["seq"]
    return new


class MemoryMatchStore:
    """The latest revision of each match, in memory (tests, one-off routing). See ``workers/match_store``."""

    def __init__(self) -> None:
        self._matches: dict[str, tuple[dict[str, Any], str | None]] = {}

    def get(self, match_id: str) -> tuple[dict[str, Any], str | None] | None:
        """``(match record, id of the event that made this revision)`` or ``None`` if never seen."""
        return self._matches.get(match_id)

    def put(self, record: dict[str, Any], event_id: str | None = None) -> bool:
        """Keep ``record`` unless a higher revision is stored; returns whether it was kept."""
        current = self._matches.get(record["id"])
        if current is not None and current[0].get("revision", 0) > record.get("revision", 0):
            return False
        self._matches[record["id"]] = (record, event_id)
        return True
