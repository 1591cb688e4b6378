"""Fact-check command: check a text against its record and show each mismatch in place.

    newsgen check producers/examples/football.jsonl --id rpl-2026-15-zen-spa "«Зенит» обыграл «Спартак» 2:1"
    newsgen check record.json @note.txt --task summary --language en
    newsgen check record.json @- --json < note.txt

Exit 0 when the text passes, 1 when it does not; 2 for a missing file or a bad option (an unknown
``--task`` or ``--language`` included), 3 for a record that is not valid or a file that cannot be read or
is not UTF-8.
"""
from __future__ import annotations

import json
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from newsgen.cli.common import console, errors_to_exit, one_of, read_input, settings_or_exit
from newsgen.routing import TASKS
from newsgen.seeds import LANGUAGES

out = Console(highlight=False)


def _read_file(path: str) -> str:
    """A UTF-8 file or stdin (``-``): missing is exit 2, unreadable or not UTF-8 exit 3, in one line."""
    return read_input(path)[0]


def _record(path: str, record_id: Optional[str]) -> dict[str, Any]:
    """The record with ``record_id`` (or the first one) of a .json object/array or a .jsonl file."""
    from newsgen.records import decode, iter_raw

    text = _read_file(path)
    with errors_to_exit():
        for _, raw in iter_raw(text, path):
            obj = decode(raw) if isinstance(raw, str) else raw
            if record_id is None or (isinstance(obj, dict) and obj.get("id") == record_id):
                return obj
    console.print(f"[red]no record {'with id ' + repr(record_id) + ' ' if record_id else ''}in {path}[/]")
    raise typer.Exit(3)


def _text(value: str) -> str:
    """The text itself, or the contents of ``@FILE`` (``@-``: stdin)."""
    return _read_file(value[1:]).strip() if value.startswith("@") else value


_one_of = one_of  # the shared option check (exit 2 on a value outside the choices)


def render_verdict(text: str, verdict) -> None:
    """Print the text with every mismatch's span highlighted, then the mismatch table (with the spans)."""
    shown = Text(text)
    for m in verdict.mismatches:
        if m.span:
            shown.stylize("bold red underline", m.span[0], m.span[1])
    out.print(shown)
    if verdict.mismatches:
        table = Table(show_lines=False)
        for col in ("#", "kind", "at", "found", "expected", "why"):
            table.add_column(col, overflow="fold")
        for i, m in enumerate(verdict.mismatches, start=1):
            at = f"{m.span[0]}-{m.span[1]}" if m.span else "-"
            table.add_row(str(i), m.kind, at, m.found or "-", m.expected, m.message)
        out.print(table)
    counts = ", ".join(f"{k} {v}" for k, v in verdict.checked.items()) or "nothing"
    colour = "green" if verdict.passed else "red"
    out.print(f"[{colour}]{verdict.summary()}[/] ({len(verdict.mismatches)} mismatch(es); checked: {counts})")


def check_command(
        record: str = typer.Argument(..., help="record file: a .json object or array, or .jsonl (pick with --id)"),
        text: str = typer.Argument(..., help="the text to check, or @FILE to read it from a file (@- for stdin)"),
        record_id: Optional[str] = typer.Option(None, "--id", help="record id in the file (default: the first)"),
        task: str = typer.Option("note", "--task", "-t", help="note, summary or rewrite",
                                 callback=_one_of(*TASKS)),
        language: Optional[str] = typer.Option(None, "--language", "-l", help="ru or en (default: settings)",
                                               callback=_one_of(*LANGUAGES)),
        as_json: bool = typer.Option(False, "--json", help="print the verdict as JSON instead")) -> None:
    """Check a text against its record: every score, minute, name, number, date and result it states
    must be true of the record. Exit 0 if it passes, 1 if not."""
    from newsgen.facts import check
    from newsgen.records import RecordValidator

    settings = settings_or_exit()
    obj = _record(record, record_id)
    with errors_to_exit():
        rec = RecordValidator(settings.schemas_dir).validate(obj)
    body = _text(text)
    verdict = check(rec.data, body, task=task, language=language or settings.language)
    if as_json:
        typer.echo(json.dumps(verdict.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        render_verdict(body, verdict)
    raise typer.Exit(0 if verdict.passed else 1)


def register(app: typer.Typer) -> None:
    """Add ``newsgen check`` to the root app."""
    app.command("check")(check_command)


__all__ = ["register", "check_command", "render_verdict"]
