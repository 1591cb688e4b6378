"""``newsgen dataset synth``, ``newsgen model finetune`` and ``newsgen model demo``."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from newsgen.cli.common import console, errors_to_exit, settings_or_exit

dataset_app = typer.Typer(help="Training data: synthetic (record, note) pairs.", no_args_is_help=True)


def _progress_bar():
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[info]}"), console=console)


def _reporter(progress, task):
    def report(info: dict) -> None:
        if "stage" in info:
            progress.update(task, description=info["stage"])
            return
        fields = {}
        if "loss" in info:
            fields["info"] = f"loss {info['loss']:.3f}"
        if "val_loss" in info:
            console.print(f"step {info['step']}: validation loss {info['val_loss']:.4f}")
        progress.update(task, description="training", completed=info["step"], total=info["total"], **fields)
    return report


def synth(n: int = typer.Option(1000, "--n", help="synthetic records to generate"),
          out: Path = typer.Option(Path("pairs.jsonl"), help="output JSONL (record, task, language, note)"),
          seed: int = typer.Option(0, help="RNG seed"),
          language: list[str] = typer.Option(["ru"], help="note language (repeatable: ru, en)"),
          record_type: list[str] = typer.Option([], "--type", help="only these record types (repeatable)"),
          variants: int = typer.Option(2, help="notes per record and task: the plain one, then varied ones")) -> None:
    """Generate varied synthetic records of every type and write (record, note) pairs whose notes come from
    the template path with fact-safe variation; every note passes the fact check (failures are dropped)."""
    from newsgen.training.synth import SynthStats, synth_pairs, write_pairs

    stats = SynthStats()
    with errors_to_exit(), console.status(f"generating {n} records and their notes"):
        count = write_pairs(synth_pairs(n, seed=seed, languages=language, types=record_type or None,
                                        variants=variants, stats=stats), out)
    console.print(f"[green]{count} pairs[/] -> {out}  {json.dumps(stats.as_dict(), ensure_ascii=False)}")


def finetune(base: str = typer.Option(..., help="hub id (e.g. ai-forever/rugpt3small_based_on_gpt2) or model dir"),
             data: Path = typer.Option(..., exists=True, dir_okay=False, help="pairs JSONL (`newsgen dataset synth`)"),
             out: Path = typer.Option(..., help="output model directory (accepted by `newsgen model export`)"),
             epochs: float = typer.Option(1.0, help="passes over the training split"),
             max_steps: Optional[int] = typer.Option(None, help="stop after this many steps (overrides --epochs)"),
             batch_size: int = typer.Option(8, help="examples per step"),
             lr: float = typer.Option(5e-5, help="peak learning rate (ruGPT-3: 5e-5; a small model from scratch: 1e-3)"),
             val_fraction: float = typer.Option(0.05, help="share of pairs held out for validation"),
             eval_every: int = typer.Option(50, help="validate every N steps (0: at the end only)"),
             save_every: int = typer.Option(200, help="checkpoint every N steps into OUT/checkpoints (0: never)"),
             resume: bool = typer.Option(False, help="continue from the newest checkpoint in OUT/checkpoints"),
             device: str = typer.Option("auto", help="auto | cpu | cuda"),
             precision: str = typer.Option("auto", help="auto (bf16/fp16 on CUDA, fp32 on CPU) | fp32 | fp16 | bf16"),
             time_budget: Optional[float] = typer.Option(None, help="stop training after this many seconds"),
             prefix_free_until: float = typer.Option(0.0, min=0.0, max=1.0, help="train this fraction of the run "
                                                     "without the few-shot prefix first (3x cheaper steps; for "
                                                     "small models trained from scratch)"),
             seed_examples: bool = typer.Option(True, help="keep the seeds' few-shot examples in the prompt "
                                                "(--no-seed-examples: the record's facts and the lead only)"),
             slots: bool = typer.Option(False, help="names as pointer slots the worker realises from the record "
                                        "(newsgen/slots.py; implies --no-seed-examples)"),
             seed: int = typer.Option(0, help="RNG seed")) -> None:
    """Fine-tune a GPT-2-architecture model on (record, note) pairs: the seed is the prompt, the loss is on
    the note only."""
    from transformers.utils import logging as hf_logging

    from newsgen.training.finetune import FinetuneConfig, finetune as run
    from newsgen.training.synth import read_pairs

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    cfg = FinetuneConfig(epochs=epochs, max_steps=max_steps, batch_size=batch_size, lr=lr, val_fraction=val_fraction,
                         eval_every=eval_every, save_every=save_every, device=device, precision=precision,
                         time_budget_s=time_budget, seed=seed, prefix_free_until=prefix_free_until,
                         seed_examples=seed_examples, slots=slots)
    with errors_to_exit(), _progress_bar() as progress:
        task = progress.add_task("starting", total=None, info="")
        result = run(base, read_pairs(data), out, cfg, resume=resume, progress=_reporter(progress, task))
    vals = result.val_losses
    console.print(f"[green]model written to[/] {out} ({result.steps} steps, {result.train_examples} train / "
                  f"{result.val_examples} validation examples, {result.skipped} skipped; validation loss "
                  f"{vals[0]:.3f} -> {vals[-1]:.3f})" if vals else f"[green]model written to[/] {out}")
    console.print(f"next: newsgen model export {out} {out}/onnx")


def demo_model(out: Optional[Path] = typer.Argument(None, help="output directory [default: <state_dir>/models/demo]"),
               force: bool = typer.Option(False, help="rebuild even if a model built from the same inputs is there"),
               steps: Optional[int] = typer.Option(None, help="training steps [default: DemoConfig.max_steps]"),
               time_budget: Optional[float] = typer.Option(None, help="stop training after this many seconds even "
                                                           "if steps remain [default: DemoConfig.time_budget_s]"),
               cache: Optional[Path] = typer.Option(None, help="build into CACHE/demo-<inputs digest> (kept across "
                                                    "clones, reused while the inputs are unchanged) and link OUT to it"),
               report: Optional[Path] = typer.Option(None, help="also write the pass-rate report here")) -> None:
    """Build the offline demo model: tokenizer + small GPT-2 trained on synthetic pairs (~15 min on 2 CPU
    cores), exported to ONNX, with a fact-check pass-rate report on held-out synthetic records.

    A model built from the same inputs (config, training code, templates, library versions) is kept."""
    import shutil
    from dataclasses import replace

    from transformers.utils import logging as hf_logging

    from newsgen.training.demo import DemoConfig, build_demo_model, built_digest, demo_model_dir, inputs_digest

    out = out or demo_model_dir(settings_or_exit())
    cfg = DemoConfig()
    cfg = replace(cfg, max_steps=steps or cfg.max_steps, time_budget_s=time_budget or cfg.time_budget_s)
    digest = inputs_digest(cfg)
    target = cache / f"demo-{digest}" if cache else out
    if force or built_digest(target) != digest:
        if target.exists():
            shutil.rmtree(target)              # a stale or half-built model
        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        with errors_to_exit(), _progress_bar() as progress:
            task = progress.add_task("starting", total=None, info="")
            build_demo_model(target, cfg, report_path=report, progress=_reporter(progress, task))
    else:
        console.print(f"demo model built from the same inputs already at {target} (--force rebuilds it)")
    if cache:
        if out.is_symlink() or out.is_file():
            out.unlink()
        elif out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.symlink_to(target.resolve(), target_is_directory=True)
    ev = json.loads((target / "demo_report.json").read_text(encoding="utf-8"))["evaluation"]
    console.print(f"[green]demo model at[/] {out} (ONNX in {out}/onnx). Held-out records with unseen names, "
                  f"grounding {ev.get('grounding', 'off')}: fact check passed by {ev['first_candidate_pass_rate']:.0%} "
                  f"of first candidates, {ev['best_of_n_pass_rate']:.0%} after best-of-{ev['candidates']} "
                  f"({ev['notes']} notes)")


def register(app: typer.Typer, model_app: typer.Typer) -> None:
    """Add ``dataset synth`` to ``app`` and ``finetune`` + ``demo`` to the ``model`` group."""
    dataset_app.command("synth")(synth)
    app.add_typer(dataset_app, name="dataset")
    model_app.command("finetune")(finetune)
    model_app.command("demo")(demo_model)
