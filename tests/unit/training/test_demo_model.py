"""The demo model build on a miniature config: trains, exports, reports, and records what it was built from."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from newsgen.training.demo import DemoConfig, built_digest, inputs_digest


def test_inputs_digest_follows_the_config():
    assert inputs_digest(DemoConfig()) == inputs_digest(DemoConfig())
    assert inputs_digest(replace(DemoConfig(), max_steps=7)) != inputs_digest(DemoConfig())


@pytest.mark.slow
def test_miniature_demo_build_exports_reports_and_recommends_its_sampling(tmp_path: Path):
    from newsgen.generation.onnx_backend import load_onnx_generator
    from newsgen.training.demo import build_demo_model

    cfg = replace(DemoConfig(), records=24, heldout=3, vocab_size=1200, n_embd=64, n_head=2, max_steps=6,
                  time_budget_s=120, candidates=2, batch_size=4)
    stages = []
    report = build_demo_model(tmp_path / "demo", cfg, report_path=tmp_path / "report.json",
                              progress=lambda info: stages.append(info.get("stage")))
    assert report["finetune"]["steps"] == 6 and report["finetune"]["val_loss_last"] < report["finetune"]["val_loss_first"]
    ev = report["evaluation"]
    assert ev["notes"] == 6 and ev["backend"] == "onnx" and ev["candidates"] == 2
    assert 0 <= ev["first_candidate_pass_rate"] <= ev["best_of_n_pass_rate"] <= 1
    assert ev["sampling"]["repetition_penalty"] == 1.0 and ev["sampling"]["no_repeat_ngram_size"] == 0
    assert all(s["text"] for s in ev["samples"])                    # real model output, checked
    written = json.loads((tmp_path / "report.json").read_text())
    assert written["evaluation"]["best_of_n_pass_rate"] == ev["best_of_n_pass_rate"]
    assert built_digest(tmp_path / "demo") == written["inputs_digest"] == inputs_digest(cfg) != inputs_digest(DemoConfig())
    assert load_onnx_generator(tmp_path / "demo" / "onnx").sampling_defaults["temperature"] == 0.5
    assert not (tmp_path / "demo.base").exists() and any(s and "exporting" in s for s in stages)
