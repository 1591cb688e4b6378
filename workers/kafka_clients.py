"""The one place Kafka clients are built: every producer, consumer and admin client of newsgen (bridge, worker,
producers, desk, topic helpers) comes from here, configured from ``Settings.kafka_bootstrap`` and
``Settings.kafka`` (security protocol, SASL, TLS files, extra client options)."""
from __future__ import annotations

import logging
import re
import time
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import BrokerResponseError, KafkaError

from newsgen.config import Settings

#: client options holding secrets
SECRET_OPTIONS = ("sasl_plain_password", "ssl_password")


class _MaskSecrets(logging.Filter):
    """kafka-python's admin client logs its whole configuration at DEBUG: mask the secrets in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        def mask(arg: Any) -> Any:
            if isinstance(arg, dict) and any(k in arg for k in SECRET_OPTIONS):
                return {k: "**********" if k in SECRET_OPTIONS and v else v for k, v in arg.items()}
            return arg

        if isinstance(record.args, dict):
            record.args = mask(record.args)
        elif isinstance(record.args, tuple):
            record.args = tuple(mask(a) for a in record.args)
        return True


logging.getLogger("kafka.admin.client").addFilter(_MaskSecrets())


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


def describe(exc: BaseException) -> str:
    """``Name: message`` of a kafka-python error in one line, without the repeats its messages carry.

    >>> describe(KafkaError("KafkaError: [Error 1] KafkaError: boom"))
    'KafkaError: boom'
    """
    name = type(exc).__name__
    text = re.sub(rf"^(?:(?:\[Error -?\d+\] )?{name}: )+", "", " ".join(str(exc).split()))
    return f"{name}: {text}" if text else name


class _Causes(logging.Handler):
    """Keeps the cause kafka-python logs when a bootstrap connection fails (it raises only NoBrokersAvailable).

    A broker that refuses the SASL credentials answers and closes the connection at once; kafka-python often
    sees the close before the answer and logs only "socket disconnected", so a close while a
    SaslAuthenticate request waits for its answer is reported as the refusal it is."""

    def __init__(self, mechanism: str) -> None:
        super().__init__(logging.DEBUG)
        self.mechanism = mechanism
        self.cause: str | None = None
        self.final = False
        self._authenticating = False

    def emit(self, record: logging.LogRecord) -> None:
        msg, args = str(record.msg), record.args or ()
        if record.name == "kafka.net.connection" and len(args) == 3 and " Request " in msg:
            self._authenticating = type(args[2]).__name__.startswith("SaslAuthenticate")
        elif record.name == "kafka.net.connection" and len(args) == 4 and ": Response " in msg:
            self._authenticating = False
        elif msg.startswith("Bootstrap connection to") and len(args) >= 2 and not self.final:
            exc = args[1]
            text = describe(exc) if isinstance(exc, BaseException) else " ".join(str(exc).split())
            if self._authenticating and "disconnected" in text:
                text = (f"the broker closed the connection during SASL {self.mechanism} authentication "
                        "(wrong username or password?)")
                self.final = True
            # a broker's answer (wrong password, unknown mechanism) or a failed TLS handshake will not change
            self.final = self.final or isinstance(exc, BrokerResponseError) or "Handshake failed" in text
            self.cause, self._authenticating = text, False


def connection_error(settings: Settings, timeout_s: float) -> str | None:
    """Connect, handshake (TLS, SASL) and read the cluster's metadata within ``timeout_s``: None when that
    worked, else one line saying why not (an untrusted certificate, a wrong password, ...). kafka-python's own
    log lines are held back meanwhile, so the caller's line is the only one."""
    causes = _Causes(settings.kafka.sasl_mechanism)
    kafka_log = logging.getLogger("kafka")
    saved = kafka_log.level, kafka_log.propagate
    kafka_log.addHandler(causes)
    kafka_log.setLevel(logging.DEBUG)
    kafka_log.propagate = False
    start = time.monotonic()
    deadline = start + timeout_s
    try:
        while True:
            attempt_ms = int(max(0.2, min(2.0, deadline - time.monotonic())) * 1000)
            try:
                client = admin(settings, bootstrap_timeout_ms=attempt_ms, request_timeout_ms=int(timeout_s * 1000))
            except KafkaError as exc:
                if causes.final or time.monotonic() >= deadline:
                    cause = causes.cause or describe(exc)
                    return f"{cause} (gave up after {time.monotonic() - start:.1f}s)"
                continue
            try:
                client.describe_cluster()
                return None
            except KafkaError as exc:
                return describe(exc)
            finally:
                client.close()
    finally:
        kafka_log.removeHandler(causes)
        kafka_log.setLevel(saved[0])
        kafka_log.propagate = saved[1]
