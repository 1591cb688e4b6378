"""Next-token choice on numpy logits, identical for every backend.

Per row: repetition penalty and no-repeat n-grams over the tokens generated so far (not the prompt: a
few-shot seed repeats team names and phrases the note must reuse), temperature, top-k, top-p, then a
draw from the row's own seeded RNG, so a request's text never depends on its batch mates.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from newsgen.generation.base import SamplingParams
from newsgen.generation.grounding import UNBOUNDED_KEEP, RowConstraint, mask_rows


def banned_ngram_tokens(generated: list[int], n: int) -> list[int]:
    """Tokens that would repeat an n-gram already present in ``generated``."""
    if n <= 0 or len(generated) < n:
        return []
    head = tuple(generated[len(generated) - n + 1:])
    return [generated[i + n - 1] for i in range(len(generated) - n + 1)
            if tuple(generated[i:i + n - 1]) == head]


def process_logits(logits: np.ndarray, generated: list[int], params: SamplingParams) -> np.ndarray:
    """Return a copy of one row's logits (V,) with penalties, temperature, top-k and top-p applied."""
    scores = _penalised(logits, generated, params)
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
    cdf = np.cumsum(probs)
    return int(min(np.searchsorted(cdf, rng.random() * probs.sum(), side="right"), np.flatnonzero(probs)[-1]))


def choose_batch(logits: np.ndarray, generated: list[list[int]], params: list[SamplingParams],
                 rngs: list[np.random.Generator], constraints: Sequence[RowConstraint | None] = ()) -> np.ndarray:
    """:func:`choose` for every row of ``logits`` (B, V) at once; each row gets the token ``choose`` gives
    it (up to float rounding) and draws from its own RNG, so rows never depend on each other.

    Top-k and top-p only ever keep the k best tokens, so the sort runs over k candidates, not the vocabulary.
    A row with a grounding constraint chooses among the tokens it allows (after the penalties, before
    temperature, top-k and top-p); a row that allows none gets -1.
    """
    B, V = logits.shape
    scores = np.stack([_penalised(row, gen, p) for row, gen, p in zip(logits, generated, params)])
    for b, (gen, p) in enumerate(zip(generated, params)):
        banned = banned_ngram_tokens(gen, p.no_repeat_ngram_size)
        if banned:
            scores[b, banned] = -np.inf
    # top-k per row; a grounded row without one keeps the UNBOUNDED_KEEP best allowed tokens its mask found
    kept = [p.top_k if 0 < p.top_k < V else V for p in params]
    dead = set()
    grounded = [(b, c) for b, c in enumerate(constraints) if c is not None]
    for b, _ in grounded:
        kept[b] = min(kept[b], UNBOUNDED_KEEP)
    keeps = [1 if params[b].temperature == 0 else kept[b] for b, _ in grounded]
    # a sampled row's walk may stop once the allowed tokens found decide its top-p cut (grounding.Nucleus)
    cuts = [(params[b].temperature, params[b].top_p) if params[b].temperature > 0 else None for b, _ in grounded]
    # all grounded rows masked at once (the same bans as masking each alone)
    found = mask_rows([c for _, c in grounded], scores, [b for b, _ in grounded], keeps, cuts) if grounded else []
    for (b, constraint), keep, cut, n in zip(grounded, keeps, cuts, found):
        if n == 0:
            # the n-gram ban may forbid the only way to finish a name or number: finish it regardless
            scores[b] = _penalised(logits[b], generated[b], params[b])
            if constraint.mask(scores[b], keep, cut) == 0:
                dead.add(b)
    out = scores.argmax(axis=1)                                     # greedy rows are done
    out[list(dead)] = -1
    rows = np.array([b for b, p in enumerate(params) if p.temperature > 0 and b not in dead], dtype=np.int64)
    if rows.size == 0:
        return out
    ps = [params[b] for b in rows]
    s = scores if len(rows) == B else scores[rows]                                     # (n,V)
    top_k = np.array([kept[b] for b in rows])
    k = int(top_k.max())
    # candidates before temperature: dividing by it keeps the order, and only k columns then need it
    # (selecting the k best of -s stays fast when most of a row is -inf, as a grounded row may be)
    cand = np.argpartition(-s, k - 1, axis=1)[:, :k] if k < V else np.tile(np.arange(V), (len(rows), 1))
    cs = np.take_along_axis(s, cand, axis=1) / np.array([p.temperature for p in ps], dtype=np.float32)[:, None]
    order = np.argsort(-cs, axis=1, kind="stable")                 # (n,k) best first
    cand, cs = np.take_along_axis(cand, order, axis=1), np.take_along_axis(cs, order, axis=1)
    kth = cs[np.arange(len(rows)), top_k - 1]
    cs[cs < kth[:, None]] = -np.inf                                 # per-row top-k (ties kept, as in choose)
    probs = _softmax_rows(cs)
    top_p = np.array([p.top_p for p in ps], dtype=np.float32)[:, None]
    cs[(np.cumsum(probs, axis=1) - probs >= top_p) & (top_p < 1.0)] = -np.inf
    # inverse-CDF draw over the survivors in token-id order, exactly as choose does over the vocabulary
    by_id = np.argsort(cand, axis=1)
    cand, probs = np.take_along_axis(cand, by_id, axis=1), _softmax_rows(np.take_along_axis(cs, by_id, axis=1))
    probs = probs.astype(np.float64)
    cdf = np.cumsum(probs, axis=1)
    u = np.array([rngs[b].random() for b in rows]) * probs.sum(axis=1)
    pick = np.minimum((cdf <= u[:, None]).sum(axis=1), probs.shape[1] - 1 - np.argmax(probs[:, ::-1] > 0, axis=1))
    out[rows] = cand[np.arange(len(rows)), pick]
    return out


def _penalised(row: np.ndarray, generated: list[int], p: SamplingParams) -> np.ndarray:
    """One row's scores (V,) with the repetition penalty on the tokens generated so far."""
    scores = row.astype(np.float32, copy=True)
    if p.repetition_penalty != 1.0 and generated:
        seen = np.unique(np.asarray(generated))
        vals = scores[seen]
        scores[seen] = np.where(vals > 0, vals / p.repetition_penalty, vals * p.repetition_penalty)
    return scores


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - np.max(x))
    return e / e.sum()


def _softmax_rows(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
