"""The shared state behind the desk's actions (``newsgen.history``): counters, the note publish guard and
approvals. Every desk process, the workers and the bridge must agree on it, so the real one lives in Redis
(``workers.desk_bus.RedisLedger``, the same keys and lock as the workers' publish guard); this module has
the protocol and an in-memory one for tests and a desk without Redis.
"""
from __future__ import annotations

import threading
from typing import Callable, Protocol

from newsgen.history import Decision, Place, approval_decision


class Ledger(Protocol):
    def allocate(self, name: str, at_least: int = 0) -> int:
        """The next number of counter ``name`` (0 first), never below ``at_least``; each caller gets its own."""

    def publish_note(self, note_id: str, key: str, revision: int,
                     publish: Callable[[str], str]) -> tuple[str | None, bool]:
        """Publish an editorial note under the note's lock: ``publish(kafka_key)`` is called once unless
        ``key`` was published already (then ``(None, False)``). Returns ``(where, current)``: ``current``
        is False when a later machine revision is out, and then the note is sent under its own key (it joins
        the history; the note's key ``note_id`` keeps ending with the latest revision)."""

    def approve(self, note_id: str, key: str, where: Place,
                publish: Callable[[], str]) -> tuple[Decision, str | None]:
        """Apply :func:`newsgen.history.approval_decision` under the note's lock; ``publish()`` only for
        ``publish``. Returns the decision and where the approval is (the earlier one for a duplicate)."""


class MemoryLedger:
    """One process's ledger (tests; a desk with no Redis shares nothing with other processes)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._counters: dict[str, int] = {}
        self._latest: dict[str, int] = {}
        self._published: dict[str, str] = {}
        self._approved: dict[str, str] = {}
        self._latest_approval: dict[str, tuple[str, Place]] = {}

    def allocate(self, name: str, at_least: int = 0) -> int:
        with self._lock:
            value = max(self._counters.get(name, 0), at_least)
            self._counters[name] = value + 1
            return value

    def see_machine_revision(self, note_id: str, revision: int) -> None:
        """What the workers' guard records (a test stands in for them)."""
        with self._lock:
            self._latest[note_id] = max(revision, self._latest.get(note_id, -1))

    def publish_note(self, note_id, key, revision, publish):
        with self._lock:
            if key in self._published:
                return None, False
            current = self._latest.get(note_id, -1) <= revision
            where = publish(note_id if current else key)
            self._published[key] = where
            self._latest[note_id] = max(revision, self._latest.get(note_id, -1))
            return where, current

    def approve(self, note_id, key, where, publish):
        with self._lock:
            decision = approval_decision(self._latest_approval.get(note_id), key, where, key in self._approved)
            if decision == "duplicate":
                return decision, self._approved.get(key)
            if decision == "backwards":
                return decision, None
            at = publish()
            self._approved[key] = at
            self._latest_approval[note_id] = (key, tuple(where))
            return decision, at
