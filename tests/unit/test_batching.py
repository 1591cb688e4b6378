"""BatchingGenerator: concurrent callers share batches; one bad request does not fail its batch mates."""
import threading

import pytest

from newsgen.errors import GenerationError
from newsgen.generation.base import GenerationRequest, GenerationResult
from newsgen.generation.batching import BatchingGenerator


class EchoGenerator:
    """A real Generator implementation (upper-cases prompts) that records its batch sizes."""

    backend = "echo"
    model_id = "echo"

    def __init__(self):
        self.batches = []

    def generate(self, requests):
        self.batches.append(len(requests))
        if any(r.prompt == "bad" for r in requests):
            raise GenerationError("bad prompt")
        return [GenerationResult(text=r.prompt.upper(), prompt_tokens=1, new_tokens=1, finish_reason="stop",
                                 backend="echo") for r in requests]


def run_concurrently(gen, prompts):
    out = {}

    def call(p):
        try:
            out[p] = gen.generate([GenerationRequest(prompt=p)])[0].text
        except GenerationError as exc:
            out[p] = exc

    threads = [threading.Thread(target=call, args=(p,)) for p in prompts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return out


def test_concurrent_callers_share_one_batch():
    inner = EchoGenerator()
    gen = BatchingGenerator(inner, max_batch=8, max_wait_s=0.3)
    out = run_concurrently(gen, [f"p{i}" for i in range(6)])
    gen.close()
    assert out == {f"p{i}": f"P{i}" for i in range(6)}
    assert max(inner.batches) > 1 and sum(inner.batches) == 6


def test_a_failing_request_fails_alone():
    inner = EchoGenerator()
    gen = BatchingGenerator(inner, max_batch=8, max_wait_s=0.3)
    out = run_concurrently(gen, ["a", "bad", "c"])
    gen.close()
    assert out["a"] == "A" and out["c"] == "C"
    assert isinstance(out["bad"], GenerationError)


def test_batch_size_is_bounded():
    inner = EchoGenerator()
    gen = BatchingGenerator(inner, max_batch=2, max_wait_s=0.3)
    run_concurrently(gen, [f"p{i}" for i in range(5)])
    gen.close()
    assert max(inner.batches) <= 2
