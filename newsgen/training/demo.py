"""The offline demo model (``newsgen model demo``): a small GPT-2 trained from scratch on synthetic pairs.

Steps: synthetic football records -> checked template notes with variation (:mod:`.synth`) -> a byte-level
BPE tokenizer trained on the project's texts and those notes -> a small random GPT-2 -> fine-tuning on the
seed -> note pairs (:mod:`.finetune`) -> ONNX export to ``<dir>/onnx`` (found by backend=auto) -> a report on
held-out synthetic records: fact-check pass rate of the first candidate and after best-of-N.

A demo model trained on synthetic data: it learns the template notes' format for the record types it saw,
not journalism. Everything it prints still goes through the fact check and the template fallback.
"""
from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from newsgen.config import Settings


@dataclass(frozen=True)
class DemoConfig:
    records: int = 1500             # synthetic records to train on (each gives a note and a summary pair)
    variants: int = 2               # notes per (record, task): the plain one and a varied one
    heldout: int = 40               # held-out synthetic records for the report
    types: tuple[str, ...] = ("football_match",)  # the demo publishes football records
    languages: tuple[str, ...] = ("ru",)
    vocab_size: int = 4000
    n_layer: int = 2                # two layers learn to copy names and numbers from the record; more are slower
    n_embd: int = 256
    n_head: int = 4
    n_positions: int = 1024
    dropout: float = 0.0            # a short run underfits: dropout only slows it down
    batch_size: int = 8
    lr: float = 3e-3
    prefix_free_until: float = 0.75  # warm-up without the few-shot prefix (3x cheaper steps), then the full seed
    max_steps: int = 1800           # ~10 minutes on 2 quiet CPU cores
    time_budget_s: float = 900.0    # a cap: a slower machine stops here (and anneals earlier) instead
    candidates: int = 3             # best-of-N in the report (the worker's default ``candidates``)
    seed: int = 0
    #: the sampling the demo model recommends (its generation_config.json): no repetition penalty and no
    #: n-gram ban, since a note repeats scorers' names and score patterns; a cooler temperature
    sampling: tuple[tuple[str, Any], ...] = (("do_sample", True), ("temperature", 0.5), ("top_k", 40), ("top_p", 0.95),
                                             ("repetition_penalty", 1.0), ("no_repeat_ngram_size", 0))


#: what the demo model is built from (besides its config and the library versions): a change here rebuilds it
DEMO_INPUTS = ("newsgen/training", "newsgen/generation/tiny.py", "newsgen/generation/export.py", "newsgen/fallback.py",
               "newsgen/facts", "newsgen/seeds.py", "newsgen/grammar", "newsgen/records.py", "templates", "schemas")


def demo_model_dir(settings: Settings) -> Path:
    """Where ``newsgen model demo`` puts the demo model (next to the random ``tiny`` one)."""
    return settings.state_dir / "models" / "demo"


def inputs_digest(cfg: DemoConfig = DemoConfig()) -> str:
    """A short hash of everything the demo model is built from: its config, the code and templates in
    :data:`DEMO_INPUTS`, and the torch, transformers and tokenizers versions."""
    import hashlib
    from importlib.metadata import version

    from newsgen.config import ROOT

    h = hashlib.sha256(json.dumps(asdict(cfg), sort_keys=True).encode())
    h.update(" ".join(version(p) for p in ("torch", "transformers", "tokenizers")).encode())
    files = sorted(f for name in DEMO_INPUTS for f in ([ROOT / name] if (ROOT / name).is_file() else
                   (ROOT / name).rglob("*")) if f.is_file() and f.suffix in (".py", ".j2", ".json"))
    for f in files:
        h.update(f.relative_to(ROOT).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def built_digest(model_dir: Path) -> str | None:
    """The inputs digest a built demo model records in its report, or None when there is no complete model."""
    report = Path(model_dir) / "demo_report.json"
    if not (Path(model_dir) / "onnx" / "manifest.json").is_file() or not report.is_file():
        return None
    return json.loads(report.read_text(encoding="utf-8")).get("inputs_digest")


def build_demo_model(out_dir: Path, cfg: DemoConfig = DemoConfig(), report_path: Path | None = None,
                     progress: Callable[[dict[str, Any]], None] | None = None, export: bool = True) -> dict[str, Any]:
    """Build, export and evaluate the demo model; returns the report (also written to ``report_path``)."""
    import torch

    from newsgen.generation.tiny import TinyConfig, build_tiny_model, corpus_texts
    from newsgen.training.finetune import FinetuneConfig, finetune
    from newsgen.training.synth import SynthStats, synth_pairs

    say = progress or (lambda _info: None)
    started = time.monotonic()
    out_dir = Path(out_dir)
    stats = SynthStats()
    say({"stage": f"synthesising {cfg.records} records"})
    pairs = list(synth_pairs(cfg.records, seed=cfg.seed, languages=cfg.languages, types=cfg.types,
                             variants=cfg.variants, stats=stats))
    base = out_dir.parent / (out_dir.name + ".base")
    say({"stage": "training tokenizer, building the base model"})
    texts = corpus_texts() + [p["note"] for p in pairs[:3000]]
    build_tiny_model(base, texts, TinyConfig(vocab_size=cfg.vocab_size, n_layer=cfg.n_layer, n_embd=cfg.n_embd,
                                             n_head=cfg.n_head, n_positions=cfg.n_positions, seed=cfg.seed,
                                             dropout=cfg.dropout))
    ft = FinetuneConfig(max_steps=cfg.max_steps, batch_size=cfg.batch_size, lr=cfg.lr, warmup_steps=30,
                        eval_every=100, save_every=0, val_fraction=0.03, max_val=32, device="cpu",
                        time_budget_s=cfg.time_budget_s, seed=cfg.seed, threads=torch.get_num_threads(),
                        prefix_free_until=cfg.prefix_free_until)
    result = finetune(str(base), pairs, out_dir, ft, progress=say)
    generation_config = json.loads((out_dir / "generation_config.json").read_text(encoding="utf-8"))
    (out_dir / "generation_config.json").write_text(json.dumps(generation_config | dict(cfg.sampling), indent=2),
                                                    encoding="utf-8")
    train_s = time.monotonic() - started
    export_dir = out_dir / "onnx"
    if export:
        say({"stage": f"exporting ONNX to {export_dir}"})
        from newsgen.generation.export import export_model

        export_model(str(out_dir), export_dir, precision="fp32")
    say({"stage": "evaluating on held-out synthetic records"})
    evaluation = evaluate_model(out_dir, export_dir if export else None, cfg)
    report = {"model": "newsgen demo model: small GPT-2 trained from scratch on synthetic data (not ruGPT-3)",
              "inputs_digest": inputs_digest(cfg), "config": asdict(cfg), "synth": stats.as_dict(), "train_pairs": len(pairs),
              "finetune": {"steps": result.steps, "train_examples": result.train_examples,
                           "val_examples": result.val_examples, "skipped": result.skipped,
                           "val_loss_first": result.val_losses[0] if result.val_losses else None,
                           "val_loss_last": result.val_losses[-1] if result.val_losses else None,
                           "seconds": round(result.seconds, 1)},
              "build_seconds_before_eval": round(train_s, 1), "threads": torch.get_num_threads(),
              "evaluation": evaluation}
    (out_dir / "demo_report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if report_path is not None:
        Path(report_path).parent.mkdir(parents=True, exist_ok=True)
        Path(report_path).write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    import shutil

    shutil.rmtree(base, ignore_errors=True)
    return report


def heldout_records(cfg: DemoConfig) -> list[dict[str, Any]]:
    """Synthetic records from another RNG stream than training (seed + 10_000), valid and model-narrated."""
    from newsgen.training.synth import synth_pairs

    seen, out = set(), []
    for pair in synth_pairs(cfg.heldout, seed=cfg.seed + 10_000, languages=cfg.languages, types=cfg.types):
        if pair["record"]["id"] not in seen:
            seen.add(pair["record"]["id"])
            out.append(pair["record"])
    return out


def evaluate_model(model_dir: Path, export_dir: Path | None, cfg: DemoConfig,
                   records: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Fact-check pass rate of the first sampled candidate and of best-of-N, per task, on held-out records."""
    from newsgen.config import load_settings
    from newsgen.facts import check
    from newsgen.generation import GenerationRequest
    from newsgen.generation.postprocess import finish_text
    from newsgen.notes import sampling_for
    from newsgen.seeds import SeedRenderer, tasks_for_type

    settings = load_settings()
    if export_dir is not None:
        from newsgen.generation.onnx_backend import load_onnx_generator

        generator = load_onnx_generator(export_dir, device="cpu")
    else:
        from newsgen.generation.torch_backend import load_torch_generator

        generator = load_torch_generator(str(model_dir))
    renderer = SeedRenderer(settings.templates_dir)
    records = list(records) if records is not None else heldout_records(cfg)
    jobs = [(rec, task, lang) for rec in records for lang in cfg.languages for task in tasks_for_type(rec["type"])]
    first = {t: [0, 0] for _, t, _ in jobs}
    best = {t: 0 for _, t, _ in jobs}
    samples = []
    passed_any = [False] * len(jobs)
    seeds = [renderer.render(rec, task, lang) for rec, task, lang in jobs]
    for k in range(cfg.candidates):
        todo = [i for i in range(len(jobs)) if not passed_any[i]]
        requests = [GenerationRequest(prompt=seeds[i].prompt, prefix=seeds[i].prefix,
                                      sampling=sampling_for(settings, f"{jobs[i][0]['id']}:{jobs[i][1]}", k,
                                                            generator.sampling_defaults))
                    for i in todo]
        results = []
        for j in range(0, len(requests), 16):
            results += generator.generate(requests[j:j + 16])
        for i, res in zip(todo, results):
            rec, task, lang = jobs[i]
            text = finish_text(seeds[i].lead, res.text)
            ok = check(rec, text, task, lang).passed
            if k == 0:
                first[task][1] += 1
                first[task][0] += ok
                if len(samples) < 6:
                    samples.append({"record": rec["id"], "task": task, "passed": ok, "text": text})
            if ok:
                passed_any[i] = True
                best[task] += 1
    n = len(jobs)
    return {"heldout_records": len(records), "notes": n, "candidates": cfg.candidates, "backend": generator.backend,
            "sampling": vars(sampling_for(settings, "", 0, generator.sampling_defaults)) | {"seed": settings.sampling.seed},
            "first_candidate_pass_rate": round(sum(v[0] for v in first.values()) / max(n, 1), 3),
            "best_of_n_pass_rate": round(sum(best.values()) / max(n, 1), 3),
            "by_task": {t: {"first": round(first[t][0] / max(first[t][1], 1), 3),
                            "best_of_n": round(best[t] / max(first[t][1], 1), 3), "notes": first[t][1]}
                        for t in first},
            "samples": samples}
