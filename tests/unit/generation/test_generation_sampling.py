"""Vectorised sampling picks, row by row, what the one-row reference picks."""
from __future__ import annotations

import numpy as np
import pytest

from newsgen.generation.base import SamplingParams
from newsgen.generation.sampling import banned_ngram_tokens, choose, choose_batch

V = 500
PARAMS = [
    SamplingParams(temperature=0.0),
    SamplingParams(temperature=0.8, top_k=40, top_p=0.95, repetition_penalty=1.2, no_repeat_ngram_size=3),
    SamplingParams(temperature=1.3, top_k=5, top_p=1.0, repetition_penalty=3.0, no_repeat_ngram_size=0),
    SamplingParams(temperature=0.7, top_k=0, top_p=0.9, repetition_penalty=1.0, no_repeat_ngram_size=2),
    SamplingParams(temperature=1.0, top_k=V + 10, top_p=0.5),
]


@pytest.mark.parametrize("step", range(6))
def test_choose_batch_equals_choose_row_by_row(step):
    data = np.random.default_rng(step)
    logits = (data.standard_normal((len(PARAMS), V)) * 3).astype(np.float32)
    generated = [list(data.integers(0, 20, size=step * 4)) for _ in PARAMS]  # small ids: n-grams repeat
    seeds = [step * 100 + b for b in range(len(PARAMS))]
    batch = choose_batch(logits, generated, PARAMS, [np.random.default_rng(s) for s in seeds])
    alone = [choose(logits[b], generated[b], p, np.random.default_rng(s))
             for b, (p, s) in enumerate(zip(PARAMS, seeds))]
    assert batch.tolist() == alone


def test_sampling_respects_top_k_bans_and_is_seeded():
    logits = np.zeros((1, V), dtype=np.float32)
    logits[0, :3] = [5.0, 4.0, 3.0]
    params = [SamplingParams(temperature=1.0, top_k=2, top_p=1.0, repetition_penalty=1.0, no_repeat_ngram_size=3)]
    draws = {int(choose_batch(logits, [[7, 8, 0, 7, 8]], params, [np.random.default_rng(s)])[0]) for s in range(50)}
    assert draws == {1, 2}  # 0 would repeat the trigram (7, 8, 0); top-2 of the rest
    assert banned_ngram_tokens([7, 8, 0, 7, 8], 3) == [0]
    same = [choose_batch(logits, [[]], params, [np.random.default_rng(3)])[0] for _ in range(2)]
    assert same[0] == same[1]
