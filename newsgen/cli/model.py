"""``newsgen model ...``: build, export and try models."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from newsgen.cli.common import console, errors_to_exit, one_of, read_input, settings_or_exit

app = typer.Typer(help="Build, export and try GPT-2-architecture models (ruGPT-3 or the offline tiny model).",
                  no_args_is_help=True)


@app.command("tiny")
def tiny(out: Optional[Path] = typer.Argument(None, help="output directory [default: <state_dir>/models/tiny]"),
         force: bool = typer.Option(False, help="rebuild even if the directory holds a model")) -> None:
    """Build the small offline GPT-2 (own tokenizer, 2 layers, random seeded weights) for tests and the demo."""
    from newsgen.generation import default_model_dir
    from newsgen.generation.tiny import build_tiny_model

    out = out or default_model_dir(settings_or_exit())
    if (out / "config.json").is_file() and not force:
        console.print(f"model already at {out} (use --force to rebuild)")
        return
    with errors_to_exit(), console.status(f"training tokenizer and writing tiny GPT-2 to {out}"):
        build_tiny_model(out)
    console.print(f"[green]tiny model written to[/] {out}")


@app.command("export")
def export(src: str = typer.Argument(..., help="hub id (e.g. ai-forever/rugpt3small_based_on_gpt2), local model "
                                              "directory, or an earlier export that carries its PyTorch weights"),
           out: Path = typer.Argument(..., help="new export directory (model.onnx, tokenizer, config, manifest.json); "
                                                "NEWSGEN_MODEL=<it> runs it, <model dir>/onnx is found by "
                                                "backend=auto"),
           precision: str = typer.Option("fp32", help="fp32 (CPU or GPU), fp16 (GPU), int8 (dynamic "
                                                      "quantisation, CPU)",
                                         callback=one_of("fp32", "fp16", "int8")),
           optimize: bool = typer.Option(False, help="apply ONNX Runtime's transformer fusions offline (fp32/fp16; "
                                                     "the session does most of them at load anyway)"),
           opset: int = typer.Option(17, help="ONNX opset"),
           torch_fallback: bool = typer.Option(True, help="also write the PyTorch weights, so PyTorch can run "
                                                          "the export (forced, or when ONNX Runtime fails); "
                                                          "--no-torch-fallback declares there is none")) -> None:
    """Export a GPT-2-architecture model to ONNX with a shared-prefix KV cache, checked against transformers."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from transformers.utils import logging as hf_logging

    from newsgen.generation.export import export_model

    hf_logging.disable_progress_bar()  # our own progress line is enough
    with errors_to_exit(), Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                    console=console) as progress:
        task = progress.add_task("export", total=None)
        manifest = export_model(src, out, precision=precision, optimize=optimize, opset=opset,
                                torch_fallback=torch_fallback,
                                progress=lambda msg: progress.update(task, description=msg))
        progress.update(task, description="done")
    size = sum(p.stat().st_size for p in Path(out).iterdir() if p.is_file()) / 2 ** 20
    console.print(f"[green]exported[/] {src} -> {out} ({manifest['precision']}, opset {manifest['opset']}, "
                  f"{size:.0f} MiB; max logit difference to transformers "
                  f"{manifest['fp32_parity_max_abs_logit_diff']:.1e})")


@app.command("generate")
def generate(prompt: Optional[str] = typer.Argument(None, help="prompt text (or use --seed-file)"),
             seed_file: Optional[Path] = typer.Option(None, help="read the prompt from this UTF-8 file"),
             prefix_chars: int = typer.Option(0, help="the first N characters of the prompt are a shared prefix "
                                                      "(KV cached)"),
             backend: Optional[str] = typer.Option(None, help="auto | onnx | torch [default: settings]",
                                                   callback=one_of("auto", "onnx", "torch")),
             device: Optional[str] = typer.Option(None, help="cpu | cuda [default: settings]",
                                                  callback=one_of("cpu", "cuda")),
             model: Optional[str] = typer.Option(None, help="hub id or model directory [default: settings]"),
             onnx_dir: Optional[Path] = typer.Option(None, help="ONNX export directory [default: settings]"),
             max_new_tokens: Optional[int] = typer.Option(None, help="[default: settings]"),
             temperature: Optional[float] = typer.Option(None, help="0 = greedy [default: settings]"),
             seed: int = typer.Option(0, help="sampling seed"),
             count: int = typer.Option(1, help="generate this many texts in one batch (seeds seed, seed+1, ...)")
             ) -> None:
    """Generate text for one prompt and print it with the backend used, token counts and timings."""
    from dataclasses import replace

    from newsgen.cli.common import setup_logging
    from newsgen.generation import GenerationRequest, SamplingParams, load_generator

    if (prompt is None) == (seed_file is None):
        console.print("[red]give a prompt or --seed-file (one of them)[/]")
        raise typer.Exit(2)
    text = prompt if prompt is not None else read_input(str(seed_file), "seed file")[0]
    overrides = {k: v for k, v in {"backend": backend, "device": device, "model": model,
                                   "onnx_dir": onnx_dir}.items() if v is not None}
    settings = settings_or_exit(**overrides)
    setup_logging("WARNING")  # fallback warnings show; the texts go to stdout
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    s = settings.sampling
    params = SamplingParams(max_new_tokens=max_new_tokens or s.max_new_tokens,
                            temperature=s.temperature if temperature is None else temperature, top_k=s.top_k,
                            top_p=s.top_p, repetition_penalty=s.repetition_penalty,
                            no_repeat_ngram_size=s.no_repeat_ngram_size, seed=seed)
    requests = [GenerationRequest(prompt=text, prefix=text[:prefix_chars], sampling=replace(params, seed=seed + i))
                for i in range(count)]
    with errors_to_exit():
        generator = load_generator(settings)
        results = generator.generate(requests)
    runner = getattr(generator, "runner", None)
    detail = f" {runner.precision} on {', '.join(runner.providers)}" if hasattr(runner, "providers") else \
        f" on {getattr(runner, 'device', '?')}"
    for res in results:
        typer.echo(res.text)
        t = res.timings_ms
        console.print(f"[dim]backend {res.backend}{detail} | model {generator.model_id} | {res.prompt_tokens} "
                      f"prompt + {res.new_tokens} new tokens ({res.finish_reason}) | prefill {t['prefill_ms']:.0f} "
                      f"ms, decode {t['decode_ms']:.0f} ms, total {t['total_ms']:.0f} ms[/]")
