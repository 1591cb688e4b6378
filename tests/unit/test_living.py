"""Living notes in the router: events make new match revisions; stale input never rolls a match back."""
import json

import pytest

from newsgen.config import load_settings
from newsgen.living import MemoryMatchStore, apply_event
from newsgen.routing import RecordRouter

MATCH = {"type": "football_match", "id": "live-1", "revision": 0, "status": "live", "date": "2026-11-26",
         "tournament": "Российская Премьер-лига", "home": {"name": "Зенит"}, "away": {"name": "Спартак"},
         "score": {"home": 0, "away": 0}, "goals": []}


def event(seq: int, **ev) -> dict:
    return {"type": "match_event", "id": f"e{seq}", "match_id": "live-1", "seq": seq, "event": ev}


def raw(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


@pytest.fixture
def router():
    return RecordRouter(load_settings(), MemoryMatchStore())


def test_events_build_the_match_revision_by_revision(router):
    assert router.route(raw(MATCH)).tasks[0].key == "live-1:note:0"
    goal = router.route(raw(event(1, kind="goal", team="home", player="Андрей Мостовой", minute=17)))
    note = next(t for t in goal.tasks if t.task == "note")
    assert note.key == "live-1:note:1" and note.record["score"] == {"home": 1, "away": 0}
    assert note.record["goals"][0]["player"] == "Андрей Мостовой"
    router.route(raw(event(2, kind="card", team="away", player="Иван Иванов", minute=30, color="yellow")))
    final = router.route(raw(event(3, kind="final_whistle")))
    rec = final.tasks[0].record
    assert (rec["revision"], rec["status"], rec["score"], len(rec["cards"])) == (3, "finished", {"home": 1, "away": 0}, 1)


def test_stale_duplicate_and_unknown_input_is_dead_lettered_without_rolling_back(router):
    router.route(raw(MATCH))
    router.route(raw(event(1, kind="goal", team="away", player="Манфред Угальде", minute=5)))
    router.route(raw(event(2, kind="final_whistle")))
    late = router.route(raw(event(1, kind="goal", team="home", player="X", minute=9) | {"id": "other"}))
    assert late.dead_letter.reason == "stale" and not late.tasks
    old_snapshot = router.route(raw(MATCH))
    assert old_snapshot.dead_letter.reason == "stale"
    unknown = router.route(raw(event(1, kind="final_whistle") | {"match_id": "never-seen"}))
    assert unknown.dead_letter.reason == "unknown_match"
    record, last_event = router.store.get("live-1")
    assert (record["revision"], record["score"], last_event) == (2, {"home": 0, "away": 1}, "e2")


def test_the_same_event_read_again_after_a_crash_routes_the_same_tasks(router):
    router.route(raw(MATCH))
    first = router.route(raw(event(1, kind="goal", team="home", player="Луиз Энрике", minute=3)))
    again = router.route(raw(event(1, kind="goal", team="home", player="Луиз Энрике", minute=3)))
    assert [t.key for t in again.tasks] == [t.key for t in first.tasks] and again.dead_letter is None


def test_apply_event_does_not_touch_its_input():
    before = json.dumps(MATCH)
    after = apply_event(MATCH, event(1, kind="status", status="postponed", status_reason="снегопад"))
    assert json.dumps(MATCH) == before and after["status"] == "postponed" and after["revision"] == 1
