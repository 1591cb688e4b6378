"""The one place Kafka clients are built: every producer, consumer and admin client of newsgen (bridge, worker,
producers, desk, topic helpers) comes from here, configured from ``Settings.kafka_bootstrap`` and
``Settings.kafka`` (security protocol, SASL, TLS files, extra client options)."""
from __future__ import annotations

import logging
import time
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from newsgen.config import Settings


def security_config(settings: Settings) -> dict[str, Any]:
    """kafka-python arguments for the bootstrap list, the security protocol, SASL and TLS (no secrets logged:
    callers never log this dict)."""
    k = settings.kafka
    conf: dict[str, Any] = {"bootstrap_servers": settings.kafka_bootstrap, "security_protocol": k.security_protocol}
    if k.security_protocol.startswith("SASL_"):
        conf.update(sasl_mechanism=k.sasl_mechanism, sasl_plain_username=k.username,
                    sasl_plain_password=k.password.get_secret_value() if k.password else None)
    if k.security_protocol.endswith("SSL"):
        conf.update(ssl_check_hostname=k.check_hostname,
                    ssl_cafile=str(k.ca_file) if k.ca_file else None,
                    ssl_certfile=str(k.cert_file) if k.cert_file else None,
                    ssl_keyfile=str(k.key_file) if k.key_file else None,
                    ssl_password=k.key_password.get_secret_value() if k.key_password else None)
    return conf


def client_config(settings: Settings, client: type, **defaults: Any) -> dict[str, Any]:
    """Arguments for ``client``: newsgen's ``defaults`` for this client, then the ``kafka.options`` this client
    type accepts (the settings have rejected unknown and reserved names), then security, which nothing
    overrides."""
    options = {name: tuple(v) if name == "api_version" and isinstance(v, list) else v
               for name, v in settings.kafka.options.items() if name in client.DEFAULT_CONFIG}
    return {**defaults, **options, **security_config(settings)}


def producer(settings: Settings, **defaults: Any) -> KafkaProducer:
    return KafkaProducer(**client_config(settings, KafkaProducer, **defaults))


def consumer(settings: Settings, *topics: str, **defaults: Any) -> KafkaConsumer:
    return KafkaConsumer(*topics, **client_config(settings, KafkaConsumer, **defaults))


def admin(settings: Settings, **defaults: Any) -> KafkaAdminClient:
    return KafkaAdminClient(**client_config(settings, KafkaAdminClient, **defaults))


class _LastFailure(logging.Handler):
    """Keeps the cause kafka-python logs when a bootstrap connection fails (it raises only NoBrokersAvailable)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.cause: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("Bootstrap connection to") and len(record.args or ()) >= 2:
            exc = record.args[1]
            self.cause = f"{type(exc).__name__}: {exc}" if isinstance(exc, BaseException) else str(exc)


def connection_error(settings: Settings, timeout_s: float) -> str | None:
    """Connect, handshake (TLS, SASL) and read the cluster's metadata within ``timeout_s``: None when that
    worked, else one line saying why not (an untrusted certificate, a wrong password, ...)."""
    handler = _LastFailure()
    net_log = logging.getLogger("kafka.net.manager")
    net_log.addHandler(handler)
    level, propagate = net_log.level, net_log.propagate
    net_log.setLevel(logging.WARNING)
    net_log.propagate = False  # the cause is reported once, by the caller
    start = time.monotonic()
    try:
        client = admin(settings, bootstrap_timeout_ms=int(timeout_s * 1000), request_timeout_ms=int(timeout_s * 1000))
    except KafkaError as exc:
        cause = " ".join((handler.cause or f"{type(exc).__name__}: {exc}").split())
        return f"{cause} (gave up after {time.monotonic() - start:.1f}s)"
    finally:
        net_log.removeHandler(handler)
        net_log.setLevel(level)
        net_log.propagate = propagate
    try:
        client.describe_cluster()
    except KafkaError as exc:
        return " ".join(f"{type(exc).__name__}: {exc}".split())
    finally:
        client.close()
    return None
