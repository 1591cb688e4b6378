"""Fixtures of the generation tests: ONNX exports of the session's tiny model, real seeds, loaded generators."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsgen.config import ROOT
from newsgen.generation import GenerationRequest, SamplingParams
from newsgen.seeds import SeedRenderer

GREEDY = SamplingParams(max_new_tokens=12, temperature=0.0, stop=())


@pytest.fixture(scope="session")
def onnx_fp32(tiny_model_dir, tmp_path_factory) -> Path:
    from newsgen.generation.export import export_model

    out = tmp_path_factory.mktemp("onnx-fp32")
    export_model(str(tiny_model_dir), out, precision="fp32")
    return out


@pytest.fixture(scope="session")
def onnx_int8(tiny_model_dir, tmp_path_factory) -> Path:
    from newsgen.generation.export import export_model

    out = tmp_path_factory.mktemp("onnx-int8")
    export_model(str(tiny_model_dir), out, precision="int8")
    return out


@pytest.fixture(scope="session")
def torch_gen(tiny_model_dir):
    from newsgen.generation.torch_backend import load_torch_generator

    return load_torch_generator(str(tiny_model_dir))


@pytest.fixture(scope="session")
def onnx_gen(onnx_fp32):
    from newsgen.generation.onnx_backend import load_onnx_generator

    return load_onnx_generator(onnx_fp32)


@pytest.fixture(scope="session")
def seeds():
    """Seeds of the example football records: one shared few-shot prefix, records of different lengths."""
    renderer = SeedRenderer(ROOT / "templates")
    lines = (ROOT / "producers" / "examples" / "football.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    return [renderer.render(r, "note") for r in records if r.get("status") == "finished"][:4]


@pytest.fixture(scope="session")
def requests_(seeds):
    """Prefix-sharing seeds plus two short prompts without prefix: rows of very different lengths."""
    reqs = [GenerationRequest(prompt=s.prompt, prefix=s.prefix, sampling=GREEDY) for s in seeds]
    return reqs + [GenerationRequest(prompt="Матч", sampling=GREEDY),
                   GenerationRequest(prompt="«Зенит» обыграл «Спартак» со счётом", sampling=GREEDY)]
