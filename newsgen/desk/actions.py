"""The messages an editor's action publishes. Pure functions of a note (as a dict) and the editor's input.

    approve     -> approved topic: :class:`ApprovalMessage` (the approved note inside), key <record id>:<task>
    edit        -> notes topic: the note with the editor's text as an editorial revision
                   ``<id>:<task>:<revision>.<edit>`` of its machine revision, marked human-edited
    regenerate  -> records topic: the note's record at its own revision; the editorial sequence travels in
                   the ``newsgen-edit`` header, so the workers write ``<id>:<task>:<revision>.<edit>`` and no
                   record revision is taken (``newsgen.history``)
    rewrite     -> records topic: a ``rewrite_request`` record whose text is the note's text

The rules (which revision, idempotent approvals) are in ``newsgen.desk.service``.
"""
from __future__ import annotations

import hashlib
import logging
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from newsgen.history import note_key
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
    edit: int = Field(0, ge=0, description="the approved note's editorial sequence (newsgen.history)")
    approved_by: str
    approved_at: str = Field(default_factory=utcnow)
    note: dict[str, Any] = Field(description="the approved note message as it was on the notes topic")


def approval(note: dict[str, Any], editor: str) -> ApprovalMessage:
    edit = note.get("edit", 0)
    return ApprovalMessage(key=note["key"], record_id=note["record_id"], task=note["task"],
                           revision=note["revision"], edit=edit if isinstance(edit, int) else 0,
                           approved_by=editor, note=note)


def edited_note(note: dict[str, Any], text: str, edit: int, editor: str,
                verdict: dict[str, Any] | None = None) -> NoteMessage:
    """The note with the editor's text as editorial revision ``edit`` of the note's machine revision
    (``<id>:<task>:<revision>.<edit>``): provenance says a human wrote it and keeps the
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
    if edit < 1:
        raise ValueError("an edit is editorial revision 1 or later")
    fields.update(key=note_key(note["record_id"], note["task"], note["revision"], edit), edit=edit, text=text,
                  provenance=p, edited_by=editor)
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


def regenerate_record(note: dict[str, Any]) -> dict[str, Any]:
    """The note's record at its own revision: the bridge routes it to every task of its type again (the
    editorial sequence goes in a header; the revision stays the machine's)."""
    return {**note["record"], "revision": note["revision"]}


def rewrite_id(source_key: str, style: str) -> str:
    """A rewrite request id from the source note's key and the style: a readable part plus a digest of the
    exact key, so no two notes map to one id (``a:x:note:0`` and ``a-x:note:0`` differ); at most the
    schema's 64 characters."""
    digest = hashlib.sha256(f"{source_key}\0{style}".encode()).hexdigest()[:10]
    readable = _ID_OK.sub("-", f"rw-{source_key.replace(':', '-')}-{style}")[:64 - 11]
    return f"{readable}-{digest}"


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
