"""Shared fixtures: settings with private topics and queues, the tiny model, service checks."""
from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest

from newsgen.config import Settings, load_settings


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A freshly built offline tiny GPT-2 (tokenizer trained on the project's texts, random weights)."""
    from newsgen.generation.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture
def run_id() -> str:
    return uuid.uuid4().hex[:8]


#: the Celery brokers; a test runs on both with ``@pytest.mark.parametrize("broker", BROKERS, indirect=True)``
BROKERS = ("redis", "rabbitmq")


def amqp_url() -> str:
    """The local RabbitMQ of ``ops/rabbitmq.sh`` (guest may log in from 127.0.0.1)."""
    return f"amqp://guest:guest@127.0.0.1:{os.environ.get('NEWSGEN_RABBITMQ_PORT', '5672')}//"


@pytest.fixture
def broker(request) -> str:
    """The Celery broker of this test: ``redis`` unless the test is parametrized over :data:`BROKERS`."""
    return getattr(request, "param", "redis")


@pytest.fixture
def pipeline_env(run_id, tiny_model_dir, broker) -> dict[str, str]:
    """NEWSGEN_* variables giving one test its own topics, consumer group, Celery queue, broker and the tiny
    model. On RabbitMQ the test's quorum queues and exchanges are deleted afterwards."""
    env = {"NEWSGEN_RECORDS_TOPIC": f"test-{run_id}.records", "NEWSGEN_NOTES_TOPIC": f"test-{run_id}.notes",
           "NEWSGEN_DEAD_LETTER_TOPIC": f"test-{run_id}.dead-letter",
           "NEWSGEN_CONSUMER_GROUP": f"test-{run_id}", "NEWSGEN_CELERY_QUEUE": f"test-{run_id}",
           "NEWSGEN_MODEL": str(tiny_model_dir), "NEWSGEN_SAMPLING__MAX_NEW_TOKENS": "32",
           "NEWSGEN_BROKER": broker, "NEWSGEN_AMQP_URL": amqp_url()}
    yield env
    if broker == "rabbitmq":
        _delete_rabbitmq_queues(env["NEWSGEN_CELERY_QUEUE"])


def _delete_rabbitmq_queues(queue: str) -> None:
    from kombu import Connection

    from workers.broker import delete_topology

    try:
        with Connection(amqp_url(), connect_timeout=5) as conn:
            delete_topology(conn, queue)
    except Exception as exc:  # noqa: BLE001 - cleanup only; the test's result stands
        print(f"could not delete the RabbitMQ queues of {queue}: {exc}")


@pytest.fixture
def pipeline_settings(pipeline_env, monkeypatch) -> Settings:
    for k, v in pipeline_env.items():
        monkeypatch.setenv(k, v)
    return load_settings()


@pytest.fixture(scope="session")
def services() -> None:
    """Fail clearly when Kafka, Redis or RabbitMQ is not up (``bash ops/test.sh`` starts them)."""
    from newsgen.cli.stack import services_running

    if not services_running():
        pytest.fail("Kafka, Redis and RabbitMQ are not all running: use `bash ops/test.sh` or "
                    "`bash ops/services.sh start`")


def _wait_for(predicate: Callable[[], Any], timeout_s: float = 60.0, what: str = "condition",
              details: Callable[[], str] = lambda: "", interval_s: float = 0.2) -> Any:
    """Poll ``predicate`` until it returns something truthy (returned) or fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what} {details()}".rstrip())


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    """``wait_for(predicate, timeout_s, what, details=..., interval_s=...)``: poll until truthy, else fail."""
    return _wait_for


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by Selenium (one per test module); a skip without it, a failure in CI."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        message = "Debian packages chromium and chromium-driver are needed for the desk's browser tests"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000", "--lang=en-US"):
        options.add_argument(arg)
    b = webdriver.Chrome(service=Service(driver), options=options)
    try:
        yield b
    finally:
        b.quit()
