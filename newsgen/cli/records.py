"""Record and seed commands: validate input files, print seeds, lint templates."""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the record commands to the root app."""
