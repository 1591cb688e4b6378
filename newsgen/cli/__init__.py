"""The ``newsgen`` command line: the composition root.

The only core module allowed to reach ``workers/`` and ``producers/``, lazily, inside the commands that
need them. Each command group lives in its own module and registers itself here.
"""
from __future__ import annotations

import json
from typing import Optional

import typer

from newsgen.cli import desk, facts, model, pipeline, records, training
from newsgen.cli.common import console, escape_help, settings_or_exit

app = typer.Typer(help="newsgen: structured match and event records -> news notes (ruGPT-3, ONNX Runtime / "
                       "PyTorch, Kafka, Celery).", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
app.add_typer(model.app, name="model")
pipeline.register(app)
records.register(app)
facts.register(app)
desk.register(app)
training.register(app, model.app)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsgen")
    except PackageNotFoundError:  # a checkout that was never installed
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"newsgen {_version()}")
        raise typer.Exit(0)


@app.callback()
def main(version: Optional[bool] = typer.Option(None, "--version", callback=_print_version, is_eager=True,
                                                help="print the version and exit")) -> None:
    """newsgen: structured match and event records -> news notes."""
    from newsgen.config import unknown_env_warnings

    for warning in unknown_env_warnings():
        console.print(f"[yellow]warning:[/] {warning}", soft_wrap=True, markup=True, highlight=False)


@app.command("config")
def show_config() -> None:
    """Print the effective settings (defaults < NEWSGEN_CONFIG file < NEWSGEN_* env vars) as JSON."""
    typer.echo(json.dumps(settings_or_exit().public_dict(), ensure_ascii=False, indent=2))


escape_help(app)  # after every command is registered: rich markup would eat "[default: ...]"

__all__ = ["app"]
