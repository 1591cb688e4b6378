"""``newsgen model export``: manifest, precisions, clear errors."""
from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from newsgen.errors import ModelError
from newsgen.generation import GenerationRequest, SamplingParams
from newsgen.generation.export import export_model, io_names, sha256_file


def test_manifest_names_source_precision_opset_and_file_hashes(onnx_fp32, tiny_model_dir):
    manifest = json.loads((onnx_fp32 / "manifest.json").read_text())
    assert manifest["source"] == str(tiny_model_dir) and manifest["precision"] == "fp32"
    assert manifest["opset"] == 17 and manifest["graph"] == "cascade-kv/1"
    assert manifest["fp32_parity_max_abs_logit_diff"] < 1e-4
    assert {"model.onnx", "config.json", "tokenizer.json"} <= set(manifest["files"])
    assert all(sha256_file(onnx_fp32 / name) == digest for name, digest in manifest["files"].items())


def test_graph_inputs_and_outputs(onnx_fp32):
    import onnx

    graph = onnx.load(str(onnx_fp32 / "model.onnx"), load_external_data=False).graph
    names_in, names_out = io_names(2)
    assert [i.name for i in graph.input] == names_in and [o.name for o in graph.output] == names_out
    assert "past.1.value" in names_in and "new.1.value" in names_out


def test_int8_is_smaller_and_writes_valid_text(onnx_fp32, onnx_int8, onnx_gen, seeds):
    from newsgen.generation.onnx_backend import load_onnx_generator

    # the tiny model is mostly embeddings (not quantised); ruGPT-3 small shrinks from 655 to 285 MB
    assert (onnx_int8 / "model.onnx").stat().st_size < 0.7 * (onnx_fp32 / "model.onnx").stat().st_size
    int8 = load_onnx_generator(onnx_int8)
    assert int8.runner.precision == "int8" and int8.runner.providers == ["CPUExecutionProvider"]
    params = SamplingParams(max_new_tokens=16, stop=(), seed=1)
    [res] = int8.generate([GenerationRequest(prompt=seeds[0].prompt, prefix=seeds[0].prefix, sampling=params)])
    assert res.new_tokens == 16 and isinstance(res.text, str) and res.text.strip()
    assert int8.tokenizer(res.text, add_special_tokens=False)["input_ids"]  # real tokens, decodable text
    # its logits are a close approximation of fp32's
    ids = np.asarray([int8.encode(seeds[0].prompt)[-64:]])
    mask, pos = np.ones_like(ids), np.arange(ids.shape[1])[None]
    a = int8.runner.forward(ids, mask, pos, None)[0][0]
    b = onnx_gen.runner.forward(ids, mask, pos, None)[0][0]
    assert np.corrcoef(a, b)[0, 1] > 0.98


def test_fp16_export_has_fp16_cache_and_is_refused_on_cpu(tiny_model_dir, tmp_path):
    import onnx

    from newsgen.generation.onnx_backend import load_onnx_generator

    export_model(str(tiny_model_dir), tmp_path, precision="fp16", optimize=True)
    graph = onnx.load(str(tmp_path / "model.onnx")).graph
    types = {v.name: v.type.tensor_type.elem_type for v in [*graph.input, *graph.output]}
    assert types["past.0.key"] == types["new.0.key"] == onnx.TensorProto.FLOAT16
    assert types["input_ids"] == onnx.TensorProto.INT64
    with pytest.raises(ModelError, match="fp16 export"):
        load_onnx_generator(tmp_path, device="cpu")


def test_missing_path_and_non_gpt2_model_give_clear_errors(tmp_path):
    with pytest.raises(ModelError, match="model directory not found"):
        export_model(str(tmp_path / "nope"), tmp_path / "out")
    bert = tmp_path / "bert"
    bert.mkdir()
    (bert / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ModelError, match="'bert' model"):
        export_model(str(bert), tmp_path / "out")
    with pytest.raises(ModelError, match="unknown precision"):
        export_model(str(bert), tmp_path / "out", precision="int4")


def test_cli_export_and_generate(tiny_model_dir, tmp_path):
    from newsgen.cli import app

    runner = CliRunner()
    out = tmp_path / "export"
    result = runner.invoke(app, ["model", "export", str(tiny_model_dir), str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").is_file()
    result = runner.invoke(app, ["model", "generate", "Матч", "--model", str(tiny_model_dir), "--onnx-dir",
                                 str(out), "--backend", "onnx", "--max-new-tokens", "5", "--temperature", "0"])
    assert result.exit_code == 0, result.output
    assert "backend onnx fp32 on CPUExecutionProvider" in result.output and "5 new tokens" in result.output
    result = runner.invoke(app, ["model", "generate", "Матч", "--model", str(tmp_path / "missing")])
    assert result.exit_code == 4 and "model directory not found" in result.output
