"""The messages an editor's action publishes. Pure functions of a note (as a dict) and the editor's input.

    approve     -> approved topic: :class:`ApprovalMessage` (the approved note inside), key <record id>:<task>
    edit        -> notes topic: the note with the editor's text as a new revision, marked human-edited
    regenerate  -> records topic: the note's record again with a new revision (a new idempotency key
                   ``<id>:<task>:<revision>``, so the workers write it afresh instead of skipping it)
    rewrite     -> records topic: a ``rewrite_request`` record whose text is the note's text
"""
from __future__ import annotations

import hashlib
import logging
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from newsgen.messages import NoteMessage, Provenance, utcnow

log = logging.getLogger("newsgen.desk")
APPROVAL_SCHEMA = "newsgen.approval/1"
STYLES = ("news", "brief", "formal", "plain", "social")
LENGTH_UNITS = ("chars", "words", "sentences")
#: provenance of a human-edited note (NoteMessage has no field of its own for it yet)
HUMAN_MODEL = "human-edit"
HUMAN_BACKEND = "human"
REWRITE_TEXT_MAX = 3000  # schemas/rewrite_request.json
_ID_OK = re.compile(r"[^A-Za-z0-9_.:-]")


class ApprovalMessage(BaseModel):
    """An editor approved one note (one revision); consumers publish ``note.text``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: Literal["newsgen.approval/1"] = Field(APPROVAL_SCHEMA, alias="schema")
    key: str = Field(description="the approved note's idempotency key")
    record_id: str
    task: str
    revision: int
    approved_by: str
    approved_at: str = Field(default_factory=utcnow)
    note: dict[str, Any] = Field(description="the approved note message as it was on the notes topic")


def approval(note: dict[str, Any], editor: str) -> ApprovalMessage:
    return ApprovalMessage(key=note["key"], record_id=note["record_id"], task=note["task"],
                           revision=note["revision"], approved_by=editor, note=note)


def edited_note(note: dict[str, Any], text: str, revision: int, editor: str,
                verdict: dict[str, Any] | None = None) -> NoteMessage:
    """The note with the editor's text as ``revision``: provenance says a human wrote it and keeps the
    template and seed it came from; the model's fact-check verdict and candidates go (they were about
    other text), replaced by ``verdict``, the check of the edited text when there is one."""
    p = dict(note["provenance"])
    for name, value in (("factcheck", verdict), ("candidate", None), ("rejected", [])):
        if name in Provenance.model_fields:
            p[name] = value
        else:
            p.pop(name, None)
    p.update(model=HUMAN_MODEL, backend=HUMAN_BACKEND, worker=f"desk:{editor}", fallback=False,
             fallback_reason=None, finish_reason="edited", prompt_tokens=0, new_tokens=0, timings_ms={})
    fields = {k: v for k, v in note.items() if k not in ("created_at", "schema")}
    fields.update(key=f"{note['record_id']}:{note['task']}:{revision}", revision=revision, text=text, provenance=p)
    if "edited_by" in NoteMessage.model_fields:  # once messages.py has the field
        fields["edited_by"] = editor
    return NoteMessage.model_validate(fields)


def check_text(note: dict[str, Any], text: str) -> dict[str, Any] | None:
    """The fact check of an edited text against the note's record; None when no checker is available."""
    try:
        from newsgen.facts import check
    except ImportError:
        return None
    try:
        verdict = check(note["record"], text, note["task"], note["language"])
    except Exception:  # noqa: BLE001 - a checker bug must not block an editor; the page shows "no verdict"
        log.exception("fact check of the edited text of %s failed", note.get("key"))
        return None
    return verdict.model_dump(mode="json") if verdict is not None else None


def regenerate_record(note: dict[str, Any], revision: int) -> dict[str, Any]:
    """The note's record as ``revision``: the bridge routes it to every task of its type again."""
    return {**note["record"], "revision": revision}


def rewrite_id(note_key: str, style: str) -> str:
    """A rewrite request id from the note key: readable, within the schema's 64 characters."""
    rid = _ID_OK.sub("-", f"rw-{note_key.replace(':', '-')}-{style}")
    if len(rid) > 64:
        digest = hashlib.sha256(rid.encode()).hexdigest()[:10]
        rid = f"{rid[:64 - 11]}-{digest}"
    return rid


def rewrite_request(note: dict[str, Any], style: str, revision: int, target_length: int | None = None,
                    length_unit: str = "chars") -> dict[str, Any]:
    """A ``rewrite_request`` record asking the workers for the note's text in ``style``."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}, not {style!r}")
    if length_unit not in LENGTH_UNITS:
        raise ValueError(f"length_unit must be one of {', '.join(LENGTH_UNITS)}, not {length_unit!r}")
    text = note["text"].strip()[:REWRITE_TEXT_MAX] or "-"
    if target_length is None:
        target_length = 160 if style == "brief" else max(1, min(len(text), REWRITE_TEXT_MAX))
        length_unit = "chars"
    facts = note.get("record") or {}
    title = facts.get("headline") or facts.get("title")
    if not title and isinstance(facts.get("home"), dict) and isinstance(facts.get("away"), dict):
        title = f"{facts['home'].get('name')} — {facts['away'].get('name')}"
    request = {"type": "rewrite_request", "id": rewrite_id(note["key"], style), "revision": revision,
               "language": note.get("language") if note.get("language") in ("ru", "en") else "ru",
               "text": text, "style": style, "target_length": int(target_length), "length_unit": length_unit,
               "source": f"newsgen desk, note {note['key']}"[:120]}
    if title:
        request["title"] = str(title)[:160]
    return request
