"""The offline demo model (``newsgen model demo``): a small GPT-2 trained from scratch on synthetic pairs.

Steps: corpus records (:mod:`.corpus`: football, hockey and basketball) whose team and player names come
from the ``train`` name split -> their checked template notes and summaries in Russian and English
(:func:`.synth.make_pairs`, plain notes) -> a byte-level BPE tokenizer trained on the project's texts and
those notes -> a small random GPT-2 -> fine-tuning on the seed -> note pairs (:mod:`.finetune`) -> ONNX
export to ``<dir>/onnx`` (found by backend=auto) -> a report on held-out records of the ``heldout`` name
split (no team or player name of them occurs in training), measured through the worker's
:class:`newsgen.notes.NoteWriter` with each grounding mode: fact-check pass rate of the first candidate and
after best-of-N, per sport, task and language.

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
    records: int = 300              # corpus records per sport from the ``train`` name split (unplayed ones dropped)
    variants: int = 1               # notes per (record, task) when ``vary_notes``
    vary_notes: bool = False        # plain template notes only: one shape per situation is easier to copy
    heldout: int = 30               # narrated held-out records per sport (``heldout`` name split) in the report:
                                    # 30 per cell, so one note moves a cell by 3.3 points
    types: tuple[str, ...] = ("football_match", "hockey_match", "basketball_game")
    languages: tuple[str, ...] = ("ru", "en")
    vocab_size: int = 2000          # BPE over the slotted texts: frame words and numbers (the LM head is much of a step)
    n_layer: int = 2                # two layers learn to copy names and numbers from the record; more are slower
    n_embd: int = 128               # 128 wide: steps twice as cheap as 256, lower validation loss in the same time
    n_head: int = 4
    n_positions: int = 1024
    dropout: float = 0.0            # a short run underfits: dropout only slows it down
    batch_size: int = 8
    lr: float = 4e-3
    prefix_free_until: float = 0.0   # (with seed examples) warm-up without them, 3x cheaper steps, then the full seed
    seed_examples: bool = False     # a fine-tuned model needs no few-shot examples: steps 3x cheaper, no names of
                                    # the examples' records to confuse with the record's
    slots: bool = True              # names as pointer slots (newsgen.slots): the model never has to spell a name
    max_steps: int = 8000           # more than fit: the time budget ends (and anneals) the run
    time_budget_s: float = 640.0    # training time at most (what it trains is bounded by time, not steps) ...
    build_budget_s: float = 840.0   # ... and less when synthesis ran long: the whole build stays within this,
    eval_reserve_s: float = 120.0   # keeping this much for the export and the report (setup allows 15 minutes)
    candidates: int = 3             # best-of-N in the report (the worker's default ``candidates``)
    grounding_modes: tuple[str, ...] = ("strict", "off")  # the report evaluates each (the worker's default first)
    seed: int = 0
    #: the sampling the demo model recommends (its generation_config.json): no repetition penalty and no
    #: n-gram ban, since a note repeats scorers' names and score patterns; a cooler temperature
    sampling: tuple[tuple[str, Any], ...] = (("do_sample", True), ("temperature", 0.3), ("top_k", 40), ("top_p", 0.95),
                                             ("repetition_penalty", 1.0), ("no_repeat_ngram_size", 0))


#: what the demo model is built from (besides its config and the library versions): a change here rebuilds it
DEMO_INPUTS = ("newsgen/training", "newsgen/generation/tiny.py", "newsgen/generation/export.py", "newsgen/fallback.py",
               "newsgen/facts", "newsgen/seeds.py", "newsgen/slots.py", "newsgen/grammar", "newsgen/records.py",
               "templates", "schemas")


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
    from newsgen.generation.base import PromptFormat
    from newsgen.slots import SLOT_TOKEN
    from newsgen.training.finetune import FinetuneConfig, finetune, seed_texts
    from newsgen.training.synth import SynthStats, make_pairs

    say = progress or (lambda _info: None)
    started = time.monotonic()
    digest = inputs_digest(cfg)     # of the inputs as the build starts (they may be edited while it runs)
    out_dir = Path(out_dir)
    stats = SynthStats()
    say({"stage": f"synthesising {cfg.records} records per sport (train names)"})
    records = training_records(cfg)
    pairs = list(make_pairs(records, cfg.languages, cfg.variants, cfg.seed, stats, vary_notes=cfg.vary_notes))
    synth_s = time.monotonic() - started
    base = out_dir.parent / (out_dir.name + ".base")
    say({"stage": "training tokenizer, building the base model"})
    fmt = PromptFormat(examples=cfg.seed_examples and not cfg.slots, slots=cfg.slots)
    sample = random.Random(cfg.seed).sample(pairs, min(len(pairs), 4000))
    if cfg.slots:    # the texts the model reads and writes, slot tokens left out (they are added whole)
        texts = corpus_texts() + [SLOT_TOKEN.sub(" ", rest + target) for rest, target in
                                  (t[1:] for t in seed_texts(sample, fmt) if t is not None)]
    else:
        texts = corpus_texts() + [p["note"] for p in sample]
    build_tiny_model(base, texts, TinyConfig(vocab_size=cfg.vocab_size, n_layer=cfg.n_layer, n_embd=cfg.n_embd,
                                             n_head=cfg.n_head, n_positions=cfg.n_positions, seed=cfg.seed,
                                             dropout=cfg.dropout))
    spent = time.monotonic() - started
    training_budget = max(30.0, min(cfg.time_budget_s, cfg.build_budget_s - cfg.eval_reserve_s - spent))
    say({"stage": f"training for at most {training_budget:.0f} s"})
    ft = FinetuneConfig(max_steps=cfg.max_steps, batch_size=cfg.batch_size, lr=cfg.lr, warmup_steps=30,
                        eval_every=200, save_every=0, val_fraction=0.03, max_val=32, device="cpu",
                        time_budget_s=training_budget, seed=cfg.seed, threads=torch.get_num_threads(),
                        prefix_free_until=cfg.prefix_free_until, seed_examples=cfg.seed_examples, slots=cfg.slots)
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
    eval_started = time.monotonic()
    heldout = heldout_records(cfg)
    evaluation = evaluate_model(out_dir, export_dir if export else None, cfg, heldout)
    evaluation["seconds"] = round(time.monotonic() - eval_started, 1)
    evaluation["names_shared_with_training"] = sorted(record_names(heldout) & record_names(records))
    report = {"model": "newsgen demo model: small GPT-2 trained from scratch on synthetic data (not ruGPT-3)",
              "inputs_digest": digest, "config": asdict(cfg), "synth": stats.as_dict(),
              "train_records": len(records), "train_pairs": len(pairs), "synth_seconds": round(synth_s, 1),
              "finetune": {"steps": result.steps, "train_examples": result.train_examples,
                           "val_examples": result.val_examples, "skipped": result.skipped,
                           "val_loss_first": result.val_losses[0] if result.val_losses else None,
                           "val_loss_last": result.val_losses[-1] if result.val_losses else None,
                           "seconds": round(result.seconds, 1)},
              "training_budget_s": round(training_budget, 1), "build_seconds_before_eval": round(train_s, 1), "threads": torch.get_num_threads(),
              "build_seconds": None,
              "evaluation": evaluation}
    report["build_seconds"] = round(time.monotonic() - started, 1)
    (out_dir / "demo_report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if report_path is not None:
        Path(report_path).parent.mkdir(parents=True, exist_ok=True)
        Path(report_path).write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    import shutil

    shutil.rmtree(base, ignore_errors=True)
    return report


def _narrated(cfg: DemoConfig, split: str, per_sport: int, seed: int) -> list[dict[str, Any]]:
    """Up to ``per_sport`` valid, model-narrated corpus records of each sport of ``cfg.types``."""
    from newsgen.config import ROOT
    from newsgen.errors import NewsgenError
    from newsgen.fallback import needs_model
    from newsgen.records import RecordValidator
    from newsgen.training.corpus import corpus_records

    validator = RecordValidator(ROOT / "schemas")
    per: dict[str, list[dict[str, Any]]] = {t: [] for t in cfg.types}
    for rec in corpus_records(per_sport * 2 + 10, seed=seed, split=split, sports=cfg.types):
        if len(per[rec["type"]]) >= per_sport or not needs_model(rec):
            continue
        try:
            validator.validate(rec)
        except NewsgenError:
            continue
        per[rec["type"]].append(rec)
    return [r for t in cfg.types for r in per[t]]


def training_records(cfg: DemoConfig) -> list[dict[str, Any]]:
    """Narrated corpus records of the ``train`` name split: at most ``cfg.records`` of each sport."""
    return _narrated(cfg, "train", cfg.records, cfg.seed)


def heldout_records(cfg: DemoConfig) -> list[dict[str, Any]]:
    """``cfg.heldout`` narrated records of each sport from the ``heldout`` name split: no team or player name
    of them occurs in training."""
    return _narrated(cfg, "heldout", cfg.heldout, cfg.seed)


def record_names(records: Sequence[dict[str, Any]]) -> set[str]:
    """Team and player names of records (teams, scorers, assistants, leaders, penalties, cards, referees)."""
    out: set[str] = set()
    for rec in records:
        out.update(rec[side]["name"] for side in ("home", "away") if isinstance(rec.get(side), dict))
        if rec.get("referee"):
            out.add(rec["referee"])
        for key in ("goals", "leaders", "penalties", "cards"):
            for e in rec.get(key, []):
                out.update([e["player"]] if e.get("player") else [])
                out.update(e["assists"] if isinstance(e.get("assists"), list) else [])
    return out


def _tasks(records: Sequence[dict[str, Any]], cfg: DemoConfig) -> list[Any]:
    """The worker's task messages for every record, task and language (as :mod:`newsgen.routing` builds them)."""
    from newsgen.config import load_settings
    from newsgen.messages import SeedInfo, TaskMessage
    from newsgen.seeds import SeedRenderer, tasks_for_type

    renderer = SeedRenderer(load_settings().templates_dir)
    tasks = []
    for lang in cfg.languages:
        for rec in records:
            for task in tasks_for_type(rec["type"]):
                seed = renderer.render(rec, task, lang)
                tasks.append(TaskMessage(key=f"{rec['id']}:{task}:{rec.get('revision', 0)}", task=task,
                                         record_type=rec["type"], record_id=rec["id"],
                                         revision=rec.get("revision", 0), language=lang, record=rec,
                                         seed=SeedInfo.of(seed)))
    return tasks


def _rate(a: int, n: int) -> float:
    return round(a / max(n, 1), 3)


def evaluate_model(model_dir: Path, export_dir: Path | None, cfg: DemoConfig,
                   records: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    """First-candidate and best-of-N fact-check pass rates on held-out records, per grounding mode and per
    sport, task and language, measured through the worker's :class:`newsgen.notes.NoteWriter` (seeds,
    sampling, grounding, post-processing, fact check and fallback as in the service).

    A note passes on its first candidate when the writer published model text from candidate 0, and after
    best-of-N when it published model text at all (not the template fallback)."""
    from collections import Counter

    from newsgen.config import load_settings
    from newsgen.fallback import render_fallback
    from newsgen.generation.grounding import allows_text
    from newsgen.notes import NoteWriter, grounding_of, sampling_for
    from newsgen.training.finetune import target_text

    if export_dir is not None:
        from newsgen.generation.onnx_backend import load_onnx_generator

        generator = load_onnx_generator(export_dir, device="cpu")
    else:
        from newsgen.generation.torch_backend import load_torch_generator

        generator = load_torch_generator(str(model_dir))
    records = list(records) if records is not None else heldout_records(cfg)
    tasks = _tasks(records, cfg)
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for t in tasks:
        groups.setdefault((t.record_type, t.task, t.language), []).append(t)
    modes: dict[str, Any] = {}
    samples: list[dict[str, Any]] = []
    for mode in cfg.grounding_modes:
        settings = load_settings(candidates=cfg.candidates, grounding=mode, fact_check=True)
        writer = NoteWriter(generator, settings, worker="demo-report")
        cells, reasons = {}, Counter()
        first_all = best_all = 0
        mode_started = time.monotonic()
        for (sport, task, lang), group in groups.items():
            first = best = 0
            if mode != "off":  # can the template's own note be written under this grounding? (a ceiling)
                allowed = 0
                for t in group:
                    g = grounding_of(settings, t)
                    note = render_fallback(t.record, t.task, t.language, templates_dir=settings.templates_dir).text
                    allowed += allows_text(g, target_text(t.seed.prompt, t.seed.lead, note).rstrip("\n"), t.seed.prompt)
            for j in range(0, len(group), 16):      # one prefix per batch, as the worker's batches mostly are
                chunk = group[j:j + 16]
                for t, note in zip(chunk, writer.write(chunk)):
                    prov = note.provenance
                    ok = not prov.fallback
                    first += ok and prov.candidate == 0
                    best += ok
                    for cand in prov.rejected:
                        reasons.update(r.split(":")[0] for r in cand.reasons)
                    if t is group[0]:
                        head = prov.rejected[0] if prov.rejected else None
                        samples.append({"grounding": mode, "record": t.record_id, "task": task, "language": lang,
                                        "passed_first": bool(ok and prov.candidate == 0),
                                        "text": head.text if head else note.text,
                                        "reasons": head.reasons if head else []})
            cells[f"{sport}/{task}/{lang}"] = {"first": _rate(first, len(group)), "best_of_n": _rate(best, len(group)),
                                               "notes": len(group), "passed_first": first, "passed_best": best}
            if mode != "off":
                cells[f"{sport}/{task}/{lang}"]["template_allowed"] = allowed
            first_all, best_all = first_all + first, best_all + best
        by: dict[str, dict[str, list[int]]] = {"task": {}, "language": {}, "sport": {}, "task_language": {}}
        allowed_by: dict[str, list[int]] = {}
        for (sport, task, lang), group in groups.items():
            c = cells[f"{sport}/{task}/{lang}"]
            n = c["notes"]
            if "template_allowed" in c:
                acc = allowed_by.setdefault(f"{task}/{lang}", [0, 0])
                acc[0], acc[1] = acc[0] + c["template_allowed"], acc[1] + n
            for dim, key in (("task", task), ("language", lang), ("sport", sport), ("task_language", f"{task}/{lang}")):
                acc = by[dim].setdefault(key, [0, 0, 0])
                acc[0] += c["passed_first"]
                acc[1] += c["passed_best"]
                acc[2] += n
        modes[mode] = {"first_candidate_pass_rate": _rate(first_all, len(tasks)),
                       "best_of_n_pass_rate": _rate(best_all, len(tasks)), "notes": len(tasks),
                       **{f"by_{dim}": {k: {"first": _rate(a, n), "best_of_n": _rate(b, n), "notes": n}
                                        for k, (a, b, n) in v.items()} for dim, v in by.items()},
                       "template_note_allowed": {k: _rate(a, n) for k, (a, n) in allowed_by.items()} or None,
                       "cells": cells, "rejection_reasons": dict(reasons.most_common(12)),
                       "seconds": round(time.monotonic() - mode_started, 1)}
    main = modes[cfg.grounding_modes[0]]
    settings = load_settings()
    return {"heldout_records": len(records), "notes": len(tasks), "candidates": cfg.candidates,
            "backend": generator.backend, "grounding": cfg.grounding_modes[0],
            "sampling": vars(sampling_for(settings, "", 0, generator.sampling_defaults)) | {"seed": settings.sampling.seed},
            "first_candidate_pass_rate": main["first_candidate_pass_rate"],
            "best_of_n_pass_rate": main["best_of_n_pass_rate"], "by_task": main["by_task"],
            "by_grounding": modes, "samples": samples}
