"""An export directory as the model (``NEWSGEN_MODEL=/models/<export>``): with or without the PyTorch fallback."""
from __future__ import annotations

import json
import shutil

import pytest

from newsgen.config import load_settings
from newsgen.errors import ModelError
from newsgen.generation import load_generator
from newsgen.generation.export import export_model, has_torch_fallback
from newsgen.generation.selection import check_model, find_export


@pytest.fixture(scope="module")
def onnx_only(tiny_model_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("onnx-only")
    export_model(str(tiny_model_dir), out, torch_fallback=False)
    return out


def test_an_export_with_its_weights_is_a_model_for_both_backends(onnx_fp32, tiny_model_dir):
    manifest = json.loads((onnx_fp32 / "manifest.json").read_text())
    assert manifest["torch_fallback"] is True and "model.safetensors" in manifest["files"]
    assert find_export(load_settings(model=str(onnx_fp32)), str(onnx_fp32)) == onnx_fp32
    gen = load_generator(load_settings(model=str(onnx_fp32)))
    assert gen.backend == "onnx" and gen.model_id == str(tiny_model_dir)
    gen = load_generator(load_settings(model=str(onnx_fp32), backend="torch"))
    assert gen.backend == "torch" and gen.model_id == str(onnx_fp32)


def test_an_export_without_weights_declares_it_and_refuses_torch_in_one_line(onnx_only):
    manifest = json.loads((onnx_only / "manifest.json").read_text())
    assert manifest["torch_fallback"] is False and not (onnx_only / "model.safetensors").exists()
    assert not has_torch_fallback(onnx_only)
    with pytest.raises(ModelError) as err:
        check_model(load_settings(model=str(onnx_only), backend="torch"), str(onnx_only))
    assert "\n" not in str(err.value) and "without PyTorch weights" in str(err.value)
    assert load_generator(load_settings(model=str(onnx_only))).backend == "onnx"


def test_auto_has_no_pytorch_candidate_for_an_export_without_weights(onnx_only, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(onnx_only, broken)
    (broken / "model.onnx").write_bytes(b"garbage" * 100)
    with pytest.raises(ModelError, match="missing or differs from its manifest hash"):
        load_generator(load_settings(model=str(broken)))


def test_older_export_without_the_key_is_judged_by_its_files(onnx_only, onnx_fp32, tmp_path):
    for src, expected in ((onnx_only, False), (onnx_fp32, True)):
        copy = tmp_path / src.name
        shutil.copytree(src, copy)
        manifest = json.loads((copy / "manifest.json").read_text())
        del manifest["torch_fallback"]
        (copy / "manifest.json").write_text(json.dumps(manifest))
        assert has_torch_fallback(copy) is expected


def test_export_refuses_an_export_without_weights_as_source_and_itself_as_target(onnx_only, onnx_fp32, tmp_path):
    with pytest.raises(ModelError, match="without PyTorch weights"):
        export_model(str(onnx_only), tmp_path / "again")
    with pytest.raises(ModelError, match="onto itself"):
        export_model(str(onnx_fp32), onnx_fp32)


def test_missing_model_directory_is_one_line_before_anything_loads(tmp_path):
    with pytest.raises(ModelError, match="model directory not found"):
        check_model(load_settings(model=str(tmp_path / "nope")), str(tmp_path / "nope"))
