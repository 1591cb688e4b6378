"""The one configuration object: ``NEWSGEN_*`` environment variables over an optional file.

Precedence (highest first): keyword arguments, environment (``NEWSGEN_KAFKA_BOOTSTRAP``, nested
fields with ``__``: ``NEWSGEN_SAMPLING__TEMPERATURE``), the file named by ``NEWSGEN_CONFIG``
(TOML or JSON), the defaults below. Unknown keys in the file or in keyword arguments are rejected.

    >>> Settings(records_topic="test.records").records_topic
    'test.records'
"""
from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from newsgen.errors import ConfigError

#: the repository root in a checkout (site-packages when installed from the wheel)
ROOT = Path(__file__).resolve().parent.parent


def package_data(name: str) -> Path:
    """``templates`` or ``schemas``: package data of ``newsgen`` found with :mod:`importlib.resources`. In a
    checkout ``newsgen/data/<name>`` links to the top-level directory (the same path comes back); installed
    from the wheel it is the copy the wheel carries."""
    from importlib.resources import files

    return Path(str(files("newsgen") / "data" / name)).resolve()


class SamplingSettings(BaseModel):
    """Default sampling parameters (the ru-gpts examples use top_k 5-50, top_p 0.9-0.95)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_new_tokens: int = Field(96, ge=1, le=2048, description="tokens generated at most per note")
    temperature: float = Field(0.8, ge=0.0, description="0 means greedy decoding")
    top_k: int = Field(40, ge=0, description="keep the k most likely tokens; 0 = off")
    top_p: float = Field(0.95, gt=0.0, le=1.0, description="nucleus sampling mass; 1 = off")
    repetition_penalty: float = Field(1.2, ge=1.0, description="CTRL-style penalty on generated tokens")
    no_repeat_ngram_size: int = Field(3, ge=0, description="ban repeating n-grams of generated text; 0 = off")
    seed: int = Field(0, description="base sampling seed; each note mixes in its idempotency key")
    retry_temperature_step: float = Field(0.3, ge=0.0, description="a retried candidate samples hotter (as "
                                          "Whisper's temperature fallback): candidate k uses temperature + k * step, "
                                          "at most 1.0 (or the temperature when it is higher); 0 = all alike")

    def request_fields(self) -> dict[str, Any]:
        """The fields one request's :class:`~newsgen.generation.base.SamplingParams` take (not the retry step)."""
        return self.model_dump(exclude={"retry_temperature_step"})


#: kafka-python client options ``kafka.options`` may pass through (those of KafkaProducer, KafkaConsumer or
#: KafkaAdminClient that take plain values); a unit test keeps the list in step with kafka-python
KAFKA_CLIENT_OPTIONS = frozenset({
    # every client
    "api_version", "bootstrap_timeout_ms", "client_dns_lookup", "client_id", "connections_max_idle_ms",
    "max_in_flight_requests_per_connection", "metadata_max_age_ms", "metrics_num_samples",
    "metrics_sample_window_ms", "proxy_url", "receive_buffer_bytes", "receive_message_max_bytes",
    "reconnect_backoff_max_ms", "reconnect_backoff_ms", "request_timeout_ms", "retry_backoff_ms",
    "send_buffer_bytes", "socks5_proxy", "ssl_crlfile", "ssl_ciphers", "allow_auto_create_topics",
    "metrics_enabled", "sasl_kerberos_domain_name", "sasl_kerberos_service_name",
    # producers
    "batch_size", "compression_type", "delivery_timeout_ms", "linger_ms", "max_block_ms", "max_request_size",
    "retries", "transaction_timeout_ms",
    # consumers
    "auto_commit_interval_ms", "check_crcs", "client_rack", "enable_incremental_fetch_sessions",
    "exclude_internal_topics", "fetch_max_bytes", "fetch_max_wait_ms", "fetch_min_bytes", "group_instance_id",
    "heartbeat_interval_ms", "isolation_level", "max_partition_fetch_bytes", "max_poll_interval_ms",
    "max_poll_records", "session_timeout_ms",
})
#: client options that have a setting of their own, or that newsgen sets for its delivery guarantees
KAFKA_RESERVED_OPTIONS = {
    "bootstrap_servers": "kafka_bootstrap", "security_protocol": "kafka.security_protocol",
    "sasl_mechanism": "kafka.sasl_mechanism", "sasl_plain_username": "kafka.username",
    "sasl_plain_password": "kafka.password", "ssl_cafile": "kafka.ca_file", "ssl_certfile": "kafka.cert_file",
    "ssl_keyfile": "kafka.key_file", "ssl_password": "kafka.key_password",
    "ssl_check_hostname": "kafka.check_hostname", "group_id": "consumer_group",
    "acks": None, "enable_idempotence": None, "enable_auto_commit": None, "auto_offset_reset": None,
    "transactional_id": None,
}


class KafkaSettings(BaseModel):
    """How every Kafka client connects: security protocol, SASL credentials, TLS files, extra client options.

    >>> KafkaSettings(options={"linger_ms": 5}).options
    {'linger_ms': 5}
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="how clients talk to the brokers; SASL_* need username and password")
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "SCRAM-SHA-512", description="SASL mechanism (used with SASL_PLAINTEXT and SASL_SSL)")
    username: str | None = Field(None, description="SASL user name")
    password: SecretStr | None = Field(None, description="SASL password (never printed or logged)")
    ca_file: Path | None = Field(None, description="PEM file of the CA(s) that signed the brokers' certificates "
                                 "(SSL, SASL_SSL); None = the system's trust store")
    cert_file: Path | None = Field(None, description="PEM client certificate, for brokers that ask for one")
    key_file: Path | None = Field(None, description="PEM private key of cert_file")
    key_password: SecretStr | None = Field(None, description="password of an encrypted key_file")
    check_hostname: bool = Field(True, description="the broker certificate must name the host connected to")
    options: dict[str, Any] = Field({}, description="extra kafka-python client options by name, e.g. "
                                    '{"request_timeout_ms": 60000, "linger_ms": 5}; each client takes those it '
                                    "knows")

    @field_validator("username", "password", "ca_file", "cert_file", "key_file", "key_password", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        """An empty value (a Secret or compose variable left blank) means "not set"."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("options")
    @classmethod
    def _known_options(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name, option in value.items():
            if name in KAFKA_RESERVED_OPTIONS:
                owner = KAFKA_RESERVED_OPTIONS[name]
                raise ValueError(f"kafka option {name!r} cannot be passed through: "
                                 + (f"use the setting {owner}" if owner else "newsgen sets it for its delivery "
                                    "guarantees"))
            if name not in KAFKA_CLIENT_OPTIONS:
                import difflib

                close = difflib.get_close_matches(name, sorted(KAFKA_CLIENT_OPTIONS), n=1)
                raise ValueError(f"unknown kafka client option {name!r}"
                                 + (f" (did you mean {close[0]!r}?)" if close else ""))
            if not isinstance(option, (str, int, float, bool, list)) and option is not None:
                raise ValueError(f"kafka option {name!r} must be a plain value, not {type(option).__name__}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "KafkaSettings":
        sasl = self.security_protocol.startswith("SASL_")
        tls = self.security_protocol.endswith("SSL")
        if sasl and not (self.username and self.password and self.password.get_secret_value()):
            raise ValueError(f"security_protocol {self.security_protocol} needs kafka.username and kafka.password")
        if not sasl and (self.username or (self.password and self.password.get_secret_value())):
            raise ValueError(f"kafka.username/password are set but security_protocol is {self.security_protocol} "
                             "(SASL_SSL or SASL_PLAINTEXT use them)")
        files = {"ca_file": self.ca_file, "cert_file": self.cert_file, "key_file": self.key_file}
        if not tls and any(files.values()):
            raise ValueError(f"kafka TLS files are set but security_protocol is {self.security_protocol} "
                             "(SSL or SASL_SSL use them)")
        if self.key_file is not None and self.cert_file is None:
            raise ValueError("kafka.key_file needs kafka.cert_file")
        for name, path in files.items():
            if path is not None and not path.is_file():
                raise ValueError(f"kafka.{name} {path} is not a readable file")
        return self


class Settings(BaseSettings):
    """Every setting of newsgen with its default. See the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="NEWSGEN_", env_nested_delimiter="__", extra="ignore",
                                      frozen=True)

    # Kafka
    kafka_bootstrap: str = "127.0.0.1:9092"
    records_topic: str = "newsgen.records"
    notes_topic: str = "newsgen.notes"
    dead_letter_topic: str = "newsgen.dead-letter"
    consumer_group: str = "newsgen-bridge"
    kafka: KafkaSettings = Field(KafkaSettings(), description="security protocol, SASL, TLS and extra options of "
                                 "every Kafka client (NEWSGEN_KAFKA__SECURITY_PROTOCOL, ...)")
    # Topics `ensure_topics` creates (an existing topic is never changed: differences are reported)
    topic_partitions: int = Field(3, ge=1, description="partitions of each topic newsgen creates (the most "
                                  "bridges, and KEDA replicas, that share the records)")
    topic_replication_factor: int | None = Field(None, ge=1, description="replicas of each partition; None = 3, "
                                                 "or the number of brokers when the cluster has fewer")
    topic_min_insync_replicas: int | None = Field(None, ge=1, description="min.insync.replicas of each topic "
                                                  "(acks=all writes need this many replicas); None = the "
                                                  "replication factor minus one, at least 1")
    notes_cleanup_policy: Literal["compact", "delete", "compact,delete"] = Field(
        "compact", description="cleanup.policy of the notes topic: compact keeps the latest revision of each "
        "note key (<record id>:<task>)")
    # Celery: the broker, Redis (results, idempotency keys, the match store; the broker too when broker=redis)
    broker: Literal["redis", "rabbitmq"] = Field("redis", description="Celery broker: redis (light: one service, "
                                                 "a dead worker's tasks return after visibility_timeout_s) or "
                                                 "rabbitmq (production: quorum queues, a dead worker's tasks return "
                                                 "at once, the broker dead-letters a task after max_attempts)")
    amqp_url: str = Field("amqp://guest:guest@127.0.0.1:5672//", description="RabbitMQ URL when broker=rabbitmq")
    broker_heartbeat_s: int = Field(30, ge=0, description="AMQP heartbeat: RabbitMQ drops (and requeues the tasks "
                                    "of) a worker it has not heard from for this long; 0 = off")
    redis_url: str = "redis://127.0.0.1:6379/0"
    celery_queue: str = "gpu"
    visibility_timeout_s: int = Field(3600, ge=1, description="Redis redelivers unacked tasks after this")
    max_attempts: int = Field(3, ge=1, description="deliveries of one task before it is dead-lettered")
    connect_timeout_s: float = Field(10.0, gt=0, description="how long a command waits for Kafka or Redis to "
                                     "answer before it gives up with one line (exit 5 for Kafka, 6 for Redis)")
    # Observability: /metrics and /healthz per process (0 = off)
    bridge_port: int = Field(9101, ge=0, le=65535, description="HTTP port of the bridge's /metrics and /healthz")
    worker_port: int = Field(9102, ge=0, le=65535, description="HTTP port of a worker's /metrics and /healthz")
    metrics_host: str = Field("127.0.0.1", description="address the bridge's and workers' /metrics and /healthz "
                              "listen on (the Docker images and Kubernetes pods set 0.0.0.0)")
    metrics_timeout_s: float = Field(10.0, gt=0, description="a /metrics or /healthz client that sends or reads "
                                     "nothing for this long is dropped")
    liveness_timeout_s: float = Field(120.0, gt=0, description="/livez of the bridge fails when its consume "
                                      "loop has not turned for this long (a hung process; Kubernetes restarts it)")
    trace_file: Path | None = Field(None, description="OpenTelemetry spans as JSON lines appended to this file "
                                    "(tracing is off unless this or OTEL_TRACES_EXPORTER=otlp|console is set)")
    cloudevents_source: str = Field("/newsgen", description="CloudEvents source (ce_source) of the messages newsgen "
                                    "writes; the process adds /bridge, /worker or /desk")
    # Model and generation
    model: str | None = Field(None, description="hub id or local directory; None = the offline tiny model")
    backend: Literal["auto", "onnx", "torch"] = "auto"
    device: Literal["cpu", "cuda"] = "cpu"
    onnx_dir: Path | None = Field(None, description="ONNX export (manifest.json, model.onnx, tokenizer); "
                                  "None = <model dir>/onnx when that exists")
    language: Literal["ru", "en"] = "ru"
    sampling: SamplingSettings = SamplingSettings()
    max_batch_size: int = Field(8, ge=1, le=256, description="requests per generate() call in a worker")
    batch_wait_ms: int = Field(50, ge=0, description="how long a batch waits to fill after its first request")
    worker_concurrency: int | None = Field(
        None, ge=1, le=1024, description="tasks a worker holds at once (Celery --concurrency; the prefetch is one "
        "per slot); None = 2 x max_batch_size for the threads pool, so a row that finishes is replaced at once by "
        "a task already in hand instead of waiting for the broker's next delivery, and max_batch_size for the "
        "prefork and solo pools")
    continuous_batching: bool = Field(True, description="requests join a worker's running batch at every decode "
                                      "step and leave it when done; off = static micro-batches")
    prompt_lookup_tokens: int = Field(4, ge=0, le=16, description="prompt-lookup speculative decoding: tokens "
                                      "drafted from the prompt and verified per decode step; 0 = off (same texts)")
    fact_check: bool = Field(True, description="publish only model texts whose facts match the record")
    grounding: Literal["strict", "numbers", "off"] = Field(
        "strict", description="record-grounded decoding: strict = numbers, quoted names and capitalised words "
        "only from the record; numbers = numbers only; off = unconstrained")
    candidates: int = Field(3, ge=1, le=16, description="texts generated per note at most before the template "
                            "fallback (best-of-N under the fact check)")
    # Editor desk (`newsgen desk`)
    approved_topic: str = Field("newsgen.approved", description="notes an editor approved on the desk")
    desk_host: str = Field("127.0.0.1", description="address the desk web app listens on")
    desk_port: int = Field(8088, ge=1, le=65535, description="port of the desk web app")
    desk_token: SecretStr | None = Field(None, description="bearer token for desk actions (approve, edit, "
                                         "regenerate, rewrite); None = every action is refused")
    desk_editors: SecretStr | None = Field(None, description="one bearer token per editor: a JSON object "
                                           "{token: name}, or the path of a JSON or TOML file holding that table; "
                                           "the name is what edited_by and approved_by say")
    desk_auth_header: str | None = Field(None, description="header an authenticating proxy sets to the editor's "
                                         "name (e.g. X-Forwarded-User); honoured only from desk_auth_proxies")
    desk_auth_proxies: list[str] = Field(["127.0.0.1", "::1"], description="client addresses whose "
                                         "desk_auth_header is trusted")
    desk_read_token_required: bool = Field(False, description="the page's data and live stream need the token too")
    desk_allowed_hosts: list[str] = Field(["localhost", "127.0.0.1", "::1"], description="Host header names the "
                                          "desk answers to (desk_host is added when it is one address); '*' = any")
    desk_max_body_bytes: int = Field(1_048_576, ge=1024, description="request bodies larger than this are "
                                     "refused (413) before they are read")
    desk_max_streams: int = Field(100, ge=1, description="live event streams (/api/events) open at once; more "
                                  "are refused with 503")
    desk_backlog: int = Field(500, ge=1, le=100_000, description="latest notes the desk loads from the topic on start")
    # Files
    templates_dir: Path = Field(default_factory=lambda: package_data("templates"),
                                description="seed and fallback templates (default: the package's)")
    schemas_dir: Path = Field(default_factory=lambda: package_data("schemas"),
                              description="JSON Schemas of the records (default: the package's)")
    state_dir: Path = Field(ROOT / ".ops", description="built models and other local state")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        return init_settings, env_settings, _FileSource(settings_cls)

    @field_validator("desk_editors", mode="before")
    @classmethod
    def _editors_table(cls, value: Any) -> Any:
        """A TOML/JSON table in the config file becomes the JSON text the setting holds."""
        return json.dumps(value) if isinstance(value, dict) else value

    def pool_concurrency(self, pool: str = "threads") -> int:
        """Tasks a worker with Celery pool ``pool`` holds at once: ``worker_concurrency``, else twice the batch
        for the threads pool (one model, its running batch plus as many waiting) and the batch for the others."""
        if self.worker_concurrency:
            return self.worker_concurrency
        return 2 * self.max_batch_size if pool == "threads" else self.max_batch_size

    def public_dict(self) -> dict[str, Any]:
        """The effective settings as JSON-able data (for provenance and ``newsgen config``): secrets are
        ``**********`` and ``redis_url`` and ``amqp_url`` have their passwords masked."""
        data = json.loads(self.model_dump_json())
        data["redis_url"] = mask_url(self.redis_url)
        data["amqp_url"] = mask_url(self.amqp_url)
        return data


def mask_url(url: str) -> str:
    """``url`` with the password (and a user without a password) replaced by ``***``, for output and logs.

    >>> mask_url("redis://:s3cret@redis:6379/0")
    'redis://:***@redis:6379/0'
    >>> mask_url("redis://127.0.0.1:6379/0")
    'redis://127.0.0.1:6379/0'
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, colon, _password = userinfo.partition(":")
    masked = f"{user}:***" if colon else "***"
    return urlunsplit(parts._replace(netloc=f"{masked}@{hostport}"))


class _FileSource(PydanticBaseSettingsSource):
    """Reads the TOML or JSON file named by ``NEWSGEN_CONFIG``; unknown keys are an error."""

    def get_field_value(self, field, field_name):  # pragma: no cover - __call__ does the work
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("NEWSGEN_CONFIG")
        if not path:
            return {}
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
            data = tomllib.loads(text) if file.suffix == ".toml" else json.loads(text)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read config file {file}: {exc}") from exc
        unknown = sorted(set(data) - set(Settings.model_fields))
        if unknown:
            raise ConfigError(f"unknown keys in {file}: {', '.join(unknown)}")
        return data


#: NEWSGEN_* variables that are not settings: the ops scripts', Docker's and the tests' own
NON_SETTING_ENV = frozenset({
    "NEWSGEN_CONFIG", "NEWSGEN_VENV", "NEWSGEN_PYTHON", "NEWSGEN_ROOT", "NEWSGEN_OPS_DIR", "NEWSGEN_CACHE",
    "NEWSGEN_KAFKA_PORT", "NEWSGEN_KAFKA_CONTROLLER_PORT", "NEWSGEN_KAFKA_HEAP", "NEWSGEN_REDIS_PORT",
    "NEWSGEN_KAFKA_SECURE_PORT", "NEWSGEN_KAFKA_SECURE_CONTROLLER_PORT", "NEWSGEN_KAFKA_SECURE_INTERNAL_PORT",
    "NEWSGEN_RABBITMQ_PORT", "NEWSGEN_RABBITMQ_NODENAME",
    "NEWSGEN_IMAGE", "NEWSGEN_GPU_IMAGE", "NEWSGEN_DEMO_MODEL", "NEWSGEN_UPDATE_GOLDEN", "NEWSGEN_DESK_SCREENSHOT",
})


def env_names() -> list[str]:
    """Every ``NEWSGEN_*`` variable a setting reads (nested ones as ``NEWSGEN_SAMPLING__TOP_K``)."""
    names = []
    for name, field in Settings.model_fields.items():
        names.append(f"NEWSGEN_{name.upper()}")
        nested = field.annotation
        if isinstance(nested, type) and issubclass(nested, BaseModel):
            names += [f"NEWSGEN_{name.upper()}__{sub.upper()}" for sub in nested.model_fields]
    return names


def unknown_env_warnings(environ: dict[str, str] | None = None) -> list[str]:
    """One warning per ``NEWSGEN_*`` variable that no setting reads, naming the closest setting.

    >>> unknown_env_warnings({"NEWSGEN_KAFKA_BOOTSTARP": "x"})
    ['NEWSGEN_KAFKA_BOOTSTARP is not a setting and is ignored (did you mean NEWSGEN_KAFKA_BOOTSTRAP?)']
    """
    import difflib

    environ = os.environ if environ is None else environ
    known = env_names()
    upper = {k.upper(): k for k in known}
    out = []
    for var in sorted(environ):
        name = var.upper()
        if not name.startswith("NEWSGEN_") or name in upper or name in NON_SETTING_ENV:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else " (see `newsgen config` for the settings)"
        out.append(f"{var} is not a setting and is ignored{hint}")
    return out


def load_settings(**overrides: Any) -> Settings:
    """Build :class:`Settings`, turning validation failures into a :class:`ConfigError`."""
    unknown = sorted(set(overrides) - set(Settings.model_fields))
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(unknown)}")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(f"invalid settings: {exc}") from exc
