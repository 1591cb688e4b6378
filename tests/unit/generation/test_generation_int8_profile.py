"""The pure helpers of bench/int8_profile.py: which profiled node does which job, on a real export's graph."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench"


@pytest.fixture(scope="module")
def prof():
    sys.path.insert(0, str(BENCH))              # the script imports bench/generation.py by its name
    try:
        spec = importlib.util.spec_from_file_location("bench_int8_profile", BENCH / "int8_profile.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def test_weight_matmuls_are_four_per_layer_then_the_lm_head(prof, onnx_fp32):
    import json

    n_layer = json.loads((onnx_fp32 / "config.json").read_text())["n_layer"]
    weights = prof.weight_matmuls(onnx_fp32 / "model.onnx")
    assert len(weights) == 4 * n_layer + 1
    jobs = list(weights.values())
    assert jobs[:4] == ["weight MatMul: QKV", "weight MatMul: attention output", "weight MatMul: MLP up",
                        "weight MatMul: MLP down"]
    assert jobs[-1] == "LM head" and jobs.count("LM head") == 1


def test_roles_of_profiled_nodes(prof):
    weights = {"/MatMul": "weight MatMul: QKV", "/MatMul_7": "weight MatMul: attention output"}
    assert prof.role_of("/MatMul_7_quant", "DynamicQuantizeMatMul", weights) == "weight MatMul: attention output"
    assert prof.role_of("/MatMul", "MatMul", weights) == "weight MatMul: QKV"
    assert prof.role_of("/MatMul_2/MatmulTransposeFusion//MatMulScaleFusion/", "FusedMatMul", weights).startswith(
        "attention core")
    assert prof.role_of("/MatMul_4", "MatMul", weights).startswith("attention core")   # no constant weight
    assert prof.role_of("/Slice_3", "Slice", weights).startswith("data movement")
    assert prof.role_of("/x", "TopK", weights) == "other (TopK)"
