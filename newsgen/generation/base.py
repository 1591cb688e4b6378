"""The ``Generator`` contract: a batch of requests in, one result per request out.

Small on purpose: no heavy imports. Backends (``torch_backend``, ``onnx_backend``) implement
:class:`ModelRunner` (one forward step with a KV cache); ``decode.generate`` turns any runner into a
:class:`Generator`, so both backends share tokenisation, batching, sampling and stopping.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, Sequence, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from newsgen.generation.grounding import Grounding


@dataclass(frozen=True)
class SamplingParams:
    """How to pick the next token. ``temperature == 0`` means greedy."""

    max_new_tokens: int = 96
    temperature: float = 0.8
    top_k: int = 40                   # 0 = off
    top_p: float = 0.95               # 1.0 = off
    repetition_penalty: float = 1.2   # 1.0 = off; applies to generated tokens only
    no_repeat_ngram_size: int = 3     # 0 = off; n-grams of generated tokens only
    seed: int = 0                     # per-request RNG seed: results do not depend on batch mates
    stop: tuple[str, ...] = ("\n",)   # stop strings; the text is cut before them


@dataclass(frozen=True)
class PromptFormat:
    """How a model wants its seeds: with their few-shot examples (ruGPT-3, any model steered by examples),
    or, for a model fine-tuned so, without them and with the record's names as pointer slots
    (:mod:`newsgen.slots`). Read from the model's ``generation_config.json`` (``"newsgen_prompt"``)."""

    examples: bool = True
    slots: bool = False


@dataclass(frozen=True)
class GenerationRequest:
    """One prompt. ``prefix`` is the shared few-shot part the prompt starts with (its KV is reusable);
    ``grounding`` limits the numbers and names the text may write (:mod:`newsgen.generation.grounding`)."""

    prompt: str
    sampling: SamplingParams = SamplingParams()
    prefix: str = ""
    grounding: Grounding | None = None

    def __post_init__(self) -> None:
        if not self.prompt.startswith(self.prefix):
            raise ValueError("prompt must start with its prefix")


@dataclass(frozen=True)
class GenerationResult:
    """Generated text (stop string excluded) with counts and timings in milliseconds."""

    text: str
    prompt_tokens: int
    new_tokens: int
    finish_reason: str               # "stop" (stop string), "eos", "length", "grounding" (no allowed token)
                                     # or "context" (the prompt does not fit the model's context: no text)
    backend: str
    timings_ms: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class Generator(Protocol):
    """Anything that writes texts for a batch of requests."""

    backend: str
    model_id: str

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        ...


class ModelRunner(Protocol):
    """One GPT-2 forward step over a batch with a KV cache (``past``, opaque to the caller).

    Shapes: ``input_ids`` and ``position_ids`` (B, T) int64; ``attention_mask`` (B, P+T) int64 over the
    cached P positions and the new T; returns last-position logits (B, V) float32 (with ``all_logits``,
    those of every new position, (B, T, V), when the runner's ``all_logits`` attribute says it can) and the
    new cache.
    """

    backend: str
    all_logits: bool

    def forward(self, input_ids: np.ndarray, attention_mask: np.ndarray, position_ids: np.ndarray,
                past: Any, all_logits: bool = False) -> tuple[np.ndarray, Any]:
        ...

    def expand_past(self, past: Any, batch_size: int) -> Any:
        """Repeat a batch-1 cache ``batch_size`` times (shared-prefix reuse)."""
        ...

    # continuous batching edits a running cache; the caller keeps the attention mask that matches it
    def select_rows(self, past: Any, rows: list[int]) -> Any:
        """Only the given rows (finished rows leave)."""
        ...

    def keep_columns(self, past: Any, columns: list[int]) -> Any:
        """Only the given row-cache columns (those some row still attends to)."""
        ...

    def inline_prefix(self, past: Any) -> Any:
        """The shared prefix copied into every row, leaving none shared (to join a batch with another)."""
        ...

    def share_prefix(self, past: Any, other: Any | None) -> Any:
        """``past``'s rows over ``other``'s shared prefix (None: no shared prefix)."""
        ...

    def concat_rows(self, a: Any, b: Any) -> Any:
        """Rows of ``a`` then rows of ``b``; ``b`` shares ``a``'s prefix or has none."""
        ...
