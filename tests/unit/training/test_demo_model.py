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


def test_training_and_heldout_records_share_no_name_and_cover_every_sport():
    from newsgen.fallback import needs_model
    from newsgen.training.demo import heldout_records, record_names, training_records

    cfg = replace(DemoConfig(), records=30, heldout=10)
    train, held = training_records(cfg), heldout_records(cfg)
    assert all(needs_model(r) for r in train + held)
    for sport in cfg.types:
        assert sum(r["type"] == sport for r in held) == 10 and sum(r["type"] == sport for r in train) == 30
    assert record_names(train) and record_names(held) and not record_names(train) & record_names(held)


def test_plain_pairs_in_both_languages():
    from newsgen.training.demo import training_records
    from newsgen.training.synth import make_pairs

    cfg = replace(DemoConfig(), records=2)
    pairs = list(make_pairs(training_records(cfg), cfg.languages, vary_notes=False))
    assert {(p["record"]["type"], p["task"], p["language"]) for p in pairs} == \
        {(t, task, lang) for t in cfg.types for task in ("note", "summary") for lang in ("ru", "en")}
    assert len(pairs) == 2 * 3 * 2 * 2


@pytest.mark.slow
def test_miniature_demo_build_exports_reports_and_recommends_its_sampling(tmp_path: Path):
    from newsgen.generation.onnx_backend import load_onnx_generator
    from newsgen.training.demo import build_demo_model

    cfg = replace(DemoConfig(), records=6, heldout=1, vocab_size=1200, n_embd=64, n_head=2, max_steps=6,
                  time_budget_s=120, candidates=2, batch_size=4)
    stages = []
    report = build_demo_model(tmp_path / "demo", cfg, report_path=tmp_path / "report.json",
                              progress=lambda info: stages.append(info.get("stage")))
    assert report["finetune"]["steps"] == 6 and report["finetune"]["val_loss_last"] < report["finetune"]["val_loss_first"]
    ev = report["evaluation"]
    # one held-out record per sport x note and summary x ru and en, through the worker's NoteWriter
    assert ev["notes"] == 12 and ev["backend"] == "onnx" and ev["candidates"] == 2 and ev["grounding"] == "strict"
    assert set(ev["by_grounding"]) == {"strict", "off"}
    for mode in ev["by_grounding"].values():
        assert len(mode["cells"]) == 12 and all(c["notes"] == 1 for c in mode["cells"].values())
        assert 0 <= mode["first_candidate_pass_rate"] <= mode["best_of_n_pass_rate"] <= 1
        assert set(mode["by_task_language"]) == {"note/ru", "summary/ru", "note/en", "summary/en"}
    assert ev["names_shared_with_training"] == []                   # held-out names never occur in training
    assert ev["sampling"]["repetition_penalty"] == 1.0 and ev["sampling"]["no_repeat_ngram_size"] == 0
    assert all(s["text"] for s in ev["samples"])                    # real model output, checked
    written = json.loads((tmp_path / "report.json").read_text())
    assert written["evaluation"]["best_of_n_pass_rate"] == ev["best_of_n_pass_rate"]
    assert built_digest(tmp_path / "demo") == written["inputs_digest"] == inputs_digest(cfg) != inputs_digest(DemoConfig())
    assert load_onnx_generator(tmp_path / "demo" / "onnx").sampling_defaults["temperature"] == dict(cfg.sampling)["temperature"]
    assert not (tmp_path / "demo.base").exists() and any(s and "exporting" in s for s in stages)
