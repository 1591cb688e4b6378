"""Continuous-batching policy: which requests run in the next decode step (never calls the model).

A running batch holds at most ``max_batch`` rows. Every step the rows already running decode one more
token, and waiting requests join in arrival order (first in, first out) while there is room; a row leaves
as soon as it finishes, which makes room at the next step. The engine (:mod:`newsgen.generation.engine`)
executes what :meth:`Scheduler.schedule` returns and reports back with :meth:`Scheduler.finished`.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Generic, Iterable, TypeVar

Item = TypeVar("Item")


@dataclass
class SchedulerOutput(Generic[Item]):
    """One step's plan: ``running`` rows decode on, ``joining`` rows are prefilled and get their first token."""

    running: list[Item] = field(default_factory=list)
    joining: list[Item] = field(default_factory=list)


class Scheduler(Generic[Item]):
    """First-in first-out admission into a running batch of at most ``max_batch`` rows."""

    def __init__(self, max_batch: int):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.max_batch = max_batch
        self.waiting: deque[Item] = deque()
        self.running: list[Item] = []

    def add(self, item: Item) -> None:
        self.waiting.append(item)

    def schedule(self) -> SchedulerOutput[Item]:
        """The rows of the next step; the joining ones count as running from now on."""
        out = SchedulerOutput(running=list(self.running))
        while self.waiting and len(self.running) < self.max_batch:
            item = self.waiting.popleft()
            out.joining.append(item)
            self.running.append(item)
        return out

    def finished(self, items: Iterable[Item]) -> None:
        """Rows that left the batch (finished, or dropped by the engine)."""
        gone = {id(i) for i in items}
        self.running = [i for i in self.running if id(i) not in gone]

    def drain(self) -> list[Item]:
        """Take every row and request out (the engine failed): running first, then waiting."""
        items = self.running + list(self.waiting)
        self.running, self.waiting = [], deque()
        return items

    @property
    def has_work(self) -> bool:
        return bool(self.running or self.waiting)
