"""ONNX Runtime and PyTorch compute the same thing, and both agree with plain transformers."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from newsgen.generation import GenerationRequest, SamplingParams


def _left_padded_batch(tokenizer, texts):
    rows = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    width = max(len(r) for r in rows)
    ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for b, row in enumerate(rows):
        ids[b, width - len(row):] = row
        mask[b, width - len(row):] = 1
    return ids, mask, np.clip(mask.cumsum(1) - 1, 0, None)


def test_greedy_tokens_identical_for_a_batch_of_different_lengths(torch_gen, onnx_gen, requests_):
    got_torch = torch_gen.generate(requests_)
    got_onnx = onnx_gen.generate(requests_)
    assert [r.text for r in got_onnx] == [r.text for r in got_torch]
    assert [r.new_tokens for r in got_onnx] == [r.new_tokens for r in got_torch] == [12] * len(requests_)
    assert len({r.prompt_tokens for r in got_torch}) > 2  # really different lengths
    assert {r.backend for r in got_onnx} == {"onnx"} and {r.backend for r in got_torch} == {"torch"}


def test_last_step_logits_agree_with_each_other_and_with_transformers(torch_gen, onnx_gen, tiny_model_dir, seeds):
    from transformers import GPT2LMHeadModel

    texts = [seeds[0].prompt[-300:], "Матч", seeds[1].prompt[-120:]]
    ids, mask, pos = _left_padded_batch(torch_gen.tokenizer, texts)
    # prefill, then two decode steps on top of the cache
    logits_t, past_t = torch_gen.runner.forward(ids, mask, pos, None)
    logits_o, past_o = onnx_gen.runner.forward(ids, mask, pos, None)
    for _ in range(2):
        nxt = logits_t.argmax(1)[:, None]
        mask, pos = np.concatenate([mask, np.ones_like(nxt)], 1), pos[:, -1:] + 1
        ids = np.concatenate([ids, nxt], 1)
        logits_t, past_t = torch_gen.runner.forward(nxt, mask, pos, past_t)
        logits_o, past_o = onnx_gen.runner.forward(nxt, mask, pos, past_o)
    assert np.abs(logits_o - logits_t).max() < 1e-3
    hf = GPT2LMHeadModel.from_pretrained(tiny_model_dir).eval()
    with torch.inference_mode():
        ref = hf(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                 position_ids=torch.from_numpy(np.clip(mask.cumsum(1) - 1, 0, None))).logits[:, -1].numpy()
    assert np.abs(logits_t - ref).max() < 1e-3


def test_prefix_reuse_gives_the_same_tokens_as_no_reuse(tiny_model_dir, onnx_fp32, torch_gen, onnx_gen, requests_):
    from newsgen.generation.onnx_backend import load_onnx_generator
    from newsgen.generation.torch_backend import load_torch_generator

    with_reuse = [r.text for r in torch_gen.generate(requests_)]
    assert torch_gen._prefix_cache  # the prefix KV was really cached
    for gen in (load_torch_generator(str(tiny_model_dir), reuse_prefix=False),
                load_onnx_generator(onnx_fp32, reuse_prefix=False)):
        assert [r.text for r in gen.generate(requests_)] == with_reuse
    assert [r.text for r in onnx_gen.generate(requests_)] == with_reuse  # onnx with reuse, second call: cached


def test_greedy_matches_transformers_generate(torch_gen, tiny_model_dir, seeds):
    from transformers import GPT2LMHeadModel

    hf = GPT2LMHeadModel.from_pretrained(tiny_model_dir).eval()
    plain = SamplingParams(max_new_tokens=10, temperature=0.0, repetition_penalty=1.0, no_repeat_ngram_size=0,
                           stop=())
    seed = seeds[2]
    tok = torch_gen.tokenizer
    ids = torch_gen.encode(seed.prefix) + torch_gen.encode(seed.prompt[len(seed.prefix):])
    with torch.inference_mode():
        out = hf.generate(torch.tensor([ids]), max_new_tokens=10, do_sample=False, pad_token_id=0,
                          eos_token_id=None)
    [ours] = torch_gen.generate([GenerationRequest(prompt=seed.prompt, prefix=seed.prefix, sampling=plain)])
    assert ours.text == tok.decode(out[0, len(ids):].tolist())


def test_sampled_text_does_not_depend_on_batch_mates_or_backend(torch_gen, onnx_gen, requests_):
    sampled = [replace(r, sampling=replace(r.sampling, temperature=0.8, seed=i)) for i, r in enumerate(requests_)]
    batch = [r.text for r in onnx_gen.generate(sampled)]
    assert [onnx_gen.generate([r])[0].text for r in sampled[::2]] == batch[::2]
    assert [r.text for r in torch_gen.generate(sampled)] == batch
    assert len(set(batch)) == len(batch)  # seeds differ, texts differ


def test_prefill_in_row_chunks_changes_nothing(torch_gen, onnx_gen, seeds):
    ids, mask, pos = _left_padded_batch(torch_gen.tokenizer, [s.prompt[-200:] for s in seeds])
    for runner in (torch_gen.runner, onnx_gen.runner):
        whole, _ = runner.forward(ids, mask, pos, None)
        budget, runner.prefill_scores = runner.prefill_scores, 1  # one row per chunk
        try:
            chunked, past = runner.forward(ids, mask, pos, None)
        finally:
            runner.prefill_scores = budget
        assert past.length == ids.shape[1] and past.rows[0].shape[1] == len(seeds)
        assert np.abs(whole - chunked).max() < 1e-5


def test_a_prompt_that_is_exactly_its_prefix_continues_the_prefix(tiny_model_dir, torch_gen, onnx_gen, requests_):
    from newsgen.generation.torch_backend import load_torch_generator

    longer = requests_[0]                                  # a seed: shared prefix + record, greedy
    alone = replace(longer, prompt=longer.prefix)
    reference = load_torch_generator(str(tiny_model_dir), reuse_prefix=False).generate([alone, longer])
    for gen in (torch_gen, onnx_gen):
        assert [r.text for r in gen.generate([alone, longer])] == [r.text for r in reference]  # batch mate
        assert gen.generate([alone])[0].text == reference[0].text                              # alone
    assert reference[0].new_tokens == 12 and reference[0].text != reference[1].text


def test_grounded_greedy_text_identical_on_both_backends(torch_gen, onnx_gen, seeds):
    import json

    from newsgen.allowed import grounding_for
    from newsgen.config import ROOT

    lines = (ROOT / "producers" / "examples" / "football.jsonl").read_text(encoding="utf-8").splitlines()
    finished = [r for r in map(json.loads, filter(str.strip, lines)) if r.get("status") == "finished"]
    sampling = SamplingParams(max_new_tokens=24, temperature=0.0, stop=())
    reqs = [GenerationRequest(prompt=seed.prompt, prefix=seed.prefix, sampling=sampling,
                              grounding=grounding_for(record, "strict", seed.prompt, seed.prefix))
            for seed, record in zip(seeds, finished)]          # the seeds fixture renders these records
    got_torch, got_onnx = torch_gen.generate(reqs), onnx_gen.generate(reqs)
    assert [r.text for r in got_onnx] == [r.text for r in got_torch]
    assert all(r.new_tokens > 0 for r in got_torch)
