"""Delivery under faults, on the real Kafka broker, Redis, RabbitMQ and Celery worker processes.

Every record must yield exactly one note per idempotency key (or a dead letter with a reason), whatever
crashes: a SIGKILLed worker, a broker restart with tasks queued, a task that kills its worker every time, a
Kafka restart mid-stream, a flood of hostile input, and two bridges plus two workers sharing the partitions.
The tests about the Celery broker run on both brokers (``broker`` parametrized); the Kafka restart and the
hostile flood test the bridge and Kafka, so they run on Redis only.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import datetime

import pytest
from conftest import BROKERS

from newsgen.cli.stack import LocalStack
from newsgen.config import ROOT, load_settings
from newsgen.messages import DeadLetter
from newsgen.routing import RecordRouter
from producers.publish import EXAMPLES_DIR, RecordPublisher, read_lines
from workers.broker import queue_depth
from workers.celery_app import make_app
from workers.topics import ensure_topics, read_messages

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("services")]
on_both_brokers = pytest.mark.parametrize("broker", BROKERS, indirect=True)
#: RabbitMQ returns a SIGKILLed worker's tasks at once: the second worker publishes them within this
RABBITMQ_REDELIVERY_S = 30
RECEIVED = re.compile(r"\[(?P<at>[\d-]+ [\d:,]+): INFO/MainProcess\] Task newsgen\.generate_note\[(?P<key>[^\]]+)\] "
                      r"received")
MODEL_LOADED = re.compile(r"model .* loaded, backend")
SUCCEEDED = re.compile(r"Task newsgen\.generate_note\[(?P<key>[^\]]+)\] succeeded")

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


def log_text(path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def log_time(at: str) -> float:
    """A Celery log timestamp (local time, ``2026-12-02 00:38:44,143``) as seconds since the epoch."""
    return datetime.strptime(at, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def in_flight(path) -> set[str]:
    """Tasks a worker received and has not finished, from its log."""
    text = log_text(path)
    return {m["key"] for m in RECEIVED.finditer(text)} - {m["key"] for m in SUCCEEDED.finditer(text)}


@on_both_brokers
def test_sigkilled_worker_task_is_redelivered_and_published_once(broker, env, pipeline_settings, tmp_path,
                                                                 wait_for):
    """The whole worker is SIGKILLed mid-generation while a second worker runs. RabbitMQ returns its tasks
    when the connection drops: the second worker publishes them within RABBITMQ_REDELIVERY_S of the kill.
    Redis returns them only after ``visibility_timeout_s`` from their delivery (the documented behaviour)."""
    s = pipeline_settings
    # few records: after the kill the second worker writes its own share and the victim's, and the 30 s are
    # for the broker to hand the tasks over, not for generating many notes on a busy CI machine
    lines = [match(i) for i in range(2)]
    expected = expected_keys(s, lines)
    ensure_topics(s)
    logs = tmp_path / "logs"
    with LocalStack(env, logs, workers=0) as stack:
        # long notes for the victim, so that the kill lands in the middle of a generation
        stack.env = {**env, "NEWSGEN_SAMPLING__MAX_NEW_TOKENS": "300"}
        victim = stack.spawn("victim", ["worker", "--hostname", "victim@%h"])
        stack.env = env
        stack.spawn("rescuer", ["worker", "--hostname", "rescuer@%h"])
        for name in ("victim", "rescuer"):   # both consuming, models loaded (they load when the worker is ready)
            wait_for(lambda n=name: MODEL_LOADED.search(log_text(logs / f"{n}.log")), 180, f"{name}'s model")
        publish(s, lines)
        held = wait_for(lambda: in_flight(logs / "victim.log"), 90, "a task in flight in the victim")
        received_at = time.time()
        time.sleep(0.5)
        held = in_flight(logs / "victim.log") or held
        killed_at = time.time()
        os.killpg(victim.pid, signal.SIGKILL)           # the whole worker, mid-generation
        victim.wait(10)
        stack.procs.pop("victim")
        counts = note_counts(s, expected, 180, logs)
        rescued = log_text(logs / "rescuer.log")
    assert set(counts) == expected
    assert max(counts.values()) == 1, f"duplicates: {[k for k, n in counts.items() if n > 1]}"
    published_at = {m.value["key"]: m.timestamp_ms / 1000 for m in read_messages(s, s.notes_topic, timeout_s=3)}
    assert all(f"note {key} published" in rescued for key in held), "the second worker published the held tasks"
    after_kill = max(published_at[key] for key in held) - killed_at
    first = min(published_at[key] for key in held) - killed_at
    handed = {m["key"]: m["at"] for m in RECEIVED.finditer(rescued) if m["key"] in held}
    handed_s = max(log_time(at) for at in handed.values()) - killed_at
    print(f"{broker}: {len(held)} tasks held by the killed worker, received by the second worker {handed_s:.1f}s "
          f"and published {first:.1f}s to {after_kill:.1f}s after the kill")
    if broker == "rabbitmq":
        assert after_kill <= RABBITMQ_REDELIVERY_S, f"published {after_kill:.1f}s after the kill"
    else:
        after_delivery = min(published_at[key] for key in held) - received_at
        assert after_delivery >= s.visibility_timeout_s - 1, "Redis returns them after the visibility timeout"


def depth_or_none(app, settings) -> int | None:
    try:
        return queue_depth(app, settings)
    except Exception:  # noqa: BLE001 - the broker is still starting
        return None


@on_both_brokers
def test_broker_restart_keeps_queued_tasks(broker, env, pipeline_settings, tmp_path, wait_for):
    """Tasks queued when the broker restarts survive it: Redis's append-only file, RabbitMQ's quorum queue
    (publisher confirms: the bridge counted them as sent only once the broker had them)."""
    s = pipeline_settings
    lines = [match(i) for i in range(5)]
    expected = expected_keys(s, lines)
    ensure_topics(s)
    app = make_app(s)
    with LocalStack(env, tmp_path / "logs", workers=0) as stack:
        publish(s, lines)
        wait_for(lambda: depth_or_none(app, s) == len(expected), 60, "tasks queued")
        time.sleep(1.5)                                  # Redis: appendfsync everysec
        script = "rabbitmq.sh" if broker == "rabbitmq" else "redis.sh"
        ops(script, "stop")
        ops(script, "start")
        app = make_app(s)
        wait_for(lambda: depth_or_none(app, s) == len(expected), 30, "the queued tasks after the restart",
                 details=lambda: f"(queue depth {depth_or_none(app, s)})")
        stack.spawn("worker", ["worker"])
        counts = note_counts(s, expected, 120, tmp_path / "logs")
    assert set(counts) == expected and max(counts.values()) == 1


#: loaded by every Python process of the poisoned workers (PYTHONPATH): a worker that writes a note of the
#: record "poison" SIGKILLs itself, after the task counted its delivery, in the middle of the work
POISON_HOOK = """
import os, signal
from celery.signals import worker_init

@worker_init.connect
def _poison(**_kwargs):
    import newsgen.notes as notes
    write = notes.NoteWriter.write

    def deadly(self, tasks, *args, **kwargs):
        if any(t.record_id == "poison" for t in tasks):
            os.kill(os.getpid(), signal.SIGKILL)
        return write(self, tasks, *args, **kwargs)

    notes.NoteWriter.write = deadly
"""


@on_both_brokers
def test_task_that_kills_its_worker_every_time_is_dead_lettered_after_max_attempts(broker, env, tmp_path,
                                                                                  monkeypatch, wait_for):
    """Each task of a poison record kills the worker that runs it. After ``max_attempts`` deliveries it
    goes to the dead-letter topic with reason ``max_attempts``: on RabbitMQ the broker dead-letters it
    (x-delivery-limit) and the bridge forwards it; on Redis the worker's delivery counter does."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(POISON_HOOK)
    env = {**env, "NEWSGEN_MAX_ATTEMPTS": "2"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    s = load_settings()
    raw = match(0, id="poison")
    keys = expected_keys(s, [raw])
    ensure_topics(s)
    logs = tmp_path / "logs"
    deaths: list[int] = []
    letters: list[DeadLetter] = []
    with LocalStack(env, logs, workers=0) as stack:
        stack.env = {**env, "PYTHONPATH": f"{hook}{os.pathsep}{ROOT}"}
        publish(s, [raw])

        def dead_lettered() -> bool:
            """Restart the worker whenever it died (as Kubernetes would); done when every task is a letter."""
            name = f"worker-{len(deaths)}"
            proc = stack.procs.get(name)
            if proc is None:
                stack.spawn(name, ["worker", "--concurrency", "1", "--hostname", f"{name}@%h"])
            elif proc.poll() is not None:
                deaths.append(stack.procs.pop(name).returncode)
            letters[:] = [DeadLetter.model_validate(m.value) for m in read_messages(s, s.dead_letter_topic,
                                                                                    timeout_s=1)]
            return len(letters) >= len(keys)

        wait_for(dead_lettered, 300, "every poison task dead-lettered", interval_s=0.5,
                 details=lambda: f"deaths {deaths}, letters {[dl.key for dl in letters]}\n{tails(logs)}")
        time.sleep(3)                                    # no further letter or death comes
        last = stack.procs.get(f"worker-{len(deaths)}")
        if last is not None and last.poll() is not None:
            deaths.append(last.returncode)
        letters = [DeadLetter.model_validate(m.value) for m in read_messages(s, s.dead_letter_topic, timeout_s=2)]
    assert sorted(dl.key for dl in letters) == sorted(keys), tails(logs)
    assert all(dl.reason == "max_attempts" and dl.stage == "generate" for dl in letters)
    assert all(json.loads(dl.original())["key"] == dl.key for dl in letters)
    if broker == "rabbitmq":
        assert all("RabbitMQ dead-lettered" in dl.error for dl in letters), "the broker's delivery limit"
    # every delivery but the last (Redis: the one that finds the counter over the limit) killed its worker
    assert deaths == [-signal.SIGKILL] * (s.max_attempts * len(keys)), f"worker exits {deaths}\n{tails(logs)}"


def test_kafka_restart_during_a_stream_loses_nothing(env, pipeline_settings, tmp_path, wait_for):
    """Kafka stops and starts while records stream in. The bridge's poll raises during the restart
    (kafka-python lets a failed metadata refresh out of the coordinator lookup): it must retry, not exit.
    The restart comes once the bridge consumes and the worker's model is loaded: a bridge or worker that
    starts while Kafka is down exits at once (``require_kafka``), which is not what this test is about."""
    s = pipeline_settings
    lines = [match(i) for i in range(30)]
    expected = expected_keys(s, lines)
    ensure_topics(s)
    logs = tmp_path / "logs"
    with LocalStack(env, logs) as stack:
        wait_for(lambda: re.search(r"assigned partitions: \[\d", log_text(logs / "bridge-0.log")), 120,
                 "the bridge's partitions", details=lambda: tails(logs))
        wait_for(lambda: MODEL_LOADED.search(log_text(logs / "worker-0.log")), 180, "the worker's model",
                 details=lambda: tails(logs))
        publisher = RecordPublisher(s)
        futures = []

        def stream():
            for raw in lines:
                futures.append(publisher.producer.send(s.records_topic, key=json.loads(raw)["id"].encode(),
                                                       value=raw))
                time.sleep(0.2)
            publisher.producer.flush(timeout=120)

        sender = threading.Thread(target=stream)
        sender.start()
        time.sleep(2)
        ops("kafka.sh", "stop")
        time.sleep(2)
        ops("kafka.sh", "start")
        sender.join(180)
        # every record reached Kafka: a note missing below is the pipeline's loss, not the test producer's
        assert not sender.is_alive() and len(futures) == len(lines), "the stream was sent"
        unsent = [i for i, f in enumerate(futures) if not (f.is_done and f.succeeded())]
        assert not unsent, f"records {unsent} not acked by Kafka: {futures[unsent[0]].exception!r}"
        publisher.close()
        counts = note_counts(s, expected, 240, logs)
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


@on_both_brokers
def test_two_bridges_and_two_workers_share_the_work_once(broker, env, pipeline_settings, tmp_path):
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
