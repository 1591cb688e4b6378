"""Validation: every example is valid; bad records fail with the JSON path and the rule broken."""
import copy
import json

import pytest

from newsgen.config import ROOT
from newsgen.errors import DecodeError, RecordError, SchemaError, UnknownRecordType
from newsgen.records import RecordValidator, validate_file

EXAMPLES = ROOT / "producers" / "examples"


@pytest.fixture(scope="module")
def validator():
    return RecordValidator(ROOT / "schemas")


def _example(record_id):
    for path in EXAMPLES.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and json.loads(line)["id"] == record_id:
                return json.loads(line)
    raise KeyError(record_id)


def test_record_types(validator):
    assert validator.record_types == ["basketball_game", "football_match", "hockey_match", "match_event",
                                      "news_event", "rewrite_request"]
    assert all(validator.schema_version(t) == (2 if t == "football_match" else 1) for t in validator.record_types)
    assert validator.versions("football_match") == [1, 2]


def test_every_example_file_is_valid(validator):
    files = sorted(EXAMPLES.glob("*.jsonl"))
    assert {f.name for f in files} >= {"football.jsonl", "hockey.jsonl", "basketball.jsonl", "news_event.jsonl",
                                       "rewrite.jsonl"}
    seen = set()
    for path in files:
        report = validate_file(validator, path)
        assert report.ok, [(i.line, str(i.error)) for i in report.invalid]
        seen |= set(report.by_type())
    assert seen == set(validator.record_types)


def test_football_examples_cover_every_status(validator):
    statuses = {json.loads(line)["status"] for line in (EXAMPLES / "football.jsonl").read_text().splitlines()}
    assert statuses == {"scheduled", "live", "finished", "postponed", "abandoned", "cancelled"}


def test_record_fields(validator):
    rec = validator.validate(_example("rpl-2026-16-spa-kra"))
    assert (rec.type, rec.id, rec.revision, rec.schema_version) == ("football_match", "rpl-2026-16-spa-kra", 3, 1)
    assert rec.key("note") == "rpl-2026-16-spa-kra:note:3"


def _mutate(record_id, change):
    rec = copy.deepcopy(_example(record_id))
    change(rec)
    return rec


@pytest.mark.parametrize("record_id,change,path,rule", [
    ("rpl-2026-15-zen-spa", lambda r: r["score"].update(home=-1), "$.score.home", "minimum"),
    ("rpl-2026-15-zen-spa", lambda r: r["goals"][1].update(minute="45"), "$.goals[1].minute", "type"),
    ("rpl-2026-15-zen-spa", lambda r: r.update(status="over"), "$.status", "enum"),
    ("rpl-2026-15-zen-spa", lambda r: r.update(date="2026-02-30"), "$.date", "format"),
    ("rpl-2026-15-zen-spa", lambda r: r.update(colour="red"), "$", "additionalProperties"),
    ("rpl-2026-15-zen-spa", lambda r: r.pop("score"), "$", "required"),
    ("rpl-2026-15-zen-spa", lambda r: r["goals"].pop(), "$.goals", "consistency"),
    ("rpl-2026-15-zen-spa", lambda r: r["goals"][0].update(added=2), "$.goals[0].added", "consistency"),
    ("rpl-2026-15-zen-spa", lambda r: r["goals"][0].update(minute=95), "$.goals[0].minute", "consistency"),
    ("rpl-2026-15-zen-spa", lambda r: r.update(shootout={"home": 4, "away": 3}), "$.shootout", "consistency"),
    ("rpl-2026-16-ahm-fak", lambda r: r.update(goals=[{"team": "home", "player": "X", "minute": 5}]), "$.goals",
     "consistency"),
    ("khl-2026-avg-ska", lambda r: r["periods"][0].update(home=2), "$.periods", "consistency"),
    ("khl-2026-avg-ska", lambda r: r["goals"][0].update(time="61:00"), "$.goals[0].time", "consistency"),
    ("khl-2026-avg-ska", lambda r: r["goals"][0].update(time="5:7"), "$.goals[0].time", "pattern"),
    ("khl-2026-akb-mmg", lambda r: r.update(decided="regulation"), "$.goals[4].time", "consistency"),
    ("khl-2026-cska-trk", lambda r: r["score"].update(away=2), "$.score", "consistency"),
    ("khl-2026-sev-lok", lambda r: r.update(decided="overtime"), "$.decided", "consistency"),
    ("vtb-2026-cska-unics", lambda r: r["quarters"][0].update(home=23), "$.quarters", "consistency"),
    ("vtb-2026-cska-unics", lambda r: r["leaders"][0].update(points=95), "$.leaders[0].points", "consistency"),
    ("vtb-2026-zen-lokk", lambda r: r["quarters"][3].update(home=20), "$.quarters", "consistency"),
    ("vtb-2026-avd-sam", lambda r: r.update(quarters=[{"home": 1, "away": 0}]), "$.quarters", "consistency"),
    ("ev-2026-11-26-metro", lambda r: r.pop("source"), "$", "required"),
    ("ev-2026-11-26-metro", lambda r: r["key_numbers"][0].update(value="3"), "$.key_numbers[0].value", "type"),
    ("rw-2026-11-26-metro-brief", lambda r: r.update(style="poem"), "$.style", "enum"),
    ("rw-2026-11-26-metro-brief", lambda r: r.update(text=" \x00\n "), "$.text", "consistency"),
    ("rw-2026-11-26-metro-brief", lambda r: r.update(target_length=0), "$.target_length", "minimum"),
])
def test_errors_name_path_and_rule(validator, record_id, change, path, rule):
    with pytest.raises(SchemaError) as info:
        validator.validate(_mutate(record_id, change))
    assert (info.value.path, info.value.rule) == (path, rule)
    assert str(info.value).startswith(f"{path}: ") and str(info.value).endswith(f"({rule})")


def test_typed_errors_for_garbage(validator):
    with pytest.raises(DecodeError):
        validator.load(b"\xff\xfe")
    with pytest.raises(DecodeError):
        validator.load("{not json")
    with pytest.raises(UnknownRecordType):
        validator.validate({"type": "cricket", "id": "x"})
    with pytest.raises(UnknownRecordType):
        validator.validate({"type": ["football_match"]})
    with pytest.raises(SchemaError):
        validator.validate([1, 2])
    assert issubclass(SchemaError, RecordError) and not SchemaError.retriable


def test_validate_file_reports_every_line(validator, tmp_path):
    good = (EXAMPLES / "football.jsonl").read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([good, "", "nonsense", '{"type": "cricket"}', good.replace('"home": 2', '"home": 3', 1)]))
    report = validate_file(validator, path)
    assert [i.line for i in report.items] == [1, 3, 4, 5]
    assert [type(i.error).__name__ for i in report.items] == ["NoneType", "DecodeError", "UnknownRecordType",
                                                              "SchemaError"]
    assert report.by_type() == {"?": (0, 1), "cricket": (0, 1), "football_match": (1, 1)}
    assert not report.ok


def test_validate_file_reads_json_arrays(validator, tmp_path):
    recs = [json.loads(line) for line in (EXAMPLES / "hockey.jsonl").read_text(encoding="utf-8").splitlines()]
    path = tmp_path / "all.json"
    path.write_text(json.dumps(recs, ensure_ascii=False))
    report = validate_file(validator, path)
    assert report.ok and len(report.items) == len(recs)
