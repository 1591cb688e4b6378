"""One history per note (newsgen.history): machine revisions, editorial revisions on top, approval rules."""
from __future__ import annotations

import json

import pytest

from newsgen import history
from newsgen.config import load_settings
from newsgen.desk.actions import rewrite_id, rewrite_request
from newsgen.desk.ledger import MemoryLedger
from newsgen.desk.service import ActionError, DeskActions
from newsgen.desk.store import NoteStore
from newsgen.living import MemoryMatchStore
from newsgen.messages import NoteMessage, Provenance
from newsgen.records import RecordValidator
from newsgen.routing import EDIT_HEADER, RecordRouter, edit_of
from producers.publish import EXAMPLES_DIR

SETTINGS = load_settings()
LIVE = [json.loads(line) for line in (EXAMPLES_DIR / "live.jsonl").read_bytes().splitlines()]
MATCH_ID = LIVE[0]["id"]


def machine_note(record: dict, task: str = "note", text: str = "Текст заметки.") -> dict:
    """A note as a worker publishes it (``edit`` 0)."""
    p = Provenance(model="m", backend="template", template="t", template_version="1", seed_sha256="0" * 64,
                   sampling={}, prompt_tokens=1, new_tokens=1, finish_reason="eos", timings_ms={}, worker="w")
    revision = record.get("revision", 0)
    return NoteMessage(key=history.note_key(record["id"], task, revision), task=task, record_type=record["type"],
                       record_id=record["id"], revision=revision, language="ru", text=text, record=record,
                       provenance=p).model_dump(mode="json", by_alias=True)


class FakeBus:
    def __init__(self):
        self.sent: list[tuple[str, str, dict, dict]] = []

    def publish(self, topic, key, value, headers):
        self.sent.append((topic, key, json.loads(value), {k: v.decode() for k, v in headers}))
        return f"{topic}/0/{len(self.sent) - 1}"

    def on(self, topic):
        return [s for s in self.sent if s[0] == topic]


@pytest.fixture
def desk():
    store, bus, ledger = NoteStore(100), FakeBus(), MemoryLedger()
    return store, bus, ledger, DeskActions(SETTINGS, store, bus, ledger)


def revision(n: int) -> dict:
    """The live match after events 1..n."""
    router = RecordRouter(SETTINGS, MemoryMatchStore())
    for line in LIVE[: n + 1]:
        routed = router.route(json.dumps(line).encode())
    return routed.tasks[0].record


def publish_machine(store, ledger, record, task="note"):
    note = machine_note(record, task)
    ledger.see_machine_revision(f"{record['id']}:{task}", note["revision"])
    store.add_note(note)
    return note


# --- keys and places ----------------------------------------------------------------------------
def test_keys_places_and_labels():
    assert history.note_key("m", "note", 3) == "m:note:3"
    assert history.note_key("m", "note", 3, 2) == "m:note:3.2"
    assert history.place_of_key("a:b:note:3.2") == (3, 2) and history.place_of_key("a:b:note:3") == (3, 0)
    assert history.place({"revision": 2, "edit": 1}) < history.place({"revision": 3})
    assert history.label(0, 1) == "0.1" and history.label(4) == "4"


def test_approval_decisions():
    assert history.approval_decision(None, "m:note:0", (0, 0)) == "publish"
    assert history.approval_decision(("m:note:0", (0, 0)), "m:note:0", (0, 0)) == "duplicate"
    assert history.approval_decision(("m:note:1", (1, 0)), "m:note:0", (0, 0)) == "backwards"
    assert history.approval_decision(("m:note:1", (1, 0)), "m:note:0.3", (0, 3)) == "backwards"
    assert history.approval_decision(("m:note:1", (1, 0)), "m:note:1.1", (1, 1)) == "publish"
    assert history.approval_decision(("m:note:2", (2, 0)), "m:note:0", (0, 0), approved_before=True) == "duplicate"


def test_memory_ledger_counters_never_repeat_and_respect_the_floor():
    ledger = MemoryLedger()
    assert [ledger.allocate("a") for _ in range(3)] == [0, 1, 2]
    assert ledger.allocate("b", at_least=5) == 5 and ledger.allocate("b") == 6
    assert ledger.allocate("a", at_least=1) == 3


# --- desk actions -------------------------------------------------------------------------------
def test_an_edit_is_an_editorial_revision_that_a_later_machine_revision_supersedes_visibly(desk):
    store, bus, ledger, actions = desk
    publish_machine(store, ledger, revision(1))
    out = actions.edit(f"{MATCH_ID}:note:1", "Правка редактора.", "anna")
    assert out["key"] == f"{MATCH_ID}:note:1.1" and out["current"]
    [(topic, kafka_key, note, headers)] = bus.on(SETTINGS.notes_topic)
    assert kafka_key == f"{MATCH_ID}:note" and headers["idempotency-key"] == f"{MATCH_ID}:note:1.1"
    assert (note["revision"], note["edit"], note["edited_by"]) == (1, 1, "anna")
    store.add_note(note)
    assert store.current(f"{MATCH_ID}:note")["key"] == f"{MATCH_ID}:note:1.1"
    # the next goal: a machine revision 2 (what used to reuse the edit's key)
    publish_machine(store, ledger, revision(2))
    views = store.history(f"{MATCH_ID}:note")
    assert [v["key"] for v in views] == [f"{MATCH_ID}:note:2", f"{MATCH_ID}:note:1.1", f"{MATCH_ID}:note:1"]
    assert [v["current"] for v in views] == [True, False, False]
    assert views[0]["supersedes_edit"]["key"] == f"{MATCH_ID}:note:1.1"
    assert views[0]["supersedes_edit"]["edited_by"] == "anna"
    assert len({v["key"] for v in views}) == 3  # one message per idempotency key


def test_two_edits_of_one_revision_get_two_places(desk):
    store, bus, ledger, actions = desk
    publish_machine(store, ledger, revision(0))
    a = actions.edit(f"{MATCH_ID}:note:0", "Первая правка.", "anna")
    b = actions.edit(f"{MATCH_ID}:note:0", "Вторая правка.", "boris")
    assert (a["label"], b["label"]) == ("0.1", "0.2")


@pytest.mark.parametrize("text", ["", "   ", "\n\t \u3000"])
def test_a_blank_edit_is_refused(desk, text):
    store, bus, ledger, actions = desk
    publish_machine(store, ledger, revision(0))
    with pytest.raises(ActionError) as e:
        actions.edit(f"{MATCH_ID}:note:0", text, "anna")
    assert e.value.status == 422 and not bus.sent


def test_an_edit_of_an_old_revision_joins_the_history_and_is_never_current(desk):
    store, bus, ledger, actions = desk
    publish_machine(store, ledger, revision(0))
    publish_machine(store, ledger, revision(2))
    out = actions.edit(f"{MATCH_ID}:note:0", "Старая правка 0:0.", "anna")
    assert out["key"] == f"{MATCH_ID}:note:0.1" and not out["current"]
    [(_, kafka_key, note, _)] = bus.on(SETTINGS.notes_topic)
    assert kafka_key == f"{MATCH_ID}:note:0.1", "the note's key keeps ending with the latest revision"
    store.add_note(note)
    current = store.current(f"{MATCH_ID}:note")
    assert current["key"] == f"{MATCH_ID}:note:2" and current["record"]["score"] == revision(2)["score"]
    assert store.subscribe(lambda *_: None)["pending"] == []  # nothing is awaited for a history-only edit


def test_regenerate_takes_no_record_revision_and_an_old_revision_is_refused(desk):
    store, bus, ledger, actions = desk
    publish_machine(store, ledger, revision(0))
    publish_machine(store, ledger, revision(0), "summary")
    publish_machine(store, ledger, revision(2))
    with pytest.raises(ActionError) as e:
        actions.regenerate(f"{MATCH_ID}:note:0", "anna")
    assert e.value.status == 409 and not bus.sent
    out = actions.regenerate(f"{MATCH_ID}:note:2", "anna")
    assert out["label"] == "2.1" and f"{MATCH_ID}:note:2.1" in out["keys"]
    [(topic, kafka_key, record, headers)] = bus.sent
    assert topic == SETTINGS.records_topic and kafka_key == MATCH_ID
    assert record["revision"] == 2 and headers[EDIT_HEADER] == "1"


def test_approvals_are_idempotent_per_key_and_never_go_back(desk):
    store, bus, ledger, actions = desk
    publish_machine(store, ledger, revision(0))
    publish_machine(store, ledger, revision(1))
    first = actions.approve(f"{MATCH_ID}:note:1", "anna")
    again = actions.approve(f"{MATCH_ID}:note:1", "boris")
    assert not first["duplicate"] and again["duplicate"] and again["published"] == first["published"]
    with pytest.raises(ActionError) as e:
        actions.approve(f"{MATCH_ID}:note:0", "anna")
    assert e.value.status == 409
    approvals = bus.on(SETTINGS.approved_topic)
    assert [(a[1], a[2]["key"], a[2]["approved_by"]) for a in approvals] == [
        (f"{MATCH_ID}:note", f"{MATCH_ID}:note:1", "anna")]


def test_a_blank_note_cannot_be_approved(desk):
    store, bus, ledger, actions = desk
    store.add_note(machine_note(revision(0)) | {"text": "  "})
    with pytest.raises(ActionError) as e:
        actions.approve(f"{MATCH_ID}:note:0", "anna")
    assert e.value.status == 422 and not bus.sent


def test_rewrite_ids_are_unique_per_source_note_and_valid():
    keys = ["a:x:note:0", "a-x:note:0", "a:x-note:0", "a-x-note-0", "a:x:note:0.1", "a:x:note:01"]
    ids = {rewrite_id(k, "brief") for k in keys}
    assert len(ids) == len(keys)
    assert rewrite_id("a:x:note:0", "brief") != rewrite_id("a:x:note:0", "news")
    assert rewrite_id("a:x:note:0", "brief") == rewrite_id("a:x:note:0", "brief")
    long_key = "x" * 64 + ":note:0"
    assert rewrite_id(long_key, "brief") != rewrite_id("x" * 63 + "y:note:0", "brief")
    validator = RecordValidator(SETTINGS.schemas_dir)
    note = machine_note(revision(0))
    for key in keys + [long_key]:
        record = rewrite_request({**note, "key": key}, "brief", 0)
        assert len(record["id"]) <= 64
        validator.load(json.dumps(record).encode())


def test_two_rewrites_of_one_note_get_two_revisions(desk):
    store, bus, ledger, actions = desk
    publish_machine(store, ledger, revision(0))
    a = actions.rewrite(f"{MATCH_ID}:note:0", "brief", "anna")
    b = actions.rewrite(f"{MATCH_ID}:note:0", "brief", "anna")
    assert a["request_id"] == b["request_id"] and (a["revision"], b["revision"]) == (0, 1)


# --- the bridge's side ----------------------------------------------------------------------------
def test_a_regeneration_keeps_the_match_store_and_the_next_event_applies():
    store = MemoryMatchStore()
    router = RecordRouter(SETTINGS, store)
    for line in LIVE[:3]:                                   # the match, events 1 and 2
        assert router.route(json.dumps(line).encode()).dead_letter is None
    at_two = store.get(MATCH_ID)[0]
    regen = router.route(json.dumps(at_two).encode(), edit=1)
    assert regen.dead_letter is None
    assert {t.key for t in regen.tasks} == {f"{MATCH_ID}:note:2.1", f"{MATCH_ID}:summary:2.1"}
    assert all((t.revision, t.edit) == (2, 1) for t in regen.tasks)
    assert store.get(MATCH_ID)[0] == at_two
    routed = router.route(json.dumps(LIVE[3]).encode())     # the next real goal
    assert routed.dead_letter is None and routed.tasks[0].revision == 3
    # regenerating an old revision (the record at 0:0) never rolls the match back
    old = router.route(json.dumps(LIVE[0]).encode(), edit=1)
    assert old.dead_letter is not None and old.dead_letter.reason == "stale"
    assert store.get(MATCH_ID)[0]["revision"] == 3 and len(store.get(MATCH_ID)[0]["goals"]) == 2


def test_a_regeneration_uses_the_stored_match_not_the_desks_copy():
    store = MemoryMatchStore()
    router = RecordRouter(SETTINGS, store)
    for line in LIVE[:2]:
        router.route(json.dumps(line).encode())
    copy = {**store.get(MATCH_ID)[0], "venue": "somewhere else"}
    [task, *_] = router.route(json.dumps(copy).encode(), edit=3).tasks
    # the stored match is in the current version: football_match 2, its venue structured
    assert task.record["venue"] == {"name": LIVE[0]["venue"]} and task.key.endswith(":1.3")


@pytest.mark.parametrize("headers, edit", [
    ([], 0), ([("schema", b"x")], 0), ([(EDIT_HEADER, b"2")], 2), ([(EDIT_HEADER, b"-1")], 0),
    ([(EDIT_HEADER, b"x")], 0), ([(EDIT_HEADER, b"\xff")], 0), (None, 0),
])
def test_edit_header(headers, edit):
    assert edit_of(headers) == edit
