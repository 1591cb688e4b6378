"""Pipeline benchmark: records through Kafka + bridge + Celery worker + generator, against the bare generator.

Run by hand (never in the test suite), with the services up or not (they are started once and stopped here):

    .venv/bin/python bench/pipeline.py                   # 3 x (bare, pipeline), 64 records x (note + summary)
    .venv/bin/python bench/pipeline.py --records 128 --layers 6 --width 384 --repeat 5
    .venv/bin/python bench/pipeline.py --broker rabbitmq     # Celery on RabbitMQ (quorum queue, confirms)

Both runs use the same model, the same seeds and sampling, one candidate per note without the fact check (so they
do the same generation work), and batches of ``--batch``: the bare run is the worker's own ``NoteWriter`` and
batching generator in this process, fed as the worker's Celery pool feeds them (a thread per task slot of the
worker, ``--concurrency``, one task each, so rows join and leave the running batch as in the worker: the request's
prompt and grounding, generation, slot realisation, everything a worker does for a note besides transport); the
pipeline run publishes the records and waits for every note on the notes topic (one bridge, one worker of the same
batch size and concurrency, both kept up for all runs). ``--repeat N`` runs bare and pipeline alternately N times
(fresh record ids each time, so no note is skipped as published) and reports the overhead (pipeline / bare - 1) as
the median of the N pairs with its min and max. Each pair also times the note writer on consecutive batches of
``--batch`` tasks (static batches: the bare run until 2026-12-03) and ``generate()`` alone on requests built
beforehand, with the overhead against each: the first difference is the continuous policy's cost on this workload
of equal-length notes, the second the requests' preparation. All bare runs run their torch work on the batching
generator's one thread, as the worker does.

Where the pipeline loses time, from timestamps that are really there:

- **wall split** (every run): the worker's generation intervals (engine start to end of each row, from the
  note's ``created_at`` and ``provenance.timings_ms``) split the pipeline's wall time into *head* (first
  record sent until the worker generates), *busy* (some row generating), *idle* (gaps between micro-batches)
  and *tail* (last row done until the last note reached this process); overhead = head + idle + tail +
  (busy - bare), the last term being generation itself slower or faster than bare (CPU shared with the
  bridge and the brokers, other batch shapes);
- **CPU by process** (every run): CPU seconds each kind of process used during the bare run and during the
  pipeline run, from ``/proc`` (this process, worker, bridge, Kafka, Redis, RabbitMQ, anything else): on a
  machine with few cores the pipeline's processes share them with the generator;
- **stages** (per note, median and p95): Kafka timestamps of the record and the note, the note's
  ``created_at`` and timings, this process's receive time; plus one extra pipeline run with the OpenTelemetry
  trace file on (``NEWSGEN_TRACE_FILE``) whose spans split the way to the worker into bridge poll, Celery
  enqueue, broker queue wait, task preparation and batch fill (``--no-trace`` skips it; it is not in the
  overhead figures, its own time shows what tracing costs). ``STAGES`` says how each stage is measured.

Prints a table per run plus median/min/max and the stage table; writes bench/results/pipeline.json
(pipeline-rabbitmq.json with ``--broker rabbitmq``).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsgen.cli.stack import SERVICES, LocalStack, services_running  # noqa: E402
from newsgen.config import load_settings  # noqa: E402
from newsgen.facts import lexicon_of  # noqa: E402
from newsgen.generation import load_generator  # noqa: E402
from newsgen.generation.batching import BatchingGenerator  # noqa: E402
from newsgen.generation.tiny import TinyConfig, build_tiny_model  # noqa: E402
from newsgen.notes import NoteWriter, grounding_of, model_prompt, request_for  # noqa: E402
from newsgen.routing import RecordRouter  # noqa: E402
from producers.publish import EXAMPLES_DIR, RecordPublisher, read_lines  # noqa: E402
from workers.broker import delete_topology  # noqa: E402
from workers.celery_app import make_app  # noqa: E402
from workers.topics import ensure_topics, read_messages  # noqa: E402

#: (stage, from event, to event, how it is measured); a stage is left out where an event is missing
#: (``[trace]`` events exist in the traced run only). All clocks are this machine's wall clock.
STAGES = [
    ("kafka_to_bridge", "record_sent", "bridge_polled",
     "record's Kafka timestamp -> start of the bridge's 'process' span [trace]"),
    ("bridge_route", "bridge_polled", "dispatch_start", "'process' start -> this task's 'dispatch' start: "
     "decode, validate, route (and the record's earlier task) [trace]"),
    ("celery_enqueue", "dispatch_start", "enqueued", "'dispatch' span: task serialisation + broker write [trace]"),
    ("broker_queue_wait", "enqueued", "task_started", "'dispatch' end -> 'generate_note' start: in the broker "
     "and the worker's prefetch until a worker thread takes the task [trace]"),
    ("task_prep", "task_started", "generate_called", "'generate_note' start -> 'generate' start: message "
     "validation, Redis idempotency and attempt checks, prompt [trace]"),
    ("batch_fill_wait", "generate_called", "engine_added", "'generate' start -> engine add (= generation end - "
     "timings_ms.total_ms): the batcher's wait for a burst, or for the running decode step to end [trace]"),
    ("to_worker_engine", "record_sent", "engine_added", "record's Kafka timestamp -> engine add: all of the "
     "above together (without the trace, generation end = the note's created_at)"),
    ("engine_slot_wait", "engine_added", "gen_started", "timings_ms.queue_ms: waiting for a row in the running batch"),
    ("generation", "gen_started", "gen_ended", "timings_ms prefill_ms + decode_ms: the row's own generation, "
     "ending at the 'generate' span end [trace] or else at the note's created_at"),
    ("postprocess", "generate_returned", "note_created",
     "'generate' end -> the note's created_at: text cut, note built [trace]"),
    ("note_serialise_send", "note_created", "note_sent", "created_at -> the note's Kafka timestamp: Redis lock "
     "and checks, serialisation, producer send"),
    ("publish_ack", "note_sent", "task_done", "note's Kafka timestamp -> 'generate_note' end: Kafka ack, Redis "
     "bookkeeping; the worker thread is still taken [trace]"),
    ("notes_to_bench", "note_sent", "note_received", "note's Kafka timestamp -> this process read it"),
    ("end_to_end", "record_sent", "note_received", "record's Kafka timestamp -> this process read its note"),
]


def machine() -> dict:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


#: process kinds for the CPU split: (kind, a substring of its command line); first match wins
PROCESS_KINDS = [("kafka", "kafka.Kafka"), ("redis", "redis-server"), ("rabbitmq", "beam.smp"),
                 ("epmd", "epmd"), ("worker", "workers.celery_app worker"), ("bridge", "newsgen bridge")]


def cpu_seconds() -> dict[str, float]:
    """CPU seconds (user + system, all threads) used so far by each kind of process on this machine, from /proc;
    this process is ``bench``, anything unknown is ``other`` (outside load shows there); ``steal`` is the time the
    hypervisor ran something else while this VM's cores wanted to run (``/proc/stat``, all cores)."""
    tick = os.sysconf("SC_CLK_TCK")
    cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()     # cpu user nice system idle iowait ... steal
    out = {"steal": int(cpu[8]) / tick if len(cpu) > 8 else 0.0}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:                                                # the process ended meanwhile
            continue
        kind = "bench" if int(pid) == os.getpid() else next((k for k, m in PROCESS_KINDS if m in cmd), "other")
        out[kind] = out.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / tick   # utime + stime
    return out


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds per process kind between two :func:`cpu_seconds` readings (kinds that used none left out)."""
    used = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
    return {k: round(v, 2) for k, v in sorted(used.items(), key=lambda kv: -kv[1]) if v > 0.005}


def records(n: int, tag: str) -> list[bytes]:
    base = [json.loads(x) for x in list(read_lines(EXAMPLES_DIR / "football.jsonl"))[:4]]
    return [json.dumps({**base[i % 4], "id": f"bench-{tag}-{i:05d}"}, ensure_ascii=False).encode()
            for i in range(n)]


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def iso_ms(text: str) -> float:
    """An ISO-8601 time (``Z`` or an offset) as epoch milliseconds."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1e3


def trace_events(lines: list[str]) -> dict[str, dict[str, float]]:
    """Per task key, the events the bridge's and worker's spans (trace-file JSON lines) show (epoch ms)."""
    spans = sorted((json.loads(ln) for ln in lines if ln.strip()), key=lambda s: s["start_time"])
    by_id = {s["context"]["span_id"]: s for s in spans}
    task_of = {}                                   # generate_note span id -> task key
    events: dict[str, dict[str, float]] = {}
    for s in spans:
        key = s["attributes"].get("newsgen.key")
        start, end = iso_ms(s["start_time"]), iso_ms(s["end_time"])
        if s["name"] == "dispatch" and key:
            ev = events.setdefault(key, {})
            ev.update(dispatch_start=start, enqueued=end)
            if s.get("parent_id") in by_id:            # the bridge's 'process <topic>' span
                ev["bridge_polled"] = iso_ms(by_id[s["parent_id"]]["start_time"])
        elif s["name"] == "generate_note" and key:   # a retry's later span wins
            task_of[s["context"]["span_id"]] = key
            events.setdefault(key, {}).update(task_started=start, task_done=end)
    for s in spans:
        if s["name"] == "generate" and s.get("parent_id") in task_of:
            events[task_of[s["parent_id"]]].update(generate_called=iso_ms(s["start_time"]),
                                                   generate_returned=iso_ms(s["end_time"]))
    return events


def timelines(notes: dict[str, dict], sent: dict[str, float], received: dict[str, float],
              traced: dict[str, dict[str, float]] | None = None) -> dict[str, dict[str, float]]:
    """Per task key, epoch-ms events: ``notes`` maps a key to ``{"value": note, "timestamp_ms": ...}``,
    ``sent`` a record id to its Kafka timestamp, ``received`` a key to when this process read the note."""
    out = {}
    for key, m in notes.items():
        note, t = m["value"], m["value"]["provenance"]["timings_ms"]
        ev = {"record_sent": sent[note["record_id"]], "note_created": iso_ms(note["created_at"]),
              "note_sent": m["timestamp_ms"], "note_received": received[key], **(traced or {}).get(key, {})}
        ev["gen_ended"] = ev.get("generate_returned", ev["note_created"])
        ev["engine_added"] = ev["gen_ended"] - t.get("total_ms", 0.0)
        ev["gen_started"] = ev["engine_added"] + t.get("queue_ms", 0.0)
        out[key] = ev
    return out


def stage_stats(lines: dict[str, dict[str, float]]) -> dict:
    """Median, p95 and mean (ms) of every stage whose two events are known, over the notes."""
    out = {}
    for name, a, b, _how in STAGES:
        values = [ev[b] - ev[a] for ev in lines.values() if a in ev and b in ev]
        if values:
            out[name] = {"median_ms": statistics.median(values), "p95_ms": percentile(values, 95),
                         "mean_ms": statistics.fmean(values), "n": len(values)}
    return out


def wall_split(lines: dict[str, dict[str, float]], t0_ms: float, end_ms: float) -> dict:
    """Split ``t0_ms..end_ms`` into head, busy (the union of the rows' generation intervals), idle (gaps
    between them) and tail; ``rows_in_flight`` is the mean number of rows generating while busy."""
    rows = sorted((ev["gen_started"], ev["gen_ended"]) for ev in lines.values())
    busy = idle = 0.0
    cur_start, cur_end = rows[0]
    for start, end in rows[1:]:
        if start > cur_end:
            busy, idle = busy + cur_end - cur_start, idle + start - cur_end
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    busy += cur_end - cur_start
    return {"head_s": (rows[0][0] - t0_ms) / 1e3, "busy_s": busy / 1e3, "idle_s": idle / 1e3,
            "tail_s": (end_ms - cur_end) / 1e3, "busy_fraction": busy / (end_ms - t0_ms),
            "rows_in_flight": sum(e - s for s, e in rows) / busy if busy else 0.0}


def bare_run(generator, requests: list, batch: int) -> float:
    """Seconds for ``generate()`` on consecutive batches of requests built beforehand (generation alone)."""
    t0 = time.perf_counter()
    for i in range(0, len(requests), batch):
        generator.generate(requests[i:i + batch])
    return time.perf_counter() - t0


def measured(work: Callable[[], object]) -> tuple[float, dict[str, float]]:
    """Seconds ``work()`` took, and the CPU seconds each kind of process used meanwhile."""
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    work()
    return time.perf_counter() - t0, cpu_used(cpu0, cpu_seconds())


def bare_writer_run(writer, tasks: list, batch: int) -> tuple[float, dict[str, float]]:
    """:func:`measured` for the worker's own :class:`NoteWriter` on consecutive batches of tasks in this process
    (static batches): the work a worker does for a note besides transport (its prompt and grounding, generation,
    slot realisation, the note message), with no Kafka, broker or Celery."""
    return measured(lambda: [writer.write(tasks[i:i + batch]) for i in range(0, len(tasks), batch)])


def bare_pool_run(writer, tasks: list, threads: int) -> tuple[float, dict[str, float]]:
    """:func:`measured` for the note writer fed as the worker's pool (Celery's ``threads`` pool, a thread pool
    executor) feeds it: ``threads`` threads each writing one task at a time, so rows join and leave the running
    batch (continuous batching) as in the worker, with no Kafka, broker or Celery."""
    with ThreadPoolExecutor(threads) as pool:
        return measured(lambda: list(pool.map(lambda task: writer.write([task]), tasks)))


def await_notes(settings, keys: set[str]) -> tuple[dict[str, dict], dict[str, float]]:
    """Read the notes topic until every key in ``keys`` has its note; returns the notes and when each was read."""
    notes, received = {}, {}
    for m in read_messages(settings, settings.notes_topic, timeout_s=300):
        if m.value["key"] in keys and m.value["key"] not in notes:
            notes[m.value["key"]] = {"value": m.value, "timestamp_ms": m.timestamp_ms}
            received[m.value["key"]] = time.time() * 1e3
            if len(notes) == len(keys):
                break
    return notes, received


def pipeline_run(settings, publisher, lines: list[bytes], keys: set[str]) -> dict:
    cpu0, t0 = cpu_seconds(), time.time() * 1e3
    publisher.publish(lines)
    notes, received = await_notes(settings, keys)
    cpu = cpu_used(cpu0, cpu_seconds())
    end = max(received.values(), default=time.time() * 1e3)
    if len(notes) != len(keys):
        sys.exit(f"only {len(notes)} of {len(keys)} notes arrived")
    return {"t0_ms": t0, "end_ms": end, "seconds": (end - t0) / 1e3, "notes": notes, "received": received,
            "cpu_s": cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=64)
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--concurrency", type=int, help="tasks the worker (and the bare run's pool) holds at once "
                    "[default: the worker's, 2 x --batch]")
    ap.add_argument("--layers", type=int, default=4, help="random GPT-2 built for the run (ignored with --model)")
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--model", help="a model directory to use instead")
    ap.add_argument("--backend", default="torch", choices=["auto", "onnx", "torch"])
    ap.add_argument("--broker", default="redis", choices=["redis", "rabbitmq"],
                    help="the Celery broker (rabbitmq: the local ops/rabbitmq.sh node, or NEWSGEN_AMQP_URL)")
    ap.add_argument("--repeat", type=int, default=3, help="bare/pipeline pairs; the overhead is their median")
    ap.add_argument("--no-trace", action="store_true", help="skip the extra traced pipeline run (stage split)")
    ap.add_argument("--out", type=Path, help="default: bench/results/pipeline.json (redis), pipeline-rabbitmq.json")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # a timeout still stops the bridge and worker
    args.out = args.out or ROOT / "bench" / "results" / ("pipeline.json" if args.broker == "redis"
                                                         else f"pipeline-{args.broker}.json")

    work = Path(tempfile.mkdtemp(prefix="newsgen-bench-"))
    model = args.model or str(build_tiny_model(work / "model", cfg=TinyConfig(
        n_layer=args.layers, n_embd=args.width, n_head=max(1, args.width // 64))))
    run = uuid.uuid4().hex[:6]
    env = {"NEWSGEN_RECORDS_TOPIC": f"bench-{run}.records", "NEWSGEN_NOTES_TOPIC": f"bench-{run}.notes",
           "NEWSGEN_DEAD_LETTER_TOPIC": f"bench-{run}.dead-letter", "NEWSGEN_CONSUMER_GROUP": f"bench-{run}",
           "NEWSGEN_CELERY_QUEUE": f"bench-{run}", "NEWSGEN_MODEL": model, "NEWSGEN_BACKEND": args.backend,
           "NEWSGEN_MAX_BATCH_SIZE": str(args.batch), "NEWSGEN_SAMPLING__MAX_NEW_TOKENS": str(args.max_new_tokens),
           # one candidate, unchecked: both runs then do the same generation work and the ratio is transport
           "NEWSGEN_FACT_CHECK": "false", "NEWSGEN_CANDIDATES": "1", "NEWSGEN_BROKER": args.broker}
    if args.concurrency:
        env["NEWSGEN_WORKER_CONCURRENCY"] = str(args.concurrency)
    os.environ.update(env)
    os.environ.pop("NEWSGEN_TRACE_FILE", None)
    settings = load_settings()
    concurrency = settings.pool_concurrency()
    router = RecordRouter(settings)

    def tasks_of(lines: list[bytes]) -> list:
        return [t for raw in lines for t in router.route(raw).tasks]

    n_tasks = len(tasks_of(records(args.records, "x")))
    print(f"{args.records} records -> {n_tasks} tasks, {args.max_new_tokens} new tokens, batch {args.batch}, "
          f"concurrency {concurrency}, {args.repeat} x (bare, pipeline)"
          f"{'' if args.no_trace else ' + 1 traced pipeline run'}, model {model}, logs in {work}")
    # built on its own thread, which then runs every bare run's torch work, as in the worker (one OpenMP team)
    generator = BatchingGenerator(lambda: load_generator(settings), args.batch, settings.batch_wait_ms / 1000)
    prompt_format, lexicon = generator.prompt_format, lexicon_of(settings.templates_dir)

    def requests_of(tasks: list) -> list:                      # as the worker builds them
        prompts = [model_prompt(t, prompt_format, lexicon) for t in tasks]
        return [request_for(settings, t, grounding=grounding_of(settings, t, slots), prompt=(prompt, prefix))
                for t, (prompt, prefix, slots) in zip(tasks, prompts)]

    generator.generate(requests_of(tasks_of(records(args.batch, "warm")))[:args.batch])   # warm-up batch
    writer = NoteWriter(generator, settings, worker="bench")

    def warm_up(tag: str) -> None:                  # the worker loads its model before timing starts
        warm = records(1, tag)
        publisher.publish(warm)
        await_notes(settings, {t.key for t in tasks_of(warm)})

    runs, traced = [], None
    trace_file = work / "trace.jsonl"
    started_services = False
    if not services_running():
        subprocess.run(["bash", str(SERVICES), "start"], check=True)
        started_services = True
    try:
        ensure_topics(settings)
        publisher = RecordPublisher(settings)
        with LocalStack(env, work / "logs", manage_services=False):
            warm_up("warm0")
            for i in range(args.repeat):
                lines = records(args.records, f"r{i}")
                tasks = tasks_of(lines)
                generate_s = bare_run(generator, requests_of(tasks), args.batch)
                bare_s, bare_cpu = bare_writer_run(writer, tasks, args.batch)
                pool_s, pool_cpu = bare_pool_run(writer, tasks, concurrency)
                runs.append({"bare_s": bare_s, "bare_generate_s": generate_s, "bare_cpu_s": bare_cpu,
                             "bare_pool_s": pool_s, "bare_pool_cpu_s": pool_cpu,
                             **pipeline_run(settings, publisher, lines, {t.key for t in tasks})})
                print(f"run {i + 1}: bare note writer {pool_s:.2f} s (static batches {bare_s:.2f} s, generate() "
                      f"alone {generate_s:.2f} s), "
                      f"pipeline {runs[-1]['seconds']:.2f} s", flush=True)
        if not args.no_trace:
            with LocalStack({**env, "NEWSGEN_TRACE_FILE": str(trace_file)}, work / "logs-traced",
                            manage_services=False):
                warm_up("warm1")
                lines = records(args.records, "traced")
                traced = pipeline_run(settings, publisher, lines, {t.key for t in tasks_of(lines)})
        publisher.close()
        sent = {m.value["id"]: m.timestamp_ms for m in read_messages(settings, settings.records_topic, timeout_s=3)}
    finally:
        if args.broker == "rabbitmq":
            with make_app(settings).connection_for_write() as conn:
                delete_topology(conn, settings.celery_queue)
        if started_services:
            subprocess.run(["bash", str(SERVICES), "stop"], check=False)

    def summary(r: dict, spans: dict | None = None) -> dict:
        lines = timelines(r["notes"], sent, r["received"], spans)
        latency = [m["timestamp_ms"] - sent[m["value"]["record_id"]] for m in r["notes"].values()]
        out = {"seconds": r["seconds"], "notes_per_s": len(lines) / r["seconds"],
               "latency_p50_ms": percentile(latency, 50), "latency_p95_ms": percentile(latency, 95),
               "wall": wall_split(lines, r["t0_ms"], r["end_ms"]), "stages": stage_stats(lines),
               "cpu_s": r["cpu_s"]}
        if "bare_s" in r:
            out = {"bare_pool_s": r["bare_pool_s"], "overhead_ratio": r["seconds"] / r["bare_pool_s"] - 1,
                   "bare_pool_cpu_s": r["bare_pool_cpu_s"],
                   "bare_s": r["bare_s"], "overhead_vs_static_ratio": r["seconds"] / r["bare_s"] - 1,
                   "bare_cpu_s": r["bare_cpu_s"], "bare_generate_s": r["bare_generate_s"],
                   "overhead_vs_generate_ratio": r["seconds"] / r["bare_generate_s"] - 1, **out}
            out["wall"]["busy_minus_bare_s"] = out["wall"]["busy_s"] - r["bare_pool_s"]
        return out

    per_run = [summary(r) for r in runs]
    traced_run = summary(traced, trace_events(trace_file.read_text().splitlines())) if traced else None
    bare = spread([r["bare_pool_s"] for r in per_run])
    static = spread([r["bare_s"] for r in per_run])
    vs_static = spread([r["overhead_vs_static_ratio"] for r in per_run])
    pipe = spread([r["seconds"] for r in per_run])
    overhead = spread([r["overhead_ratio"] for r in per_run])
    vs_generate = spread([r["overhead_vs_generate_ratio"] for r in per_run])
    result = {
        "machine": machine(), "records": args.records, "tasks": n_tasks, "max_new_tokens": args.max_new_tokens,
        "batch": args.batch, "concurrency": concurrency,
        "model": {"layers": args.layers, "width": args.width} if not args.model else model,
        "backend": args.backend, "broker": args.broker, "repeat": args.repeat,
        # medians over the runs (the old single-run keys, kept)
        "bare": {"seconds": bare["median"], "records_per_s": args.records / bare["median"],
                 "notes_per_s": n_tasks / bare["median"], "spread_s": bare},
        "pipeline": {"seconds": pipe["median"], "records_per_s": args.records / pipe["median"],
                     "notes_per_s": n_tasks / pipe["median"], "spread_s": pipe,
                     "latency_p50_ms": statistics.median(r["latency_p50_ms"] for r in per_run),
                     "latency_p95_ms": statistics.median(r["latency_p95_ms"] for r in per_run)},
        "overhead_ratio": overhead["median"], "overhead_spread": overhead,
        "bare_static": static,
        "overhead_vs_static_ratio": vs_static["median"], "overhead_vs_static_spread": vs_static,
        "bare_generate": spread([r["bare_generate_s"] for r in per_run]),
        "overhead_vs_generate_ratio": vs_generate["median"], "overhead_vs_generate_spread": vs_generate,
        "runs": per_run, "traced_run": traced_run,
        "measured": {
            "overhead": "pipeline seconds (first record sent -> last note read here) / bare seconds - 1, per pair; "
                        "bare = the worker's NoteWriter and batching generator in this process, fed as the "
                        "worker's pool feeds them (a thread per task slot, one task each: continuous batching), i.e. "
                        "everything a worker does for a note besides transport",
            "overhead_vs_static": "the same against the note writer on consecutive batches of --batch tasks "
                                  "(static batches: every row of a batch starts together, the next batch waits "
                                  "for the whole batch)",
            "overhead_vs_generate": "the same against generate() alone on requests built beforehand",
            "wall": "rows' generation intervals [created_at (or 'generate' span end) - prefill_ms - decode_ms, "
                    "created_at]: head = first start - first record sent, busy = their union, idle = gaps, "
                    "tail = last end -> last note read; busy_minus_bare_s = busy - bare seconds (pool-fed)",
            "stages": {name: how for name, _a, _b, how in STAGES},
            "cpu_s": "CPU seconds (user + system, all threads, from /proc) each kind of process used during the "
                     "pipeline run (bare_pool_cpu_s: the bare run, bare_cpu_s: the static batches): bench = this "
                     "process (bare runs: the generation itself; pipeline: publishing records, reading notes), "
                     "other = processes of no known kind, steal = the hypervisor's time taken from this VM's "
                     "cores (/proc/stat steal, all cores; not in any process's)"},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    cols = ("static s", "bare s", "pipe s", "overhead", "head s", "idle s", "tail s", "busy-bare", "busy %")
    print(f"\n{'run':<8}" + "".join(f"{c:>10}" for c in cols))
    for name, r in [(str(i + 1), r) for i, r in enumerate(per_run)]:
        w = r["wall"]
        print(f"{name:<8}{r['bare_s']:>10.2f}{r['bare_pool_s']:>10.2f}{r['seconds']:>10.2f}"
              f"{r['overhead_ratio'] * 100:>+9.1f}%"
              f"{w['head_s']:>10.2f}{w['idle_s']:>10.2f}{w['tail_s']:>10.2f}{w['busy_minus_bare_s']:>+10.2f}"
              f"{w['busy_fraction'] * 100:>9.0f}%")
    for stat in ("median", "min", "max"):
        print(f"{stat:<8}{static[stat]:>10.2f}{bare[stat]:>10.2f}{pipe[stat]:>10.2f}{overhead[stat] * 100:>+9.1f}%")
    print("CPU seconds by process (static | bare | pipeline run):")
    for name, r in [(str(i + 1), r) for i, r in enumerate(per_run)]:
        show = lambda cpu: ", ".join(f"{k} {v:.1f}" for k, v in cpu.items())  # noqa: E731
        print(f"  run {name}: {show(r['bare_cpu_s'])} | {show(r['bare_pool_cpu_s'])} | {show(r['cpu_s'])}")
    print(f"against static batches of the note writer: median {vs_static['median'] * 100:+.1f}% "
          f"(min {vs_static['min'] * 100:+.1f}%, max {vs_static['max'] * 100:+.1f}%)")
    print(f"against generate() alone on prebuilt requests: median {vs_generate['median'] * 100:+.1f}% "
          f"(min {vs_generate['min'] * 100:+.1f}%, max {vs_generate['max'] * 100:+.1f}%)")
    shown = traced_run or per_run[-1]
    print(f"\nstages per note ({'traced run' if traced_run else 'last run'}), ms:   median      p95")
    for name, s in shown["stages"].items():
        print(f"  {name:<22}{s['median_ms']:>10.0f}{s['p95_ms']:>9.0f}")
    if traced_run:
        print(f"traced run: {traced_run['seconds']:.2f} s (untraced median {pipe['median']:.2f} s)")
    print(f"pipeline overhead: median {overhead['median'] * 100:+.1f}% of the bare (pool-fed) note writer's time "
          f"(min {overhead['min'] * 100:+.1f}%, max {overhead['max'] * 100:+.1f}%, {args.repeat} runs; "
          f"target <= 5%); written to {args.out}")


if __name__ == "__main__":
    main()
