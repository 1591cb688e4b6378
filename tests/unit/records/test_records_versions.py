"""Schema versions side by side: the version read from the header, the record's field, or detected; the
upgrade of football_match 1 -> 2 (structured venue); unknown versions."""
from __future__ import annotations

import json

import pytest

from newsgen.config import ROOT
from newsgen.errors import SchemaError, SchemaVersionError
from newsgen.records import UPGRADES, RecordValidator, reader_view, upgrade
from producers.publish import EXAMPLES_DIR, key_and_headers


@pytest.fixture(scope="module")
def validator():
    return RecordValidator(ROOT / "schemas")


@pytest.fixture()
def v1():
    """A football_match of version 1 (venue string), as the example file has it."""
    for line in (EXAMPLES_DIR / "football.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if isinstance(rec.get("venue"), str):
            return rec
    raise AssertionError("no example with a venue")


@pytest.fixture()
def v2(v1):
    return {**v1, "venue": {"name": v1["venue"], "city": "Санкт-Петербург", "capacity": 67800}}


def test_each_version_has_its_own_id(validator):
    ids = {json.loads(p.read_text())["$id"] for p in (ROOT / "schemas").glob("football_match*.json")}
    assert ids == {"https://newsgen.local/schemas/football_match/1", "https://newsgen.local/schemas/football_match/2"}
    assert validator.versions("football_match") == [1, 2] and validator.schema_version("football_match") == 2
    assert validator.schema_id("football_match", 1).endswith("/football_match/1")


def test_every_older_version_has_an_upgrade(validator):
    for record_type in validator.record_types:
        versions = validator.versions(record_type)
        assert versions == list(range(1, len(versions) + 1)), record_type
        for v in versions[:-1]:
            assert (record_type, v) in UPGRADES, f"{record_type} {v} -> {v + 1} has no upgrade"


def test_v1_is_upgraded_to_the_current_version(validator, v1):
    rec = validator.validate(v1, 1)
    assert rec.schema_version == 1 and rec.upgraded
    assert rec.data["venue"] == {"name": v1["venue"]}
    assert {k: v for k, v in rec.data.items() if k != "venue"} == {k: v for k, v in v1.items() if k != "venue"}
    assert v1["venue"] and isinstance(v1["venue"], str), "the input is not changed"


def test_v2_is_read_as_is(validator, v2):
    rec = validator.validate(v2, "2")
    assert rec.schema_version == 2 and not rec.upgraded and rec.data == v2


def test_the_upgrade_is_idempotent_on_structured_venues(v2):
    assert upgrade("football_match", v2, 1, 2) == v2


def test_no_version_said_reads_the_latest_it_is_valid_under(validator, v1, v2):
    assert validator.validate(v2).schema_version == 2
    assert validator.validate(v1).schema_version == 1        # an old producer that never said its version
    no_venue = {k: v for k, v in v1.items() if k != "venue"}
    assert validator.validate(no_venue).schema_version == 2  # valid under both: the latest
    assert validator.detect_version(v1) == 1 and validator.detect_version(v2) == 2


def test_the_records_own_field_names_the_version(validator, v1, v2):
    rec = validator.validate({**v1, "schema_version": 1})
    assert rec.schema_version == 1 and "schema_version" not in rec.data
    with pytest.raises(SchemaError, match=r"\$\.venue"):
        validator.validate({**v1, "schema_version": 2})
    assert validator.validate({**v2, "schema_version": 1}, 2).schema_version == 2, "the header wins"


@pytest.mark.parametrize("said", [3, "7", "abc", 0, -1, True, "", "1.5", "٢"])
def test_an_unknown_version_is_its_own_reason(validator, v1, said):
    with pytest.raises(SchemaVersionError) as info:
        validator.validate(v1, said)
    assert info.value.reason == "unknown_schema_version" and "known: 1, 2" in str(info.value)


def test_a_field_with_an_unknown_version_is_rejected(validator, v1):
    with pytest.raises(SchemaVersionError, match=r"\$\.schema_version: unknown football_match schema version '9'"):
        validator.validate({**v1, "schema_version": 9})


def test_a_record_wrong_under_every_version_names_its_real_mistake(validator, v1):
    bad = {**v1, "score": {"home": -1, "away": v1["score"]["away"]}}
    with pytest.raises(SchemaError) as info:
        validator.validate(bad)
    assert info.value.path == "$.score.home", "read as version 1 (fewest errors), not as 2 (venue)"


def test_types_with_one_version_take_the_field_too(validator):
    rec = json.loads((EXAMPLES_DIR / "hockey.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert validator.validate({**rec, "schema_version": 1}).schema_version == 1
    with pytest.raises(SchemaVersionError):
        validator.validate(rec, 2)


def test_reader_view_flattens_the_structured_venue(v2):
    assert reader_view(v2)["venue"] == v2["venue"]["name"]
    assert reader_view({"venue": "X"}) == {"venue": "X"}


def test_seeds_of_both_versions_are_the_same(validator, v1, v2):
    from newsgen.seeds import SeedRenderer

    renderer = SeedRenderer(ROOT / "templates")
    a = renderer.render(validator.validate(v1).data, "note", "ru")
    b = renderer.render({**v1, "venue": {"name": v1["venue"]}}, "note", "ru")
    assert a.prompt == b.prompt and v1["venue"] in a.prompt
    assert renderer.render_fallback(v2, "note", "ru").text


def test_the_producer_stamps_the_version_the_record_is_written_in(validator, v1, v2):
    assert key_and_headers(json.dumps(v1).encode(), validator)[1] == [("schema", b"football_match/1")]
    assert key_and_headers(json.dumps(v2).encode(), validator)[1] == [("schema", b"football_match/2")]
    assert key_and_headers(json.dumps({**v1, "schema_version": 5}).encode(), validator)[1] == \
        [("schema", b"football_match/5")]
    invalid = {**v1, "score": {"home": -1, "away": 0}}
    assert key_and_headers(json.dumps(invalid).encode(), validator)[1] == [], "the bridge finds its closest version"


def test_the_router_reads_the_version_from_the_schema_header(v1, v2):
    from newsgen.config import load_settings
    from newsgen.routing import RecordRouter

    router = RecordRouter(load_settings())
    raw1, raw2 = json.dumps(v1).encode(), json.dumps(v2).encode()
    for raw, schema in ((raw1, "football_match/1"), (raw2, "football_match/2"), (raw1, None), (raw2, None),
                        (raw2, "https://newsgen.local/schemas/football_match/2")):
        routed = router.route(raw, schema=schema)
        assert routed.dead_letter is None and routed.tasks, schema
        assert all(t.record["venue"]["name"] == v1["venue"] for t in routed.tasks), "the current version"
    cases = {("football_match/7", raw1): ("unknown_schema_version", "unknown football_match schema version '7'"),
             ("garbage", raw1): ("unknown_schema_version", "is not <type>/<version>"),
             ("\ufffd", raw1): ("unknown_schema_version", "is not <type>/<version>"),
             ("hockey_match/1", raw1): ("schema", "the schema header says 'hockey_match/1' but the record is a "
                                                  "'football_match'"),
             ("football_match/2", raw1): ("schema", "$.venue"),
             ("football_match/1", b"{bad"): ("decode", "not valid JSON")}
    for (schema, raw), (reason, text) in cases.items():
        letter = router.route(raw, schema=schema).dead_letter
        assert letter is not None and letter.reason == reason and text in letter.error, (schema, letter)
        assert letter.original() == raw
