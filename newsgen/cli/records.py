"""Record and seed commands: validate input files, print seeds and template-only notes, lint templates,
write the message schemas.

    newsgen validate producers/examples/football.jsonl
    newsgen seed producers/examples/football.jsonl --id rpl-2026-15-zen-spa --task note
    newsgen seed record.json --task summary --language en --fallback
    newsgen templates lint
    newsgen schemas write
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer
from rich.table import Table

from newsgen.cli.common import console, errors_to_exit, one_of, read_input, settings_or_exit
from newsgen.config import ROOT
from newsgen.routing import TASKS
from newsgen.seeds import LANGUAGES

templates_app = typer.Typer(help="Seed templates: lint them against every example record.", no_args_is_help=True)
schemas_app = typer.Typer(help="JSON Schemas of the messages newsgen writes (generated from newsgen.messages).",
                          no_args_is_help=True)

#: example records the lint and the demo use (the CLI is the one core module that may reach producers/)
EXAMPLES_DIR = ROOT / "producers" / "examples"


def _read(path: str) -> tuple[str, str]:
    """``(text, name)`` of a file or of stdin for ``-`` (missing: exit 2; unreadable or not UTF-8: exit 3)."""
    return read_input(path)


def _emit(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def validate(file: str = typer.Argument(..., help="JSON Lines file, a .json object or array, or - for stdin"),
             quiet: bool = typer.Option(False, "--quiet", "-q", help="print the summary only"),
             as_json: bool = typer.Option(False, "--json", help="print the report as JSON on stdout")) -> None:
    """Validate every record of a file; list the bad ones with JSON path and rule. Exit 3 if any is bad."""
    from newsgen.records import RecordValidator, validate_file

    settings = settings_or_exit()
    text, name = _read(file)
    with errors_to_exit():
        report = validate_file(RecordValidator(settings.schemas_dir), name, text)
    if as_json:
        _emit({"file": name, "ok": report.ok, "valid": len(report.valid), "invalid": len(report.invalid),
               "by_type": {t: {"valid": g, "invalid": b} for t, (g, b) in report.by_type().items()},
               "errors": [{"line": i.line, "id": i.id, "type": i.type,
                           "path": getattr(i.error, "path", "$") or "$",
                           "rule": getattr(i.error, "rule", "") or i.error.reason,
                           "reason": i.error.reason, "error": str(i.error)} for i in report.invalid]})
        raise typer.Exit(0 if report.ok else 3)
    if report.invalid and not quiet:
        table = Table(title="invalid records")
        for col in ("line", "id", "type", "path", "rule", "error"):
            table.add_column(col, overflow="fold")
        for item in report.invalid:
            err = item.error
            path, rule = getattr(err, "path", "$") or "$", getattr(err, "rule", "") or err.reason
            message = str(err).removeprefix(f"{path}: ").removesuffix(f" ({rule})")
            table.add_row(str(item.line), item.id or "-", item.type or "-", path, rule, message)
        console.print(table)
    colour = "red" if report.invalid else "green"
    console.print(f"{name}: [{colour}]{len(report.valid)} valid, {len(report.invalid)} invalid[/]")
    summary = Table()
    for col in ("type", "valid", "invalid"):
        summary.add_column(col)
    for record_type, (good, bad) in report.by_type().items():
        summary.add_row(record_type, str(good), f"[red]{bad}[/]" if bad else "0")
    console.print(summary)
    if not report.items:
        console.print("[yellow]no records found[/]")
    raise typer.Exit(0 if report.ok else 3)


def _pick(text: str, name: str, record_id: Optional[str]) -> Any:
    from newsgen.records import decode, iter_raw

    with errors_to_exit():
        items = [(line, decode(raw) if isinstance(raw, str) else raw) for line, raw in iter_raw(text, name)]
    for line, obj in items:
        if record_id is None or (isinstance(obj, dict) and obj.get("id") == record_id):
            return obj
    console.print(f"[red]no record {'with id ' + repr(record_id) if record_id else ''} in {name}[/]")
    raise typer.Exit(3)


def seed(record: str = typer.Argument(..., help="file with the record (.json, .jsonl; - for stdin)"),
         task: str = typer.Option("note", "--task", "-t", help="note, summary or rewrite",
                                  callback=one_of(*TASKS)),
         language: Optional[str] = typer.Option(None, "--language", "-l", help="ru or en (default: settings)",
                                                callback=one_of(*LANGUAGES)),
         record_id: Optional[str] = typer.Option(None, "--id", help="pick this record id (default: the first)"),
         fallback: bool = typer.Option(False, "--fallback", help="print the template-only note instead"),
         part: str = typer.Option("prompt", "--part", help="prompt, prefix, record (facts + lead) or lead",
                                  callback=one_of("prompt", "prefix", "record", "lead")),
         as_json: bool = typer.Option(False, "--json", help="print the seed (every part, template, version, "
                                      "sha256) or the fallback note as JSON on stdout")) -> None:
    """Print the seed of one record (stdout); template, version and the status gate go to stderr."""
    from newsgen.fallback import needs_model, render_fallback
    from newsgen.records import RecordValidator
    from newsgen.seeds import SeedRenderer

    settings = settings_or_exit()
    lang = language or settings.language
    text, name = _read(record)
    obj = _pick(text, name, record_id)
    with errors_to_exit():
        rec = RecordValidator(settings.schemas_dir).validate(obj)
        if fallback:
            note = render_fallback(rec.data, task, lang, templates_dir=settings.templates_dir)
            if as_json:
                _emit({"record_id": rec.data.get("id"), "task": task, "language": note.language,
                       "fallback": True, "text": note.text, "template": note.template,
                       "template_version": note.template_version})
                return
            typer.echo(note.text)
            console.print(f"[dim]{note.template} version {note.template_version} ({note.language})[/]")
            return
        out = SeedRenderer(settings.templates_dir).render(rec.data, task, lang)
    parts = {"prompt": out.prompt, "prefix": out.prefix, "record": out.prompt[len(out.prefix):], "lead": out.lead}
    if as_json:
        _emit({"record_id": rec.data.get("id"), "task": task, "language": lang, "fallback": False, **parts,
               "template": out.template, "template_version": out.template_version, "sha256": out.sha256,
               "needs_model": needs_model(rec.data)})
        return
    typer.echo(parts[part])
    console.print(f"[dim]{out.template} version {out.template_version} sha256 {out.sha256[:12]} "
                  f"({len(out.prompt)} chars, prefix {len(out.prefix)})[/]")
    if not needs_model(rec.data):
        console.print(f"[yellow]status gate:[/] a {rec.data.get('status')} match gets the template-only note "
                      f"(--fallback), not a generated one")


@templates_app.command("lint")
def lint(examples: Path = typer.Option(EXAMPLES_DIR, "--examples", help="folder of example .jsonl files"),
         quiet: bool = typer.Option(False, "--quiet", "-q", help="print the summary only"),
         as_json: bool = typer.Option(False, "--json", help="print the report as JSON on stdout")) -> None:
    """Render every template against every example record (and the few-shot examples). Exit 3 on problems."""
    from newsgen.records import RecordValidator, decode, iter_raw
    from newsgen.seeds import SeedRenderer, lint_templates

    settings = settings_or_exit()
    records = []
    with errors_to_exit():
        for path in sorted(Path(examples).glob("*.jsonl")):
            for _, raw in iter_raw(read_input(str(path), "example file")[0], path.name):
                records.append(decode(raw) if isinstance(raw, str) else raw)
        report = lint_templates(SeedRenderer(settings.templates_dir), RecordValidator(settings.schemas_dir), records)
    if as_json:
        _emit({"ok": report.ok, "renders": report.renders, "records": len(records), "examples": str(examples),
               "problems": [{"template": p.template, "record_id": p.record_id, "message": p.message}
                            for p in report.problems]})
        raise typer.Exit(0 if report.ok else 3)
    if report.problems and not quiet:
        table = Table(title="template problems")
        for col in ("template", "record", "problem"):
            table.add_column(col, overflow="fold")
        for p in report.problems:
            table.add_row(p.template, p.record_id, p.message)
        console.print(table)
    colour = "red" if report.problems else "green"
    console.print(f"[{colour}]{len(report.problems)} problem(s)[/] in {report.renders} renders of "
                  f"{len(records)} example records from {examples}")
    raise typer.Exit(0 if report.ok else 3)


@schemas_app.command("write")
def schemas_write() -> None:
    """(Re)generate schemas/note.json, dead_letter.json and task.json from the message models."""
    from newsgen.schema_files import write_message_schemas

    settings = settings_or_exit()
    for path in write_message_schemas(settings.schemas_dir):
        console.print(f"wrote {path}")


@schemas_app.command("check")
def schemas_check() -> None:
    """Exit 1 if a checked-in message schema differs from the generated one."""
    from newsgen.schema_files import stale_message_schemas

    stale = stale_message_schemas(settings_or_exit().schemas_dir)
    if stale:
        console.print(f"[red]stale:[/] {', '.join(stale)} (run: newsgen schemas write)")
        raise typer.Exit(1)
    console.print("[green]message schemas are up to date[/]")


def register(app: typer.Typer) -> None:
    """Add the record commands to the root app."""
    app.command("validate")(validate)
    app.command("seed")(seed)
    app.add_typer(templates_app, name="templates")
    app.add_typer(schemas_app, name="schemas")
