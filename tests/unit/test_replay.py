import json

from newsgen.messages import DeadLetter
from newsgen.replay import replay_of


def test_record_stage_letter_replays_the_original_bytes_with_its_id_as_key():
    raw = b'{"type": "football_match", "id": "m1", "score": 3}'
    r = replay_of(DeadLetter.of(raw, reason="schema", error="e", stage="validate"))
    assert (r.key, r.raw, r.problem) == (b"m1", raw, None)


def test_worker_stage_letter_replays_the_record_inside_the_task_message():
    record = {"type": "football_match", "id": "m2"}
    raw = json.dumps({"key": "m2:note:0", "record": record}).encode()
    r = replay_of(DeadLetter.of(raw, reason="max_attempts", error="e", stage="generate"))
    assert r.key == b"m2" and json.loads(r.raw) == record


def test_truncated_and_recordless_letters_cannot_be_replayed():
    assert replay_of(DeadLetter.of(b"x" * 70_000, reason="schema", error="e", stage="validate")).problem
    assert replay_of(DeadLetter.of(b"{}", reason="bad_task", error="e", stage="generate")).problem
    undecodable = replay_of(DeadLetter.of(b"\xff", reason="decode", error="e", stage="decode"))
    assert undecodable.raw == b"\xff" and undecodable.key is None
