"""Batched autoregressive decoding over any :class:`ModelRunner` (the one generation loop).

Layout of a batch (left padding, shared prefix first):

    [ prefix tokens (cached once) | pad ... pad | record-specific tokens ] -> new tokens
    attention_mask 1 ... 1          0 ... 0       1 ... 1
    position_ids = cumsum(mask) - 1, so every row's real tokens get the positions they would alone.

The prefix and the rest of a prompt are always tokenised separately, so results are identical with or
without prefix reuse.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np

from newsgen.errors import GenerationError
from newsgen.generation.base import GenerationRequest, GenerationResult, ModelRunner, PromptFormat
from newsgen.generation.grounding import RowConstraint, TokenTable
from newsgen.generation.sampling import choose_batch


class DecodingGenerator:
    """A :class:`~newsgen.generation.base.Generator` made of a tokenizer and a model runner."""

    def __init__(self, runner: ModelRunner, tokenizer: Any, model_id: str, eos_token_id: int | None,
                 max_context: int, reuse_prefix: bool = True, prefix_cache_size: int = 8,
                 sampling_defaults: dict[str, Any] | None = None, prompt_format: PromptFormat = PromptFormat()):
        self.runner = runner
        self.tokenizer = tokenizer
        self.model_id = model_id
        self.backend = runner.backend
        self.eos_token_id = eos_token_id
        self.max_context = max_context
        self.reuse_prefix = reuse_prefix
        #: what the model recommends (its generation_config.json); the caller's settings override it
        self.sampling_defaults = dict(sampling_defaults or {})
        #: how the model wants its seeds (callers render them so: :class:`newsgen.notes.NoteWriter`)
        self.prompt_format = prompt_format
        self._prefix_cache: OrderedDict[str, tuple[list[int], Any, np.ndarray | None]] = OrderedDict()
        self._prefix_cache_size = prefix_cache_size
        self._tokens: TokenTable | None = None

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        """Generate for all requests; requests with the same prefix run as one batch."""
        results: list[GenerationResult | None] = [None] * len(requests)
        groups: dict[str, list[int]] = {}
        for i, req in enumerate(requests):
            groups.setdefault(req.prefix, []).append(i)
        for prefix, idx in groups.items():
            for i, res in zip(idx, self._generate_group(prefix, [requests[i] for i in idx])):
                results[i] = res
        return results  # type: ignore[return-value]

    def _constraint(self, request: GenerationRequest, vocab_size: int) -> RowConstraint | None:
        """The row's grounding constraint (the token table is built once per generator)."""
        if request.grounding is None or request.grounding.mode == "off":
            return None
        if self._tokens is None:
            self._tokens = TokenTable(self.tokenizer, vocab_size)
        return RowConstraint(request.grounding, self._tokens, self.eos_token_id, request.prompt)

    def _prefix(self, prefix: str) -> tuple[list[int], Any, np.ndarray | None]:
        """Token ids of a prefix and, when reuse is on, its batch-1 KV cache and the next-token logits after
        it (1, V) (LRU-cached)."""
        if prefix in self._prefix_cache:
            self._prefix_cache.move_to_end(prefix)
            return self._prefix_cache[prefix]
        ids = self.encode(prefix)
        past, last = None, None
        if self.reuse_prefix and ids:
            arr = np.asarray([ids], dtype=np.int64)
            last, past = self.runner.forward(arr, np.ones_like(arr), np.arange(len(ids), dtype=np.int64)[None], None)
        self._prefix_cache[prefix] = (ids, past, last)
        if len(self._prefix_cache) > self._prefix_cache_size:
            self._prefix_cache.popitem(last=False)
        return ids, past, last

    def _generate_group(self, prefix: str, requests: list[GenerationRequest]) -> list[GenerationResult]:
        t0 = time.perf_counter()
        prefix_ids, prefix_past, prefix_logits = self._prefix(prefix)
        suffixes = [self.encode(r.prompt[len(prefix):]) for r in requests]
        cached = len(prefix_ids) if prefix_past is not None else 0
        rows = [s if cached else prefix_ids + s for s in suffixes]
        too_long = [b for b, row in enumerate(rows) if cached + len(row) + 1 > self.max_context]
        if too_long:          # those rows get no text; their batch mates run as if alone
            fit = [b for b in range(len(rows)) if b not in too_long]
            done = iter(self._generate_group(prefix, [requests[b] for b in fit]) if fit else [])
            return [GenerationResult(text="", prompt_tokens=len(prefix_ids) + len(suffixes[b]), new_tokens=0,
                                     finish_reason="context", backend=self.backend)
                    if b in too_long else next(done) for b in range(len(rows))]
        batch, width = len(rows), max(len(r) for r in rows)
        if width == 0 and not cached:
            raise GenerationError("empty prompt")
        budget = min(max(r.sampling.max_new_tokens for r in requests), self.max_context - cached - width)

        input_ids = np.zeros((batch, width), dtype=np.int64)
        mask = np.zeros((batch, cached + width), dtype=np.int64)
        mask[:, :cached] = 1
        for b, row in enumerate(rows):
            if row:
                input_ids[b, width - len(row):] = row
                mask[b, cached + width - len(row):] = 1
        positions = np.clip(np.cumsum(mask, axis=1) - 1, 0, None)[:, cached:]
        past = self.runner.expand_past(prefix_past, batch) if cached else None
        t1 = time.perf_counter()
        if width:
            logits, past = self.runner.forward(input_ids, mask, positions, past)
            # a prompt that is exactly its prefix: its next token comes from the prefix's last position
            empty = [b for b, row in enumerate(rows) if not row]
            if empty:
                logits[empty] = prefix_logits[0]
            next_pos = positions[:, -1] + 1
        else:
            logits = np.repeat(prefix_logits, batch, axis=0)
            next_pos = np.full(batch, cached, dtype=np.int64)
        t2 = time.perf_counter()

        constraints = [self._constraint(r, logits.shape[1]) for r in requests]
        rngs = [np.random.default_rng(r.sampling.seed) for r in requests]
        params = [r.sampling for r in requests]
        generated: list[list[int]] = [[] for _ in requests]
        finish: list[str | None] = [None] * batch
        stop_window = [max((len(s.encode()) for s in r.sampling.stop), default=0) + 1 for r in requests]
        for step in range(budget):
            active = [b for b in range(batch) if finish[b] is None]
            picks = choose_batch(logits[active], [generated[b] for b in active], [params[b] for b in active],
                                 [rngs[b] for b in active], [constraints[b] for b in active])
            next_ids = np.zeros(batch, dtype=np.int64)  # finished rows run on, their output unused
            for b, tok in zip(active, picks.tolist()):
                if tok < 0:
                    finish[b] = "grounding"
                    continue
                next_ids[b] = tok
                if constraints[b] is not None:
                    constraints[b].accept(tok)
                if tok == self.eos_token_id:
                    finish[b] = "eos"
                    continue
                generated[b].append(tok)
                stop = params[b].stop
                if stop and any(s in self.tokenizer.decode(generated[b][-stop_window[b]:]) for s in stop):
                    finish[b] = "stop"
                elif len(generated[b]) >= params[b].max_new_tokens:
                    finish[b] = "length"
            if all(f is not None for f in finish) or step == budget - 1:
                break
            mask = np.concatenate([mask, np.ones((batch, 1), dtype=np.int64)], axis=1)
            logits, past = self.runner.forward(next_ids[:, None], mask, next_pos[:, None], past)
            next_pos = next_pos + 1
        t3 = time.perf_counter()

        timings = {"prepare_ms": (t1 - t0) * 1e3, "prefill_ms": (t2 - t1) * 1e3,
                   "decode_ms": (t3 - t2) * 1e3, "total_ms": (t3 - t0) * 1e3, "batch_size": batch}
        results = []
        for b, req in enumerate(requests):
            text = self.tokenizer.decode(generated[b])
            for s in req.sampling.stop:
                text = text.split(s, 1)[0]
            results.append(GenerationResult(text=text, prompt_tokens=len(prefix_ids) + len(suffixes[b]),
                                            new_tokens=len(generated[b]), finish_reason=finish[b] or "length",
                                            backend=self.backend, timings_ms=dict(timings)))
        return results
