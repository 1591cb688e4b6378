"""Autoregressive decoding over any :class:`ModelRunner` (the one generation loop).

:class:`DecodingGenerator` holds what every row needs (tokeniser, the prefix KV cache, grounding tables);
the loop itself is :class:`~newsgen.generation.engine.DecodeEngine` (continuous batching: rows join and
leave at every step). Layout of a freshly prefilled group (left padding, shared prefix first):

    [ prefix tokens (cached once) | pad ... pad | record-specific tokens ] -> new tokens
    attention_mask 1 ... 1          0 ... 0       1 ... 1
    position_ids = cumsum(mask) - 1, so every row's real tokens get the positions they would alone.

The prefix and the rest of a prompt are always tokenised separately, so results are identical with or
without prefix reuse.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Sequence

import numpy as np

from newsgen.generation.base import GenerationRequest, GenerationResult, ModelRunner, PromptFormat
from newsgen.generation.engine import DecodeEngine
from newsgen.generation.grounding import RowConstraint, TokenTable


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
        self._tokens: dict[str | None, TokenTable] = {}   # per grounding language (built once each)
        #: prompt-lookup speculative decoding: draft tokens verified per step (0 = off; set from the settings
        #: by :func:`newsgen.generation.load_generator`); texts are the same either way
        self.prompt_lookup = 0

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        """Generate for all requests in one running batch; each row leaves it as soon as it finishes."""
        engine = self.engine(max_batch=max(1, len(requests)))
        for i, req in enumerate(requests):
            engine.add(req, i)
        results: list[GenerationResult | None] = [None] * len(requests)
        while engine.has_work:
            for i, res in engine.step():
                results[i] = res
        return results  # type: ignore[return-value]

    def engine(self, max_batch: int) -> DecodeEngine:
        """A continuous-batching engine over this generator (requests join and leave at every step)."""
        return DecodeEngine(self, max_batch, lookup=self.prompt_lookup)

    def _constraint(self, request: GenerationRequest, vocab_size: int) -> RowConstraint | None:
        """The row's grounding constraint (the token table is built once per generator)."""
        if request.grounding is None or request.grounding.mode == "off":
            return None
        language = request.grounding.language
        if language not in self._tokens:
            self._tokens[language] = TokenTable(self.tokenizer, vocab_size, language)
        return RowConstraint(request.grounding, self._tokens[language], self.eos_token_id, request.prompt)

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
