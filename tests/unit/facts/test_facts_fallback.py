"""Texts that are true must pass: every template-only note of every example record, in both languages,
and every few-shot example of the seed templates."""
import json

import pytest

from newsgen.errors import SeedError
from newsgen.facts import check
from newsgen.fallback import fallback_note
from newsgen.seeds import tasks_for_type

from facts_cases import LEXICON, RECORDS, TEMPLATES


def _fallback_cases():
    for record_id, record in RECORDS.items():
        for task in tasks_for_type(record["type"]):
            for language in ("ru", "en"):
                yield pytest.param(record_id, task, language, id=f"{record_id}-{task}-{language}")


@pytest.mark.parametrize("record_id,task,language", list(_fallback_cases()))
def test_every_fallback_note_of_the_examples_passes(record_id, task, language):
    record = RECORDS[record_id]
    try:
        text = fallback_note(record, task, language, templates_dir=TEMPLATES)
    except SeedError:
        pytest.skip(f"{record['type']} has no template-only {task} note")
    result = check(record, text, task, language, lexicon=LEXICON)
    assert result.passed, (text, [m.model_dump() for m in result.mismatches])
    assert sum(result.checked.values()) > 0


def test_the_examples_cover_every_record_type_and_status():
    kinds = {(r["type"], r.get("status")) for r in RECORDS.values()}
    for status in ("finished", "live", "postponed", "abandoned", "cancelled", "scheduled"):
        assert ("football_match", status) in kinds
    assert {"hockey_match", "basketball_game", "news_event", "rewrite_request"} <= {t for t, _ in kinds}


def _few_shot_cases():
    for path in sorted(TEMPLATES.glob("*/examples.*.json")):
        language = path.name.split(".")[1]
        for example in json.loads(path.read_text(encoding="utf-8")):
            for task in ("note", "summary", "rewrite"):
                if task in example:
                    yield pytest.param(example["record"], example[task], task, language,
                                       id=f"{path.parent.name}-{example['record']['id']}-{task}-{language}")


@pytest.mark.parametrize("record,text,task,language", list(_few_shot_cases()))
def test_the_few_shot_examples_pass(record, text, task, language):
    """The seeds' examples teach the model and are written by hand: the checker must accept them."""
    result = check(record, text, task, language, lexicon=LEXICON)
    assert result.passed, (text, [m.model_dump() for m in result.mismatches])
