"""Serving benchmark, in process: static micro-batches against continuous batching at saturation.

    .venv/bin/python bench/serving.py                  # the demo model if built, else the tiny one

The example football, hockey and basketball records (finished ones), note and summary tasks, each request as
the worker builds it: the model's prompt format, sampling (its defaults under the settings, real stop
strings, a seed per task), strict grounding. ``--copies`` copies of that set arrive at once from as many
threads as tasks into one :class:`~newsgen.generation.batching.BatchingGenerator` (``max_batch_size`` rows),
static and continuous alternately for ``--rounds`` rounds; notes/s of each, and whether every text is the same
under both policies (it must be: a row does not depend on its batch mates).

Not yet the issue's whole serving benchmark: no Kafka, bridge or Celery here, and no latency under Poisson
arrivals. Writes bench/results/serving.json.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
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


def workload(gen: Any, settings: Any, copies: int) -> list[GenerationRequest]:
    renderer = SeedRenderer(settings.templates_dir)
    requests = []
    for sport in ("football", "hockey", "basketball"):
        lines = (ROOT / "producers" / "examples" / f"{sport}.jsonl").read_text(encoding="utf-8").splitlines()
        for record in (json.loads(ln) for ln in lines if ln.strip()):
            if record.get("status") != "finished":
                continue
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--copies", type=int, default=2, help="copies of the example set (each its own seeds)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "serving.json")
    args = ap.parse_args()

    from newsgen.generation.onnx_backend import load_onnx_generator
    from newsgen.generation.torch_backend import load_torch_generator
    from newsgen.training.demo import demo_model_dir

    settings = load_settings()
    model = args.model or demo_model_dir(settings)
    gen = (load_onnx_generator(model / "onnx") if (model / "onnx" / "manifest.json").is_file()
           else load_torch_generator(str(model)))
    gen.prompt_lookup = settings.prompt_lookup_tokens
    requests = workload(gen, settings, args.copies)
    gen.generate(requests[:2])                                                     # warm
    print(f"{len(requests)} requests (note + summary of the finished example records x {args.copies}), "
          f"{model}, {gen.backend}, batches of {settings.max_batch_size}; load average {os.getloadavg()[0]:.1f}",
          flush=True)
    spent: dict[str, float] = {"static": 0.0, "continuous": 0.0}
    rounds: list[dict[str, float]] = []
    texts: dict[str, list[str]] = {}
    for r in range(args.rounds):
        for policy in (("static", "continuous") if r % 2 == 0 else ("continuous", "static")):
            seconds, texts[policy] = saturate(gen, requests, settings.max_batch_size, policy == "continuous")
            spent[policy] += seconds
            rounds.append({"round": r + 1, "policy": policy, "seconds": round(seconds, 1)})  # type: ignore[dict-item]
            print(f"  round {r + 1} {policy}: {seconds:.1f} s", flush=True)
    n = len(requests) * args.rounds
    report = {"model": str(model), "backend": gen.backend, "requests": len(requests), "rounds": args.rounds,
              "max_batch_size": settings.max_batch_size, "prompt_lookup_tokens": settings.prompt_lookup_tokens,
              "cores": os.cpu_count(), "loadavg_end": os.getloadavg(),
              "notes_per_s": {p: round(n / s, 3) for p, s in spent.items()},
              "continuous_to_static": round(spent["static"] / spent["continuous"], 2),
              "same_texts": texts["static"] == texts["continuous"], "rounds_seconds": rounds}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
