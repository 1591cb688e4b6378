"""The router turns any bytes into tasks or exactly one dead letter, never an exception."""
import json

import pytest

from newsgen.config import load_settings
from newsgen.messages import Source
from newsgen.routing import RecordRouter
from producers.publish import EXAMPLES_DIR as EXAMPLES

ROUTER = RecordRouter(load_settings())
GOOD = (EXAMPLES / "football.jsonl").read_bytes().splitlines()[0]


def test_valid_match_becomes_note_task_with_seed_and_idempotency_key():
    routed = ROUTER.route(GOOD, Source(topic="t", partition=1, offset=7))
    assert routed.dead_letter is None
    note = next(t for t in routed.tasks if t.task == "note")
    assert note.key == "rpl-2026-15-zen-spa:note:0"
    assert note.seed.prompt.startswith(note.seed.prefix) and note.seed.prefix
    facts = note.seed.prompt[len(note.seed.prefix):]
    assert "«Зенит»" in facts and "«Спартак»" in facts and "2:1" in facts
    assert note.source.offset == 7


@pytest.mark.parametrize("raw, reason, stage", [
    (b"\xff\xfe not utf-8", "decode", "decode"),
    (b"{not json", "decode", "decode"),
    (b"[1, 2]", "schema", "validate"),
    (json.dumps({"type": "cricket", "id": "x"}).encode(), "unknown_type", "validate"),
    (GOOD.replace(b'"home": 2', b'"home": "2"'), "schema", "validate"),
    (GOOD.replace(b'"home": 2', b'"home": 3'), "schema", "validate"),  # goals no longer add up
])
def test_bad_input_becomes_one_dead_letter_with_reason(raw, reason, stage):
    routed = ROUTER.route(raw, Source(topic="t", partition=0, offset=1))
    assert routed.tasks == []
    dl = routed.dead_letter
    assert (dl.reason, dl.stage) == (reason, stage)
    assert dl.original() == raw and dl.original_size == len(raw) and not dl.truncated
    assert dl.error


def test_schema_error_names_the_json_path():
    routed = ROUTER.route(GOOD.replace(b'"home": 2', b'"home": -1'))
    assert routed.dead_letter.path == "$.score.home"
    assert "$.score.home" in routed.dead_letter.error and "minimum" in routed.dead_letter.error


def test_huge_record_keeps_only_an_excerpt():
    raw = b'{"type": "football_match", "pad": "' + b"x" * 10_000_000 + b'"}'
    dl = ROUTER.route(raw).dead_letter
    assert dl.truncated and dl.original_size == len(raw) and len(dl.original()) == 64 * 1024
