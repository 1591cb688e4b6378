"""Generation benchmark: transformers ``generate`` against newsgen's PyTorch, ONNX fp32 and ONNX int8 runners.

Run by hand (never in the test suite):

    .venv/bin/python bench/generation.py                          # 256 records, batch 32, 96 new tokens
    .venv/bin/python bench/generation.py --baseline-records 32    # time transformers on one batch only

One process, one run: builds a random-weight GPT-2 in the ruGPT-3-small shape (12 layers, 768 wide, 12 heads,
vocabulary 50,264; tokenizer trained on the project's texts), exports it to ONNX fp32 and int8 (cached in
``--work-dir``), renders ``--records`` synthetic football records through the default templates
(``football_match/note.ru.j2``) and generates exactly ``--new-tokens`` tokens per note with the default
sampling settings and a fixed seed per record (no stop string, no EOS), in batches of ``--batch-size``:

    transformers   GPT2LMHeadModel.generate on left-padded full prompts (the few-shot prefix every time)
    newsgen-*      DecodingGenerator: shared-prefix KV computed once, cascade attention, vectorised sampling
    *+grounded     the same under each record's strict grounding (newsgen.generation.grounding): its
                   ratio_to_ungrounded is what grounded decoding costs

Batches run round robin over the runners (order rotated each round), so load from other processes hits them
alike; transformers runs ``--baseline-records`` spread over the run. Prints notes/s, tokens/s, the ratio to
transformers, the FLOPs each runner executed per second against an fp32 matmul peak measured in this run,
and writes everything to bench/results/generation.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from newsgen.allowed import frame_words, grounding_for  # noqa: E402
from newsgen.config import load_settings  # noqa: E402
from newsgen.generation import GenerationRequest, SamplingParams  # noqa: E402
from newsgen.records import RecordValidator  # noqa: E402
from newsgen.seeds import SeedRenderer  # noqa: E402

SHAPE = {"n_layer": 12, "n_embd": 768, "n_head": 12, "vocab_size": 50264, "n_positions": 2048}  # ruGPT-3 small
TEAMS = [("Зенит", "Санкт-Петербург", "Газпром Арена"), ("Спартак", "Москва", "Лукойл Арена"),
         ("ЦСКА", "Москва", "ВЭБ Арена"), ("Локомотив", "Москва", "РЖД Арена"), ("Динамо", "Москва", "ВТБ Арена"),
         ("Краснодар", "Краснодар", "Ozon Арена"), ("Ростов", "Ростов-на-Дону", "Ростов Арена"),
         ("Рубин", "Казань", "Ак Барс Арена"), ("Крылья Советов", "Самара", "Солидарность Самара Арена"),
         ("Ахмат", "Грозный", "Ахмат Арена"), ("Оренбург", "Оренбург", "Газовик"),
         ("Урал", "Екатеринбург", "Екатеринбург Арена")]
PLAYERS = ["Алексей Миранчук", "Дмитрий Воробьёв", "Кирилл Щетинин", "Андрей Мостовой", "Луиз Энрике",
           "Манфред Угальде", "Эдуард Сперцян", "Джон Кордоба", "Фёдор Чалов", "Константин Тюкавин"]


def football_records(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` finished league matches with scores, scorers and attendance (deterministic)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        (home, home_city, venue), (away, away_city, _) = rng.sample(TEAMS, 2)
        score = {"home": rng.choice([0, 0, 1, 1, 1, 2, 2, 3, 4]), "away": rng.choice([0, 0, 1, 1, 2, 3])}
        goals = [{"team": side, "player": rng.choice(PLAYERS), "minute": rng.randint(1, 90)}
                 for side in ("home", "away") for _ in range(score[side])]
        for goal in goals:
            if rng.random() < 0.15:
                goal["kind"] = "penalty"
        out.append({"type": "football_match", "id": f"bench-{i:05d}", "revision": 0, "status": "finished",
                    "date": f"2026-{rng.randint(3, 11):02d}-{rng.randint(1, 28):02d}",
                    "tournament": "Российская Премьер-лига", "round": f"{rng.randint(1, 30)}-й тур",
                    "home": {"name": home, "city": home_city}, "away": {"name": away, "city": away_city},
                    "score": score, "goals": goals, "venue": venue, "attendance": rng.randint(3000, 60000)})
    return out


def machine() -> dict[str, Any]:
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    field = lambda key: next((ln.split(":", 1)[1].strip() for ln in info.splitlines()  # noqa: E731
                              if ln.startswith(key)), "")
    flags = set(field("flags").split())
    import onnxruntime
    import transformers

    return {"cpu": field("model name") or platform.processor(), "cores": os.cpu_count(),
            "simd": sorted(f for f in flags if f in {"avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8"}),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30, 1),
            "python": platform.python_version(), "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "transformers": transformers.__version__, "onnxruntime": onnxruntime.__version__}


def matmul_peak_gflops(n: int = 2048, repeats: int = 5) -> float:
    """Best fp32 GEMM rate of PyTorch on this machine, now (the ceiling the runners are measured against)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n ** 3 / best / 1e9


def _timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


class FlopCounter:
    """FLOPs of the forward passes a runner is asked for, from the (left-padded) shapes it is called with.

    newsgen's chunked prefill skips some of the padding, so for newsgen runners this slightly overstates the work.

    Per call with B rows, T new positions and K attended positions: 2*B*T*(block weights) + attention
    4*L*C*B*T*K + lm head 2*B*C*V (last position only; transformers generate keeps only the last logits too).
    """

    def __init__(self, cfg: Any):
        C, L, V = cfg.n_embd, cfg.n_layer, cfg.vocab_size
        self.block, self.attn, self.head = 2 * L * 12 * C * C, 4 * L * C, 2 * C * V
        self.flops = 0.0

    def add(self, batch: int, new: int, attended: int) -> None:
        self.flops += batch * new * (self.block + self.attn * attended) + batch * self.head

    def wrap_runner(self, runner: Any) -> None:
        forward = runner.forward

        def counted(input_ids, attention_mask, position_ids, past):
            self.add(*input_ids.shape, attention_mask.shape[1])
            return forward(input_ids, attention_mask, position_ids, past)

        runner.forward = counted

    def hook_hf(self, model: Any) -> None:
        def pre(_module, _args, kwargs):
            ids, mask = kwargs["input_ids"], kwargs["attention_mask"]
            self.add(ids.shape[0], ids.shape[1], mask.shape[1])

        model.register_forward_pre_hook(pre, with_kwargs=True)


def build_model(out: Path) -> Path:
    """Random-weight GPT-2 in the ruGPT-3-small shape with a BPE tokenizer trained on the project's texts."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from newsgen.generation.tiny import corpus_texts, train_tokenizer

    if (out / "config.json").is_file():
        return out
    tokenizer = train_tokenizer(corpus_texts(), 2000)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(**SHAPE, pad_token_id=0, bos_token_id=1, eos_token_id=2)).eval()
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(out)
    model.save_pretrained(out)
    return out


def export(model_dir: Path, precision: str) -> Path:
    from newsgen.generation.export import export_model

    out = model_dir / f"onnx-{precision}"
    if not (out / "manifest.json").is_file():
        t = time.perf_counter()
        export_model(str(model_dir), out, precision=precision)
        print(f"  exported {precision} in {time.perf_counter() - t:.0f} s", flush=True)
    return out


class TransformersRunner:
    """transformers ``generate`` on left-padded full prompts, the same sampling settings, one seed per batch."""

    def __init__(self, model_dir: Path, flops: FlopCounter):
        from transformers import AutoTokenizer, GPT2LMHeadModel

        self.tok = AutoTokenizer.from_pretrained(model_dir)
        self.tok.padding_side = "left"
        self.model = GPT2LMHeadModel.from_pretrained(model_dir).eval()
        flops.hook_hf(self.model)

    def run(self, requests: list[GenerationRequest]) -> int:
        p = requests[0].sampling
        torch.manual_seed(p.seed)
        enc = self.tok([r.prompt for r in requests], return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.inference_mode():
            out = self.model.generate(**enc, do_sample=True, temperature=p.temperature, top_k=p.top_k,
                                      top_p=p.top_p, repetition_penalty=p.repetition_penalty,
                                      no_repeat_ngram_size=p.no_repeat_ngram_size, max_new_tokens=p.max_new_tokens,
                                      min_new_tokens=p.max_new_tokens, pad_token_id=self.tok.pad_token_id,
                                      eos_token_id=None)
        return (out.shape[1] - enc["input_ids"].shape[1]) * out.shape[0]


class NewsgenRunner:
    """A newsgen :class:`DecodingGenerator`, EOS off so every note gets exactly ``max_new_tokens``; with
    ``groundings`` (prompt -> Grounding) each request is decoded under its record's strict grounding."""

    def __init__(self, generator: Any, flops: FlopCounter, groundings: dict[str, Any] | None = None):
        self.generator = generator
        self.groundings = groundings
        generator.eos_token_id = None
        flops.wrap_runner(generator.runner)
        self.phases = {"prefill_s": 0.0, "decode_s": 0.0}  # the first batch's prefill includes the prefix KV

    def run(self, requests: list[GenerationRequest]) -> int:
        if self.groundings is not None:
            requests = [replace(r, grounding=self.groundings[r.prompt]) for r in requests]
        results = self.generator.generate(requests)
        for phase in self.phases:  # rows of one batch decode together: the slowest row's phases
            self.phases[phase] += max(r.timings_ms.get(phase.replace("_s", "_ms"), 0.0) for r in results) / 1e3
        return sum(r.new_tokens for r in results)


def load_runner(name: str, model_dir: Path, flops: FlopCounter, groundings: dict[str, Any]) -> Any:
    """A runner by name; ``<newsgen runner>+grounded`` decodes under each record's strict grounding."""
    from newsgen.generation.onnx_backend import load_onnx_generator
    from newsgen.generation.torch_backend import load_torch_generator

    if name == "transformers":
        return TransformersRunner(model_dir, flops)
    base, grounded = name.removesuffix("+grounded"), name.endswith("+grounded")
    generator = (load_torch_generator(str(model_dir)) if base == "newsgen-torch"
                 else load_onnx_generator(export(model_dir, base.rsplit("-", 1)[1])))
    return NewsgenRunner(generator, flops, groundings if grounded else None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--new-tokens", type=int, default=96)
    ap.add_argument("--baseline-records", type=int, default=None,
                    help="time transformers on the first N records only (it is the slow one); default: all")
    ap.add_argument("--runners", default="transformers,newsgen-torch,newsgen-onnx-fp32,newsgen-onnx-fp32+grounded,"
                    "newsgen-onnx-int8", help="comma-separated; '<newsgen runner>+grounded' decodes under strict "
                    "record grounding (its ratio_to_ungrounded is the cost of grounding)")
    ap.add_argument("--work-dir", type=Path, default=None, help="model and exports cache [<state_dir>/bench]")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "generation.json")
    args = ap.parse_args()

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    settings = load_settings()
    work = args.work_dir or settings.state_dir / "bench"
    info = {**machine(), "loadavg_start": os.getloadavg()}
    peak = matmul_peak_gflops()
    print(f"machine: {info['cpu']}, {info['cores']} cores, {'/'.join(info['simd'])}; "
          f"fp32 matmul peak {peak:.0f} GFLOP/s; load average {info['loadavg_start'][0]:.1f}", flush=True)

    model_dir = build_model(work / "rugpt3small-shape")
    validator, renderer = RecordValidator(settings.schemas_dir), SeedRenderer(settings.templates_dir)
    requests, groundings = [], {}
    default_sampling = SamplingParams(**settings.sampling.model_dump())
    frame = frame_words(str(settings.templates_dir), "football_match", "ru")
    for i, record in enumerate(football_records(args.records)):
        validator.validate(record)
        seed = renderer.render(record, "note", "ru")
        sampling = replace(default_sampling, max_new_tokens=args.new_tokens, stop=(), seed=default_sampling.seed + i)
        requests.append(GenerationRequest(prompt=seed.prompt, prefix=seed.prefix, sampling=sampling))
        groundings[seed.prompt] = grounding_for(record, "strict", seed.prompt, seed.prefix, frame)
    # fixed seeds: newsgen seeds row i with base + i; the transformers run seeds torch once with the base
    from transformers import AutoConfig, AutoTokenizer

    cfg, tok = AutoConfig.from_pretrained(model_dir), AutoTokenizer.from_pretrained(model_dir)
    prompt_tokens = [len(tok(r.prompt, add_special_tokens=False)["input_ids"]) for r in requests]
    prefix_tokens = len(tok(requests[0].prefix, add_special_tokens=False)["input_ids"])
    s = requests[0].sampling
    print(f"workload: {len(requests)} records, prompts {min(prompt_tokens)}-{max(prompt_tokens)} tokens "
          f"(shared few-shot prefix {prefix_tokens}), {args.new_tokens} new tokens each, batch {args.batch_size}; "
          f"temperature {s.temperature}, top_k {s.top_k}, top_p {s.top_p}, repetition_penalty "
          f"{s.repetition_penalty}, no_repeat_ngram_size {s.no_repeat_ngram_size}", flush=True)

    names = args.runners.split(",")
    flops = {name: FlopCounter(cfg) for name in names}
    runners = {name: load_runner(name, model_dir, flops[name], groundings) for name in names}  # not timed
    batches = [requests[i:i + args.batch_size] for i in range(0, len(requests), args.batch_size)]
    baseline = len(batches) if args.baseline_records is None else -(-args.baseline_records // args.batch_size)
    baseline_at = set(range(0, len(batches), max(1, len(batches) // baseline))[:baseline])  # spread out
    spent = {name: [0.0, 0.0, 0, 0] for name in names}  # wall s, cpu s, records, tokens
    # round robin over batches, order rotated each round: load from other processes hits every runner alike
    for b, batch in enumerate(batches):
        for name in names[b % len(names):] + names[:b % len(names)]:
            if name == "transformers" and b not in baseline_at:
                continue
            wall, cpu = time.perf_counter(), time.process_time()
            tokens = runners[name].run(batch)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            spent[name] = [spent[name][0] + wall, spent[name][1] + cpu, spent[name][2] + len(batch),
                           spent[name][3] + tokens]
            print(f"  batch {b + 1}/{len(batches)} {name}: {wall:.1f} s ({cpu / wall:.2f} cores busy)", flush=True)
    results: dict[str, dict[str, Any]] = {}
    for name, (seconds, cpu, records, tokens) in spent.items():
        results[name] = {"records": records, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 1),
                         "new_tokens": tokens, "notes_per_s": round(records / seconds, 4),
                         "tokens_per_s": round(tokens / seconds, 2), "gflop": round(flops[name].flops / 1e9, 1),
                         "gflop_per_s": round(flops[name].flops / seconds / 1e9, 1),
                         "percent_of_peak": round(100 * flops[name].flops / seconds / 1e9 / peak, 1),
                         **{k: round(v, 1) for k, v in getattr(runners[name], "phases", {}).items()}}

    base = results.get("transformers", {}).get("notes_per_s")
    for r in results.values():
        r["ratio_to_transformers"] = round(r["notes_per_s"] / base, 2) if base else None
    for name, r in results.items():
        plain = results.get(name.removesuffix("+grounded")) if name.endswith("+grounded") else None
        if plain:
            r["ratio_to_ungrounded"] = round(r["notes_per_s"] / plain["notes_per_s"], 3)
    if {"newsgen-onnx-fp32", "newsgen-onnx-int8"} <= set(results):
        results["newsgen-onnx-int8"]["ratio_to_onnx_fp32"] = round(
            results["newsgen-onnx-int8"]["notes_per_s"] / results["newsgen-onnx-fp32"]["notes_per_s"], 2)
    info["loadavg_end"] = os.getloadavg()
    report = {"machine": info, "matmul_peak_gflop_per_s": round(peak, 1),
              "workload": {"records": len(requests), "batch_size": args.batch_size, "new_tokens": args.new_tokens,
                           "prompt_tokens_min": min(prompt_tokens), "prompt_tokens_max": max(prompt_tokens),
                           "prompt_tokens_mean": round(sum(prompt_tokens) / len(prompt_tokens), 1),
                           "shared_prefix_tokens": prefix_tokens, "model_shape": SHAPE,
                           "template": "football_match/note.ru.j2",
                           "sampling": {k: v for k, v in vars(s).items() if k not in ("stop", "seed")}},
              "runners": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(markdown(report))
    print(f"written to {args.out}")


def markdown(report: dict[str, Any]) -> str:
    """The results as a Markdown table (for the README)."""
    lines = ["| runner | records | notes/s | tokens/s | x transformers | GFLOP/s (% of matmul peak) |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, r in report["runners"].items():
        ratio = f"{r['ratio_to_transformers']:.1f}" if r.get("ratio_to_transformers") else "-"
        lines.append(f"| {name} | {r['records']} | {r['notes_per_s']:.3f} | {r['tokens_per_s']:.1f} | {ratio} | "
                     f"{r['gflop_per_s']:.0f} ({r['percent_of_peak']:.0f}%) |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
