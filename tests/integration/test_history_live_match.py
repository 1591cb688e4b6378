"""Editors and live events share one history (issue 18), on Kafka, Redis, a real bridge and Celery worker.

A live match gets goal events while editors edit, regenerate, edit an old revision and approve through the
desk's actions (``newsgen.desk.service`` over the real ``KafkaDeskBus`` and its Redis ledger). The three
data-loss cases of the issue are reproduced step by step:

1. an edit and the next goal used to share one idempotency key (the desk showed only the machine's note);
2. a regeneration used to take a record revision, so the next real goal was dead-lettered as stale;
3. an edit of an old revision, regenerated, used to roll the bridge's match store back to 0:0.
"""
from __future__ import annotations

import json
import time
from collections import Counter

import pytest
import redis

from newsgen.cli.stack import LocalStack
from newsgen.config import load_settings
from newsgen.desk.service import ActionError, DeskActions
from newsgen.desk.store import NoteStore
from newsgen.messages import DeadLetter
from newsgen.routing import EDIT_HEADER
from producers.publish import EXAMPLES_DIR, RecordPublisher, read_lines
from workers.desk_bus import KafkaDeskBus
from workers.match_store import RedisMatchStore
from workers.topics import ensure_topics, read_messages

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("services")]

WAIT_S = 240


@pytest.fixture
def env(pipeline_env, run_id):
    return {**pipeline_env, "NEWSGEN_APPROVED_TOPIC": f"test-{run_id}.approved",
            "NEWSGEN_SAMPLING__MAX_NEW_TOKENS": "8", "NEWSGEN_CANDIDATES": "1"}


@pytest.fixture
def settings(env, monkeypatch):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return load_settings()


def test_edits_goals_regenerations_and_approvals_share_one_history(env, settings, tmp_path, wait_for, run_id):
    s = settings
    lines = [json.loads(line) for line in read_lines(EXAMPLES_DIR / "live.jsonl")]
    match_id = f"live-{run_id}"
    for line in lines:
        line["match_id" if line["type"] == "match_event" else "id"] = match_id
        if line["type"] == "match_event":
            line["id"] = f"{match_id}-e{line['seq']}"
    match, events = lines[0], {e["seq"]: e for e in lines[1:]}
    ensure_topics(s, s.approved_topic)
    publisher = RecordPublisher(s)
    matches = RedisMatchStore(redis.Redis.from_url(s.redis_url), s.records_topic)
    store_revisions: list[int] = []
    logs = tmp_path / "logs"

    def send(*records: dict) -> None:
        publisher.publish([json.dumps(r, ensure_ascii=False).encode() for r in records])

    def key(task: str, label: str) -> str:
        return f"{match_id}:{task}:{label}"

    def arrived(*keys: str) -> None:
        wait_for(lambda: all(store.get(k) for k in keys), WAIT_S, f"notes {keys}",
                 details=lambda: tails(logs))

    def watch_match_store() -> None:
        stored = matches.get(match_id)
        store_revisions.append(stored[0]["revision"] if stored else -1)

    bus = KafkaDeskBus(s)
    store = NoteStore(s.desk_backlog)
    desk = DeskActions(s, store, bus, bus.ledger)
    try:
        with LocalStack(env, logs, manage_services=False):
            bus.start(store)
            send(match)                                             # 0:0 (revision 0)
            arrived(key("note", "0"), key("summary", "0"))
            watch_match_store()
            send(events[1])                                         # 0:1 (revision 1)
            arrived(key("note", "1"), key("summary", "1"))
            watch_match_store()

            # --- case 1: an edit, then the next event ------------------------------------------
            edit = desk.edit(key("note", "1"), "Редакторская правка: «Локомотив» ведёт 1:0.", "anna")
            assert edit["key"] == key("note", "1.1") and edit["current"]
            arrived(key("note", "1.1"))
            assert store.current(f"{match_id}:note")["key"] == key("note", "1.1")
            send(events[2])                                         # a card: revision 2
            arrived(key("note", "2"), key("summary", "2"))
            watch_match_store()
            [current, *older] = store.history(f"{match_id}:note")
            assert current["key"] == key("note", "2") and current["current"]
            assert current["supersedes_edit"]["key"] == key("note", "1.1")
            assert current["supersedes_edit"]["edited_by"] == "anna"
            assert key("note", "1.1") in {v["key"] for v in older}, "the edit stays in the history"

            # --- case 2: regenerate, then the next goal ----------------------------------------
            regen = desk.regenerate(key("note", "2"), "boris")
            assert regen["label"] == "2.1"
            arrived(key("note", "2.1"), key("summary", "2.1"))
            watch_match_store()
            send(events[3])                                         # the next real goal: revision 3
            arrived(key("note", "3"), key("summary", "3"))
            watch_match_store()
            assert store.get(key("note", "3"))["record"]["score"] == {"home": 1, "away": 1}

            # --- case 3: an edit of an old revision, and regenerating it -------------------------
            old = desk.edit(key("note", "0"), "Старая правка: 0:0.", "carla")
            assert old["key"] == key("note", "0.1") and not old["current"]
            arrived(key("note", "0.1"))
            assert store.current(f"{match_id}:note")["key"] == key("note", "3")
            for stale in (key("note", "0"), key("note", "0.1")):
                with pytest.raises(ActionError) as refused:
                    desk.regenerate(stale, "carla")
                assert refused.value.status == 409
            # an out-of-date desk that sends the old record anyway: the bridge refuses it (stale)
            bus.publish(s.records_topic, match_id, json.dumps(store.get(key("note", "0.1"))["record"]).encode(),
                        [(EDIT_HEADER, b"9")])
            letter = wait_for(lambda: next((DeadLetter.model_validate(m.value) for m in
                                            read_messages(s, s.dead_letter_topic, timeout_s=2)), None),
                              WAIT_S, "the stale regeneration's dead letter")
            assert letter.reason == "stale"
            watch_match_store()

            # --- approvals -----------------------------------------------------------------------
            first = desk.approve(key("note", "3"), "anna")
            again = desk.approve(key("note", "3"), "boris")
            assert not first["duplicate"] and again["duplicate"]
            with pytest.raises(ActionError) as backwards:
                desk.approve(key("note", "0.1"), "carla")
            assert backwards.value.status == 409
            with pytest.raises(ActionError) as blank:
                desk.edit(key("note", "3"), " \n\t ", "anna")
            assert blank.value.status == 422

            send(events[4], events[5])                              # 2:1, final whistle
            arrived(key("note", "5"), key("summary", "5"))
            watch_match_store()
            desk.approve(key("note", "5"), "anna")
            wait_for(lambda: len(list(read_messages(s, s.approved_topic, timeout_s=2))) >= 2, WAIT_S,
                     "the approvals")
            time.sleep(2)                                           # anything late would show now
            notes = [m for m in read_messages(s, s.notes_topic, timeout_s=3)]
            approvals = [m.value for m in read_messages(s, s.approved_topic, timeout_s=3)]
            letters = [DeadLetter.model_validate(m.value) for m in read_messages(s, s.dead_letter_topic, timeout_s=3)]
    finally:
        bus.close()
        publisher.close()

    # every goal ends in the final note
    final = store.current(f"{match_id}:note")
    assert final["key"] == key("note", "5") and final["record"]["status"] == "finished"
    assert final["record"]["score"] == {"home": 2, "away": 1} and len(final["record"]["goals"]) == 3
    # every edit is kept in the history with its editor
    by_key = {m.value["key"]: m.value for m in notes}
    assert by_key[key("note", "1.1")]["edited_by"] == "anna"
    assert by_key[key("note", "0.1")]["edited_by"] == "carla"
    assert by_key[key("note", "0.1")]["record"]["score"] == {"home": 0, "away": 0}
    # the match store never went backwards, and no event was lost
    assert store_revisions == sorted(store_revisions) and store_revisions[-1] == 5, store_revisions
    assert matches.get(match_id)[0]["revision"] == 5
    assert [dl.reason for dl in letters] == ["stale"], [dl.error for dl in letters]
    # one message per idempotency key; the note's Kafka key ends with the latest revision
    counts = Counter(m.value["key"] for m in notes)
    assert max(counts.values()) == 1, [k for k, n in counts.items() if n > 1]
    assert {key("note", label) for label in ("0", "0.1", "1", "1.1", "2", "2.1", "3", "5")} <= set(counts)
    last_under_note_key = [m.value["key"] for m in notes if m.key == f"{match_id}:note".encode()][-1]
    assert last_under_note_key == key("note", "5")
    assert [a["key"] for a in approvals] == [key("note", "3"), key("note", "5")]
    assert [a["approved_by"] for a in approvals] == ["anna", "anna"]


def tails(log_dir) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in sorted(log_dir.glob("*.log")))
