"""The grounding mask's fast paths (array verdicts, rows masked together) ban exactly what the plain walk bans:
the walk below asks the constraint about one token at a time, best first, as the mask did before them."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from newsgen.generation.grounding import Grounding, RowConstraint, TokenTable, mask_rows

TEXTS = [
    "«Зенит» обыграл «Спартак» со счётом 2:1. Андрей Мостовой забил на 71-й минуте, ⟦a⟧ на 45+2-й.",
    "Zenit beat Spartak 2-1; Mostovoy scored in the 71st minute. Матч посетили 54 312 зрителей.",
]
GROUNDING = Grounding(numbers=frozenset({"2:1", "2-1", "71", "45+2", "54 312", "1", "2"}),
                      quoted=frozenset({"«Зенит»", "«Спартак»", "«Зенита»"}),
                      words=frozenset({"Андрей", "Мостовой", "Матч", "Zenit", "Spartak", "Mostovoy", "Манфред"}),
                      slots=frozenset({"⟦a⟧", "⟦b⟧"}))


def walk_mask(c: RowConstraint, scores: np.ndarray, keep: int) -> int:
    """The mask token by token (RowConstraint._allows), best first, until ``keep`` allowed tokens are found."""
    V = c.prepare(scores)             # bans the ids that never write text (as the mask always did)
    row = scores[:V]
    if c._free and not c.state.tail and keep < V:
        top = np.argpartition(-row, keep - 1)[:keep]
        if c.table.plain_mask[top].all() and np.isfinite(row[top]).all():
            return keep
    found, width, seen = 0, min(V, 2 * keep + 16), set()
    while True:
        top = np.argpartition(-row, width - 1)[:width] if width < V else np.arange(V)
        for token in top[np.argsort(-row[top], kind="stable")].tolist():
            if token in seen:
                continue
            if row[token] == -np.inf:
                return found
            seen.add(token)
            if not c._allows(token):
                row[token] = -np.inf
            else:
                found += 1
                if found >= keep:
                    return found
        if width >= V:
            return found
        width = min(V, width * 4)


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("keep, padded", [(1, True), (40, True), (256, False)])
def test_the_mask_bans_what_the_token_by_token_walk_bans(tokenizer, text, keep, padded):
    """Along a true text (every lexeme kind, characters split between tokens), on rows with ties, banned
    tokens and ids past the tokenizer's vocabulary: the same scores and counts, one row or many at once."""
    width = len(tokenizer) + (3000 if padded else 0)
    table = TokenTable(tokenizer, width)
    eos = tokenizer.eos_token_id
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    data = np.random.default_rng(keep + 7 * padded)
    rows = 5
    ref = [RowConstraint(GROUNDING, table, eos, "Счёт: ") for _ in range(rows)]
    new = [copy.copy(c) for c in ref]
    for c in new:
        c._verdicts = {}
        c._follow(c.state)
    for token in ids:
        logits = data.standard_normal((rows, width)).astype(np.float32) * 3
        logits[1] = np.round(logits[1])                           # many ties
        logits[2][data.random(width) < 0.5] = -np.inf             # banned by penalties or n-grams
        logits[3, table.first >= 0] += 8 * (~table.plain_mask[table.first >= 0])   # non-plain tokens rank first
        logits[4] = -np.inf
        logits[4, :5] = 1.0                                        # almost nothing left
        expected = logits.copy()
        counts = [walk_mask(c, expected[b], keep) for b, c in enumerate(ref)]
        got = logits.copy()
        assert mask_rows(new, got, list(range(rows)), [keep] * rows) == counts
        np.testing.assert_array_equal(got, expected)
        one = logits.copy()
        assert [c.mask(one[b], keep) for b, c in enumerate(new)] == counts
        np.testing.assert_array_equal(one, expected)
        for c in ref + new:
            c.accept(token)


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("temperature, top_p", [(0.3, 0.95), (0.8, 0.95), (1.0, 0.5), (0.3, 0.999)])
def test_stopping_at_the_top_p_cut_draws_what_the_whole_walk_draws(tokenizer, text, temperature, top_p, monkeypatch):
    """The walk that stops once the allowed tokens found decide the top-p cut (Nucleus) bans fewer tokens, but
    the sampler keeps the same tokens and draws the same one as after a walk to all k allowed tokens: along a
    true text, on peaked, flat, tied and mostly banned rows, with the same seeds."""
    from newsgen.generation import sampling
    from newsgen.generation.base import SamplingParams

    table = TokenTable(tokenizer, len(tokenizer))
    eos = tokenizer.eos_token_id
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    data = np.random.default_rng(int(temperature * 10 + top_p * 100))
    rows = 6
    constraints = [RowConstraint(GROUNDING, table, eos, "Счёт: ") for _ in range(rows)]
    params = [SamplingParams(temperature=temperature, top_k=40, top_p=top_p, repetition_penalty=1.0,
                             no_repeat_ngram_size=0, seed=b) for b in range(rows)]
    whole_walk = sampling.mask_rows

    def draw(early: bool, logits: np.ndarray, step: int) -> list[int]:
        if not early:   # the walk to all k allowed tokens: no cuts
            monkeypatch.setattr(sampling, "mask_rows", lambda c, s, r, k, cuts=None: whole_walk(c, s, r, k))
        try:
            rngs = [np.random.default_rng(1000 * step + b) for b in range(rows)]
            return sampling.choose_batch(logits.copy(), [[] for _ in range(rows)], params, rngs,
                                         constraints).tolist()
        finally:
            monkeypatch.setattr(sampling, "mask_rows", whole_walk)

    stopped_early = 0
    for step, token in enumerate(ids):
        logits = data.standard_normal((rows, len(tokenizer))).astype(np.float32) * 3
        logits[1] *= 4                                            # peaked: the cut after a token or two
        logits[2] = np.round(logits[2])                           # many ties
        logits[3, table.first >= 0] += 8 * (~table.plain_mask[table.first >= 0])   # non-plain tokens rank first
        logits[4][data.random(len(tokenizer)) < 0.9] = -np.inf    # mostly banned
        logits[5] = 0.0                                            # flat: the cut needs all k
        assert draw(True, logits, step) == draw(False, logits, step)
        counts = []
        for b, c in enumerate(constraints):
            row = logits[b].copy()
            counts.append(c.mask(row, 40, (temperature, top_p)))
        stopped_early += sum(0 < n < 40 for n in counts)
        for c in constraints:
            c.accept(token)
    assert stopped_early > 0                                       # the early stop was exercised
