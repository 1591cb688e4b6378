"""Generation benchmark: transformers ``generate`` against newsgen's PyTorch, ONNX fp32 and ONNX int8 runners.

Run by hand (never in the test suite):

    .venv/bin/python bench/generation.py                          # 256 records, batch 32, 96 new tokens
    .venv/bin/python bench/generation.py --baseline-records 32    # time transformers on one batch only

One process, one run: builds a random-weight GPT-2 in the ruGPT-3-small shape (12 layers, 768 wide, 12 heads,
vocabulary 50,264; tokenizer trained on the project's texts), exports it to ONNX fp32 and int8 (cached in
``--work-dir``), renders ``--records`` synthetic football records through the default templates
(``football_match/note.ru.j2``) and generates exactly ``--new-tokens`` tokens per note with the default
sampling settings and a fixed seed per record (no stop string, no EOS), in batches of ``--batch-size``:

    transformers               GPT2LMHeadModel.generate on left-padded full prompts (the prefix every time)
    transformers+prefix-kv     the same with the shared prefix's KV computed once and passed to every batch
                               as its cache (reuses the prefix)
    transformers+prompt-lookup generate(prompt_lookup_num_tokens=10), transformers' own prompt-lookup
                               speculative decoding; batch size 1 (assisted generation refuses more)
    ctranslate2-fp32/-int8     CTranslate2 Generator.generate_batch with the prefix as static_prompt (its
                               state after the prefix is cached: reuses the prefix); skipped with a message
                               when the ctranslate2 package is missing
    newsgen-*                  DecodingGenerator: shared-prefix KV computed once, cascade attention, vectorised
                               sampling, continuous batching (reuses the prefix)
    *+grounded                 the same under each record's strict grounding (newsgen.generation.grounding):
                               its ratio_to_ungrounded is what grounded decoding costs

Then a light-load run (``--light-load`` records, one at a time, on the offline demo model when built: a
trained model that copies names from its prompt) with prompt-lookup speculative decoding off and on.

Batches run round robin over the runners (order rotated each round), so load from other processes hits them
alike; the transformers runners run ``--baseline-records`` spread over the run. Prints notes/s, tokens/s, the
ratio of every newsgen runner to every baseline, the FLOPs each runner executed per second against an fp32
matmul peak measured in this run (before and after the runs, the better kept), and writes everything to
bench/results/generation.json.
"""
from __future__ import annotations

import argparse
import inspect
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

        def counted(input_ids, attention_mask, position_ids, past, all_logits=False):
            self.add(*input_ids.shape, attention_mask.shape[1])
            if all_logits:                                  # the LM head of every new position
                self.flops += input_ids.shape[0] * (input_ids.shape[1] - 1) * self.head
            return forward(input_ids, attention_mask, position_ids, past, all_logits=all_logits)

        runner.forward = counted

    def hook_hf(self, model: Any) -> None:
        def pre(_module, _args, kwargs):
            ids, mask, past = kwargs["input_ids"], kwargs.get("attention_mask"), kwargs.get("past_key_values")
            cached = past.get_seq_length() if past is not None and hasattr(past, "get_seq_length") else 0
            self.add(ids.shape[0], ids.shape[1], mask.shape[1] if mask is not None else cached + ids.shape[1])

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
        self.last = out[:, enc["input_ids"].shape[1]:]
        return (out.shape[1] - enc["input_ids"].shape[1]) * out.shape[0]


def prefix_and_suffixes(tok: Any, requests: list[GenerationRequest]) -> tuple[list[int], list[list[int]]]:
    """Token ids of the batch's shared prefix and of each prompt after it (tokenised apart, as newsgen does)."""
    prefix = requests[0].prefix
    if any(r.prefix != prefix for r in requests):
        raise ValueError("a batch of this benchmark shares one prefix")
    encode = lambda text: tok(text, add_special_tokens=False)["input_ids"] if text else []  # noqa: E731
    return encode(prefix), [encode(r.prompt[len(prefix):]) for r in requests]


class TransformersPrefixRunner(TransformersRunner):
    """transformers ``generate`` with the shared prefix's KV computed once and handed to every batch as its
    ``past_key_values`` (rows laid out ``prefix | left padding | record``, padding masked)."""

    reuses_prefix = True

    def __init__(self, model_dir: Path, flops: FlopCounter):
        super().__init__(model_dir, flops)
        self._prefix: tuple[tuple[int, ...], Any] | None = None

    def _prefix_kv(self, ids: list[int]) -> Any:
        if self._prefix is None or self._prefix[0] != tuple(ids):
            with torch.inference_mode():
                ids_t = torch.tensor([ids])
                out = self.model(input_ids=ids_t, attention_mask=torch.ones_like(ids_t), use_cache=True)
            layers = out.past_key_values
            self._prefix = (tuple(ids), [(layers.layers[i].keys, layers.layers[i].values)
                                         if hasattr(layers, "layers") else layers[i][:2]
                                         for i in range(self.model.config.n_layer)])
        return self._prefix[1]

    def run(self, requests: list[GenerationRequest]) -> int:
        from transformers import DynamicCache

        p = requests[0].sampling
        torch.manual_seed(p.seed)
        prefix, suffixes = prefix_and_suffixes(self.tok, requests)
        B, width = len(requests), max(len(s) for s in suffixes)
        ids = torch.full((B, len(prefix) + width), self.tok.pad_token_id or 0, dtype=torch.long)
        mask = torch.zeros_like(ids)
        ids[:, :len(prefix)], mask[:, :len(prefix)] = torch.tensor(prefix), 1
        for b, s in enumerate(suffixes):
            ids[b, ids.shape[1] - len(s):], mask[b, ids.shape[1] - len(s):] = torch.tensor(s), 1
        cache = DynamicCache()
        for i, (k, v) in enumerate(self._prefix_kv(prefix)):     # a fresh copy per batch: generate appends
            cache.update(k.expand(B, -1, -1, -1).contiguous(), v.expand(B, -1, -1, -1).contiguous(), i)
        # transformers 5.x renamed past_key_values to cache; older releases only know the former
        arg = "cache" if "cache" in inspect.signature(self.model.forward).parameters else "past_key_values"
        with torch.inference_mode():
            out = self.model.generate(input_ids=ids, attention_mask=mask, **{arg: cache}, do_sample=True,
                                      temperature=p.temperature, top_k=p.top_k, top_p=p.top_p,
                                      repetition_penalty=p.repetition_penalty,
                                      no_repeat_ngram_size=p.no_repeat_ngram_size, max_new_tokens=p.max_new_tokens,
                                      min_new_tokens=p.max_new_tokens, pad_token_id=self.tok.pad_token_id,
                                      eos_token_id=None)
        self.last = out[:, ids.shape[1]:]
        return (out.shape[1] - ids.shape[1]) * out.shape[0]


class TransformersLookupRunner(TransformersRunner):
    """transformers ``generate(prompt_lookup_num_tokens=...)``, its own prompt-lookup speculative decoding; it
    refuses batches (assisted generation is batch size 1 only), so the records run one at a time."""

    def __init__(self, model_dir: Path, flops: FlopCounter, lookahead: int = 10):
        super().__init__(model_dir, flops)
        self.lookahead = lookahead

    def run(self, requests: list[GenerationRequest]) -> int:
        return sum(self._one(r) for r in requests)

    def _one(self, r: GenerationRequest) -> int:
        p = r.sampling
        torch.manual_seed(p.seed)
        enc = self.tok([r.prompt], return_tensors="pt", add_special_tokens=False)
        with torch.inference_mode():
            out = self.model.generate(**enc, do_sample=True, temperature=p.temperature, top_k=p.top_k,
                                      top_p=p.top_p, repetition_penalty=p.repetition_penalty,
                                      no_repeat_ngram_size=p.no_repeat_ngram_size, max_new_tokens=p.max_new_tokens,
                                      min_new_tokens=p.max_new_tokens, pad_token_id=self.tok.pad_token_id,
                                      eos_token_id=None, prompt_lookup_num_tokens=self.lookahead)
        return out.shape[1] - enc["input_ids"].shape[1]


def ctranslate2_model(model_dir: Path, precision: str) -> Path:
    """``model_dir`` converted with CTranslate2's TransformersConverter (cached next to it).

    Its GPT-2 loader wants one vocabulary entry per embedding row and an ``unk_token``; the benchmark's
    tokenizer is smaller than the ruGPT-3-sized embedding, so the missing rows get placeholder names."""
    import ctranslate2
    from ctranslate2.converters import transformers as ct2_hf

    out = model_dir / f"ct2-{precision}"
    if (out / "model.bin").is_file():
        return out

    class Loader(ct2_hf.GPT2Loader):
        def get_vocabulary(self, model, tokenizer):
            tokens = super().get_vocabulary(model, tokenizer)
            return tokens + [f"<ct2-unused-{i}>" for i in range(len(tokens), model.config.vocab_size)]

        def set_config(self, config, model, tokenizer):
            super().set_config(config, model, tokenizer)
            config.unk_token = tokenizer.unk_token or f"<ct2-unused-{model.config.vocab_size - 1}>"

    saved = ct2_hf._MODEL_LOADERS["GPT2Config"]
    ct2_hf._MODEL_LOADERS["GPT2Config"] = Loader()
    try:
        t = time.perf_counter()
        ctranslate2.converters.TransformersConverter(str(model_dir)).convert(
            str(out), quantization=None if precision == "fp32" else precision, force=True)
        print(f"  converted to CTranslate2 {precision} in {time.perf_counter() - t:.0f} s", flush=True)
    finally:
        ct2_hf._MODEL_LOADERS["GPT2Config"] = saved
    return out


class CTranslate2Runner:
    """CTranslate2 ``Generator.generate_batch`` with the shared prefix as ``static_prompt`` (its model state
    after the prefix is cached and reused), the same sampling settings, exactly ``max_new_tokens`` each."""

    reuses_prefix = True

    def __init__(self, model_dir: Path, precision: str):
        import ctranslate2
        from transformers import AutoTokenizer

        self.tok = AutoTokenizer.from_pretrained(model_dir)
        self.generator = ctranslate2.Generator(str(ctranslate2_model(model_dir, precision)), device="cpu",
                                               compute_type={"fp32": "float32"}.get(precision, precision),
                                               intra_threads=os.cpu_count() or 0)

    def run(self, requests: list[GenerationRequest]) -> int:
        import ctranslate2

        p = requests[0].sampling
        ctranslate2.set_random_seed(p.seed)
        prefix, suffixes = prefix_and_suffixes(self.tok, requests)
        names = self.tok.convert_ids_to_tokens
        out = self.generator.generate_batch(
            [names(s) for s in suffixes], static_prompt=names(prefix), include_prompt_in_result=False,
            max_length=p.max_new_tokens, min_length=p.max_new_tokens, sampling_temperature=p.temperature,
            sampling_topk=p.top_k, sampling_topp=p.top_p, repetition_penalty=p.repetition_penalty,
            no_repeat_ngram_size=p.no_repeat_ngram_size)
        return sum(len(r.sequences_ids[0]) for r in out)


class NewsgenRunner:
    """A newsgen :class:`DecodingGenerator`, EOS off so every note gets exactly ``max_new_tokens``; with
    ``groundings`` (prompt -> Grounding) each request is decoded under its record's strict grounding."""

    reuses_prefix = True

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


def light_load(model_dir: Path, records: list[dict[str, Any]], settings: Any, lookup: int) -> dict[str, Any]:
    """One request at a time (an editor waiting for one note) through newsgen on ``model_dir`` (its ONNX
    export when there is one), prompt lookup off and on, alternating per record: latency p50/p95, decode
    steps and accepted draft tokens. The model's own prompt format, sampling defaults and stop strings, and
    the worker's grounding (``settings.grounding``) of each record."""
    from types import SimpleNamespace

    from newsgen.generation.onnx_backend import load_onnx_generator
    from newsgen.generation.torch_backend import load_torch_generator
    from newsgen.notes import grounding_of, model_prompt

    export = model_dir / "onnx"
    gen = (load_onnx_generator(export) if (export / "manifest.json").is_file() else
           load_torch_generator(str(model_dir)))
    renderer = SeedRenderer(settings.templates_dir)
    base = SamplingParams(**settings.sampling.request_fields())
    base = replace(base, **{k: v for k, v in gen.sampling_defaults.items() if hasattr(base, k) and k != "stop"})
    requests = []
    for i, record in enumerate(records):
        task = SimpleNamespace(seed=renderer.render(record, "note", "ru"), record=record, language="ru",
                               record_type=record["type"])
        prompt, prefix, slots = model_prompt(task, gen.prompt_format)
        requests.append(GenerationRequest(prompt=prompt, prefix=prefix, sampling=replace(base, seed=base.seed + i),
                                          grounding=grounding_of(settings, task, slots)))
    gen.generate(requests[:1])                                    # warm: the prefix KV, the ORT session
    runs: dict[str, list[Any]] = {"off": [], "on": []}
    for i, req in enumerate(requests):
        for mode in (("off", "on") if i % 2 else ("on", "off")):
            gen.prompt_lookup = lookup if mode == "on" else 0
            t = time.perf_counter()
            res = gen.generate([req])[0]
            runs[mode].append((time.perf_counter() - t, res))
    out: dict[str, Any] = {"model": str(model_dir), "backend": gen.backend, "records": len(requests),
                           "lookup_tokens": lookup, "same_texts": [r.text for _, r in runs["on"]] ==
                           [r.text for _, r in runs["off"]]}
    for mode, got in runs.items():
        seconds = sorted(t for t, _ in got)
        tokens, steps = sum(r.new_tokens for _, r in got), sum(r.timings_ms["decode_steps"] for _, r in got)
        out[mode] = {"p50_ms": round(1e3 * seconds[len(seconds) // 2], 1),
                     "p95_ms": round(1e3 * seconds[min(len(seconds) - 1, int(0.95 * len(seconds)))], 1),
                     "new_tokens_mean": round(tokens / len(got), 1), "tokens_per_decode_step": round(tokens / steps, 2),
                     "accepted_per_decode_step": round(sum(r.timings_ms["accepted_tokens"] for _, r in got) / steps, 2)}
    out["p50_ratio_on_to_off"] = round(out["on"]["p50_ms"] / out["off"]["p50_ms"], 2)
    return out


def load_runner(name: str, model_dir: Path, flops: FlopCounter, groundings: dict[str, Any]) -> Any:
    """A runner by name; ``<newsgen runner>+grounded`` decodes under each record's strict grounding."""
    from newsgen.generation.onnx_backend import load_onnx_generator
    from newsgen.generation.torch_backend import load_torch_generator

    if name == "transformers":
        return TransformersRunner(model_dir, flops)
    if name == "transformers+prefix-kv":
        return TransformersPrefixRunner(model_dir, flops)
    if name == "transformers+prompt-lookup":
        return TransformersLookupRunner(model_dir, flops)
    if name.startswith("ctranslate2-"):
        return CTranslate2Runner(model_dir, name.rsplit("-", 1)[1])
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
    ap.add_argument("--runners", default="transformers,transformers+prefix-kv,transformers+prompt-lookup,"
                    "ctranslate2-fp32,ctranslate2-int8,newsgen-torch,newsgen-onnx-fp32,newsgen-onnx-fp32+grounded,"
                    "newsgen-onnx-int8", help="comma-separated; '<newsgen runner>+grounded' decodes under strict "
                    "record grounding (its ratio_to_ungrounded is the cost of grounding)")
    ap.add_argument("--light-load", type=int, default=16, help="records run one at a time with prompt lookup "
                    "off and on (0 = skip)")
    ap.add_argument("--light-load-model", type=Path, default=None,
                    help="model for the light-load run [the offline demo model if built, else the benchmark's]")
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
    default_sampling = SamplingParams(**settings.sampling.request_fields())
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
    if any(n.startswith("ctranslate2-") for n in names) and not _has_module("ctranslate2"):
        print("ctranslate2 is not installed (pip install ctranslate2, or the project's 'bench' extra): "
              "skipping the CTranslate2 baselines", flush=True)
        names = [n for n in names if not n.startswith("ctranslate2-")]
    flops = {name: FlopCounter(cfg) for name in names}
    runners = {name: load_runner(name, model_dir, flops[name], groundings) for name in names}  # not timed
    batches = [requests[i:i + args.batch_size] for i in range(0, len(requests), args.batch_size)]
    baseline = len(batches) if args.baseline_records is None else -(-args.baseline_records // args.batch_size)
    baseline_at = set(range(0, len(batches), max(1, len(batches) // baseline))[:baseline])  # spread out
    spent = {name: [0.0, 0.0, 0, 0] for name in names}  # wall s, cpu s, records, tokens
    # round robin over batches, order rotated each round: load from other processes hits every runner alike
    for b, batch in enumerate(batches):
        for name in names[b % len(names):] + names[:b % len(names)]:
            if name.startswith("transformers") and b not in baseline_at:
                continue
            wall, cpu = time.perf_counter(), time.process_time()
            tokens = runners[name].run(batch)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            spent[name] = [spent[name][0] + wall, spent[name][1] + cpu, spent[name][2] + len(batch),
                           spent[name][3] + tokens]
            print(f"  batch {b + 1}/{len(batches)} {name}: {wall:.1f} s ({cpu / wall:.2f} cores busy)", flush=True)
    # measured again after the runs, the better one kept: one measurement disturbed by the VM would put
    # every runner's share of the peak too high
    peaks = (peak, matmul_peak_gflops())
    peak = max(peaks)
    print(f"fp32 matmul peak {peaks[0]:.0f} GFLOP/s before the runs, {peaks[1]:.0f} after: {peak:.0f} used", flush=True)
    results: dict[str, dict[str, Any]] = {}
    for name, (seconds, cpu, records, tokens) in spent.items():
        results[name] = {"records": records, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 1),
                         "new_tokens": tokens, "notes_per_s": round(records / seconds, 4),
                         "tokens_per_s": round(tokens / seconds, 2), "gflop": round(flops[name].flops / 1e9, 1),
                         "gflop_per_s": round(flops[name].flops / seconds / 1e9, 1),
                         "percent_of_peak": round(100 * flops[name].flops / seconds / 1e9 / peak, 1),
                         "reuses_prefix": getattr(runners[name], "reuses_prefix", False),
                         **{k: round(v, 1) for k, v in getattr(runners[name], "phases", {}).items()}}

    base = results.get("transformers", {}).get("notes_per_s")
    for r in results.values():
        r["ratio_to_transformers"] = round(r["notes_per_s"] / base, 2) if base else None
    for name, r in results.items():
        plain = results.get(name.removesuffix("+grounded")) if name.endswith("+grounded") else None
        if plain:
            r["ratio_to_ungrounded"] = round(r["notes_per_s"] / plain["notes_per_s"], 3)
    baselines = [n for n in results if not n.startswith("newsgen-")]
    for name, r in results.items():
        if name.startswith("newsgen-"):
            r["ratio_to"] = {b: round(r["notes_per_s"] / results[b]["notes_per_s"], 2) for b in baselines}
    if {"newsgen-onnx-fp32", "newsgen-onnx-int8"} <= set(results):
        results["newsgen-onnx-int8"]["ratio_to_onnx_fp32"] = round(
            results["newsgen-onnx-int8"]["notes_per_s"] / results["newsgen-onnx-fp32"]["notes_per_s"], 2)
    light = None
    if args.light_load:
        from newsgen.training.demo import demo_model_dir

        demo = demo_model_dir(settings)
        model = args.light_load_model or (demo if (demo / "config.json").is_file() else model_dir)
        print(f"light load: {args.light_load} records one at a time on {model}, prompt lookup off / on", flush=True)
        light = light_load(Path(model), football_records(args.light_load, seed=1), settings,
                           settings.prompt_lookup_tokens or 4)
    info["loadavg_end"] = os.getloadavg()
    report = {"machine": info, "matmul_peak_gflop_per_s": round(peak, 1),
              "matmul_peak_measured": [round(p, 1) for p in peaks],
              "workload": {"records": len(requests), "batch_size": args.batch_size, "new_tokens": args.new_tokens,
                           "prompt_tokens_min": min(prompt_tokens), "prompt_tokens_max": max(prompt_tokens),
                           "prompt_tokens_mean": round(sum(prompt_tokens) / len(prompt_tokens), 1),
                           "shared_prefix_tokens": prefix_tokens, "model_shape": SHAPE,
                           "template": "football_match/note.ru.j2",
                           "sampling": {k: v for k, v in vars(s).items() if k not in ("stop", "seed")}},
              "runners": results, "light_load": light}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(markdown(report))
    print(f"written to {args.out}")


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def markdown(report: dict[str, Any]) -> str:
    """The results as Markdown tables (for the README): every runner, then newsgen against each baseline."""
    lines = ["| runner | reuses prefix | records | notes/s | tokens/s | x transformers | GFLOP/s (% of matmul peak) |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for name, r in report["runners"].items():
        ratio = f"{r['ratio_to_transformers']:.1f}" if r.get("ratio_to_transformers") else "-"
        flops = f"{r['gflop_per_s']:.0f} ({r['percent_of_peak']:.0f}%)" if r["gflop"] else "-"
        lines.append(f"| {name} | {'yes' if r.get('reuses_prefix') else 'no'} | {r['records']} | "
                     f"{r['notes_per_s']:.3f} | {r['tokens_per_s']:.1f} | {ratio} | {flops} |")
    ours = {n: r for n, r in report["runners"].items() if r.get("ratio_to")}
    baselines = next(iter(ours.values()))["ratio_to"] if ours else {}
    if baselines:
        lines += ["", "| newsgen runner | " + " | ".join(f"x {b}" for b in baselines) + " |",
                  "|---|" + "---:|" * len(baselines)]
        lines += [f"| {n} | " + " | ".join(f"{x:.2f}" for x in r["ratio_to"].values()) + " |" for n, r in ours.items()]
    light = report.get("light_load")
    if light:
        lines += ["", f"Light load ({light['records']} notes one at a time, {light['model']}, {light['backend']}; "
                  f"same texts: {light['same_texts']}):", "",
                  "| prompt lookup | p50 ms | p95 ms | new tokens | tokens / decode step | accepted / step |",
                  "|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {mode} | {m['p50_ms']} | {m['p95_ms']} | {m['new_tokens_mean']} | {m['tokens_per_decode_step']} | "
                  f"{m['accepted_per_decode_step']} |" for mode, m in ((k, light[k]) for k in ("off", "on"))]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
