"""``newsgen desk``: the editor desk web app (also ``python -m newsgen.cli.desk``)."""
from __future__ import annotations

from typing import Optional

import typer

from newsgen.cli.common import console, settings_or_exit, setup_logging


def desk(host: Optional[str] = typer.Option(None, help="listen address [default: settings.desk_host]"),
         port: Optional[int] = typer.Option(None, help="port [default: settings.desk_port]"),
         log_level: str = typer.Option("INFO", help="DEBUG, INFO, WARNING")) -> None:
    """Serve the editor desk: notes live from the notes topic with their record's facts; approve, edit,
    regenerate or rewrite them. Actions need NEWSGEN_DESK_TOKEN as a bearer token."""
    setup_logging(log_level)
    import uvicorn
    from kafka.errors import KafkaError

    from newsgen.desk.app import create_app
    from workers.desk_bus import KafkaDeskBus

    settings = settings_or_exit()
    host = host or settings.desk_host
    port = port or settings.desk_port
    try:
        bus = KafkaDeskBus(settings)
        bus.ensure_topics()
    except KafkaError as exc:
        console.print(f"[red]cannot reach Kafka at {settings.kafka_bootstrap}:[/] {exc}")
        raise typer.Exit(1) from exc
    if not settings.desk_token:
        console.print("[yellow]no desk token configured (NEWSGEN_DESK_TOKEN): the desk is read-only[/]")
    console.print(f"desk on http://{host}:{port}/ following {settings.notes_topic}")
    config = uvicorn.Config(create_app(settings, bus), host=host, port=port, log_config=None,
                            log_level=log_level.lower(), access_log=log_level.upper() == "DEBUG",
                            timeout_graceful_shutdown=3)
    uvicorn.Server(config).run()


def register(app: typer.Typer) -> None:
    """Add ``desk`` to the root app."""
    app.command("desk")(desk)


if __name__ == "__main__":
    typer.run(desk)
