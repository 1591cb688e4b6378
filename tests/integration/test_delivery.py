"""Delivery under faults, on the real Kafka broker, Redis and Celery worker processes.

Every record must yield exactly one note per idempotency key (or a dead letter with a reason), whatever
crashes: a SIGKILLed worker, a Redis restart with tasks queued, a Kafka restart mid-stream, a flood of
hostile input, and two bridges plus two workers sharing the partitions.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter

import pytest
import redis

from newsgen.cli.stack import LocalStack
from newsgen.config import ROOT, load_settings
from newsgen.messages import DeadLetter
from newsgen.routing import RecordRouter
from producers.publish import EXAMPLES_DIR, RecordPublisher, read_lines
from workers.topics import ensure_topics, read_messages

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("services")]

TEMPLATE = json.loads(next(read_lines(EXAMPLES_DIR / "football.jsonl")))


def match(i: int, **changes) -> bytes:
    """A valid finished football record with its own id."""
    return json.dumps({**TEMPLATE, "id": f"m{i:05d}", **changes}, ensure_ascii=False).encode()


def expected_keys(settings, lines) -> set[str]:
    router = RecordRouter(settings)
    return {t.key for raw in lines for t in router.route(raw).tasks}


def publish(settings, lines) -> None:
    publisher = RecordPublisher(settings)
    try:
        publisher.publish(lines)
    finally:
        publisher.close()


def note_counts(settings, expected: set[str], timeout_s: float, logs=None) -> Counter:
    """Read the notes topic until every expected key arrived (or time is up), then count keys seen."""
    deadline = time.monotonic() + timeout_s
    seen: set[str] = set()
    while not expected <= seen and time.monotonic() < deadline:
        seen = {m.value["key"] for m in read_messages(settings, settings.notes_topic, timeout_s=2)}
        time.sleep(1)
    counts = Counter(m.value["key"] for m in read_messages(settings, settings.notes_topic, timeout_s=3))
    missing = expected - set(counts)
    assert not missing, f"no note for {sorted(missing)[:5]} ...\n{tails(logs) if logs else ''}"
    return counts


def tails(log_dir) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}" for p in sorted(log_dir.glob("*.log")))


def ops(script: str, action: str) -> None:
    subprocess.run(["bash", str(ROOT / "ops" / script), action], check=True)


@pytest.fixture
def env(pipeline_env):
    # short visibility timeout so a task of a vanished worker is redelivered within the test; a Redis
    # database of its own, since a client with a short timeout restores other clients' unacked tasks too
    return {**pipeline_env, "NEWSGEN_VISIBILITY_TIMEOUT_S": "8", "NEWSGEN_SAMPLING__MAX_NEW_TOKENS": "16",
            "NEWSGEN_REDIS_URL": "redis://127.0.0.1:6379/12"}


@pytest.fixture
def pipeline_settings(env, monkeypatch):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return load_settings()


def test_sigkilled_worker_task_is_redelivered_and_published_once(env, pipeline_settings, tmp_path, wait_for):
    s = pipeline_settings
    lines = [match(i) for i in range(6)]
    expected = expected_keys(s, lines)
    ensure_topics(s)
    logs = tmp_path / "logs"
    with LocalStack(env, logs, workers=0) as stack:
        # long notes for the victim, so that the kill lands in the middle of a generation
        stack.env = {**env, "NEWSGEN_SAMPLING__MAX_NEW_TOKENS": "300"}
        victim = stack.spawn("victim", ["worker"])
        stack.env = env
        publish(s, lines)
        wait_for(lambda: "received" in (logs / "victim.log").read_text(errors="replace"), 90, "a task in flight")
        time.sleep(0.5)
        os.killpg(victim.pid, signal.SIGKILL)           # the whole worker, mid-generation
        victim.wait(10)
        stack.procs.pop("victim")
        stack.spawn("rescuer", ["worker"])
        counts = note_counts(s, expected, 180, logs)
    assert set(counts) == expected
    assert max(counts.values()) == 1, f"duplicates: {[k for k, n in counts.items() if n > 1]}"


def test_redis_restart_keeps_queued_tasks(env, pipeline_settings, tmp_path, wait_for):
    s = pipeline_settings
    lines = [match(i) for i in range(5)]
    expected = expected_keys(s, lines)
    ensure_topics(s)
    r = redis.Redis.from_url(s.redis_url)
    with LocalStack(env, tmp_path / "logs", workers=0) as stack:
        publish(s, lines)
        wait_for(lambda: r.llen(s.celery_queue) == len(expected), 60, "tasks queued")
        time.sleep(1.5)                                  # appendfsync everysec
        ops("redis.sh", "stop")
        ops("redis.sh", "start")
        r = redis.Redis.from_url(s.redis_url)
        assert r.llen(s.celery_queue) == len(expected), "queued tasks survive the restart (AOF)"
        stack.spawn("worker", ["worker"])
        counts = note_counts(s, expected, 120, tmp_path / "logs")
    assert set(counts) == expected and max(counts.values()) == 1


def test_kafka_restart_during_a_stream_loses_nothing(env, pipeline_settings, tmp_path):
    s = pipeline_settings
    lines = [match(i) for i in range(30)]
    expected = expected_keys(s, lines)
    ensure_topics(s)
    with LocalStack(env, tmp_path / "logs") as stack:
        publisher = RecordPublisher(s)

        def stream():
            for raw in lines:
                publisher.producer.send(s.records_topic, key=json.loads(raw)["id"].encode(), value=raw)
                time.sleep(0.2)
            publisher.producer.flush(timeout=120)

        sender = threading.Thread(target=stream)
        sender.start()
        time.sleep(2)
        ops("kafka.sh", "stop")
        time.sleep(2)
        ops("kafka.sh", "start")
        sender.join(180)
        publisher.close()
        counts = note_counts(s, expected, 240, tmp_path / "logs")
        assert all(p.poll() is None for p in stack.procs.values()), "bridge and worker survived"
    assert set(counts) == expected and max(counts.values()) == 1


def hostile_records(n: int) -> list[tuple[bytes, str]]:
    """``n`` bad inputs of many kinds with the dead-letter reason each must get."""
    kinds = [
        (b"{not json", "decode"),
        (b"\xff\xfe\xfd invalid utf-8", "decode"),
        (b"", "decode"),
        (b"null", "schema"),
        (b'"just a string"', "schema"),
        (match(0, score={"home": "two", "away": 1}), "schema"),
        (json.dumps({"type": "football_match", "id": "x"}).encode(), "schema"),
        (json.dumps({"type": "chess_game", "id": "x"}).encode(), "unknown_type"),
        (match(0, id="{{ 7*7 }}"), "schema"),                      # ids are restricted
        (match(0, home={"name": "\x00" * 100}), "schema"),
        (match(0, attendance=-5), "schema"),
    ]
    return [kinds[i % len(kinds)] for i in range(n)]


def test_flood_of_hostile_records_is_dead_lettered_and_good_ones_get_notes(env, pipeline_settings, tmp_path):
    s = pipeline_settings
    bad = hostile_records(10_000 - 3)
    huge = b'{"type": "football_match", "id": "huge", "pad": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    bad += [(huge, "schema")] * 3
    good = [match(i, home={"name": "{{ 7*7 }} <script>alert(1)</script>"}) for i in range(10)]
    good += [match(100 + i) for i in range(10)]
    stream = []
    for i, item in enumerate(bad):
        stream.append(item[0])
        if i % 500 == 0 and good:
            stream.append(good.pop())
    stream += good
    good_lines = [raw for raw in stream if raw.startswith(b'{"type": "football_match", "id": "m')]
    expected = expected_keys(s, good_lines)
    ensure_topics(s)
    with LocalStack(env, tmp_path / "logs") as stack:
        publish(s, stream)
        counts = note_counts(s, expected, 300, tmp_path / "logs")
        letters = [DeadLetter.model_validate(m.value)
                   for m in read_messages(s, s.dead_letter_topic, count=len(bad), timeout_s=60)]
        assert all(p.poll() is None for p in stack.procs.values()), "no process died"
    assert set(counts) == expected and max(counts.values()) == 1
    assert len(letters) == len(bad)
    assert Counter(dl.reason for dl in letters) == Counter(reason for _, reason in bad)
    assert all(dl.error and dl.source.topic == s.records_topic for dl in letters)
    huge_letters = [dl for dl in letters if dl.original_size == len(huge)]
    assert len(huge_letters) == 3 and all(dl.truncated and len(dl.original()) == 64 * 1024 for dl in huge_letters)


def test_two_bridges_and_two_workers_share_the_work_once(env, pipeline_settings, tmp_path):
    s = pipeline_settings
    lines = [match(i) for i in range(24)]
    expected = expected_keys(s, lines)
    ensure_topics(s)
    logs = tmp_path / "logs"
    with LocalStack(env, logs, workers=2, bridges=2):
        time.sleep(8)                                    # let both bridges join the group
        publish(s, lines)
        counts = note_counts(s, expected, 240, logs)
    assert set(counts) == expected and max(counts.values()) == 1
    for name in ("bridge-0", "bridge-1"):
        assigned = [ln for ln in (logs / f"{name}.log").read_text().splitlines() if "assigned partitions: [" in ln]
        assert assigned and not assigned[-1].rstrip().endswith("[]"), f"{name} got partitions"
    for name in ("worker-0", "worker-1"):
        assert "published to" in (logs / f"{name}.log").read_text(), f"{name} wrote notes"
