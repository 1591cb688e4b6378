"""Issue 14, item 5: liveness apart from readiness, the lag gauge cleared on revoke, task events for Flower."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from kafka import TopicPartition
from prometheus_client import REGISTRY
from redis.exceptions import ConnectionError as RedisConnectionError

from newsgen import metrics
from newsgen.config import load_settings
from newsgen.health import serve


def get(server, path: str) -> tuple[int, dict]:
    url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_livez_answers_while_readiness_fails():
    server = serve(0, lambda: (False, {"redis": False}), live=lambda: (True, {"pid": 1}))
    try:
        assert get(server, "/livez") == (200, {"ok": True, "pid": 1})
        assert get(server, "/readyz") == (503, {"ok": False, "redis": False})
        assert get(server, "/healthz") == (503, {"ok": False, "redis": False})
    finally:
        server.shutdown()


def test_livez_defaults_to_the_process_answering_and_a_raising_check_is_unready():
    def boom():
        raise RuntimeError("redis away")

    server = serve(0, boom)
    try:
        status, body = get(server, "/livez")
        assert status == 200 and body["ok"] is True and "pid" in body
        assert get(server, "/readyz") == (503, {"ok": False, "error": "redis away"})
    finally:
        server.shutdown()


class _Redis:
    def __init__(self, up: bool):
        self.up = up

    def ping(self):
        if not self.up:
            raise RedisConnectionError("Error 111 connecting")
        return True


class _Kafka:
    """Stands in for ``kafka_reachable`` (a TCP connect to the bootstrap servers)."""

    def __init__(self):
        self.up = True

    def __call__(self, bootstrap: str, timeout_s: float = 2.0) -> bool:
        return self.up


@pytest.fixture
def kafka(monkeypatch):
    fake = _Kafka()
    monkeypatch.setattr("workers.bridge.kafka_reachable", fake)
    monkeypatch.setattr("workers.runtime.kafka_reachable", fake)
    return fake


@pytest.fixture
def bridge(kafka):
    from workers.bridge import Bridge

    return Bridge(load_settings(redis_url="redis://127.0.0.1:1/0", liveness_timeout_s=5), celery_app=None)


def test_bridge_readiness_needs_kafka_and_redis_liveness_only_the_loop(bridge, kafka):
    assert bridge.ready()[0] is False  # not consuming yet
    bridge.consumer, bridge._health_redis = object(), _Redis(True)
    assert bridge.ready()[0] is True
    bridge._health_redis = _Redis(False)
    ok, details = bridge.ready()
    assert ok is False and details["redis"] is False and "Error 111" in details["redis_error"]
    assert bridge.live()[0] is True  # a Redis outage is no reason to restart the bridge
    bridge._health_redis, kafka.up = _Redis(True), False
    assert bridge.ready()[0] is False and bridge.ready()[1]["kafka"] is False
    assert bridge.live()[0] is True
    kafka.up = True
    bridge._failing = "dispatch x: OperationalError"
    assert bridge.ready() == (False, {**bridge.ready()[1], "retrying": "dispatch x: OperationalError"})
    bridge._beat = time.monotonic() - 6
    ok, details = bridge.live()
    assert ok is False and details["loop_idle_s"] >= 6


def test_a_retry_loop_keeps_the_bridge_alive_and_unready(bridge):
    calls = []

    def flaky():
        calls.append(bridge.ready()[1].get("retrying"))
        if len(calls) < 2:
            raise TimeoutError("redis")
        return "done"

    bridge.consumer, bridge._health_redis = object(), _Redis(True)
    bridge._beat = time.monotonic() - 100
    assert bridge.retrying("route", flaky) == "done"
    assert calls == [None, "route: TimeoutError"]
    assert bridge.live()[0] is True and bridge.ready()[0] is True


def _lag(partition: str):
    return REGISTRY.get_sample_value("newsgen_consumer_lag", {"partition": partition})


def test_the_lag_gauge_of_revoked_partitions_is_cleared(bridge):
    from workers.bridge import _CommitOnRevoke

    metrics.CONSUMER_LAG.labels("41").set(7)
    metrics.CONSUMER_LAG.labels("42").set(3)
    _CommitOnRevoke(bridge).on_partitions_revoked([TopicPartition("t", 41), TopicPartition("t", 43)])
    assert _lag("41") is None          # no stale lag for a partition another bridge owns now
    assert _lag("42") == 3             # partitions kept are untouched
    metrics.CONSUMER_LAG.remove("42")


def test_celery_sends_task_events_for_flower():
    from workers.celery_app import make_app

    conf = make_app(load_settings()).conf
    assert conf.worker_send_task_events is True and conf.task_send_sent_event is True


def test_worker_readiness_needs_the_model_redis_and_kafka(kafka):
    from workers.runtime import WorkerRuntime

    rt = object.__new__(WorkerRuntime)
    rt.settings, rt._writer, rt._health_redis = load_settings(), None, _Redis(True)
    assert rt.ready() == (False, {"model": "loading", "redis": True, "kafka": True})
    rt._writer = object()
    assert rt.ready()[0] is True
    rt._health_redis = _Redis(False)
    assert rt.ready()[0] is False
    rt._health_redis, kafka.up = _Redis(True), False
    assert rt.ready()[0] is False and rt.ready()[1]["kafka"] is False


def test_kafka_reachable_is_a_bounded_tcp_check():
    import socket

    from newsgen.health import bootstrap_hosts, kafka_reachable

    assert bootstrap_hosts("SASL_SSL://a:9093, [::1]:9092,b") == [("a", 9093), ("::1", 9092), ("b", 9092)]
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        assert kafka_reachable(f"127.0.0.1:1,127.0.0.1:{server.getsockname()[1]}", timeout_s=1)
    started = time.monotonic()
    assert not kafka_reachable("127.0.0.1:1", timeout_s=1)
    assert time.monotonic() - started < 2
