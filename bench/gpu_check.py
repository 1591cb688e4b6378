"""GPU check: ONNX Runtime really runs on CUDA, and how it compares with PyTorch fp16 (under 5 minutes).

Run by hand on a machine with a CUDA GPU, onnxruntime-gpu and a CUDA build of torch:

    .venv/bin/python bench/gpu_check.py                     # ruGPT-3-small shape, random weights
    .venv/bin/python bench/gpu_check.py --model DIR         # a real model directory instead

1. exports the model to ONNX fp16 (ORT transformer fusions for GPU) unless ``--export`` names one;
2. loads it with device=cuda and fails unless the session's first provider is CUDAExecutionProvider
   and a profiled step ran its heavy nodes (MatMul, Softmax, LayerNorm...) on CUDA, not on CPU;
3. checks ORT fp16 against PyTorch fp16 (last logits, greedy tokens) on the same inputs;
4. times the benchmark workload (``--records`` football records, ``--new-tokens`` each, batch ``--batch-size``)
   with newsgen ONNX fp16 (KV cache on the GPU through IOBinding) and newsgen PyTorch fp16.

Writes bench/results/gpu_check.json; exits 1 when a check fails.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from generation import build_model, football_records  # noqa: E402
from newsgen.config import load_settings  # noqa: E402
from newsgen.generation import GenerationRequest, SamplingParams  # noqa: E402
from newsgen.seeds import SeedRenderer  # noqa: E402

HEAVY = {"MatMul", "FusedMatMul", "Gemm", "Softmax", "LayerNormalization", "SkipLayerNormalization", "FastGelu",
         "BiasGelu", "Gelu", "Add", "Mul"}


def providers_of_a_profiled_step(export_dir: Path) -> Counter:
    """Run one decode-shaped step with profiling on; count kernel launches per (provider, op)."""
    import onnxruntime as ort

    from newsgen.generation.export import io_names

    opts = ort.SessionOptions()
    opts.enable_profiling = True
    opts.log_severity_level = 3
    session = ort.InferenceSession(str(export_dir / "model.onnx"), opts,
                                   providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
    cfg = json.loads((export_dir / "config.json").read_text())
    H, D, L = cfg["n_head"], cfg["n_embd"] // cfg["n_head"], cfg["n_layer"]
    B, P0, S = 4, 16, 8
    feeds = {"input_ids": np.ones((B, 1), np.int64), "attention_mask": np.ones((B, P0 + S + 1), np.int64),
             "position_ids": np.full((B, 1), P0 + S, np.int64)}
    for name in io_names(L)[0][3:]:
        shape = (H, P0, D) if name.startswith("prefix.") else (H, B, S, D)
        feeds[name] = np.zeros(shape, np.float16)
    session.run(None, feeds)
    trace = json.loads(Path(session.end_profiling()).read_text())
    return Counter((e["args"].get("provider", "?"), e["args"].get("op_name", "?")) for e in trace
                   if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time"))


def timed(generator: Any, requests: list[GenerationRequest], batch: int) -> dict[str, float]:
    generator.eos_token_id = None  # fixed-length workload
    generator.generate([GenerationRequest(prompt="Матч", sampling=SamplingParams(max_new_tokens=2, stop=()))])
    torch.cuda.synchronize()
    t = time.perf_counter()
    tokens = sum(r.new_tokens for i in range(0, len(requests), batch)
                 for r in generator.generate(requests[i:i + batch]))
    torch.cuda.synchronize()
    seconds = time.perf_counter() - t
    return {"seconds": round(seconds, 2), "notes_per_s": round(len(requests) / seconds, 2),
            "tokens_per_s": round(tokens / seconds, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, help="model directory [a random ruGPT-3-small-shape model]")
    ap.add_argument("--export", type=Path, help="an existing fp16 export to check instead of exporting")
    ap.add_argument("--records", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--new-tokens", type=int, default=96)
    ap.add_argument("--work-dir", type=Path, default=Path("/tmp/newsgen-gpu-check"))
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "gpu_check.json")
    args = ap.parse_args()
    started = time.perf_counter()
    if not torch.cuda.is_available():
        print("FAIL: torch sees no CUDA GPU")
        return 1
    import onnxruntime as ort
    from transformers.utils import logging as hf_logging

    from newsgen.generation.export import export_model
    from newsgen.generation.onnx_backend import load_onnx_generator
    from newsgen.generation.torch_backend import load_torch_generator

    hf_logging.disable_progress_bar()
    report: dict[str, Any] = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__,
                              "onnxruntime": ort.__version__, "available_providers": ort.get_available_providers()}
    print(f"{report['gpu']}; torch {torch.__version__}; onnxruntime {ort.__version__} "
          f"{report['available_providers']}", flush=True)
    model_dir = args.model or build_model(args.work_dir / "rugpt3small-shape")
    export_dir = args.export or args.work_dir / "onnx-fp16"
    if args.export is None:
        t = time.perf_counter()
        export_model(str(model_dir), export_dir, precision="fp16", optimize=True)
        report["export_s"] = round(time.perf_counter() - t, 1)
        print(f"exported fp16 in {report['export_s']} s", flush=True)

    failures = []
    onnx_gen = load_onnx_generator(export_dir, device="cuda")
    report["session_providers"] = onnx_gen.runner.providers
    if onnx_gen.runner.providers[0] != "CUDAExecutionProvider":
        failures.append(f"session providers {onnx_gen.runner.providers}")
    kernels = providers_of_a_profiled_step(export_dir)
    on_cpu = sorted({op for (prov, op), _ in kernels.items() if prov == "CPUExecutionProvider" and op in HEAVY})
    by_provider: Counter = Counter()
    for (provider, _), n in kernels.items():
        by_provider[provider] += n
    report["kernels_by_provider"] = dict(by_provider)
    report["heavy_ops_on_cpu"] = on_cpu
    if on_cpu:
        failures.append(f"heavy ops ran on CPU: {on_cpu}")
    print(f"session providers {report['session_providers']}; kernels per provider {report['kernels_by_provider']}",
          flush=True)

    torch_gen = load_torch_generator(str(model_dir), device="cuda")  # fp16 on CUDA
    ids = np.asarray([onnx_gen.encode("Матч: «Зенит» — «Спартак», 2:1. Заметка:")] * 2)
    mask, pos = np.ones_like(ids), np.tile(np.arange(ids.shape[1]), (2, 1))
    a = onnx_gen.runner.forward(ids, mask, pos, None)[0]
    b = torch_gen.runner.forward(ids, mask, pos, None)[0]
    report["fp16_max_abs_logit_diff"] = float(np.abs(a - b).max())
    if not np.isfinite(a).all() or report["fp16_max_abs_logit_diff"] > 0.1:
        failures.append(f"ORT fp16 logits differ from PyTorch fp16 by {report['fp16_max_abs_logit_diff']:.3f}")

    settings = load_settings()
    renderer = SeedRenderer(settings.templates_dir)
    base = SamplingParams(**settings.sampling.request_fields())
    requests = []
    for i, record in enumerate(football_records(args.records)):
        seed = renderer.render(record, "note", "ru")
        sampling = SamplingParams(**{**vars(base), "max_new_tokens": args.new_tokens, "stop": (), "seed": i})
        requests.append(GenerationRequest(prompt=seed.prompt, prefix=seed.prefix, sampling=sampling))
    greedy = [GenerationRequest(prompt=r.prompt, prefix=r.prefix,
                                sampling=SamplingParams(max_new_tokens=16, temperature=0.0, stop=()))
              for r in requests[:8]]
    same = sum(x.text == y.text for x, y in zip(onnx_gen.generate(greedy), torch_gen.generate(greedy)))
    report["greedy_texts_identical"] = f"{same}/{len(greedy)} (fp16: small differences may flip a token)"

    report["onnx_fp16_iobinding"] = timed(onnx_gen, requests, args.batch_size)
    print(f"newsgen ONNX fp16: {report['onnx_fp16_iobinding']}", flush=True)
    report["torch_fp16"] = timed(torch_gen, requests, args.batch_size)
    print(f"newsgen PyTorch fp16: {report['torch_fp16']}", flush=True)
    report["onnx_over_torch"] = round(report["onnx_fp16_iobinding"]["notes_per_s"] /
                                      report["torch_fp16"]["notes_per_s"], 2)
    report["workload"] = {"records": args.records, "batch_size": args.batch_size, "new_tokens": args.new_tokens}
    report["failures"] = failures
    report["total_s"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2, ensure_ascii=False))
    print("FAIL: " + "; ".join(failures) if failures else "OK: ONNX Runtime runs on CUDA")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
