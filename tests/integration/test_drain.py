"""Graceful drain on the real services: SIGTERM a worker while it runs a task (what Kubernetes does on a
rollout, a KEDA scale-down or a node drain). Celery's warm shutdown must finish the tasks in hand, publish
their notes, ack them and exit 0; the tasks it had not taken stay in the queue (Redis or RabbitMQ, the test
runs on both) for a fresh worker. Nothing is lost, nothing is generated twice, every note key is on the notes
topic exactly once.
"""
import collections
import json
import re
import socket
import time
import urllib.request

import pytest
import redis
from conftest import BROKERS
from kafka import KafkaAdminClient

from newsgen.cli.stack import LocalStack
from newsgen.config import load_settings
from newsgen.routing import RecordRouter
from producers.publish import EXAMPLES_DIR, RecordPublisher, read_lines
from workers.broker import queue_depth
from workers.celery_app import make_app
from workers.topics import ensure_topics, read_topic

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("services")]

RECORDS = 8
#: a Redis database of this test's own. Kombu keeps the unacked tasks of every queue of a database in one
#: index, and any worker of that database requeues entries older than *its* visibility timeout: a test
#: running beside this one with a short timeout would requeue our in-flight tasks and fake duplicates.
REDIS_DB = 13
RECEIVED = re.compile(r"Task newsgen\.generate_note\[(?P<key>[^\]]+)\] received")
SUCCEEDED = re.compile(r"Task newsgen\.generate_note\[(?P<key>[^\]]+)\] succeeded")
SKIPPED = re.compile(r"note (?P<key>\S+) already published, skipping")
WARM_SHUTDOWN = "Warm shutdown"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keys(pattern: re.Pattern, text: str) -> list[str]:
    return [m["key"] for m in pattern.finditer(text)]


def log_tails(log_dir) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-6000:]}" for p in sorted(log_dir.glob("*.log")))


def http_get(port: int, path: str) -> tuple[int, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        return response.status, response.read().decode()


@pytest.fixture
def drain_env(pipeline_env, monkeypatch) -> dict[str, str]:
    """The test's private topics, queue and Redis database, longer notes, a worker that holds half of the
    tasks, and its own health ports.

    The visibility timeout stays at its default (an hour): a task the draining worker left unacked would
    not come back within this test, so it shows up as a lost note instead of being papered over.
    """
    base = load_settings().redis_url
    # the draining worker holds half of the tasks (8 of 16), so the rest wait in the queue for the fresh one
    env = {**pipeline_env, "NEWSGEN_SAMPLING__MAX_NEW_TOKENS": "64", "NEWSGEN_WORKER_CONCURRENCY": str(RECORDS),
           "NEWSGEN_REDIS_URL": re.sub(r"/\d*$", "", base) + f"/{REDIS_DB}",
           "NEWSGEN_WORKER_PORT": str(free_port()), "NEWSGEN_BRIDGE_PORT": str(free_port())}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.mark.parametrize("broker", BROKERS, indirect=True)
def test_sigterm_drains_the_tasks_in_hand_and_loses_nothing(broker, drain_env, tmp_path, wait_for):
    s = load_settings()
    app = make_app(s)
    lines = list(read_lines(EXAMPLES_DIR / "football.jsonl"))[:RECORDS]
    router = RecordRouter(s)
    expected = {t.key for raw in lines for t in router.route(raw).tasks}
    assert len(expected) >= RECORDS
    r = redis.Redis.from_url(s.redis_url)
    logs = tmp_path / "logs"
    first_log = logs / "worker-0.log"

    def in_flight() -> set[str]:
        """Tasks the first worker received and has not finished: a "received" line without "succeeded"."""
        text = first_log.read_text(errors="replace") if first_log.exists() else ""
        return set(keys(RECEIVED, text)) - set(keys(SUCCEEDED, text))

    ensure_topics(s)
    publisher = RecordPublisher(s)
    publisher.publish(lines)
    publisher.close()
    try:
        with LocalStack(drain_env, logs, manage_services=False) as stack:
            running = wait_for(in_flight, 180, "the first worker to start a task", interval_s=0.01)
            signalled = time.monotonic()
            rc = stack.stop("worker-0")                  # SIGTERM, as the kubelet sends it
            drain_s = time.monotonic() - signalled
            first = first_log.read_text(errors="replace")
            assert rc == 0, f"the draining worker exited {rc}:\n{first[-4000:]}"
            done_first = keys(SUCCEEDED, first)
            # the tasks in hand when the signal came were finished, published and acked by this worker
            assert running <= set(done_first), first[-4000:]
            assert set(keys(SUCCEEDED, first[first.index(WARM_SHUTDOWN):])) & running, \
                f"no task finished after the warm shutdown began:\n{first[-4000:]}"
            # nothing is left unacked for Redis to redeliver later (RabbitMQ would have returned it to the queue
            # when the worker's connection closed: counted below); the rest waits in the queue
            if broker == "redis":
                unacked = [json.loads(v) for v in r.hvals("unacked")]
                assert not [u for u in unacked if u[2] == s.celery_queue], "the draining worker left unacked tasks"
            assert len(done_first) < len(expected), "the draining worker took every task: nothing tests the queue"
            assert queue_depth(app, s) == len(expected) - len(done_first)

            stack.spawn("worker-1", ["worker", "--hostname", "worker1@%h"])
            got = {v["key"] for _, v in read_topic(s, s.notes_topic, count=len(expected), timeout_s=120)}
            assert got == expected, (f"missing: {sorted(expected - got)}; still queued: "
                                     f"{queue_depth(app, s)}\n{log_tails(logs)}")
            # the endpoints the Docker health checks and the Kubernetes probes use
            for port, metric in ((s.worker_port, "newsgen_notes_published_total"),
                                 (s.bridge_port, "newsgen_records_consumed_total")):
                assert http_get(port, "/healthz")[0] == 200
                status, body = http_get(port, "/metrics")
                assert status == 200 and metric in body
        # every process stopped (warm shutdowns): whatever is on the topic now is final
        every = [v["key"] for _, v in read_topic(s, s.notes_topic, timeout_s=5)]
        second = (logs / "worker-1.log").read_text(errors="replace")
    finally:
        r.delete(s.celery_queue, f"_kombu.binding.{s.celery_queue}", *[f"celery-task-meta-{k}" for k in expected])
        for key in r.scan_iter(f"newsgen:*:{s.notes_topic}:*"):
            r.delete(key)
        admin = KafkaAdminClient(bootstrap_servers=s.kafka_bootstrap)
        admin.delete_topics([s.records_topic, s.notes_topic, s.dead_letter_topic])
        admin.close()

    duplicates = {k: n for k, n in collections.Counter(every).items() if n > 1}
    assert not duplicates and set(every) == expected, f"duplicates {duplicates}, missing {expected - set(every)}"
    # the fresh worker ran exactly what the first left in the queue: no redelivery, no skip
    assert sorted(keys(SUCCEEDED, second)) == sorted(expected - set(done_first)), log_tails(logs)
    assert not keys(SKIPPED, first + second)
    print(f"SIGTERM to exit {drain_s:.1f}s with {sorted(running)} in hand; the draining worker wrote "
          f"{len(done_first)} notes, the fresh one {len(expected) - len(done_first)}")
