import json

import pytest

from newsgen.config import load_settings
from newsgen.errors import ConfigError


def test_defaults_name_the_design_topics():
    s = load_settings()
    assert (s.records_topic, s.notes_topic, s.dead_letter_topic) == (
        "newsgen.records", "newsgen.notes", "newsgen.dead-letter")
    assert s.backend == "auto" and s.sampling.top_k == 40


def test_env_overrides_file_and_nested_fields(tmp_path, monkeypatch):
    cfg = tmp_path / "newsgen.toml"
    cfg.write_text('notes_topic = "from.file"\nrecords_topic = "file.records"\n[sampling]\ntemperature = 0.5\n')
    monkeypatch.setenv("NEWSGEN_CONFIG", str(cfg))
    monkeypatch.setenv("NEWSGEN_NOTES_TOPIC", "from.env")
    monkeypatch.setenv("NEWSGEN_SAMPLING__TOP_K", "7")
    s = load_settings()
    assert s.notes_topic == "from.env"
    assert s.records_topic == "file.records"
    assert s.sampling.top_k == 7


def test_unknown_file_keys_are_rejected_by_name(tmp_path, monkeypatch):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"notes_topik": "x"}))
    monkeypatch.setenv("NEWSGEN_CONFIG", str(cfg))
    with pytest.raises(ConfigError, match="notes_topik"):
        load_settings()


def test_unknown_keyword_and_bad_values_raise_config_error():
    with pytest.raises(ConfigError, match="bogus"):
        load_settings(bogus=1)
    with pytest.raises(ConfigError, match="backend"):
        load_settings(backend="tensorflow")


def test_worker_concurrency_holds_a_second_batch_for_the_threads_pool(monkeypatch):
    monkeypatch.setenv("NEWSGEN_MAX_BATCH_SIZE", "6")
    s = load_settings()
    assert s.pool_concurrency("threads") == 12      # the running batch plus as many waiting tasks
    assert s.pool_concurrency("prefork") == 6       # one model per process: no second batch to hold
    monkeypatch.setenv("NEWSGEN_WORKER_CONCURRENCY", "3")
    assert load_settings().pool_concurrency("threads") == 3
