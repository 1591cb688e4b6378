"""PyTorch backend: transformers ``GPT2LMHeadModel`` behind the :class:`ModelRunner` step."""
from __future__ import annotations

import copy
import inspect
from typing import Any

import numpy as np

from newsgen.errors import ModelError
from newsgen.generation.decode import DecodingGenerator
from newsgen.generation.loading import eos_token_id, load_config, load_tokenizer


class TorchRunner:
    """One forward step of a GPT-2 model in PyTorch; the KV cache is a transformers ``DynamicCache``."""

    backend = "torch"

    def __init__(self, model: Any, device: str = "cpu"):
        import torch

        self.torch = torch
        self.model = model.eval()
        self.device = torch.device(device)
        params = inspect.signature(model.forward).parameters
        # transformers 5.x renamed past_key_values to cache; older releases only know the former
        self._cache_arg = "cache" if "cache" in params else "past_key_values"
        # only the last position's logits are needed: skips a (B, T, V) projection at prefill
        self._extra = {"logits_to_keep": 1} if "logits_to_keep" in params else {}

    def forward(self, input_ids: np.ndarray, attention_mask: np.ndarray, position_ids: np.ndarray,
                past: Any) -> tuple[np.ndarray, Any]:
        t = self.torch
        with t.inference_mode():
            out = self.model(input_ids=t.from_numpy(input_ids).to(self.device),
                             attention_mask=t.from_numpy(attention_mask).to(self.device),
                             position_ids=t.from_numpy(position_ids).to(self.device),
                             use_cache=True, **{self._cache_arg: past}, **self._extra)
        return out.logits[:, -1, :].float().cpu().numpy(), getattr(out, self._cache_arg)

    def expand_past(self, past: Any, batch_size: int) -> Any:
        # the cached prefix must stay untouched: generation appends to the cache in place
        expanded = copy.deepcopy(past)
        expanded.batch_repeat_interleave(batch_size)
        return expanded


def load_torch_generator(source: str, device: str = "cpu", dtype: str = "float32",
                         reuse_prefix: bool = True) -> DecodingGenerator:
    """Load a model by hub id or local directory into a PyTorch :class:`DecodingGenerator`."""
    import torch
    from transformers import GPT2LMHeadModel

    if device == "cuda" and not torch.cuda.is_available():
        raise ModelError("device 'cuda' requested but torch sees no CUDA GPU")
    config = load_config(source)
    tokenizer = load_tokenizer(source)
    try:
        model = GPT2LMHeadModel.from_pretrained(source, dtype=getattr(torch, dtype)).to(device)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load model weights from {source!r}: {exc}") from exc
    return DecodingGenerator(TorchRunner(model, device), tokenizer, model_id=str(source),
                             eos_token_id=eos_token_id(config, tokenizer), max_context=config.n_positions,
                             reuse_prefix=reuse_prefix)
