"""Kafka over SASL_SSL on a real broker: the second local broker of ``ops/kafka.sh start --secure`` (SCRAM-SHA-512
over TLS, a throwaway CA). The whole pipeline runs over it; a wrong password or an untrusted certificate is
one line and exit 5 within a bounded time."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsgen.cli.stack import LocalStack
from newsgen.config import ROOT, load_settings
from newsgen.messages import NoteMessage
from newsgen.routing import RecordRouter
from producers.publish import EXAMPLES_DIR, RecordPublisher, read_lines
from workers import kafka_clients
from workers.topics import ensure_topics, read_topic

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("services")]

KAFKA_SH = ROOT / "ops" / "kafka.sh"
#: how long a refused connection may take to exit, at NEWSGEN_CONNECT_TIMEOUT_S=5 (process start included)
BOUND_S = 30


def read_env_file(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


@pytest.fixture(scope="session")
def secure_kafka() -> dict[str, str]:
    """The secure broker's client settings (NEWSGEN_* variables); started through the ops script when it is
    not running, and then stopped after the session. The plain broker is never touched."""
    started = False
    if subprocess.run(["bash", str(KAFKA_SH), "status", "--secure"], capture_output=True).returncode != 0:
        subprocess.run(["bash", str(KAFKA_SH), "start", "--secure"], check=True, timeout=240)
        started = True
    ops_dir = Path(os.environ.get("NEWSGEN_OPS_DIR", ROOT / ".ops"))
    env = read_env_file(ops_dir / "kafka-secure" / "client.env")
    env["NEWSGEN_CERTS_DIR"] = str(ops_dir / "kafka-secure" / "certs")  # for the tests only, not passed on
    try:
        yield env
    finally:
        if started:
            subprocess.run(["bash", str(KAFKA_SH), "stop", "--secure"], check=False, timeout=120)


@pytest.fixture
def secure_env(secure_kafka, pipeline_env) -> dict[str, str]:
    return {**pipeline_env, **{k: v for k, v in secure_kafka.items() if k != "NEWSGEN_CERTS_DIR"}}


@pytest.fixture
def secure_settings(secure_env, monkeypatch):
    for k, v in secure_env.items():
        monkeypatch.setenv(k, v)
    return load_settings()


def run_cli(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "newsgen", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "NEWSGEN_CONNECT_TIMEOUT_S": "5", **env}, timeout=120)
    return proc, time.monotonic() - start


@pytest.mark.e2e
@pytest.mark.slow
def test_pipeline_runs_over_sasl_ssl(secure_env, secure_settings, tmp_path):
    s = secure_settings
    assert s.kafka.security_protocol == "SASL_SSL" and s.kafka_bootstrap.endswith(":9094")
    admin = kafka_clients.admin(s)  # the factory, over SASL_SSL
    try:
        assert admin.describe_cluster()["brokers"]
    finally:
        admin.close()
    lines = list(read_lines(EXAMPLES_DIR / "football.jsonl"))[:2]
    router = RecordRouter(s)
    keys = sorted(t.key for raw in lines for t in router.route(raw).tasks)

    ensure_topics(s)
    with LocalStack(secure_env, tmp_path / "logs", manage_services=False):
        publisher = RecordPublisher(s)
        publisher.publish(lines)
        publisher.close()
        notes = [NoteMessage.model_validate(v) for _, v in read_topic(s, s.notes_topic, count=len(keys), timeout_s=120)]
    logs = "\n".join(p.read_text(errors="replace") for p in sorted((tmp_path / "logs").glob("*.log")))
    assert sorted(n.key for n in notes) == keys, logs[-6000:]
    assert all(n.provenance.source.topic == s.records_topic for n in notes)
    password = s.kafka.password.get_secret_value()
    assert password not in logs, "the SASL password is never logged"
    assert all(password not in n.model_dump_json() for n in notes)


def test_wrong_password_is_one_line_and_exit_5(secure_env):
    env = {**secure_env, "NEWSGEN_KAFKA__PASSWORD": "not-the-password"}
    for args in (["produce", str(EXAMPLES_DIR / "hockey.jsonl")], ["bridge"]):
        proc, took = run_cli(env, *args)
        assert proc.returncode == 5, (args, proc.stdout, proc.stderr)
        assert took < BOUND_S, (args, took)
        [line] = proc.stderr.strip().splitlines()
        assert line.startswith("error: cannot connect to Kafka at 127.0.0.1:9094 over SASL_SSL"), line
        # the broker's refusal, or (when kafka-python sees the close first) the close during authentication
        cause = line.split("): ", 1)[1]
        assert "SCRAM-SHA-512" in cause and "authentication" in cause, line
        assert "NEWSGEN_KAFKA__PASSWORD" in line, line
        assert "not-the-password" not in proc.stderr + proc.stdout


def test_untrusted_certificate_is_one_line_and_exit_5(secure_kafka, secure_env):
    # a CA that did not sign the broker's certificate
    env = {**secure_env, "NEWSGEN_KAFKA__CA_FILE": str(Path(secure_kafka["NEWSGEN_CERTS_DIR"]) / "other-ca.crt")}
    for args in (["consume", "--count", "1", "--timeout", "1"], ["produce", str(EXAMPLES_DIR / "hockey.jsonl")]):
        proc, took = run_cli(env, *args)
        assert proc.returncode == 5, (args, proc.stdout, proc.stderr)
        assert took < BOUND_S, (args, took)
        [line] = proc.stderr.strip().splitlines()
        assert line.startswith("error: cannot connect to Kafka at 127.0.0.1:9094 over SASL_SSL"), line
        assert "CERTIFICATE_VERIFY_FAILED" in line and "NEWSGEN_KAFKA__CA_FILE" in line, line


def test_client_certificate_and_plain_checks_pass(secure_kafka, secure_settings):
    """The client certificate the CA signed is accepted (the broker asks for one); the check says None."""
    certs = Path(secure_kafka["NEWSGEN_CERTS_DIR"])
    s = load_settings(kafka={**secure_settings.kafka.model_dump(), "password": secure_settings.kafka.password,
                             "cert_file": certs / "client.crt", "key_file": certs / "client.key",
                             "options": {"client_id": "newsgen-security-test", "request_timeout_ms": 20000}})
    assert kafka_clients.connection_error(s, 10) is None
    producer = kafka_clients.producer(s, acks="all")
    try:
        meta = producer.send(secure_settings.records_topic, b"{}").get(timeout=30)
        assert meta.offset >= 0
    finally:
        producer.close(timeout=10)
