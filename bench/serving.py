"""Serving benchmark: static against continuous batching in process, and latency under load through the pipeline.

    .venv/bin/python bench/serving.py                  # in process: static vs continuous batching at saturation
    .venv/bin/python bench/serving.py --pipeline       # Kafka + bridge + Celery worker: latency vs load (~10 min)
    .venv/bin/python bench/serving.py --pipeline --duration 6 --out /tmp/s.json     # smoke run (~4 min)
    .venv/bin/python bench/plot_serving.py             # redraw bench/results/serving.png from serving.json

Both use the demo model when one is built (``.ops/models/demo``, else the newest complete
``$NEWSGEN_CACHE/models/demo-*``), else a random tiny model (said so on the console and in the JSON), and the
example football, hockey and basketball records with their note and summary tasks, each as the worker builds it:
the model's prompt format, its sampling defaults under the settings, real stop strings, strict grounding.
(The times above are the demo model's on 2 busy cores; the tiny one's texts all fail the fact check, so each
note costs every candidate and the pipeline run takes several times longer.)

In process (the default): ``--copies`` copies of the finished records' requests arrive at once from as many
threads as tasks into one :class:`~newsgen.generation.batching.BatchingGenerator` (``max_batch_size`` rows),
static and continuous alternately for ``--rounds`` rounds; notes/s of each, whether every text is the same
under both policies (it must be: a row does not depend on its batch mates), and each policy's time in the model's
forwards (decode steps and prefills) and in the grounding mask: continuous batching saves steps, not the
per-token sampling and grounding work.

``--pipeline``: the real path, as served (fact check, best-of-N candidates, continuous batching, the settings'
defaults): records are published to Kafka, one bridge and one worker (Redis broker) write the notes. Once with
prompt lookup on (``NEWSGEN_PROMPT_LOOKUP_TOKENS``, the settings' value) and once off (0), each on a fresh
worker warmed by one record:

(0) one at a time: every example record alone, each sent once the previous one's notes are out (the
    single-request latency);
(a) saturation: every example record at once (``--copies`` times, new ids); notes/s = notes / time to the last;
(b) Poisson arrivals (exponential inter-arrival times, ``--seed``) at ``--loads`` (fractions) of the capacity
    measured with the first ``--lookup`` setting (on), for ``--duration`` seconds each, the records drawn in a
    seeded order; after each level the remaining notes drain before the next starts. Every lookup setting gets
    the very same arrivals. Latency = the note's Kafka timestamp minus its record's; p50/p95/p99 per level.

Writes bench/results/serving.json: the in-process figures at the top level, the pipeline ones under
``"pipeline"`` (each mode keeps the other's), and with ``--pipeline`` also bench/results/serving.png.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsgen.config import load_settings  # noqa: E402
from newsgen.generation import GenerationRequest  # noqa: E402
from newsgen.generation.batching import BatchingGenerator  # noqa: E402
from newsgen.notes import grounding_of, model_prompt, sampling_for  # noqa: E402
from newsgen.seeds import SeedRenderer  # noqa: E402

SPORTS = ("football", "hockey", "basketball")
RESULTS = ROOT / "bench" / "results"


def example_records(finished_only: bool = False) -> list[dict]:
    out = []
    for sport in SPORTS:
        lines = (ROOT / "producers" / "examples" / f"{sport}.jsonl").read_text(encoding="utf-8").splitlines()
        out += [r for r in (json.loads(ln) for ln in lines if ln.strip())
                if not finished_only or r.get("status") == "finished"]
    return out


def pick_model(work: Path) -> tuple[Path, str]:
    """(model directory, "demo" or "tiny"): the demo model if one is complete, else a random tiny one."""
    from newsgen.generation.tiny import build_tiny_model
    from newsgen.training.demo import built_digest, demo_model_dir

    cache = Path(os.environ.get("NEWSGEN_CACHE", Path.home() / ".cache" / "newsgen")) / "models"
    cached = sorted(cache.glob("demo-*"), key=lambda d: d.stat().st_mtime, reverse=True)
    for d in [demo_model_dir(load_settings()), *cached]:
        if built_digest(d) is not None:
            return d, "demo"
    print("NOTE: no complete demo model (.ops/models/demo or $NEWSGEN_CACHE/models/demo-*); using a random "
          "tiny model (newsgen.generation.tiny): its texts fail the fact check, figures are not the demo's",
          flush=True)
    return build_tiny_model(work / "tiny"), "tiny"


def update_results(out: Path, report: dict, section: str | None = None) -> None:
    """Write ``report`` into ``out`` (the top level, or under ``section``), keeping the rest of the file."""
    old = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else {}
    new = {**report, **({"pipeline": old["pipeline"]} if "pipeline" in old else {})} if section is None \
        else {**old, section: report}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(new, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --- in process: static against continuous batching ---------------------------------------------------------

def workload(gen: Any, settings: Any, copies: int) -> list[GenerationRequest]:
    renderer = SeedRenderer(settings.templates_dir)
    requests = []
    for record in example_records(finished_only=True):
        for task in ("note", "summary"):
            if not renderer.has_template(record["type"], task, "ru"):
                continue
            seed = renderer.render(record, task, "ru")
            t = SimpleNamespace(seed=seed, record=record, language="ru", record_type=record["type"])
            prompt, prefix, slots = model_prompt(t, gen.prompt_format)
            for c in range(copies):
                key = f"{record['id']}:{task}:{c}"
                requests.append(GenerationRequest(prompt=prompt, prefix=prefix,
                                                  sampling=sampling_for(settings, key, 0, gen.sampling_defaults),
                                                  grounding=grounding_of(settings, t, slots)))
    return requests


class Clock:
    """Counts the calls of ``owner.name`` and the seconds they take (the model's forwards, the grounding mask),
    so a run's time splits into them and the rest."""

    def __init__(self, owner: Any, name: str):
        self.calls, self.seconds = 0, 0.0
        inner = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.calls += 1
                self.seconds += time.perf_counter() - started
        setattr(owner, name, timed)

    def reset(self) -> tuple[int, float]:
        """The calls and seconds since the last reset."""
        out, (self.calls, self.seconds) = (self.calls, self.seconds), (0, 0.0)
        return out


def saturate(gen: Any, requests: list[GenerationRequest], max_batch: int, continuous: bool) -> tuple[float, list[str]]:
    batching = BatchingGenerator(gen, max_batch, 0.05, continuous=continuous)
    texts: list[str] = [""] * len(requests)

    def call(i: int) -> None:
        texts[i] = batching.generate([requests[i]])[0].text

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(requests))]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    batching.close()
    return seconds, texts


def in_process(args: argparse.Namespace, model: Path) -> None:
    from newsgen.generation.onnx_backend import load_onnx_generator
    from newsgen.generation.torch_backend import load_torch_generator

    settings = load_settings()
    gen = (load_onnx_generator(model / "onnx") if (model / "onnx" / "manifest.json").is_file()
           else load_torch_generator(str(model)))
    gen.prompt_lookup = settings.prompt_lookup_tokens
    requests = workload(gen, settings, args.copies)
    gen.generate(requests[:2])                                                     # warm
    from newsgen.generation import sampling

    clocks = {"forward": Clock(gen.runner, "forward"), "grounding": Clock(sampling, "mask_rows")}
    print(f"{len(requests)} requests (note + summary of the finished example records x {args.copies}), "
          f"{model}, {gen.backend}, batches of {settings.max_batch_size}; load average {os.getloadavg()[0]:.1f}",
          flush=True)
    spent: dict[str, float] = {"static": 0.0, "continuous": 0.0}
    split = {p: {c: [0, 0.0] for c in clocks} for p in spent}            # policy -> clock -> [calls, seconds]
    rounds: list[dict[str, Any]] = []
    texts: dict[str, list[str]] = {}
    for r in range(args.rounds):
        for policy in (("static", "continuous") if r % 2 == 0 else ("continuous", "static")):
            for c in clocks.values():
                c.reset()
            seconds, texts[policy] = saturate(gen, requests, settings.max_batch_size, policy == "continuous")
            spent[policy] += seconds
            row = {"round": r + 1, "policy": policy, "seconds": round(seconds, 2)}
            for name, c in clocks.items():
                calls, sec = c.reset()
                split[policy][name][0] += calls
                split[policy][name][1] += sec
                row[f"{name}_calls"], row[f"{name}_s"] = calls, round(sec, 2)
            rounds.append(row)
            print(f"  round {r + 1} {policy}: {seconds:.2f} s, {row['forward_calls']} forwards in "
                  f"{row['forward_s']:.2f} s, grounding mask {row['grounding_s']:.2f} s", flush=True)
    n = len(requests) * args.rounds
    report = {"model": str(model), "backend": gen.backend, "requests": len(requests), "rounds": args.rounds,
              "max_batch_size": settings.max_batch_size, "prompt_lookup_tokens": settings.prompt_lookup_tokens,
              "cores": os.cpu_count(), "loadavg_end": os.getloadavg(),
              "notes_per_s": {p: round(n / s, 3) for p, s in spent.items()},
              "continuous_to_static": round(spent["static"] / spent["continuous"], 2),
              # per policy: the model's forwards (decode steps + prefills) and the grounding mask (mask_rows, once
              # per step), calls, seconds and share of the time; the rest is sampling and batch bookkeeping
              "split": {p: {name: {"calls": int(c), "seconds": round(sec, 2), "share": round(sec / spent[p], 3)}
                            for name, (c, sec) in clocks_of.items()} for p, clocks_of in split.items()},
              "forward_static_to_continuous": round(split["static"]["forward"][1]
                                                    / split["continuous"]["forward"][1], 2),
              "same_texts": texts["static"] == texts["continuous"], "rounds_seconds": rounds}
    update_results(args.out, report)
    print(json.dumps(report, indent=2, ensure_ascii=False))


# --- through the pipeline: saturation, then latency under Poisson arrivals ----------------------------------

def pct(values: list[float], q: int) -> float:
    """The ``q``-th percentile, interpolated within the data (no extrapolation past the largest)."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


class Pipeline:
    """One bridge and one worker on fresh topics and queue, with ``env`` on top of the defaults."""

    def __init__(self, env: dict[str, str], work: Path):
        from newsgen.routing import RecordRouter
        from producers.publish import RecordPublisher
        from workers.topics import ensure_topics

        self.run = run = uuid.uuid4().hex[:6]
        self.env = {**env, "NEWSGEN_RECORDS_TOPIC": f"bench-{run}.records",
                    "NEWSGEN_NOTES_TOPIC": f"bench-{run}.notes", "NEWSGEN_DEAD_LETTER_TOPIC": f"bench-{run}.dead",
                    "NEWSGEN_CONSUMER_GROUP": f"bench-{run}", "NEWSGEN_CELERY_QUEUE": f"bench-{run}"}
        os.environ.update(self.env)
        self.settings = load_settings()
        ensure_topics(self.settings)
        self.router = RecordRouter(self.settings)
        self.publisher = RecordPublisher(self.settings)
        self.log_dir = work / f"logs-{run}"
        self.notes: dict[str, Any] = {}                    # key -> note message, every one read so far
        self.n = 0

    def line(self, record: dict) -> tuple[bytes, set[str]]:
        """A copy of ``record`` under a new id, and the keys of the notes it must give."""
        self.n += 1
        raw = json.dumps({**record, "id": f"bench-{self.run}-{self.n:05d}"}, ensure_ascii=False).encode()
        return raw, {t.key for t in self.router.route(raw).tasks}

    def wait(self, keys: set[str], timeout_s: float = 300) -> None:
        """Read the notes topic until every note of ``keys`` is there (exits after ``timeout_s`` of silence)."""
        from workers.topics import read_messages

        if not keys <= self.notes.keys():
            for m in read_messages(self.settings, self.settings.notes_topic, timeout_s=timeout_s):
                self.notes[m.value["key"]] = m
                if keys <= self.notes.keys():
                    break
        if not keys <= self.notes.keys():
            sys.exit(f"{len(keys - self.notes.keys())} of {len(keys)} notes did not arrive; logs in {self.log_dir}")

    def latencies(self, keys: set[str]) -> dict[str, Any]:
        from workers.topics import read_messages

        sent = {m.value["id"]: m.timestamp_ms for m in
                read_messages(self.settings, self.settings.records_topic, timeout_s=3)}
        notes = [self.notes[k] for k in keys]
        ms = [m.timestamp_ms - sent[m.value["record_id"]] for m in notes]
        return {"notes": len(ms), "p50_ms": round(pct(ms, 50)), "p95_ms": round(pct(ms, 95)),
                "p99_ms": round(pct(ms, 99)), "max_ms": max(ms),
                "model_notes": sum(not m.value["provenance"].get("fallback") for m in notes)}


def saturation(p: Pipeline, records: list[dict], copies: int) -> dict[str, Any]:
    lines, keys = zip(*(p.line(r) for _ in range(copies) for r in records))
    expected = set().union(*keys)
    t0 = time.perf_counter()
    p.publisher.publish(list(lines))
    p.wait(expected)
    seconds = time.perf_counter() - t0
    return {"records": len(lines), "seconds": round(seconds, 2), "notes_per_s": round(len(expected) / seconds, 3),
            **p.latencies(expected)}


def one_at_a_time(p: Pipeline, records: list[dict]) -> dict[str, Any]:
    """Each record alone: published once the previous one's notes are all out (the single-request latency the
    loaded levels are compared with)."""
    expected: set[str] = set()
    for record in records:
        raw, keys = p.line(record)
        p.publisher.publish([raw])
        p.wait(keys)
        expected |= keys
    return {"records": len(records), **p.latencies(expected)}


def poisson(p: Pipeline, records: list[dict], rate_rps: float, duration_s: float, seed: int) -> dict[str, Any]:
    """Records at exponential inter-arrival times (mean 1/rate) for ``duration_s``; every note's latency."""
    rng = random.Random(seed)
    order = rng.sample(records, len(records))
    expected: set[str] = set()
    t0 = time.perf_counter()
    at, i = rng.expovariate(rate_rps), 0
    while at < duration_s:
        time.sleep(max(0.0, t0 + at - time.perf_counter()))
        raw, keys = p.line(order[i % len(order)])
        p.publisher.publish([raw])
        expected |= keys
        at, i = at + rng.expovariate(rate_rps), i + 1
    if not expected:
        return {"records": 0, "notes": 0}
    p.wait(expected)
    return {"records": i, "notes_per_s_offered": round(len(expected) / duration_s, 3), **p.latencies(expected)}


def on_sigterm(*_: Any) -> None:
    """Exit through the ``finally``/``with`` blocks, so the worker and bridge stop too (once: GNU ``timeout``
    signals the process and then its whole group)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(143)


def pipeline(args: argparse.Namespace, model: Path, kind: str, work: Path) -> None:
    from newsgen.cli.stack import SERVICES, LocalStack, services_running

    settings = load_settings()
    records = example_records()
    signal.signal(signal.SIGTERM, on_sigterm)
    started = not services_running()
    if started:
        subprocess.run(["bash", str(SERVICES), "start"], check=True)
    report: dict[str, Any] = {
        "model": str(model), "model_kind": kind, "records": len(records), "sports": list(SPORTS),
        "duration_s": args.duration, "loads": args.loads, "seed": args.seed, "copies": args.copies,
        "max_batch_size": settings.max_batch_size, "max_new_tokens": settings.sampling.max_new_tokens,
        "continuous_batching": settings.continuous_batching,
        "candidates": settings.candidates, "fact_check": settings.fact_check, "cores": os.cpu_count(),
        "loadavg_start": os.getloadavg(), "lookup": {}}
    capacity = None
    try:
        for tokens in args.lookup or (settings.prompt_lookup_tokens or 4, 0):
            name = "on" if tokens else "off"
            env = {"NEWSGEN_MODEL": str(model), "NEWSGEN_PROMPT_LOOKUP_TOKENS": str(tokens)}
            p = Pipeline(env, work)
            with LocalStack(p.env, p.log_dir, manage_services=False):
                print(f"lookup {name} ({tokens} tokens): worker starting, warm-up record", flush=True)
                raw, keys = p.line(records[0])
                p.publisher.publish([raw])
                p.wait(keys)
                single = one_at_a_time(p, records)
                print(f"  one at a time: {single['notes']} notes, p50 {single['p50_ms']} ms, "
                      f"p95 {single['p95_ms']} ms", flush=True)
                sat = saturation(p, records, args.copies)
                capacity = capacity or sat["notes_per_s"]                             # the first setting's
                print(f"  saturation: {sat['notes']} notes in {sat['seconds']} s = {sat['notes_per_s']} notes/s",
                      flush=True)
                levels = []
                for load in args.loads:
                    rate = load * capacity / (sat["notes"] / sat["records"])                 # records/s
                    level = {"load": load, "records_per_s": round(rate, 3),
                             **poisson(p, records, rate, args.duration, args.seed + int(load * 100))}
                    levels.append(level)
                    print(f"  load {load:.0%}: {level.get('notes', 0)} notes, p50 {level.get('p50_ms')} ms, "
                          f"p95 {level.get('p95_ms')} ms, p99 {level.get('p99_ms')} ms", flush=True)
            p.publisher.close()
            half = next((lv for lv in levels if lv["load"] == 0.5 and lv.get("notes")), None)
            report["lookup"][name] = {"prompt_lookup_tokens": tokens, "one_at_a_time": single,
                                      "saturation": sat, "levels": levels,
                                      # target: p95 at 50 % load <= 2 x the single-request latency (its p50)
                                      "p95_at_50_to_single_p50": round(half["p95_ms"] / single["p50_ms"], 2)
                                      if half else None}
    finally:
        if started:
            subprocess.run(["bash", str(SERVICES), "stop"], check=False)
    report["capacity_notes_per_s"] = capacity
    report["loadavg_end"] = os.getloadavg()
    update_results(args.out, report, "pipeline")
    table(report)
    from plot_serving import plot
    print(f"written to {args.out} and {plot(report, args.out.with_suffix('.png'))}")


def table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"record-to-note latency, {report['model']} (capacity {report['capacity_notes_per_s']} notes/s)")
    for col in ("lookup", "load", "records/s", "notes", "model notes", "p50 ms", "p95 ms", "p99 ms", "notes/s"):
        t.add_column(col, justify="left" if col == "lookup" else "right")
    for name, run in report["lookup"].items():
        one = run.get("one_at_a_time")
        if one:
            t.add_row(name, "one at a time", "", str(one["notes"]), str(one["model_notes"]),
                      str(one["p50_ms"]), str(one["p95_ms"]), str(one["p99_ms"]), "")
        s = run["saturation"]
        t.add_row(name, "saturation", "", str(s["notes"]), str(s["model_notes"]), str(s["p50_ms"]),
                  str(s["p95_ms"]), str(s["p99_ms"]), f"{s['notes_per_s']:.2f}")
        for lv in run["levels"]:
            t.add_row(name, f"{lv['load']:.0%}", f"{lv['records_per_s']:.3f}", str(lv.get("notes", 0)),
                      str(lv.get("model_notes", "")), str(lv.get("p50_ms", "")), str(lv.get("p95_ms", "")),
                      str(lv.get("p99_ms", "")), f"{lv.get('notes_per_s_offered', 0):.2f}")
    Console(width=120).print(t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=None, help="default: the demo model, else a tiny random one")
    ap.add_argument("--pipeline", action="store_true", help="latency under load through Kafka, bridge and worker")
    ap.add_argument("--copies", type=int, default=None,
                    help="copies of the example set (in process: 2, each its own seeds; --pipeline saturation: 1)")
    ap.add_argument("--rounds", type=int, default=2, help="in process: rounds of static + continuous")
    ap.add_argument("--duration", type=float, default=60.0, help="--pipeline: seconds of arrivals per load level")
    ap.add_argument("--loads", type=float, nargs="+", default=[0.25, 0.5, 0.75],
                    help="--pipeline: arrival rates as fractions of the measured capacity")
    ap.add_argument("--seed", type=int, default=16, help="--pipeline: seed of the arrivals")
    ap.add_argument("--lookup", type=int, nargs="+", default=None, metavar="TOKENS",
                    help="--pipeline: prompt-lookup settings to run, in order; the loads are fractions of the "
                    "first one's capacity (default: the settings' value, then 0)")
    ap.add_argument("--out", type=Path, default=RESULTS / "serving.json")
    args = ap.parse_args()
    args.copies = args.copies or (1 if args.pipeline else 2)
    work = Path(tempfile.mkdtemp(prefix="newsgen-serving-"))
    model, kind = (args.model, "given") if args.model else pick_model(work)
    if args.pipeline:
        pipeline(args, model, kind, work)
    else:
        in_process(args, model)


if __name__ == "__main__":
    main()
