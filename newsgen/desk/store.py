"""What the desk knows: the latest notes of the notes topic, approvals and pending requests.

No I/O. The Kafka thread (``workers.desk_bus``) writes, the web app reads and subscribes; a lock guards
the state and listeners are called outside it. Notes are kept per idempotency key (a duplicate delivery
replaces its twin) and the page groups them per ``<record id>:<task>``, the note's history
(``newsgen.history``): every revision and edit stays, the **current** one is the highest
``(revision, edit)`` and a machine revision that supersedes an edit says so (``supersedes_edit``).

    >>> store = NoteStore(backlog=10)
    >>> store.latest_revision("m-1")
    -1
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from newsgen.history import label, place
from newsgen.records import reader_view

#: record type -> the sport (or kind) the desk filters by
SPORTS = {"football_match": "football", "hockey_match": "hockey", "basketball_game": "basketball",
          "news_event": "news", "rewrite_request": "rewrite"}
#: fact-check verdicts that flag a note for an editor (the verdict's shape is read loosely, see ``factcheck_view``)
FAILED_VERDICTS = {"fail", "failed", "mismatch", "error", "flagged", "reject", "rejected", "wrong"}

Listener = Callable[[str, dict[str, Any]], None]


def sport_of(record_type: str) -> str:
    return SPORTS.get(record_type, record_type)


def _team(team: Any) -> str:
    if isinstance(team, dict):
        return str(team.get("name", "?"))
    return str(team)


def key_facts(record_type: str, record: dict[str, Any]) -> list[tuple[str, str]]:
    """The few facts an editor checks a note against, as ``(label, value)`` text pairs."""
    r = record
    facts: list[tuple[str, str]] = []

    def add(label: str, value: Any) -> None:
        if value not in (None, "", [], {}):
            facts.append((label, str(value)))

    if "home" in r and "away" in r:
        add("teams", f"{_team(r['home'])} — {_team(r['away'])}")
        score = r.get("score")
        if isinstance(score, dict):
            text = f"{score.get('home')}:{score.get('away')}"
            if isinstance(r.get("shootout"), dict):
                text += f" (pen. {r['shootout'].get('home')}:{r['shootout'].get('away')})"
            elif r.get("extra_time"):
                text += " (a.e.t.)"
            if r.get("decided") in ("overtime", "shootout"):
                text += f" ({'OT' if r['decided'] == 'overtime' else 'SO'})"
            add("score", text)
        status = r.get("status")
        if status and r.get("status_reason"):
            status = f"{status}: {r['status_reason']}"
        add("status", status)
        add("tournament", r.get("tournament"))
        add("round", r.get("round"))
        add("date", " ".join(str(v) for v in (r.get("date"), r.get("time")) if v))
        add("venue", reader_view(r).get("venue"))      # football_match 2: a structured venue
    elif record_type == "news_event":
        add("headline", r.get("headline"))
        add("who", r.get("who"))
        add("where", r.get("where"))
        add("date", " ".join(str(v) for v in (r.get("when"), r.get("time")) if v))
        source = r.get("source")
        add("source", source.get("name") if isinstance(source, dict) else source)
    elif record_type == "rewrite_request":
        add("title", r.get("title"))
        add("style", r.get("style"))
        if r.get("target_length"):
            add("target", f"{r['target_length']} {r.get('length_unit', 'chars')}")
        add("source", r.get("source"))
    else:
        for label in ("title", "headline", "status", "tournament", "date"):
            add(label, r.get(label))
    return facts


def factcheck_view(provenance: dict[str, Any]) -> dict[str, Any] | None:
    """``provenance.factcheck`` as ``{"verdict", "ok", "detail"}``; None when the note has no verdict.

    Accepts a bool, a verdict string or an object with ``ok``/``passed`` and/or ``verdict``/``status``
    and a list of ``problems``/``issues``/``errors``/``mismatches``.
    """
    fc = provenance.get("factcheck")
    if fc is None:
        return None
    ok: bool | None = None
    verdict: str | None = None
    problems: Iterable[Any] = ()
    if isinstance(fc, bool):
        ok = fc
    elif isinstance(fc, str):
        verdict = fc
    elif isinstance(fc, dict):
        for name in ("ok", "passed", "pass"):
            if isinstance(fc.get(name), bool):
                ok = fc[name]
                break
        for name in ("verdict", "status", "result"):
            if isinstance(fc.get(name), str):
                verdict = fc[name]
                break
        for name in ("problems", "issues", "errors", "mismatches"):
            if isinstance(fc.get(name), list):
                problems = fc[name]
                break
    if ok is None and verdict is not None:
        ok = verdict.lower() not in FAILED_VERDICTS
    if verdict is None:
        verdict = "unknown" if ok is None else ("pass" if ok else "fail")
    detail = "; ".join(p if isinstance(p, str) else
                       str(p.get("message") or p.get("error") or p) if isinstance(p, dict) else str(p)
                       for p in problems)
    return {"verdict": verdict, "ok": ok, "detail": detail}


def is_flagged(provenance: dict[str, Any], factcheck: dict[str, Any] | None) -> bool:
    """Needs an editor's eye: the fact check failed, or the model's texts were replaced by the template
    (a status-gate note of a postponed match is the expected text, not a flag)."""
    if factcheck and factcheck["ok"] is False:
        return True
    return bool(provenance.get("fallback")) and provenance.get("fallback_reason") != "status_gate"


def is_human_edit(note: dict[str, Any]) -> bool:
    return bool(note.get("edited_by")) or (note.get("provenance") or {}).get("backend") == "human"


@dataclass
class Entry:
    """One note as read from the topic."""

    note: dict[str, Any]
    at: str  # partition:offset
    timestamp_ms: int
    seq: int


class NoteStore:
    """The desk's state: at most ``backlog`` notes (the oldest are dropped), approvals, pending requests.

    Events sent to listeners: ``note`` (a note's view), ``approval`` (``{key, approved_by, approved_at}``),
    ``pending`` (``{group, revision, edit, label, action}``: an editor asked for a new revision), ``ready``.
    """

    def __init__(self, backlog: int = 500):
        self.backlog = backlog
        self._lock = threading.Lock()
        self._notes: OrderedDict[str, Entry] = OrderedDict()
        self._approvals: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._revisions: dict[str, int] = {}  # record id -> latest machine revision seen
        self._edits: dict[tuple[str, int], int] = {}  # (record id, revision) -> highest edit seen
        self._groups: dict[str, set[str]] = {}  # <record id>:<task> -> keys of its kept notes
        self._pending: dict[str, dict[str, Any]] = {}
        self._listeners: list[Listener] = []
        self._seq = 0
        self.ready = False  # set once the backlog is loaded

    # --- writes (the Kafka thread) ---------------------------------------------------------------
    def add_note(self, note: dict[str, Any], at: str = "", timestamp_ms: int | None = None) -> dict[str, Any] | None:
        """Keep a note message (anything else is ignored); returns its view."""
        if not (isinstance(note, dict) and str(note.get("schema", "")).startswith("newsgen.note/")
                and isinstance(note.get("key"), str)):
            return None
        with self._lock:
            self._seq += 1
            key = note["key"]
            self._notes.pop(key, None)
            entry = Entry(note, at, timestamp_ms if timestamp_ms is not None else int(time.time() * 1000), self._seq)
            self._notes[key] = entry
            self._groups.setdefault(self.group_of(note), set()).add(key)
            while len(self._notes) > self.backlog:
                _old_key, old = self._notes.popitem(last=False)
                keys = self._groups.get(self.group_of(old.note), set())
                keys.discard(_old_key)
                if not keys:
                    self._groups.pop(self.group_of(old.note), None)
            self._see_revision(note.get("record_id"), note.get("revision"), note.get("edit", 0))
            group = self.group_of(note)
            pending = self._pending.get(group)
            if pending and place(note) >= (pending["revision"], pending.get("edit", 0)):
                del self._pending[group]
            view = self._view(entry)
        self._emit("note", view)
        return view

    def add_approval(self, approval: dict[str, Any]) -> None:
        if not isinstance(approval, dict) or not isinstance(approval.get("key"), str):
            return
        summary = {"key": approval["key"], "approved_by": approval.get("approved_by"),
                   "approved_at": approval.get("approved_at")}
        with self._lock:
            self._approvals.pop(summary["key"], None)
            self._approvals[summary["key"]] = summary
            while len(self._approvals) > 4 * self.backlog:
                self._approvals.popitem(last=False)
        self._emit("approval", summary)

    def mark_pending(self, groups: Iterable[str], revision: int, action: str, edit: int = 0) -> None:
        """An editor asked for ``revision.edit`` of these groups: the page shows it until the note arrives."""
        events = []
        with self._lock:
            for group in groups:
                self._pending[group] = {"group": group, "revision": revision, "edit": edit,
                                        "label": label(revision, edit), "action": action}
                events.append(dict(self._pending[group]))
        for e in events:
            self._emit("pending", e)

    def set_ready(self) -> None:
        self.ready = True
        self._emit("ready", {"notes": len(self._notes)})

    def _see_revision(self, record_id: Any, revision: Any, edit: Any) -> None:
        if isinstance(record_id, str) and isinstance(revision, int):
            self._revisions[record_id] = max(revision, self._revisions.get(record_id, -1))
            if isinstance(edit, int):
                self._edits[(record_id, revision)] = max(edit, self._edits.get((record_id, revision), 0))

    # --- reads (the web app) ---------------------------------------------------------------------
    @staticmethod
    def group_of(note: dict[str, Any]) -> str:
        return f"{note.get('record_id')}:{note.get('task')}"

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._notes.get(key)
            return entry.note if entry else None

    def tasks_of(self, record_id: str) -> list[str]:
        """Tasks the desk has seen notes of for a record (a regenerate renews all of them)."""
        with self._lock:
            return sorted({e.note.get("task") for e in self._notes.values() if e.note.get("record_id") == record_id})

    def latest_revision(self, record_id: str) -> int:
        """The latest machine revision of ``record_id`` seen on the notes topic (-1: none)."""
        with self._lock:
            return self._revisions.get(record_id, -1)

    def max_edit(self, record_id: str, revision: int) -> int:
        """The highest editorial sequence seen on ``revision`` of ``record_id`` (0: only the machine's)."""
        with self._lock:
            return self._edits.get((record_id, revision), 0)

    def history(self, group: str) -> list[dict[str, Any]]:
        """Every kept note of ``group`` (``<record id>:<task>``), current first (highest place)."""
        with self._lock:
            notes = [self._notes[k] for k in self._groups.get(group, ())]
            return [self._view(e) for e in sorted(notes, key=lambda e: (place(e.note), e.seq), reverse=True)]

    def current(self, group: str) -> dict[str, Any] | None:
        """The current note of ``group`` (its highest ``(revision, edit)``), or None."""
        views = self.history(group)
        return self.get(views[0]["key"]) if views else None

    def views(self, **filters: str | None) -> list[dict[str, Any]]:
        """Views of the kept notes, newest first, passing ``filters`` (see :func:`matches`)."""
        with self._lock:
            views = [self._view(e) for e in self._notes.values()]
        views.sort(key=lambda v: (v["timestamp_ms"], v["seq"]), reverse=True)
        return [v for v in views if matches(v, **filters)]

    def subscribe(self, listener: Listener) -> dict[str, Any]:
        """Register a listener and return the snapshot it continues from (no event is lost in between)."""
        with self._lock:
            self._listeners.append(listener)
            views = [self._view(e) for e in self._notes.values()]
            return {"notes": sorted(views, key=lambda v: (v["timestamp_ms"], v["seq"]), reverse=True),
                    "pending": list(self._pending.values()), "ready": self.ready}

    def unsubscribe(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def __len__(self) -> int:
        return len(self._notes)

    def _emit(self, event: str, data: dict[str, Any]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(event, data)

    def _view(self, entry: Entry) -> dict[str, Any]:
        """What the page shows of one note (record content stays data: the page sets it as text)."""
        n = entry.note
        p = n.get("provenance") or {}
        record = n.get("record") or {}
        record_type = str(n.get("record_type", ""))
        fc = factcheck_view(p)
        fallback = bool(p.get("fallback"))
        rejected = [{"text": str(c.get("text", "")), "reasons": [str(r) for r in c.get("reasons") or []]}
                    for c in p.get("rejected") or [] if isinstance(c, dict)]
        approval = self._approvals.get(n["key"])
        revision, edit = place(n)
        group = self.group_of(n)
        current, superseded = True, None
        for other_key in self._groups.get(group, ()):
            other = self._notes[other_key]
            if other is entry:
                continue
            if (place(other.note), other.seq) > ((revision, edit), entry.seq):
                current = False
            elif is_human_edit(other.note) and place(other.note) < (revision, edit) and not is_human_edit(n):
                if superseded is None or place(other.note) > tuple(superseded["place"]):
                    superseded = {"key": other.note["key"], "label": label(*place(other.note)),
                                  "edited_by": other.note.get("edited_by"), "place": list(place(other.note))}
        return {
            "key": n["key"], "group": group, "record_id": n.get("record_id"), "task": n.get("task"),
            "record_type": record_type, "sport": sport_of(record_type), "revision": n.get("revision"),
            "edit": edit, "label": label(revision, edit), "current": current,
            "supersedes_edit": superseded if current else None,
            "language": n.get("language"), "text": n.get("text", ""), "record": record,
            "facts": key_facts(record_type, record), "status": record.get("status"),
            "tournament": record.get("tournament"), "factcheck": fc, "fallback": fallback,
            "fallback_reason": p.get("fallback_reason"),
            "flagged": is_flagged(p, fc), "rejected": rejected,
            "human_edit": is_human_edit(n), "edited_by": n.get("edited_by"),
            "model": p.get("model"), "backend": p.get("backend"),
            "latency_ms": (p.get("timings_ms") or {}).get("total_ms"), "new_tokens": p.get("new_tokens"),
            "created_at": n.get("created_at"), "at": entry.at, "timestamp_ms": entry.timestamp_ms, "seq": entry.seq,
            "approved": approval,
        }


def matches(view: dict[str, Any], sport: str | None = None, status: str | None = None,
            tournament: str | None = None, flagged: str | None = None, state: str | None = None) -> bool:
    """Filters of the page and of ``GET /api/notes``: empty means any; ``flagged`` is yes/no,
    ``state`` approved/pending (not yet approved)."""
    if sport and view["sport"] != sport:
        return False
    if status and view["status"] != status:
        return False
    if tournament and view["tournament"] != tournament:
        return False
    if flagged in ("yes", "no") and view["flagged"] != (flagged == "yes"):
        return False
    if state in ("approved", "pending") and bool(view["approved"]) != (state == "approved"):
        return False
    return True
