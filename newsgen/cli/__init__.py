"""The ``newsgen`` command line: the composition root.

The only core module allowed to reach ``workers/`` and ``producers/``, lazily, inside the commands that
need them. Each command group lives in its own module and registers itself here.
"""
from __future__ import annotations

import json

import typer

from newsgen.cli import desk, facts, model, pipeline, records, training
from newsgen.cli.common import settings_or_exit

app = typer.Typer(help="newsgen: structured match and event records -> news notes (ruGPT-3, ONNX Runtime / "
                       "PyTorch, Kafka, Celery).", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
app.add_typer(model.app, name="model")
pipeline.register(app)
records.register(app)
facts.register(app)
desk.register(app)
training.register(app, model.app)


@app.command("config")
def show_config() -> None:
    """Print the effective settings (defaults < NEWSGEN_CONFIG file < NEWSGEN_* env vars) as JSON."""
    typer.echo(json.dumps(settings_or_exit().public_dict(), ensure_ascii=False, indent=2))


__all__ = ["app"]
