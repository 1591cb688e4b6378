"""Prompt-lookup speculative decoding: drafts from the row's own text, verified in one forward, never change
a token (greedy or sampled), never let a forbidden token through, and save decode steps when they agree."""
from __future__ import annotations

from dataclasses import replace

import pytest

from newsgen.generation import GenerationRequest, SamplingParams
from newsgen.generation.lookup import propose

PLAIN = dict(repetition_penalty=1.0, no_repeat_ngram_size=0, stop=())


def test_propose_continues_the_latest_earlier_match_of_the_longest_ngram():
    assert propose([1, 2, 3, 9, 1, 2, 3, 7, 8, 1, 2, 3], 2) == [7, 8]        # latest occurrence of 1 2 3
    assert propose([5, 6, 4, 1, 2, 7, 2], 3, min_ngram=1) == [7, 2]          # n=1: the last "2"
    assert propose([5, 6, 4, 1, 2, 7, 2], 3) == []                           # single tokens draft nothing
    assert propose([1, 2, 3], 4) == [] and propose([4, 4], 0) == []          # nothing earlier / no room
    assert propose([1, 2, 1, 2], 5) == [1, 2]                                # cut at the end of the source


@pytest.fixture(params=["torch", "onnx"])
def gen(request, torch_gen, onnx_gen):
    g = torch_gen if request.param == "torch" else onnx_gen
    assert g.runner.all_logits  # the ONNX session's graph takes the logit positions
    return g


def _both(gen, requests, monkeypatch, lookup=4):
    monkeypatch.setattr(gen, "prompt_lookup", 0)
    off = gen.generate(requests)
    monkeypatch.setattr(gen, "prompt_lookup", lookup)
    return off, gen.generate(requests)


@pytest.mark.parametrize("temperature", [0.0, 0.9])
def test_lookup_writes_the_same_tokens_as_plain_decoding(gen, requests_, temperature, monkeypatch):
    from newsgen.generation import engine

    # single-token matches too: many drafts, most of them wrong, from the random model's sampled text
    monkeypatch.setattr(engine, "propose", lambda source, room: propose(source, room, min_ngram=1))
    reqs = [replace(r, sampling=SamplingParams(max_new_tokens=24, temperature=temperature, seed=i, **PLAIN))
            for i, r in enumerate(requests_)]
    off, on = _both(gen, reqs, monkeypatch)
    assert [r.text for r in on] == [r.text for r in off]
    assert [r.new_tokens for r in on] == [r.new_tokens for r in off]
    assert sum(r.timings_ms["drafted_tokens"] for r in on) > 0


def test_agreeing_drafts_save_decode_steps_and_are_counted(gen, monkeypatch):
    from newsgen.metrics import DRAFT_TOKENS

    # the random tiny model repeats itself under greedy decoding: its own text drafts what comes next
    req = GenerationRequest(prompt="«Зенит» обыграл «Спартак» со счётом", sampling=SamplingParams(
        max_new_tokens=30, temperature=0.0, **PLAIN))
    before = DRAFT_TOKENS.labels("accepted")._value.get()
    off, on = _both(gen, [req], monkeypatch)
    t = on[0].timings_ms
    assert on[0].text == off[0].text and on[0].new_tokens == 30
    assert t["accepted_tokens"] > 0 and t["decode_steps"] == 30 - t["accepted_tokens"]
    assert off[0].timings_ms["decode_steps"] == 30 and off[0].timings_ms["accepted_tokens"] == 0
    assert DRAFT_TOKENS.labels("accepted")._value.get() - before == t["accepted_tokens"]


def test_lookup_with_rows_joining_mid_flight_matches_plain_decoding_on_both_backends(torch_gen, onnx_gen, requests_,
                                                                                    monkeypatch):
    reqs = [replace(r, sampling=SamplingParams(max_new_tokens=10 + 4 * i, temperature=0.0, **PLAIN))
            for i, r in enumerate(requests_)]
    plain = [r.text for r in torch_gen.generate(reqs)]
    for g in (torch_gen, onnx_gen):
        monkeypatch.setattr(g, "prompt_lookup", 3)
        engine, out, step = g.engine(max_batch=3), {}, 0
        while engine.has_work or step < len(reqs):
            if step < len(reqs):
                engine.add(reqs[step], step)             # one joins at every step
            out.update(engine.step())
            step += 1
        assert [out[i].text for i in range(len(reqs))] == plain


def test_rejected_drafts_stay_masked_when_a_longer_row_joins(torch_gen, requests_, monkeypatch):
    from newsgen.generation import engine

    monkeypatch.setattr(engine, "propose", lambda source, room: propose(source, room, min_ngram=1))  # many wrong
    # prompts of a few tokens, running first, said twice: their last token recurs, so drafting starts at once
    short = [replace(r, prompt=f"{r.prompt} {r.prompt}",
                     sampling=SamplingParams(max_new_tokens=16, temperature=0.9, seed=i, **PLAIN))
             for i, r in enumerate(requests_[4:])]
    long = [replace(r, sampling=SamplingParams(max_new_tokens=8, temperature=0.9, seed=9, **PLAIN))
            for r in requests_[:2]]                                # ~200-token rows joining: the cache widens
    reqs = short + long
    plain = [r.text for r in torch_gen.generate(reqs)]
    monkeypatch.setattr(torch_gen, "prompt_lookup", 4)
    eng, out, step = torch_gen.engine(max_batch=4), {}, 0
    for i, r in enumerate(short):
        eng.add(r, i)
    while eng.has_work or step < 6:
        if step in (3, 5):
            eng.add(long[step // 4], len(short) + step // 4)
        out.update(eng.step())
        step += 1
    assert [out[i].text for i in range(len(reqs))] == plain
    assert sum(out[i].timings_ms["drafted_tokens"] - out[i].timings_ms["accepted_tokens"] for i in range(2)) > 0


def test_a_drafted_token_the_grounding_forbids_is_never_accepted(torch_gen, seeds, monkeypatch):
    import json

    from newsgen.allowed import grounding_for
    from newsgen.config import ROOT
    from newsgen.generation import engine

    lines = (ROOT / "producers" / "examples" / "football.jsonl").read_text(encoding="utf-8").splitlines()
    record = [r for r in map(json.loads, filter(str.strip, lines)) if r.get("status") == "finished"][0]
    seed = seeds[0]                                   # the seeds fixture renders the finished records in order
    wrong = torch_gen.encode(" 97:96")                # a score the record does not have
    monkeypatch.setattr(engine, "propose", lambda source, room: wrong[:room])
    reqs = [GenerationRequest(prompt=seed.prompt, prefix=seed.prefix, grounding=grounding_for(
        record, "strict", seed.prompt, seed.prefix), sampling=SamplingParams(max_new_tokens=24, temperature=t,
                                                                             seed=3, **PLAIN)) for t in (0.0, 1.0)]
    off, on = _both(torch_gen, reqs, monkeypatch)
    assert [r.text for r in on] == [r.text for r in off]
    assert all(r.timings_ms["drafted_tokens"] > 0 for r in on)
    assert all("97" not in r.text and "96" not in r.text for r in on)  # same texts as plain grounded decoding
