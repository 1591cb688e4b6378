"""Continuous batching: rows join a running batch and leave it when done, and no row's text depends on it."""
from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from newsgen.errors import GenerationError
from newsgen.generation import GenerationRequest, SamplingParams
from newsgen.generation.batching import BatchingGenerator
from newsgen.generation.scheduler import Scheduler


def test_scheduler_admits_first_in_first_out_up_to_the_batch_bound():
    a, b, c = (object() for _ in range(3))      # rows are told apart by identity
    s: Scheduler[object] = Scheduler(max_batch=2)
    for item in (a, b, c):
        s.add(item)
    first = s.schedule()
    assert (first.running, first.joining) == ([], [a, b])
    assert s.schedule().joining == []            # full: c waits
    s.finished([a])
    second = s.schedule()
    assert (second.running, second.joining) == ([b], [c])
    assert s.drain() == [b, c] and not s.has_work


def _run(engine, schedule):
    """Step ``engine``, adding ``schedule[step]`` requests before each step; handle -> (result, finish step)."""
    out, step = {}, 0
    while engine.has_work or step in schedule:
        for handle, req in schedule.pop(step, []):
            engine.add(req, handle)
        for handle, res in engine.step():
            out[handle] = (res, step)
        step += 1
    return out


def _long_and_short(requests_):
    long = replace(requests_[0], sampling=SamplingParams(max_new_tokens=30, temperature=0.0, stop=()))
    short = replace(requests_[1], sampling=SamplingParams(max_new_tokens=4, temperature=0.0, stop=()))
    return long, short


def test_a_request_joining_a_running_batch_is_served_before_that_batch_ends(torch_gen, requests_):
    long, short = _long_and_short(requests_)
    out = _run(torch_gen.engine(max_batch=4), {0: [("long", long)], 5: [("short", short)]})
    (long_res, long_done), (short_res, short_done) = out["long"], out["short"]
    assert short_done < long_done and short_done == 5 + 3   # joined at step 5, 4 tokens later it is out
    assert long_res.new_tokens == 30 and short_res.new_tokens == 4
    alone = torch_gen.generate([long])[0], torch_gen.generate([short])[0]
    assert (long_res.text, short_res.text) == (alone[0].text, alone[1].text)


def test_sampled_rows_joining_mid_flight_write_what_they_write_alone(torch_gen, onnx_gen, requests_):
    sampled = [replace(r, sampling=replace(r.sampling, temperature=0.8, max_new_tokens=10 + 3 * i, seed=i))
               for i, r in enumerate(requests_)]    # prefixed seeds and prompts without prefix, mixed
    for gen in (torch_gen, onnx_gen):
        alone = [gen.generate([r])[0].text for r in sampled]
        staggered: dict[int, list] = {}
        for i, (step, r) in enumerate(zip((0, 0, 3, 4, 9, 9), sampled)):
            staggered.setdefault(step, []).append((i, r))
        out = _run(gen.engine(max_batch=3), staggered)   # bound 3: some wait for a row to leave
        assert [out[i][0].text for i in range(len(sampled))] == alone


def test_greedy_continuous_batching_is_identical_on_both_backends(torch_gen, onnx_gen, requests_, monkeypatch):
    greedy = lambda r, n: replace(r, sampling=SamplingParams(max_new_tokens=n, temperature=0.0, stop=()))  # noqa: E731
    seed = requests_[0]
    other_prefix = replace(seed, prefix=seed.prefix[:len(seed.prefix) // 2])   # another prefix: carried inline
    # a prompt without prefix starts the batch; the first prefixed rows bring the shared prefix; when they have
    # left, the short prompt that runs on frees the prefix and the cache columns
    reqs = [greedy(requests_[4], 12), greedy(seed, 16), greedy(requests_[1], 4), greedy(other_prefix, 8),
            greedy(requests_[5], 24)]
    plan = lambda: {0: [(0, reqs[0])], 2: [(1, reqs[1]), (2, reqs[2])], 6: [(3, reqs[3]), (4, reqs[4])]}  # noqa: E731
    calls = {"inline_prefix": 0, "share_prefix": 0, "keep_columns": 0}
    got = []
    for gen in (torch_gen, onnx_gen):
        for name in calls:
            method = getattr(gen.runner, name)
            monkeypatch.setattr(gen.runner, name, lambda *a, _m=method, _n=name: calls.__setitem__(_n, calls[_n] + 1)
                                or _m(*a))
        got.append(_run(gen.engine(max_batch=4), plan()))
    assert calls == {"inline_prefix": 2, "share_prefix": 4, "keep_columns": 4}   # per backend: 1, 2, 2
    texts = [[out[i][0].text for i in range(len(reqs))] for out in got]
    assert texts[0] == texts[1] == [r.text for r in torch_gen.generate(reqs)]


def test_batching_generator_serves_concurrent_callers_continuously(torch_gen, requests_):
    gen = BatchingGenerator(torch_gen, max_batch=3, max_wait_s=0.01)
    assert gen.continuous and gen.prompt_format == torch_gen.prompt_format
    out, errors = {}, {}

    def call(i, req):
        try:
            out[i] = gen.generate([req])[0].text
        except GenerationError as exc:
            errors[i] = exc

    reqs = list(requests_) + [GenerationRequest(prompt="")]      # an empty prompt fails alone
    threads = [threading.Thread(target=call, args=(i, r)) for i, r in enumerate(reqs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    gen.close()
    assert list(errors) == [len(requests_)]
    assert [out[i] for i in range(len(requests_))] == [r.text for r in torch_gen.generate(requests_)]


def test_static_policy_is_still_available(torch_gen, requests_):
    gen = BatchingGenerator(torch_gen, max_batch=8, max_wait_s=0.01, continuous=False)
    try:
        assert not gen.continuous
        assert gen.generate(requests_[:2])[0].text == torch_gen.generate(requests_[:1])[0].text
    finally:
        gen.close()
    no_engine = type("NoEngine", (), {"backend": "x", "model_id": "x", "generate": lambda self, r: []})()
    with pytest.raises(ValueError, match="engine"):
        BatchingGenerator(no_engine, continuous=True)


def test_closing_fails_the_requests_still_running_instead_of_leaving_their_callers_waiting(torch_gen, requests_):
    gen = BatchingGenerator(torch_gen, max_batch=2, max_wait_s=0.0)
    long = replace(requests_[0], sampling=SamplingParams(max_new_tokens=2000, temperature=0.0, stop=()))
    got = {}
    caller = threading.Thread(target=lambda: got.update(error=_error_of(lambda: gen.generate([long]))))
    caller.start()
    while not gen._queue.empty():
        pass
    gen.close()
    caller.join(30)
    assert isinstance(got.get("error"), RuntimeError)


def _error_of(call):
    try:
        call()
    except Exception as exc:  # noqa: BLE001
        return exc
    return None


def test_a_generator_built_by_a_function_is_built_on_the_batcher_thread(torch_gen, requests_):
    built_on = []

    def build():
        built_on.append(threading.current_thread().name)
        return torch_gen

    gen = BatchingGenerator(build, max_batch=2, max_wait_s=0.0)
    try:
        assert built_on == ["newsgen-batcher"] and gen.backend == torch_gen.backend and gen.continuous
        assert gen.generate(requests_[:1])[0].text == torch_gen.generate(requests_[:1])[0].text
    finally:
        gen.close()


def test_the_builders_error_is_raised_by_the_constructor():
    def build():
        raise GenerationError("no model here")

    with pytest.raises(GenerationError, match="no model here"):
        BatchingGenerator(build)
