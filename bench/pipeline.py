"""Pipeline benchmark: records through Kafka + bridge + Celery worker + generator, against the bare generator.

Run by hand (never in the test suite), with the services up or not (they are started and stopped here):

    .venv/bin/python bench/pipeline.py                   # 64 records x (note + summary), 48 new tokens
    .venv/bin/python bench/pipeline.py --records 128 --layers 6 --width 384
    .venv/bin/python bench/pipeline.py --broker rabbitmq     # Celery on RabbitMQ (quorum queue, confirms)

Both runs use the same model, the same seeds and sampling, one candidate per note without the fact check
(so they do the same generation work), and batches of ``--batch``: the bare run calls
``generate()`` on consecutive batches in this process; the pipeline run publishes the records and waits for
every note on the notes topic (one bridge, one worker of the same batch size). Prints records/s, p50/p95
latency (record's Kafka timestamp to its note's) and the overhead ratio; writes bench/results/pipeline.json
(pipeline-rabbitmq.json with ``--broker rabbitmq``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsgen.cli.stack import SERVICES, LocalStack, services_running  # noqa: E402
from newsgen.config import load_settings  # noqa: E402
from newsgen.generation import load_generator  # noqa: E402
from newsgen.generation.tiny import TinyConfig, build_tiny_model  # noqa: E402
from newsgen.notes import grounding_of, model_prompt, request_for  # noqa: E402
from newsgen.routing import RecordRouter  # noqa: E402
from producers.publish import EXAMPLES_DIR, RecordPublisher, read_lines  # noqa: E402
from workers.broker import delete_topology  # noqa: E402
from workers.celery_app import make_app  # noqa: E402
from workers.topics import ensure_topics, read_messages  # noqa: E402


def machine() -> dict:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def records(n: int) -> list[bytes]:
    base = [json.loads(x) for x in list(read_lines(EXAMPLES_DIR / "football.jsonl"))[:4]]
    return [json.dumps({**base[i % 4], "id": f"bench-{i:05d}"}, ensure_ascii=False).encode() for i in range(n)]


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=64)
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--layers", type=int, default=4, help="random GPT-2 built for the run (ignored with --model)")
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--model", help="a model directory to use instead")
    ap.add_argument("--backend", default="torch", choices=["auto", "onnx", "torch"])
    ap.add_argument("--broker", default="redis", choices=["redis", "rabbitmq"],
                    help="the Celery broker (rabbitmq: the local ops/rabbitmq.sh node, or NEWSGEN_AMQP_URL)")
    ap.add_argument("--out", type=Path, help="default: bench/results/pipeline.json (redis), pipeline-rabbitmq.json")
    args = ap.parse_args()
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
    os.environ.update(env)
    settings = load_settings()
    lines = records(args.records)
    router = RecordRouter(settings)
    tasks = [t for raw in lines for t in router.route(raw).tasks]
    print(f"{len(lines)} records -> {len(tasks)} tasks, {args.max_new_tokens} new tokens, batch {args.batch}, "
          f"model {model}")

    # bare generator: consecutive batches, after one warm-up batch
    generator = load_generator(settings)
    prompts = [model_prompt(t, generator.prompt_format) for t in tasks]     # as the worker does
    requests = [request_for(settings, t, grounding=grounding_of(settings, t, slots), prompt=(prompt, prefix))
                for t, (prompt, prefix, slots) in zip(tasks, prompts)]
    generator.generate(requests[:args.batch])
    t0 = time.perf_counter()
    for i in range(0, len(requests), args.batch):
        generator.generate(requests[i:i + args.batch])
    bare_s = time.perf_counter() - t0
    del generator

    started_services = False
    if not services_running():
        subprocess.run(["bash", str(SERVICES), "start"], check=True)
        started_services = True
    try:
        ensure_topics(settings)
        publisher = RecordPublisher(settings)
        with LocalStack(env, work / "logs", manage_services=False):
            warm = json.dumps({**json.loads(lines[0]), "id": "bench-warmup"}, ensure_ascii=False).encode()
            publisher.publish([warm])                     # the worker loads the model before timing starts
            warm_keys = {t.key for t in router.route(warm).tasks}
            for m in read_messages(settings, settings.notes_topic, timeout_s=300):
                warm_keys.discard(m.value["key"])
                if not warm_keys:
                    break
            expected = {t.key for t in tasks}
            t0 = time.perf_counter()
            publisher.publish(lines)
            notes = {}
            for m in read_messages(settings, settings.notes_topic, timeout_s=300):
                if m.value["key"] in expected:
                    notes[m.value["key"]] = m
                if len(notes) == len(expected):
                    break
            pipeline_s = time.perf_counter() - t0
        publisher.close()
        sent = {m.value["id"]: m.timestamp_ms for m in read_messages(settings, settings.records_topic, timeout_s=3)}
    finally:
        if args.broker == "rabbitmq":
            with make_app(settings).connection_for_write() as conn:
                delete_topology(conn, settings.celery_queue)
        if started_services:
            subprocess.run(["bash", str(SERVICES), "stop"], check=False)
    if len(notes) != len(expected):
        sys.exit(f"only {len(notes)} of {len(expected)} notes arrived; logs in {work / 'logs'}")
    latency_ms = [m.timestamp_ms - sent[m.value["record_id"]] for m in notes.values()]
    result = {
        "machine": machine(), "records": len(lines), "tasks": len(tasks), "max_new_tokens": args.max_new_tokens,
        "batch": args.batch, "model": {"layers": args.layers, "width": args.width} if not args.model else model,
        "backend": args.backend, "broker": args.broker,
        "bare": {"seconds": bare_s, "records_per_s": len(lines) / bare_s, "notes_per_s": len(tasks) / bare_s},
        "pipeline": {"seconds": pipeline_s, "records_per_s": len(lines) / pipeline_s,
                     "notes_per_s": len(tasks) / pipeline_s, "latency_p50_ms": percentile(latency_ms, 50),
                     "latency_p95_ms": percentile(latency_ms, 95)},
        "overhead_ratio": pipeline_s / bare_s - 1,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'run':<10}{'seconds':>9}{'records/s':>11}{'notes/s':>9}{'p50 ms':>9}{'p95 ms':>9}")
    print(f"{'bare':<10}{bare_s:>9.2f}{len(lines) / bare_s:>11.2f}{len(tasks) / bare_s:>9.2f}{'':>9}{'':>9}")
    p = result["pipeline"]
    print(f"{'pipeline':<10}{pipeline_s:>9.2f}{p['records_per_s']:>11.2f}{p['notes_per_s']:>9.2f}"
          f"{p['latency_p50_ms']:>9.0f}{p['latency_p95_ms']:>9.0f}")
    print(f"pipeline overhead: {result['overhead_ratio'] * 100:+.1f}% of bare generation time "
          f"(target <= 5%); written to {args.out}")


if __name__ == "__main__":
    main()
