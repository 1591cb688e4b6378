"""``newsgen desk``: the editor desk web app (also ``python -m newsgen.cli.desk``)."""
from __future__ import annotations

import logging
from typing import Optional

import typer

from newsgen.cli.common import (EXIT_KAFKA, console, errors_to_exit, fail, require_kafka, settings_or_exit,
                                setup_logging)

log = logging.getLogger("newsgen.desk")


def desk(host: Optional[str] = typer.Option(None, help="listen address [default: settings.desk_host]"),
         port: Optional[int] = typer.Option(None, help="port [default: settings.desk_port]"),
         log_level: str = typer.Option("INFO", help="DEBUG, INFO, WARNING")) -> None:
    """Serve the editor desk: notes live from the notes topic with their record's facts; approve, edit,
    regenerate or rewrite them. Actions need an editor's bearer token (NEWSGEN_DESK_EDITORS, or
    NEWSGEN_DESK_TOKEN acting as "editor")."""
    setup_logging(log_level)
    import uvicorn
    from kafka.errors import KafkaError

    from newsgen.desk import guard
    from newsgen.desk.app import create_app
    from workers.desk_bus import KafkaDeskBus

    settings = settings_or_exit()
    host = host or settings.desk_host
    port = port or settings.desk_port
    settings = settings.model_copy(update={"desk_host": host, "desk_port": port})  # the Host check knows --host
    with errors_to_exit():
        guard.Editors(settings)  # a bad desk_editors table: exit 2 before Kafka is touched
    for warning in guard.exposure_warnings(settings, host):
        log.warning("%s", warning)
    require_kafka(settings)  # exit 5 in one line after connect_timeout_s
    try:
        bus = KafkaDeskBus(settings)
        bus.ensure_topics()
    except KafkaError as exc:
        raise fail(f"cannot reach Kafka at {settings.kafka_bootstrap}: {exc}", EXIT_KAFKA) from exc
    if not guard.Editors(settings).enabled:
        console.print("[yellow]no editor configured (NEWSGEN_DESK_EDITORS, NEWSGEN_DESK_TOKEN or "
                      "NEWSGEN_DESK_AUTH_HEADER): the desk is read-only[/]")
    console.print(f"desk on http://{host}:{port}/ following {settings.notes_topic}")
    config = uvicorn.Config(create_app(settings, bus), host=host, port=port, log_config=None,
                            log_level=log_level.lower(), access_log=log_level.upper() == "DEBUG",
                            timeout_graceful_shutdown=3,
                            # the peer address is the one desk_auth_proxies is checked against: uvicorn must
                            # not replace it with an X-Forwarded-For a client sent
                            proxy_headers=False)
    uvicorn.Server(config).run()


def register(app: typer.Typer) -> None:
    """Add ``desk`` to the root app."""
    app.command("desk")(desk)


if __name__ == "__main__":
    typer.run(desk)
