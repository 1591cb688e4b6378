"""Backend selection: ``auto`` prefers ONNX and falls back (logged, counted); explicit choices never do."""
from __future__ import annotations

import json
import logging
import shutil

import pytest

from newsgen.config import load_settings
from newsgen.errors import ModelError
from newsgen.generation import load_generator
from newsgen.generation.export import sha256_file
from newsgen.generation.selection import find_export
from newsgen.metrics import BACKEND_FALLBACKS


def fallbacks() -> float:
    return sum(s.value for m in BACKEND_FALLBACKS.collect() for s in m.samples if s.name.endswith("_total"))


@pytest.fixture
def corrupted(onnx_fp32, tmp_path):
    """A copy of the export whose model.onnx is garbage."""
    out = tmp_path / "broken"
    shutil.copytree(onnx_fp32, out)
    (out / "model.onnx").write_bytes(b"not an onnx model" * 100)
    return out


def test_auto_uses_onnx_when_an_export_loads(tiny_model_dir, onnx_fp32):
    gen = load_generator(load_settings(model=str(tiny_model_dir), onnx_dir=onnx_fp32))
    assert gen.backend == "onnx" and gen.runner.providers == ["CPUExecutionProvider"]


def test_auto_without_export_uses_torch_and_counts_nothing(tiny_model_dir):
    before = fallbacks()
    settings = load_settings(model=str(tiny_model_dir))
    assert find_export(settings, str(tiny_model_dir)) is None
    assert load_generator(settings).backend == "torch" and fallbacks() == before


def test_model_dir_onnx_subfolder_is_found(tiny_model_dir, onnx_fp32, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    shutil.copytree(onnx_fp32, model / "onnx")
    settings = load_settings(model=str(model))
    assert find_export(settings, str(model)) == model / "onnx"
    assert load_generator(settings).backend == "onnx"


def test_corrupted_onnx_makes_auto_fall_back_to_torch_and_count_it(tiny_model_dir, corrupted, caplog):
    before = fallbacks()
    with caplog.at_level(logging.WARNING, logger="newsgen.generation.selection"):
        gen = load_generator(load_settings(model=str(tiny_model_dir), onnx_dir=corrupted))
    assert gen.backend == "torch" and fallbacks() == before + 1
    assert "falling back to torch-cpu" in caplog.text and "hash" in caplog.text


def test_session_failure_is_caught_even_when_hashes_match(tiny_model_dir, corrupted):
    manifest = json.loads((corrupted / "manifest.json").read_text())
    manifest["files"]["model.onnx"] = sha256_file(corrupted / "model.onnx")  # manifest written for a bad file
    (corrupted / "manifest.json").write_text(json.dumps(manifest))
    before = fallbacks()
    with pytest.raises(ModelError, match="ONNX Runtime cannot load"):
        load_generator(load_settings(model=str(tiny_model_dir), onnx_dir=corrupted, backend="onnx"))
    assert fallbacks() == before  # explicit choice: no fallback
    assert load_generator(load_settings(model=str(tiny_model_dir), onnx_dir=corrupted)).backend == "torch"
    assert fallbacks() == before + 1


def test_explicit_backends_refuse_to_fall_back(tiny_model_dir, corrupted):
    with pytest.raises(ModelError, match="differs from its manifest"):
        load_generator(load_settings(model=str(tiny_model_dir), onnx_dir=corrupted, backend="onnx"))
    with pytest.raises(ModelError, match="needs an export"):
        load_generator(load_settings(model=str(tiny_model_dir), backend="onnx"))


def test_missing_cuda_falls_back_under_auto_only(tiny_model_dir, onnx_fp32):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    before = fallbacks()
    gen = load_generator(load_settings(model=str(tiny_model_dir), onnx_dir=onnx_fp32, device="cuda"))
    assert gen.backend == "torch" and str(gen.runner.device) == "cpu"
    assert fallbacks() == before + 2  # onnx-cuda -> torch-cuda -> torch-cpu
    with pytest.raises(ModelError, match="cuda"):
        load_generator(load_settings(model=str(tiny_model_dir), backend="torch", device="cuda"))


def test_missing_model_and_non_gpt2_model_give_clear_errors(tmp_path):
    with pytest.raises(ModelError, match="model directory not found"):
        load_generator(load_settings(model=str(tmp_path / "missing")))
    bert = tmp_path / "bert"
    bert.mkdir()
    (bert / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ModelError, match="GPT-2-architecture"):
        load_generator(load_settings(model=str(bert), backend="torch"))
