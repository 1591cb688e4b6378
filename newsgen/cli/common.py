"""Helpers shared by the CLI modules: settings, logging, error-to-exit-code mapping."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

import typer
from rich.console import Console
from rich.logging import RichHandler

from newsgen.config import Settings, load_settings
from newsgen.errors import ConfigError, NewsgenError

console = Console(stderr=True)

#: exit codes: 2 = usage/config, 3 = bad input, 4 = model, 1 = anything else
EXIT_CODES = {"config": 2, "model": 4}


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
        console.print(f"[red]config error:[/] {exc}")
        raise typer.Exit(2) from exc


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """Print a :class:`NewsgenError` as one clear line and exit with its code."""
    try:
        yield
    except NewsgenError as exc:
        console.print(f"[red]error ({exc.reason}):[/] {exc}")
        code = 3 if exc.reason in ("decode", "schema", "unknown_type", "invalid_record", "seed") else \
            EXIT_CODES.get(exc.reason, 1)
        raise typer.Exit(code) from exc
