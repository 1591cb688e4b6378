"""Next-token choice on numpy logits, identical for every backend.

Per row: repetition penalty and no-repeat n-grams over the tokens generated so far (not the prompt: a
few-shot seed repeats team names and phrases the note must reuse), temperature, top-k, top-p, then a
draw from the row's own seeded RNG, so a request's text never depends on its batch mates.
"""
from __future__ import annotations

import numpy as np

from newsgen.generation.base import SamplingParams


def banned_ngram_tokens(generated: list[int], n: int) -> list[int]:
    """Tokens that would repeat an n-gram already present in ``generated``."""
    if n <= 0 or len(generated) < n:
        return []
    head = tuple(generated[len(generated) - n + 1:])
    return [generated[i + n - 1] for i in range(len(generated) - n + 1)
            if tuple(generated[i:i + n - 1]) == head]


def process_logits(logits: np.ndarray, generated: list[int], params: SamplingParams) -> np.ndarray:
    """Return a copy of one row's logits (V,) with penalties, temperature, top-k and top-p applied."""
    scores = logits.astype(np.float32, copy=True)
    if params.repetition_penalty != 1.0 and generated:
        seen = np.unique(np.asarray(generated))
        vals = scores[seen]
        scores[seen] = np.where(vals > 0, vals / params.repetition_penalty, vals * params.repetition_penalty)
    banned = banned_ngram_tokens(generated, params.no_repeat_ngram_size)
    if banned:
        scores[banned] = -np.inf
    if params.temperature > 0:
        scores /= params.temperature
    if 0 < params.top_k < scores.shape[0]:
        kth = np.partition(scores, -params.top_k)[-params.top_k]
        scores[scores < kth] = -np.inf
    if params.top_p < 1.0:
        order = np.argsort(-scores, kind="stable")
        probs = _softmax(scores[order])
        # keep the smallest prefix of the sorted tokens whose mass reaches top_p (at least one token)
        drop = np.cumsum(probs) - probs >= params.top_p
        scores[order[drop]] = -np.inf
    return scores


def choose(logits: np.ndarray, generated: list[int], params: SamplingParams, rng: np.random.Generator) -> int:
    """Pick one token id for one row: argmax when ``temperature == 0``, else a seeded draw."""
    scores = process_logits(logits, generated, params)
    if params.temperature == 0:
        return int(np.argmax(scores))
    probs = _softmax(scores).astype(np.float64)
    # inverse-CDF draw: one uniform number per step keeps the RNG stream simple and reproducible
    return int(min(np.searchsorted(np.cumsum(probs), rng.random() * probs.sum(), side="right"),
                   probs.shape[0] - 1))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - np.max(x))
    return e / e.sum()
