"""One history per note: machine revisions and editorial revisions on top of them (pure, no I/O).

A note ``<record id>:<task>`` has one history that the bridge, the workers and the desk agree on. Each entry
has a place ``(revision, edit)``:

* ``revision`` is the **machine revision**: the record's ``revision``, or the ``seq`` of the live event that
  made it (``newsgen.living``). Only records and events move it, and the bridge's match store is its
  authority: no editor action ever takes a machine revision or writes the match store.
* ``edit`` is the **editorial sequence** on top of a machine revision: 0 for the machine's note, 1, 2, ...
  for the desk's edits and regenerations of that revision (one counter per record and revision, shared by
  every desk process; see ``workers.desk_bus``).

Idempotency keys are ``<id>:<task>:<revision>`` for the machine's note and ``<id>:<task>:<revision>.<edit>``
for an editorial one. Entries are ordered by ``(revision, edit)``; the **current** note is the highest
place. So an edit of revision 2 (``2.1``) is current until the goal of revision 3 arrives; then ``3`` is
current and ``2.1`` stays in the history, shown as an edit the machine revision superseded. An edit of an
old revision (``0.1`` while ``2`` is out) is kept in the history and is never current.

Approvals follow the same order: approving a key twice publishes once, and an approval of a place lower
than the latest approved one is refused (:func:`approval_decision`).

    >>> note_key("m-1", "note", 2), note_key("m-1", "note", 2, 1)
    ('m-1:note:2', 'm-1:note:2.1')
    >>> place_of_key("m-1:note:2.1"), label(2, 0), label(2, 1)
    ((2, 1), '2', '2.1')
    >>> approval_decision(None, "m-1:note:2.1", (2, 1))
    'publish'
    >>> approval_decision(("m-1:note:2.1", (2, 1)), "m-1:note:2", (2, 0))
    'backwards'
"""
from __future__ import annotations

import re
from typing import Any, Literal

Place = tuple[int, int]
_KEY = re.compile(r"^(?P<base>.+):(?P<revision>\d+)(?:\.(?P<edit>\d+))?$")


def note_key(record_id: str, task: str, revision: int, edit: int = 0) -> str:
    """The idempotency key of one history entry."""
    return f"{record_id}:{task}:{label(revision, edit)}"


def label(revision: int, edit: int = 0) -> str:
    """``"2"`` for a machine revision, ``"2.1"`` for its first editorial revision."""
    return f"{revision}.{edit}" if edit else str(revision)


def place_of_key(key: str) -> Place | None:
    """``(revision, edit)`` read from an idempotency key; None if it has no revision part."""
    m = _KEY.match(key)
    return (int(m["revision"]), int(m["edit"] or 0)) if m else None


def place(note: dict[str, Any]) -> Place:
    """The place of a note message (as a dict) in its history."""
    revision, edit = note.get("revision"), note.get("edit", 0)
    return (revision if isinstance(revision, int) else -1, edit if isinstance(edit, int) else 0)


Decision = Literal["publish", "duplicate", "backwards"]


def approval_decision(latest: tuple[str, Place] | None, key: str, where: Place,
                      approved_before: bool = False) -> Decision:
    """Whether approving ``key`` at ``where`` publishes: ``latest`` is the latest approval of the note
    (key, place). A key approved before is a ``duplicate`` (nothing is published: approvals are idempotent
    per key); a lower place than the latest approval is ``backwards`` (refused); anything else is published."""
    if approved_before or (latest is not None and key == latest[0]):
        return "duplicate"
    if latest is None:
        return "publish"
    _latest_key, latest_place = latest
    if tuple(where) < tuple(latest_place):
        return "backwards"
    return "publish"


class StaleAction(Exception):
    """An editor action on a revision that is not the note's current one, where only the current is allowed."""
