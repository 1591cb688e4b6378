"""Living notes end to end: a live match and its events yield increasing revisions of its notes."""
import json

import pytest

from newsgen.cli.stack import LocalStack
from newsgen.messages import DeadLetter, NoteMessage
from producers.publish import EXAMPLES_DIR, RecordPublisher, read_lines
from workers.topics import ensure_topics, read_messages

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("services")]


def test_events_make_increasing_revisions_and_a_final_note_of_the_final_record(pipeline_env, pipeline_settings,
                                                                               tmp_path):
    s = pipeline_settings
    lines = list(read_lines(EXAMPLES_DIR / "live.jsonl"))      # the match at revision 0, then events 1..5
    match_id = json.loads(lines[0])["id"]
    late = json.loads(lines[2]) | {"id": "late-copy"}           # event 2 again, after the final whistle
    ensure_topics(s)
    with LocalStack(pipeline_env, tmp_path / "logs"):
        publisher = RecordPublisher(s)
        publisher.publish(lines + [json.dumps(late, ensure_ascii=False).encode()])
        publisher.close()
        final = {}
        order: dict[str, list[int]] = {"note": [], "summary": []}
        for m in read_messages(s, s.notes_topic, timeout_s=90):
            note = NoteMessage.model_validate(m.value)
            assert m.key == f"{note.record_id}:{note.task}".encode()
            order[note.task].append(note.revision)
            final[note.task] = note
            if all(n.revision == 5 for n in final.values()) and len(final) == 2:
                break
        letters = [DeadLetter.model_validate(m.value) for m in read_messages(s, s.dead_letter_topic, count=1,
                                                                             timeout_s=20)]
    for task, revisions in order.items():
        assert revisions == sorted(set(revisions)), f"{task} revisions go only up: {revisions}"
        assert revisions[-1] == 5
    note = final["note"]
    assert note.record_id == match_id and note.record["status"] == "finished"
    assert note.record["score"] == {"home": 2, "away": 1} and len(note.record["goals"]) == 3
    assert note.provenance.factcheck["passed"]
    [letter] = letters
    assert letter.reason == "stale" and json.loads(letter.original())["id"] == "late-copy"
