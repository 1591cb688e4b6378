"""The desk's actions as functions of (note key, editor input, editor name): the rules of ``newsgen.history``.

The web app (``newsgen.desk.app``) authenticates the editor and calls these in a worker thread; they read
the :class:`NoteStore`, take numbers and the publish guard from the :class:`Ledger` (Redis in production,
shared with the workers) and publish through the bus. Refusals raise :class:`ActionError` with an HTTP
status.

    approve     once per key; never an older place than the latest approval of the note (409)
    edit        ``<id>:<task>:<rev>.<edit>`` on top of the edited note's machine revision; a blank text is
                refused (422); an edit of an old revision joins the history and is not current
    regenerate  only the note's current machine revision (409 otherwise): the record again with the
                editorial sequence in the ``newsgen-edit`` header, so it takes no record revision and never
                writes the match store
    rewrite     a ``rewrite_request`` whose id is unique per source note and style
"""
from __future__ import annotations

import json
import logging
from typing import Any

from newsgen import cloudevent, history
from newsgen.config import Settings
from newsgen.desk import actions
from newsgen.desk.ledger import Ledger
from newsgen.desk.store import NoteStore
from newsgen.errors import RecordError
from newsgen.messages import dump
from newsgen.records import RecordValidator
from newsgen.routing import EDIT_HEADER

log = logging.getLogger("newsgen.desk")


class ActionError(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


class DeskActions:
    def __init__(self, settings: Settings, store: NoteStore, bus: Any, ledger: Ledger,
                 validator: RecordValidator | None = None):
        self.settings = settings
        self.store = store
        self.bus = bus
        self.ledger = ledger
        self.validator = validator or RecordValidator(settings.schemas_dir)
        self.ce_source = f"{settings.cloudevents_source}/desk"

    # --- helpers ---------------------------------------------------------------------------------
    def note(self, key: str) -> dict[str, Any]:
        note = self.store.get(key)
        if note is None:
            raise ActionError(404, f"no note {key!r} on this desk")
        return note

    def _publish(self, topic: str, key: str, value: bytes, headers: list[tuple[str, bytes]]) -> str:
        try:
            return self.bus.publish(topic, key, value, headers)
        except Exception as exc:  # noqa: BLE001 - Kafka away: tell the editor, nothing was published
            log.exception("publishing to %s failed", topic)
            raise ActionError(502, f"could not publish to {topic}: {exc}") from exc

    def _publish_record(self, record: dict[str, Any], edit: int = 0) -> str:
        raw = json.dumps(record, ensure_ascii=False).encode()
        try:
            parsed = self.validator.load(raw)
        except RecordError as exc:
            raise ActionError(422, f"the record would be rejected: {exc}") from exc
        headers = [("schema", f"{parsed.type}/{parsed.schema_version}".encode())]
        if edit:
            headers.append((EDIT_HEADER, str(edit).encode()))
        return self._publish(self.settings.records_topic, parsed.id, raw, headers)

    def _next_edit(self, record_id: str, revision: int) -> int:
        """The next editorial sequence of ``record_id`` at ``revision`` (shared by its tasks: a
        regeneration renews them all at one place)."""
        seen = self.store.max_edit(record_id, revision)
        return self.ledger.allocate(f"edit:{record_id}:{revision}", at_least=max(1, seen + 1))

    # --- actions ---------------------------------------------------------------------------------
    def approve(self, key: str, editor: str) -> dict[str, Any]:
        note = self.note(key)
        if not str(note.get("text", "")).strip():
            raise ActionError(422, f"note {key!r} has no text to approve")
        group = self.store.group_of(note)
        where = history.place(note)
        message = actions.approval(note, editor)
        value = dump(message)
        headers = cloudevent.approved_headers(message, self.ce_source, actions.APPROVAL_SCHEMA)
        decision, at = self.ledger.approve(
            group, key, where, lambda: self._publish(self.settings.approved_topic, group, value, headers))
        if decision == "backwards":
            raise ActionError(409, f"{key} is older than the latest approval of {group}: approvals never go back")
        if decision == "duplicate":
            log.info("note %s was approved already (%s): nothing published", key, at)
            return {"approved": key, "published": at, "duplicate": True}
        log.info("note %s approved by %s (%s)", key, editor, at)
        return {"approved": key, "published": at, "duplicate": False}

    def edit(self, key: str, text: str, editor: str) -> dict[str, Any]:
        if not text.strip():
            raise ActionError(422, "the edited text is empty (only whitespace)")
        note = self.note(key)
        revision = note["revision"]
        edit = self._next_edit(note["record_id"], revision)
        verdict = actions.check_text(note, text)
        message = actions.edited_note(note, text, edit, editor, verdict)
        group = self.store.group_of(note)
        headers = cloudevent.note_headers(message, self.ce_source)
        at, current = self.ledger.publish_note(
            group, message.key, revision, lambda kafka_key: self._publish(self.settings.notes_topic, kafka_key,
                                                                          dump(message), headers))
        if current:
            self.store.mark_pending([group], revision, "edit", edit)
        log.info("note %s edited by %s as %s (%s%s)", key, editor, message.key, at,
                 "" if current else ", an older revision: kept in the history, not current")
        return {"key": message.key, "revision": revision, "edit": edit, "label": history.label(revision, edit),
                "current": current, "published": at}

    def regenerate(self, key: str, editor: str) -> dict[str, Any]:
        note = self.note(key)
        record_id, revision = note["record_id"], note["revision"]
        latest = self.store.latest_revision(record_id)
        if revision < latest:
            raise ActionError(409, f"{key} is revision {revision} but {record_id} is at revision {latest}: "
                                   "regenerate the current revision (an old one would roll the record back)")
        edit = self._next_edit(record_id, revision)
        at = self._publish_record(actions.regenerate_record(note), edit)
        tasks = self.store.tasks_of(record_id) or [note["task"]]
        self.store.mark_pending([f"{record_id}:{t}" for t in tasks], revision, "regenerate", edit)
        log.info("record %s revision %d regenerated as %s by %s (%s)", record_id, revision,
                 history.label(revision, edit), editor, at)
        return {"record_id": record_id, "revision": revision, "edit": edit, "label": history.label(revision, edit),
                "keys": [history.note_key(record_id, t, revision, edit) for t in tasks], "published": at}

    def rewrite(self, key: str, style: str, editor: str, target_length: int | None = None,
                length_unit: str = "chars") -> dict[str, Any]:
        note = self.note(key)
        request_id = actions.rewrite_id(key, style)
        revision = self.ledger.allocate(f"rewrite:{request_id}",
                                        at_least=self.store.latest_revision(request_id) + 1)
        try:
            record = actions.rewrite_request(note, style, revision, target_length, length_unit)
        except ValueError as exc:
            raise ActionError(422, str(exc)) from exc
        at = self._publish_record(record)
        self.store.mark_pending([f"{request_id}:rewrite"], revision, "rewrite")
        log.info("rewrite of %s in style %s requested by %s as %s (%s)", key, style, editor, request_id, at)
        return {"request_id": request_id, "revision": revision,
                "key": history.note_key(request_id, "rewrite", revision), "published": at}
