"""``newsgen model ...``: build, export and try models."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from newsgen.cli.common import console, errors_to_exit, settings_or_exit

app = typer.Typer(help="Build, export and try GPT-2-architecture models (ruGPT-3 or the offline tiny model).",
                  no_args_is_help=True)


@app.command("tiny")
def tiny(out: Optional[Path] = typer.Argument(None, help="output directory [default: <state_dir>/models/tiny]"),
         force: bool = typer.Option(False, help="rebuild even if the directory holds a model")) -> None:
    """Build the small offline GPT-2 (own tokenizer, 2 layers, random seeded weights) for tests and the demo."""
    from newsgen.generation import default_model_dir
    from newsgen.generation.tiny import build_tiny_model

    out = out or default_model_dir(settings_or_exit())
    if (out / "config.json").is_file() and not force:
        console.print(f"model already at {out} (use --force to rebuild)")
        return
    with errors_to_exit(), console.status(f"training tokenizer and writing tiny GPT-2 to {out}"):
        build_tiny_model(out)
    console.print(f"[green]tiny model written to[/] {out}")
