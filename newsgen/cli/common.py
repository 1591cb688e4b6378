"""Helpers shared by the CLI modules: settings, logging, input files, choices, reachability of Kafka and
Redis, and the error-to-exit-code mapping."""
from __future__ import annotations

import logging
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from newsgen.config import Settings, load_settings, mask_url
from newsgen.errors import ConfigError, NewsgenError

console = Console(stderr=True)

#: exit codes: 1 = anything else (for `check`: the text failed), 2 = usage/config (a missing file, a bad
#: option), 3 = bad input (unreadable, not UTF-8, not valid), 4 = model, 5 = Kafka unreachable,
#: 6 = Redis unreachable, 7 = RabbitMQ unreachable (broker=rabbitmq)
EXIT_CODES = {"config": 2, "model": 4, "kafka": 5, "redis": 6, "rabbitmq": 7}
EXIT_INPUT = 3
EXIT_KAFKA = EXIT_CODES["kafka"]
EXIT_REDIS = EXIT_CODES["redis"]
EXIT_RABBITMQ = EXIT_CODES["rabbitmq"]


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(name)s: %(message)s", datefmt="%H:%M:%S",
                        handlers=[RichHandler(console=console, show_path=False)], force=True)
    # kafka-python logs routine coordinator churn as warnings; pymorphy3 logs its dictionary load
    for noisy, quiet in (("kafka", logging.ERROR), ("pymorphy3", logging.WARNING), ("urllib3", logging.WARNING)):
        logging.getLogger(noisy).setLevel(quiet)


def settings_or_exit(**overrides) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        console.print(f"[red]config error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc


def fail(message: str, code: int) -> typer.Exit:
    """Print ``message`` (plain text, never markup) as one red line; return the Exit to raise."""
    console.print(f"[red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(code)


def read_input(path: str, what: str = "file") -> tuple[str, str]:
    """``(text, name)`` of a UTF-8 file, or of stdin for ``-``.

    A missing file is a usage error (exit 2); one that cannot be read or is not UTF-8 is bad input
    (exit 3), each reported in one line. Bytes, not read_text: no newline translation, so a lone ``\\r``
    stays inside its line as for ``produce``."""
    if path == "-":
        data, name = sys.stdin.buffer.read(), "<stdin>"
    else:
        file = Path(path)
        if not file.exists():
            console.print(f"[red]no such file:[/] {escape(path)}")
            raise typer.Exit(2)
        try:
            data, name = file.read_bytes(), str(file)
        except OSError as exc:
            raise fail(f"cannot read {what} {path}: {exc.strerror or exc}", EXIT_INPUT) from exc
    try:
        return data.decode("utf-8"), name
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise fail(f"{name} is not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} (line {line})",
                   EXIT_INPUT) from exc


def one_of(*allowed: str) -> Callable[[Optional[str]], Optional[str]]:
    """An option callback: the value must be one of ``allowed`` (else a usage error, exit 2)."""
    def validate(value: Optional[str]) -> Optional[str]:
        if value is not None and value not in allowed:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}")
        return value
    return validate


def require_kafka(settings: Settings) -> None:
    """Wait up to ``connect_timeout_s`` for a bootstrap server to accept a connection; else exit 5. With a
    security protocol other than PLAINTEXT the TLS and SASL handshakes must succeed within that time too, so
    an untrusted certificate or a wrong password is one line, exit 5, never a hang."""
    from newsgen.health import kafka_reachable

    deadline = time.monotonic() + settings.connect_timeout_s
    while True:
        left = deadline - time.monotonic()
        if kafka_reachable(settings.kafka_bootstrap, max(0.1, min(left, 3.0))):
            if settings.kafka.security_protocol != "PLAINTEXT":
                _require_kafka_handshake(settings, max(1.0, deadline - time.monotonic()))
            return
        if time.monotonic() >= deadline:
            raise fail(f"cannot reach Kafka at {settings.kafka_bootstrap} within {settings.connect_timeout_s:g}s "
                       "(NEWSGEN_KAFKA_BOOTSTRAP, NEWSGEN_CONNECT_TIMEOUT_S)", EXIT_KAFKA)
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))



def _require_kafka_handshake(settings: Settings, timeout_s: float) -> None:
    from workers.kafka_clients import connection_error

    error = connection_error(settings, timeout_s)
    if error:
        k = settings.kafka
        raise fail(f"cannot connect to Kafka at {settings.kafka_bootstrap} over {k.security_protocol}"
                   f"{f' ({k.sasl_mechanism} as {k.username})' if k.security_protocol.startswith('SASL_') else ''}"
                   f": {error} ({_kafka_hint(error)})", EXIT_KAFKA)


def _kafka_hint(error: str) -> str:
    if "SASL" in error:
        return "check NEWSGEN_KAFKA__USERNAME, NEWSGEN_KAFKA__PASSWORD, NEWSGEN_KAFKA__SASL_MECHANISM"
    if "SSL" in error or "certificate" in error:
        return "check NEWSGEN_KAFKA__CA_FILE, NEWSGEN_KAFKA__SECURITY_PROTOCOL, the broker's certificate"
    return "check NEWSGEN_KAFKA_BOOTSTRAP and the NEWSGEN_KAFKA__* settings"

def require_redis(settings: Settings) -> None:
    """Wait up to ``connect_timeout_s`` for Redis to answer PING; else exit 6."""
    import redis

    deadline = time.monotonic() + settings.connect_timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        left = max(0.1, min(deadline - time.monotonic(), 3.0))
        client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=left, socket_timeout=left)
        try:
            client.ping()
            return
        except redis.RedisError as exc:
            last = exc
        finally:
            client.close()
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
    raise fail(f"cannot reach Redis at {mask_url(settings.redis_url)} within {settings.connect_timeout_s:g}s"
               f"{f' ({last})' if last else ''} (NEWSGEN_REDIS_URL, NEWSGEN_CONNECT_TIMEOUT_S)", EXIT_REDIS)


def require_rabbitmq(settings: Settings) -> None:
    """With ``broker=rabbitmq``: wait up to ``connect_timeout_s`` for RabbitMQ to accept a login; else exit 7."""
    if settings.broker != "rabbitmq":
        return
    from kombu import Connection

    conn = Connection(settings.amqp_url, connect_timeout=min(settings.connect_timeout_s, 3.0))
    try:
        conn.ensure_connection(max_retries=1, timeout=settings.connect_timeout_s)
    except Exception as exc:  # noqa: BLE001 - any failure to connect or log in is the one line below
        raise fail(f"cannot reach RabbitMQ at {mask_url(settings.amqp_url)} within {settings.connect_timeout_s:g}s "
                   f"({exc}) (NEWSGEN_AMQP_URL, NEWSGEN_CONNECT_TIMEOUT_S)", EXIT_RABBITMQ) from None
    finally:
        conn.release()


@contextmanager
def kafka_to_exit(settings: Settings) -> Iterator[None]:
    """A Kafka failure after the reachability check (a broker that went away) is one line, exit 5."""
    from kafka.errors import KafkaError

    try:
        yield
    except KafkaError as exc:
        raise fail(f"Kafka at {settings.kafka_bootstrap}: {type(exc).__name__}: {exc}", EXIT_KAFKA) from exc


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """Print a :class:`NewsgenError` as one clear line and exit with its code."""
    try:
        yield
    except NewsgenError as exc:
        console.print(f"[red]error ({exc.reason}):[/] {escape(str(exc))}")
        code = 3 if exc.reason in ("decode", "schema", "unknown_type", "invalid_record", "seed") else \
            EXIT_CODES.get(exc.reason, 1)
        raise typer.Exit(code) from exc


def escape_help(app: typer.Typer) -> None:
    """Escape square brackets in every help text of ``app`` and its groups, once.

    Typer renders help with rich markup, which takes ``[default: settings]`` or ``[default: <state_dir>/...]``
    for a markup tag and drops it; escaped, the text shows as written."""
    import inspect

    from typer.models import ParameterInfo

    def fix(text: Optional[str]) -> Optional[str]:
        return text if not text or "[" not in text or "\\[" in text else escape(text)

    def walk(typer_app: typer.Typer) -> None:
        info = typer_app.info
        if isinstance(info.help, str):
            info.help = fix(info.help)
        for cmd in typer_app.registered_commands:
            if cmd.help:
                cmd.help = fix(cmd.help)
            elif cmd.callback is not None and cmd.callback.__doc__:
                cmd.callback.__doc__ = fix(cmd.callback.__doc__)
            if cmd.callback is None:
                continue
            for param in inspect.signature(cmd.callback).parameters.values():
                if isinstance(param.default, ParameterInfo):
                    param.default.help = fix(param.default.help)
        for group in typer_app.registered_groups:
            if group.typer_instance is not None:
                walk(group.typer_instance)

    walk(app)
