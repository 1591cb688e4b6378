"""Pipeline commands: produce, consume, bridge, worker, demo."""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Optional

import typer
from rich.panel import Panel

from newsgen.cli.common import (console, errors_to_exit, kafka_to_exit, one_of, require_kafka, require_rabbitmq,
                                require_redis, settings_or_exit, setup_logging)
from newsgen.config import ROOT

DEFAULT_EXAMPLES = ROOT / "producers" / "examples" / "football.jsonl"


def produce(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSONL file, one record a line"),
            topic: Optional[str] = typer.Option(None, help="topic [default: settings.records_topic]")) -> None:
    """Publish every line of FILE to the records topic, keyed by record id (bad lines too: the bridge
    sends them to the dead-letter topic with the reason)."""
    from producers.publish import RecordPublisher, read_lines

    settings = settings_or_exit()
    require_kafka(settings)
    with kafka_to_exit(settings):
        publisher = RecordPublisher(settings, topic)
        try:
            with console.status(f"publishing {file} to {publisher.topic}"):
                n = publisher.publish(read_lines(file))
        finally:
            publisher.close()
    console.print(f"published {n} records to [bold]{publisher.topic}[/] at {settings.kafka_bootstrap}")


def consume(what: str = typer.Option("notes", "--topic", help="notes | dead-letters | any topic name"),
            count: Optional[int] = typer.Option(None, help="stop after this many messages"),
            timeout: float = typer.Option(10.0, help="stop after this many seconds without a message"),
            as_json: bool = typer.Option(False, "--json", help="print raw JSON lines")) -> None:
    """Print notes (or dead letters) from the beginning of the topic."""
    from workers.topics import read_topic

    settings = settings_or_exit()
    topic = {"notes": settings.notes_topic, "dead-letters": settings.dead_letter_topic}.get(what, what)
    require_kafka(settings)
    with kafka_to_exit(settings):
        for key, value in read_topic(settings, topic, count=count, timeout_s=timeout):
            if as_json:
                typer.echo(json.dumps(value, ensure_ascii=False))
            else:
                print_message(value)


def print_message(value: dict) -> None:
    """Show a note or a dead letter as a panel (record content is printed as text, never as markup)."""
    from rich.text import Text

    if value.get("schema", "").startswith("newsgen.note/"):
        p = value["provenance"]
        if p.get("fallback"):
            origin = f"template fallback ({p.get('fallback_reason')})"
        else:
            verdict = "passed" if (p.get("factcheck") or {}).get("passed") else "off"
            origin = f"model, candidate {p.get('candidate', 0)}, fact check {verdict}"
        meta = (f"{value['key']} · {p['backend']} · {p['model']} · template {p['template_version']} · "
                f"{p['new_tokens']} tokens · {p['timings_ms'].get('total_ms', 0):.0f} ms")
        console.print(Panel(Text(value["text"]), title=Text(f"{value['record_id']} · {origin}"), subtitle=Text(meta),
                            border_style="yellow" if p.get("fallback") else "green"))
    elif value.get("schema", "").startswith("newsgen.dead-letter/"):
        src = value.get("source") or {}
        console.print(Panel(Text(value["error"]), title=Text(f"dead letter: {value['reason']}"),
                            subtitle=Text(f"{src.get('topic')}/{src.get('partition')}/{src.get('offset')}"),
                            border_style="red"))
    else:
        console.print(Text(json.dumps(value, ensure_ascii=False)))


def bridge(idle_exit: Optional[float] = typer.Option(None, help="exit after this many idle seconds"),
           log_level: str = typer.Option("INFO", help="DEBUG, INFO, WARNING")) -> None:
    """Run the Kafka -> Celery bridge: validate records, dead-letter bad ones, dispatch tasks, commit."""
    setup_logging(log_level)
    from workers.bridge import Bridge
    from workers.celery_app import make_app
    from workers.topics import ensure_topics

    from newsgen.health import serve

    settings = settings_or_exit()
    require_kafka(settings)
    require_rabbitmq(settings)
    require_redis(settings)
    with kafka_to_exit(settings):
        ensure_topics(settings)
    b = Bridge(settings, make_app(settings))
    b.install_signals()
    if settings.bridge_port:
        serve(settings.bridge_port, b.ready, live=b.live, host=settings.metrics_host,
              timeout_s=settings.metrics_timeout_s)
    b.run(idle_exit_s=idle_exit)


def worker(queue: Optional[str] = typer.Option(None, help="Celery queue [default: settings.celery_queue]"),
           concurrency: Optional[int] = typer.Option(None, help="tasks in flight; they share the running batch "
                                                     "[default: settings.worker_concurrency, else 2 x "
                                                     "max_batch_size (threads) or max_batch_size]"),
           pool: str = typer.Option("threads", help="threads (one model, micro-batched) | prefork | solo",
                                    callback=one_of("threads", "prefork", "solo")),
           hostname: Optional[str] = typer.Option(None, help="Celery node name, e.g. gpu1@%h"),
           log_level: str = typer.Option("INFO", help="DEBUG, INFO, WARNING")) -> None:
    """Run a Celery worker that writes notes (replaces this process with `celery worker`).

    SIGTERM is a warm shutdown: the worker stops taking tasks, finishes those in hand, publishes their
    notes and exits."""
    settings = settings_or_exit()
    with errors_to_exit():  # a model configuration that cannot load fails here, in one line
        from newsgen.generation import resolve_model
        from newsgen.generation.selection import check_model

        check_model(settings, resolve_model(settings))
    require_kafka(settings)
    require_rabbitmq(settings)
    require_redis(settings)
    args = [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "-Q",
            queue or settings.celery_queue, "--pool", pool, "--concurrency",
            str(concurrency or settings.pool_concurrency(pool)), "--loglevel", log_level,
            "--without-gossip", "--without-mingle"]
    if hostname:
        args += ["--hostname", hostname]
    # every pool process writes its metrics here; the main process serves them together
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="newsgen-metrics-"))
    os.execv(sys.executable, args)


def demo(records: Path = typer.Option(DEFAULT_EXAMPLES, exists=True, dir_okay=False, help="JSONL records to publish"),
         timeout: float = typer.Option(180.0, help="give up waiting for notes after this many seconds"),
         log_dir: Path = typer.Option(ROOT / ".ops" / "demo", help="where worker and bridge logs go"),
         as_json: bool = typer.Option(False, "--json", help="print notes and the dead letter as raw JSON lines "
                                      "on stdout (progress goes to stderr)")) -> None:
    """The main job end to end: start Kafka, Redis, a worker and the bridge, publish example records (and
    one broken record), print the notes as they arrive, then stop everything."""
    setup_logging("INFO")
    show = (lambda value: typer.echo(json.dumps(value, ensure_ascii=False))) if as_json else print_message
    from newsgen.cli.stack import LocalStack
    from newsgen.generation import default_model_dir, resolve_model
    from newsgen.generation.tiny import build_tiny_model
    from newsgen.routing import RecordRouter
    from producers.publish import RecordPublisher, read_lines
    from workers.topics import ensure_topics, read_topic

    base = settings_or_exit()
    env: dict[str, str] = {}
    if not base.model:
        model_dir = Path(resolve_model(base)) if (base.state_dir / "models" / "demo" / "config.json").is_file() \
            else default_model_dir(base)
        if model_dir.name == "demo":
            console.print(f"model: offline demo model at {model_dir} (small GPT-2 trained on synthetic data; notes "
                          "failing the fact check are published as marked template fallbacks)")
        else:
            if not (model_dir / "config.json").is_file():
                with console.status("building the offline tiny model (once)"):
                    build_tiny_model(model_dir)
            console.print(f"model: offline tiny GPT-2 at {model_dir} (random weights: its candidates fail the fact "
                          "check, so notes are marked template fallbacks; `newsgen model demo` trains a small "
                          "model, NEWSGEN_MODEL=<ruGPT-3 dir> gives real notes)")
    run = uuid.uuid4().hex[:6]
    env.update({"NEWSGEN_RECORDS_TOPIC": f"newsgen.demo-{run}.records",
                "NEWSGEN_NOTES_TOPIC": f"newsgen.demo-{run}.notes",
                "NEWSGEN_DEAD_LETTER_TOPIC": f"newsgen.demo-{run}.dead-letter",
                "NEWSGEN_CONSUMER_GROUP": f"newsgen-demo-{run}", "NEWSGEN_CELERY_QUEUE": f"demo-{run}"})
    settings = settings_or_exit(records_topic=env["NEWSGEN_RECORDS_TOPIC"], notes_topic=env["NEWSGEN_NOTES_TOPIC"],
                                dead_letter_topic=env["NEWSGEN_DEAD_LETTER_TOPIC"])
    lines = list(read_lines(records)) + [b'{"type": "football_match", "id": "broken-1", "score": "two"}']
    router = RecordRouter(settings)
    expected = {t.key for raw in lines for t in router.route(raw).tasks}
    started = time.monotonic()
    try:
        with errors_to_exit(), LocalStack(env, log_dir / run) as stack:
            ensure_topics(settings)
            publisher = RecordPublisher(settings)
            publisher.publish(lines)
            publisher.close()
            console.print(f"published {len(lines)} records ({len(expected)} notes expected, 1 broken record); "
                          f"logs in {stack.log_dir}")
            got = set()
            with console.status("waiting for notes (the worker loads the model first)") as status:
                for _, value in read_topic(settings, settings.notes_topic, count=len(expected), timeout_s=timeout):
                    got.add(value["key"])
                    show(value)
                    status.update(f"waiting for notes ({len(got)}/{len(expected)})")
            for _, value in read_topic(settings, settings.dead_letter_topic, count=1, timeout_s=15):
                show(value)
            missing = expected - got
            if missing:
                console.print(f"[red]no note within {timeout:.0f}s for:[/] {', '.join(sorted(missing))}")
                raise typer.Exit(1)
            console.print(f"[green]{len(got)} notes in {time.monotonic() - started:.1f}s[/]; stopping worker and bridge")
    except KeyboardInterrupt:
        console.print("interrupted: worker, bridge and services stopped")
        raise typer.Exit(130)


def dead_letters(reason: Optional[str] = typer.Option(None, help="only this reason (decode, schema, ...)"),
                 timeout: float = typer.Option(5.0, help="stop after this many seconds without a message"),
                 as_json: bool = typer.Option(False, "--json", help="print raw JSON lines")) -> None:
    """List the dead-letter topic: where each rejected input came from and why."""
    from rich.table import Table

    from newsgen.messages import DeadLetter
    from workers.topics import read_messages

    settings = settings_or_exit()
    table = Table("at", "reason", "stage", "source", "key", "error", title=settings.dead_letter_topic)
    n = 0
    require_kafka(settings)
    with kafka_to_exit(settings):
        for m in read_messages(settings, settings.dead_letter_topic, timeout_s=timeout):
            letter = DeadLetter.model_validate(m.value)
            if reason and letter.reason != reason:
                continue
            n += 1
            if as_json:
                typer.echo(json.dumps({"at": m.at, **m.value}, ensure_ascii=False))
                continue
            src = letter.source
            table.add_row(m.at, letter.reason, letter.stage, f"{src.partition}:{src.offset}" if src else "-",
                          letter.key or (m.key or b"").decode(errors="replace") or "-", letter.error[:200])
    if not as_json:
        console.print(table)
        console.print(f"{n} dead letters; replay with `newsgen replay --at P:O` or `--reason R`")


def replay(at: list[str] = typer.Option([], "--at", help="dead letter id P:O (repeatable), from `dead-letters`"),
           reason: Optional[str] = typer.Option(None, help="replay every dead letter with this reason"),
           dry_run: bool = typer.Option(False, help="show what would be published"),
           timeout: float = typer.Option(5.0, help="stop reading after this many seconds without a message")) -> None:
    """Publish chosen dead letters' records to the records topic again (after fixing a schema, template
    or worker). Records that are still bad simply return to the dead-letter topic."""
    from newsgen.messages import DeadLetter
    from newsgen.replay import replay_of
    from producers.publish import RecordPublisher
    from workers.topics import read_messages

    if not at and not reason:
        console.print("[red]choose dead letters with --at P:O or --reason R[/]")
        raise typer.Exit(2)
    settings = settings_or_exit()
    chosen = []
    require_kafka(settings)
    with kafka_to_exit(settings):
        for m in read_messages(settings, settings.dead_letter_topic, timeout_s=timeout):
            letter = DeadLetter.model_validate(m.value)
            if m.at in at or (reason and letter.reason == reason):
                r = replay_of(letter)
                if r.problem:
                    console.print(f"[yellow]skip {m.at}:[/] {r.problem}")
                else:
                    chosen.append((m.at, r))
    console.print(f"{len(chosen)} records to replay to {settings.records_topic}")
    if dry_run or not chosen:
        for where, r in chosen:
            console.print(f"  {where}: key={r.key!r} {r.raw[:120]!r}")
        return
    with kafka_to_exit(settings):
        publisher = RecordPublisher(settings)
        try:
            for where, r in chosen:
                publisher.producer.send(settings.records_topic, key=r.key, value=r.raw)
            publisher.producer.flush(timeout=60)
        finally:
            publisher.close()
    console.print(f"[green]replayed {len(chosen)} records[/]")


def register(app: typer.Typer) -> None:
    """Add the pipeline commands to the root app."""
    for fn in (produce, consume, bridge, worker, demo):
        app.command(fn.__name__)(fn)
    app.command("dead-letters")(dead_letters)
    app.command("replay")(replay)
