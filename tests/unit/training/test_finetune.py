"""Fine-tuning a tiny model for a few steps: validation loss goes down, the result exports to ONNX and generates."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsgen.training.synth import synth_pairs


def test_target_text_joins_like_the_few_shot_examples():
    from newsgen.training.finetune import target_text

    assert target_text("...Заметка:", "", "«Зенит» обыграл.") == " «Зенит» обыграл.\n"
    assert target_text("... Идёт", "Идёт", "Идёт 5-я минута.") == " 5-я минута.\n"
    with pytest.raises(ValueError):
        target_text("x", "Lead", "Other")


@pytest.mark.slow
def test_finetune_lowers_validation_loss_and_exports(tmp_path: Path):
    from newsgen.generation import GenerationRequest, SamplingParams
    from newsgen.generation.export import export_model
    from newsgen.generation.onnx_backend import load_onnx_generator
    from newsgen.generation.tiny import TinyConfig, build_tiny_model, corpus_texts
    from newsgen.training.finetune import FinetuneConfig, finetune

    pairs = list(synth_pairs(24, seed=1, types=["football_match"]))
    base = build_tiny_model(tmp_path / "base", corpus_texts() + [p["note"] for p in pairs],
                            TinyConfig(vocab_size=1500, n_layer=2, n_embd=64, n_head=2))
    out = tmp_path / "ft"
    # the first third trains without the few-shot prefix (the warm-up phase), the rest on the full seed
    cfg = FinetuneConfig(max_steps=12, batch_size=4, lr=3e-3, warmup_steps=2, val_fraction=0.15, eval_every=0,
                         save_every=6, device="cpu", seed=0, prefix_free_until=0.34)
    result = finetune(str(base), pairs, out, cfg)
    vals = result.val_losses
    assert len(vals) == 2 and vals[-1] < vals[0] - 0.5, vals
    assert (out / "checkpoints" / "step-6" / "state.pt").is_file()
    assert json.loads((out / "training.json").read_text())["steps"] == 12

    # resume: a longer run continues from the step-6 checkpoint
    resumed = finetune(str(base), pairs, tmp_path / "ft", FinetuneConfig(**{**vars(cfg), "max_steps": 14}),
                       resume=True)
    assert resumed.steps == 14 and [h["step"] for h in resumed.history if "loss" in h] == list(range(1, 15))

    # sampling the model recommends travels with its export
    generation_config = json.loads((out / "generation_config.json").read_text())
    (out / "generation_config.json").write_text(json.dumps({**generation_config, "no_repeat_ngram_size": 0}))
    export_model(str(out), out / "onnx")
    generator = load_onnx_generator(out / "onnx")
    assert generator.sampling_defaults == {"no_repeat_ngram_size": 0}
    [res] = generator.generate([GenerationRequest(prompt="Заметка:", sampling=SamplingParams(max_new_tokens=8,
                                                                                           temperature=0))])
    assert res.backend == "onnx" and res.new_tokens > 0
