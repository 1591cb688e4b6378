"""Schema files: message schemas are generated from the pydantic models and never drift; record schemas
carry a versioned $id and document their fields."""
import json

import pytest

from newsgen.config import ROOT
from newsgen.schema_files import MODELS, message_schema, render, stale_message_schemas, write_message_schemas

SCHEMAS = ROOT / "schemas"
RECORD_SCHEMAS = ["football_match", "hockey_match", "basketball_game", "news_event", "rewrite_request"]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_checked_in_message_schemas_equal_generated(name):
    assert (SCHEMAS / f"{name}.json").read_text(encoding="utf-8") == render(name), \
        "run: newsgen schemas write"


def test_message_schemas_are_not_record_types():
    for name in MODELS:
        schema = message_schema(name)
        assert schema["$id"] == f"https://newsgen.local/schemas/{name}/1"
        assert "const" not in schema.get("properties", {}).get("type", {})


def test_write_and_stale(tmp_path):
    assert set(stale_message_schemas(tmp_path)) == {f"{n}.json" for n in MODELS}
    write_message_schemas(tmp_path)
    assert stale_message_schemas(tmp_path) == []
    assert stale_message_schemas(SCHEMAS) == []


@pytest.mark.parametrize("name", RECORD_SCHEMAS)
def test_record_schemas_have_versioned_ids(name):
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    assert schema["$id"] == f"https://newsgen.local/schemas/{name}/1"
    assert schema["properties"]["type"]["const"] == name


@pytest.mark.parametrize("name", ["news_event", "rewrite_request"])
def test_newsroom_fields_are_documented(name):
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))

    def walk(props, where):
        for key, spec in props.items():
            assert spec.get("description"), f"{where}.{key} has no description"
            if "properties" in spec:
                walk(spec["properties"], f"{where}.{key}")
            if "items" in spec and "properties" in spec["items"]:
                walk(spec["items"]["properties"], f"{where}.{key}[]")
    walk(schema["properties"], "$")


def test_match_schemas_share_statuses_and_context():
    for name in ("football_match", "hockey_match", "basketball_game"):
        props = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))["properties"]
        assert props["status"]["enum"] == ["scheduled", "live", "finished", "postponed", "abandoned", "cancelled"]
        assert {"attendance", "referee", "tournament", "round", "venue"} <= set(props)
