"""The bridge on a real Kafka broker and a real Redis-backed Celery app (no worker needed here)."""
import json
import threading

import pytest
import redis
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from newsgen.messages import DeadLetter
from producers.publish import EXAMPLES_DIR, RecordPublisher, read_lines
from workers.bridge import Bridge
from workers.celery_app import make_app
from workers.topics import ensure_topics, read_topic

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("services")]


def test_bridge_dispatches_valid_records_dead_letters_bad_ones_and_commits(pipeline_settings, wait_for):
    s = pipeline_settings
    ensure_topics(s)
    good = list(read_lines(EXAMPLES_DIR / "football.jsonl"))[:4]
    bad = [b"{broken json", b'{"type": "football_match", "id": "no-fields"}', b"\xff\xfe"]
    lines = [good[0], bad[0], good[1], bad[1], bad[2], good[2], good[3]]
    publisher = RecordPublisher(s)
    publisher.publish(lines)
    publisher.close()

    bridge = Bridge(s, make_app(s))
    thread = threading.Thread(target=bridge.run, daemon=True)
    thread.start()
    r = redis.Redis.from_url(s.redis_url)
    try:
        # Celery's Redis transport keeps a queue as a Redis list named after it
        wait_for(lambda: bridge.counts["records"] == len(lines) and r.llen(s.celery_queue) >= len(good),
                 what="all records handled", details=lambda: f"{bridge.counts}, queue {r.llen(s.celery_queue)}")
    finally:
        bridge.stop()
        thread.join(30)
    assert not thread.is_alive()
    assert bridge.counts == {"records": 7, "tasks": r.llen(s.celery_queue), "dead_letters": 3}

    queued = [json.loads(m) for m in r.lrange(s.celery_queue, 0, -1)]
    task_ids = {m["headers"]["id"] for m in queued}
    assert {f"{json.loads(g)['id']}:note:0" for g in good} <= task_ids

    letters = [DeadLetter.model_validate(v) for _, v in read_topic(s, s.dead_letter_topic, count=3, timeout_s=20)]
    assert sorted(dl.original() for dl in letters) == sorted(bad)
    assert {dl.reason for dl in letters} == {"decode", "schema"}
    assert all(dl.source.topic == s.records_topic and dl.error for dl in letters)

    # offsets committed up to the end of every partition: a restart re-reads nothing
    consumer = KafkaConsumer(bootstrap_servers=s.kafka_bootstrap, group_id=s.consumer_group,
                             enable_auto_commit=False)
    try:
        parts = [TopicPartition(s.records_topic, p) for p in consumer.partitions_for_topic(s.records_topic)]
        ends = consumer.end_offsets(parts)
        assert {tp: consumer.committed(tp) or 0 for tp in parts} == ends
    finally:
        consumer.close()
    r.delete(s.celery_queue)
    admin = KafkaAdminClient(bootstrap_servers=s.kafka_bootstrap)
    admin.delete_topics([s.records_topic, s.notes_topic, s.dead_letter_topic])
    admin.close()


def test_records_of_one_match_share_a_partition(pipeline_settings):
    s = pipeline_settings
    ensure_topics(s)
    line = next(read_lines(EXAMPLES_DIR / "football.jsonl"))
    revisions = [line.replace(b'"revision": 0', f'"revision": {i}'.encode()) for i in range(5)]
    publisher = RecordPublisher(s)
    publisher.publish(revisions)
    publisher.close()
    consumer = KafkaConsumer(s.records_topic, bootstrap_servers=s.kafka_bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=10000)
    got = [(m.partition, json.loads(m.value)["revision"], dict(m.headers)["schema"]) for m in consumer]
    consumer.close()
    assert len({p for p, _, _ in got}) == 1, "one match id must map to one partition"
    assert [rev for _, rev, _ in got] == [0, 1, 2, 3, 4], "order within the match is kept"
    assert {h for _, _, h in got} == {b"football_match/1"}
