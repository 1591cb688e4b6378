"""Topics as the settings (and the README) say, on the real local broker, read back with the admin client."""
from __future__ import annotations

import logging
import time

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from newsgen.config import load_settings
from workers.topics import ensure_topics, topic_specs

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("services")]


@pytest.fixture
def admin(pipeline_settings):
    client = KafkaAdminClient(bootstrap_servers=pipeline_settings.kafka_bootstrap)
    yield client
    s = pipeline_settings
    mine = [t for t in client.list_topics() if t.startswith(s.records_topic.rsplit(".", 1)[0])]
    if mine:
        client.delete_topics(mine)
    client.close()


def read_back(admin, name: str) -> tuple[int, int, dict[str, str]]:
    """(partitions, replication factor, {cleanup.policy, min.insync.replicas}) as the broker has them."""
    deadline = time.monotonic() + 30
    while True:  # a topic just created may not be in the metadata yet
        [topic] = admin.describe_topics([name])
        if topic["partitions"] or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    rf = {len(p["replica_nodes"]) for p in topic["partitions"]}
    assert len(rf) == 1
    keys = {"cleanup.policy": None, "min.insync.replicas": None}
    configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name, keys)], config_filter="all")
    values = {k: v["value"] for k, v in configs["topic"][name].items()}
    return len(topic["partitions"]), rf.pop(), values


def test_defaults_follow_the_documented_layout():
    """README "What to back up": replication 3 and min.insync.replicas 2 on a cluster of three or more."""
    s = load_settings()
    specs = {t.name: t for t in topic_specs(s, brokers=5)}
    assert {t.replication_factor for t in specs.values()} == {3}
    assert {t.configs["min.insync.replicas"] for t in specs.values()} == {"2"}
    assert specs[s.notes_topic].configs["cleanup.policy"] == "compact"
    assert specs[s.records_topic].configs["cleanup.policy"] == "delete"
    # a single-broker cluster (the local one) gets what it can hold
    assert {(t.replication_factor, t.configs["min.insync.replicas"]) for t in topic_specs(s, brokers=1)} == {(1, "1")}


def test_ensure_topics_creates_them_from_settings(pipeline_settings, admin, monkeypatch):
    monkeypatch.setenv("NEWSGEN_TOPIC_PARTITIONS", "5")
    monkeypatch.setenv("NEWSGEN_TOPIC_REPLICATION_FACTOR", "1")   # the local broker is one node
    monkeypatch.setenv("NEWSGEN_TOPIC_MIN_INSYNC_REPLICAS", "1")
    s = load_settings()
    assert ensure_topics(s) == []
    assert read_back(admin, s.notes_topic) == (5, 1, {"cleanup.policy": "compact", "min.insync.replicas": "1"})
    for name in (s.records_topic, s.dead_letter_topic):
        assert read_back(admin, name) == (5, 1, {"cleanup.policy": "delete", "min.insync.replicas": "1"})
    assert ensure_topics(s) == [], "a second run finds nothing to report"


def test_existing_topic_that_differs_is_reported_not_changed(pipeline_settings, admin, caplog, wait_for):
    s = pipeline_settings
    admin.create_topics([NewTopic(s.notes_topic, 2, 1, topic_configs={"cleanup.policy": "delete"})])
    wait_for(lambda: s.notes_topic in admin.list_topics(), 30, "the topic in the metadata")
    with caplog.at_level(logging.WARNING, logger="workers.topics"):
        drifts = ensure_topics(s)
    assert {(d.topic, d.setting, d.wanted, d.actual) for d in drifts} == {
        (s.notes_topic, "partitions", "3", "2"), (s.notes_topic, "cleanup.policy", "compact", "delete")}
    assert any(s.notes_topic in r.getMessage() and "cleanup.policy is delete" in r.getMessage()
               and "not changed" in r.getMessage() for r in caplog.records)
    assert read_back(admin, s.notes_topic) == (2, 1, {"cleanup.policy": "delete", "min.insync.replicas": "1"})
    # the missing ones were created as the settings say
    assert read_back(admin, s.records_topic)[:2] == (3, 1)
