"""Where int8 time goes: ONNX Runtime's per-node profile of the fp32 and int8 exports, one step shape at a time.

Run by hand (never in the test suite), after or without ``bench/generation.py`` (it shares its model cache):

    .venv/bin/python bench/int8_profile.py                 # prefill and decode steps of the benchmark workload

The model is ``bench/generation.py``'s random-weight GPT-2 in the ruGPT-3-small shape, exported to fp32 and
int8 (dynamic quantisation, :func:`newsgen.generation.export.export_model`). Each precision's session is the
service's own (:func:`newsgen.generation.onnx_backend.create_session`: all graph optimisations, the
logit-positions input) with ORT profiling on. Two step shapes of the generation benchmark's workload:

    prefill   the rows' own prompt after the shared few-shot prefix (its KV given), last-position logits
    decode    one new token per row, the prefix and the rows' past as cache

Each shape runs ``--repeat`` times after one unprofiled-equivalent warm-up run (its events are dropped).
Kernel time is summed per role (which weight MatMul, the attention core, LayerNorm, the LM head, the
quantiser's own DynamicQuantizeLinear...), per precision, and the int8/fp32 ratio is printed per role, with
what the quantiser converted. Writes ``bench/results/int8_profile.json``.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402

from generation import build_model, export, machine  # noqa: E402  (bench/generation.py)
from newsgen.config import load_settings  # noqa: E402
from newsgen.generation.export import io_names  # noqa: E402
from newsgen.generation.onnx_backend import LOGIT_POSITIONS, create_session  # noqa: E402

#: op types by job, for the nodes that are not weight MatMuls
_OP_ROLES = {"MatMul": "attention core (activation x activation MatMul)",
             "FusedMatMul": "attention core (activation x activation MatMul)", "Softmax": "attention softmax",
             "DynamicQuantizeLinear": "activation quantisation", "LayerNormalization": "LayerNorm",
             **dict.fromkeys(("Add", "Mul", "Sub", "FastGelu", "Gelu", "Where", "Cast", "And", "GreaterOrEqual"),
                             "elementwise (bias, GELU, mask)"),
             **dict.fromkeys(("Slice", "Concat", "Transpose", "Split", "Reshape", "Gather", "Unsqueeze", "Squeeze",
                              "Expand", "Shape", "ConstantOfShape", "Range"), "data movement (KV slices, concat, reshape)")}
_LAYER_WEIGHTS = ("weight MatMul: QKV", "weight MatMul: attention output", "weight MatMul: MLP up", "weight MatMul: MLP down")


def _graph(model: Path) -> Any:
    import onnx

    return onnx.load(str(model), load_external_data=False).graph


def _float_weight_matmuls(graph: Any) -> list[str]:
    """Names of the graph's float MatMul/Gemm nodes with a constant weight, in graph order."""
    consts = {t.name for t in graph.initializer}
    return [n.name for n in graph.node if n.op_type in ("MatMul", "Gemm") and any(i in consts for i in n.input)]


def weight_matmuls(fp32_model: Path) -> dict[str, str]:
    """The export's MatMuls with a constant weight, by node name, with their job: four per layer in graph
    order (QKV, attention output, MLP up, MLP down), the last one the LM head."""
    names = _float_weight_matmuls(_graph(fp32_model))
    return {name: ("LM head" if i == len(names) - 1 else _LAYER_WEIGHTS[i % 4]) for i, name in enumerate(names)}


def role_of(node: str, op: str, weights: dict[str, str]) -> str:
    """The job of a profiled node: a weight MatMul by its export name (the int8 graph's ``<name>_quant``,
    fused with its activation quantisation into DynamicQuantizeMatMul), else by op type."""
    base = "/" + node.strip("/").split("/")[0].removesuffix("_quant")
    if base in weights:
        return weights[base]
    return _OP_ROLES.get(op, f"other ({op})")


def feeds(cfg: dict[str, Any], batch: int, new: int, prefix: int, past: int) -> dict[str, np.ndarray]:
    """Inputs of one step: ``batch`` rows of ``new`` tokens after a ``prefix`` shared with every row and
    ``past`` tokens of each row's own cache; last-position logits."""
    H, D, L = cfg["n_head"], cfg["n_embd"] // cfg["n_head"], cfg["n_layer"]
    rng = np.random.default_rng(0)
    out = {"input_ids": rng.integers(3, cfg["vocab_size"], (batch, new), dtype=np.int64),
           "attention_mask": np.ones((batch, prefix + past + new), np.int64),
           "position_ids": np.tile(np.arange(prefix + past, prefix + past + new, dtype=np.int64), (batch, 1)),
           LOGIT_POSITIONS: np.array([-1], np.int64)}
    for name in io_names(L)[0][3:]:
        shape = (H, prefix, D) if name.startswith("prefix.") else (H, batch, past, D)
        out[name] = (rng.standard_normal(shape, dtype=np.float32) * 0.5)
    return out


def profile_step(model: Path, inputs: dict[str, np.ndarray], repeat: int, threads: int,
                 weights: dict[str, str]) -> dict[str, Any]:
    """Run one step shape ``repeat`` + 1 times with profiling; kernel µs per role and per op (warm-up dropped)."""
    with tempfile.TemporaryDirectory(prefix="newsgen-profile-") as tmp:
        session = create_session(model, threads=threads, profile=str(Path(tmp) / "ort"))
        wanted = {i.name for i in session.get_inputs()}
        run_feeds = {k: v for k, v in inputs.items() if k in wanted}
        wall = []
        for _ in range(repeat + 1):
            t = time.perf_counter()
            session.run(["logits"], run_feeds)
            wall.append(time.perf_counter() - t)
        trace = json.loads(Path(session.end_profiling()).read_text())
    runs = sorted((e["ts"], e["ts"] + e["dur"]) for e in trace if e.get("name") == "model_run")
    start = runs[1][0]                                         # the first run warms up: its events are dropped
    by_role: Counter = Counter()
    by_op: Counter = Counter()
    for e in trace:
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time") or e["ts"] < start:
            continue
        node, op = e["name"][:-len("_kernel_time")], e["args"].get("op_name", "?")
        by_role[role_of(node, op, weights)] += e["dur"]
        by_op[op] += e["dur"]
    per_run = lambda c: {k: round(v / repeat / 1000, 3) for k, v in c.most_common()}  # noqa: E731  ms per run
    return {"wall_ms": round(1000 * sum(wall[1:]) / repeat, 2), "kernel_ms_by_role": per_run(by_role),
            "kernel_ms_by_op": per_run(by_op)}


def quantised_nodes(model: Path) -> dict[str, Any]:
    """What the quantiser left in the int8 graph: op counts, and the float MatMul/Gemm nodes with a constant
    weight (the ones it did not convert), by name."""
    graph = _graph(model)
    ops = Counter(n.op_type for n in graph.node)
    return {"op_counts": dict(ops.most_common()), "float_weight_matmuls": _float_weight_matmuls(graph)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=32, help="rows per decode step (the benchmark's batch)")
    ap.add_argument("--prefill-batch", type=int, default=8, help="rows per prefill step")
    ap.add_argument("--prefix", type=int, default=775, help="shared few-shot prefix tokens (the workload's)")
    ap.add_argument("--prompt", type=int, default=178, help="each row's own prompt tokens after the prefix")
    ap.add_argument("--past", type=int, default=226, help="each row's cache in the decode step (mid-note)")
    ap.add_argument("--repeat", type=int, default=10, help="profiled runs per step shape (after one warm-up)")
    ap.add_argument("--threads", type=int, default=0, help="ORT intra-op threads (0 = one per physical core)")
    ap.add_argument("--work-dir", type=Path, default=None, help="model and exports cache [<state_dir>/bench]")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "int8_profile.json")
    args = ap.parse_args()

    work = args.work_dir or load_settings().state_dir / "bench"
    model_dir = build_model(work / "rugpt3small-shape")
    exports = {p: export(model_dir, p) / "model.onnx" for p in ("fp32", "int8")}
    cfg = json.loads((model_dir / "config.json").read_text())
    weights = weight_matmuls(exports["fp32"])
    info = machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores, {'/'.join(info['simd'])}; onnxruntime {info['onnxruntime']}",
          flush=True)
    shapes = {"prefill": dict(batch=args.prefill_batch, new=args.prompt, prefix=args.prefix, past=0),
              "decode": dict(batch=args.batch, new=1, prefix=args.prefix, past=args.past)}
    result: dict[str, Any] = {"machine": info, "model_shape": {k: cfg[k] for k in ("n_layer", "n_embd", "n_head", "vocab_size")},
                              "repeat": args.repeat, "int8_graph": quantised_nodes(exports["int8"]), "steps": {}}
    for step, shape in shapes.items():
        inputs = feeds(cfg, **shape)
        got = {p: profile_step(path, inputs, args.repeat, args.threads, weights) for p, path in exports.items()}
        roles = sorted(set(got["fp32"]["kernel_ms_by_role"]) | set(got["int8"]["kernel_ms_by_role"]),
                       key=lambda r: -got["fp32"]["kernel_ms_by_role"].get(r, 0))
        table = {}
        total8 = sum(got["int8"]["kernel_ms_by_role"].values())
        for r in roles:
            a, b = got["fp32"]["kernel_ms_by_role"].get(r, 0.0), got["int8"]["kernel_ms_by_role"].get(r, 0.0)
            table[r] = {"fp32_ms": a, "int8_ms": b, "speedup": round(a / b, 2) if b else None,
                        "share_of_int8": round(b / total8, 3) if total8 else None}
        split = {}
        for part, keep in (("weight MatMuls", True), ("everything else", False)):
            a, b = (sum(v for r, v in got[p]["kernel_ms_by_role"].items()
                        if (r.startswith("weight MatMul") or r == "LM head") == keep) for p in ("fp32", "int8"))
            split[part] = {"fp32_ms": round(a, 2), "int8_ms": round(b, 2), "speedup": round(a / b, 2) if b else None,
                           "share_of_int8": round(b / total8, 3) if total8 else None}
        speedup = round(got["fp32"]["wall_ms"] / got["int8"]["wall_ms"], 2)
        result["steps"][step] = {"shape": shape, "wall_ms": {p: g["wall_ms"] for p, g in got.items()},
                                 "int8_speedup": speedup, "split": split, "roles": table,
                                 "kernel_ms_by_op": {p: g["kernel_ms_by_op"] for p, g in got.items()}}
        print(f"\n{step} {shape}: fp32 {got['fp32']['wall_ms']:.1f} ms, int8 {got['int8']['wall_ms']:.1f} ms "
              f"per step -> int8 {speedup}x", flush=True)
        print(f"  {'role':48s} {'fp32 ms':>9s} {'int8 ms':>9s} {'speedup':>8s} {'int8 share':>10s}")
        for r, row in [*split.items(), *table.items()]:
            sp = f"{row['speedup']:.2f}x" if row["speedup"] else "-"
            print(f"  {r:48s} {row['fp32_ms']:9.2f} {row['int8_ms']:9.2f} {sp:>8s} {row['share_of_int8'] or 0:10.1%}")
    left = result["int8_graph"]["float_weight_matmuls"]
    print(f"\nint8 graph: {result['int8_graph']['op_counts'].get('MatMulInteger', 0)} MatMulInteger, "
          f"{result['int8_graph']['op_counts'].get('DynamicQuantizeLinear', 0)} DynamicQuantizeLinear; "
          f"{len(left)} float MatMul/Gemm with a constant weight left: {', '.join(left[:6]) or 'none'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
