"""PyTorch backend, and the forward pass both backends share.

``CascadeGPT2`` runs the weights of a transformers ``GPT2LMHeadModel`` (its embeddings, layer norms, MLPs
and projections) with its own attention that reads the KV cache in three parts:

    prefix  (H, P0, D)      the few-shot prefix, one copy for the whole batch (never replicated)
    rows    (H, B, S, D)    each row's cache; S may include unused slack, hidden by the mask
    new     (H, B, T, D)    the T positions of this step; returned, the runner appends them

so a decode step never concatenates or copies a cache. PyTorch runs it directly; ``export`` traces the
same module to ONNX, so the two backends compute the same graph. Shapes: B batch, T new tokens, H heads,
D head size, C = H*D, V vocabulary. Layout is head-major so the shared prefix is one GEMM per head.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from newsgen.errors import ModelError
from newsgen.generation.decode import DecodingGenerator
from newsgen.generation.loading import eos_token_id, load_config, load_tokenizer, prompt_format, sampling_defaults


class BackendUnavailable(ModelError):
    """A backend that cannot run here; ``why`` is a short label for fallback logs and metrics."""

    def __init__(self, message: str, why: str):
        super().__init__(message)
        self.why = why


def _linear(x: torch.Tensor, conv1d: nn.Module) -> torch.Tensor:
    return x @ conv1d.weight + conv1d.bias  # transformers' Conv1D keeps weights as (in, out)


class CascadeGPT2(nn.Module):
    """GPT-2 forward: (ids, mask, positions, prefix KV, row KV) -> last-position logits, new KV."""

    def __init__(self, hf_model: nn.Module):
        super().__init__()
        cfg = hf_model.config
        odd = [f for f in ("scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn", "add_cross_attention")
               if getattr(cfg, f, False)]
        if odd or not getattr(cfg, "scale_attn_weights", True):
            raise ModelError(f"GPT-2 variant not supported: {odd or ['scale_attn_weights=False']}")
        self.tr = hf_model.transformer
        self.n_layer, self.n_head, self.head_dim = cfg.n_layer, cfg.n_head, cfg.n_embd // cfg.n_head
        # (C, V) as a plain MatMul weight (int8 quantisation takes MatMuls with constant weights)
        self.lm_head = nn.Parameter(hf_model.lm_head.weight.detach().t().contiguous(), requires_grad=False)
        self.all_positions = False  # logits of every new position (B,T,V), for draft verification; not exported
        self.eval()  # a new module starts in training mode; export restores that mode on the whole tree

    def forward(self, input_ids, attention_mask, position_ids, *cache):
        """``attention_mask`` (B, P0+S+T) covers prefix | rows | new; ``cache`` = 2L prefix then 2L row tensors."""
        L = self.n_layer
        prefix, rows = cache[:2 * L], cache[2 * L:]
        B, T = input_ids.shape
        x = self.tr.wte(input_ids) + self.tr.wpe(position_ids)                        # (B,T,C)
        cached = attention_mask.shape[1] - T                                            # P0 + S
        t = torch.arange(T, device=input_ids.device)
        causal = torch.cat([torch.ones(T, cached, dtype=torch.bool, device=input_ids.device),
                            t[:, None] >= t[None, :]], dim=1)                          # (T,K)
        allowed = attention_mask.bool()[:, None, :] & causal                           # (B,T,K)
        # additive mask for all layers; -1e4 (GPT-2's own value) stays finite in fp16 when added to scores
        bias = torch.zeros(allowed.shape, dtype=x.dtype, device=x.device).masked_fill(~allowed, -1e4)  # (B,T,K)
        new = []
        for i, block in enumerate(self.tr.h):
            y, k, v = self.attend(block.attn, block.ln_1(x), prefix[2 * i], prefix[2 * i + 1],
                                  rows[2 * i], rows[2 * i + 1], bias)
            x = x + y
            x = x + _linear(block.mlp.act(_linear(block.ln_2(x), block.mlp.c_fc)), block.mlp.c_proj)
            new += [k, v]
        x = self.tr.ln_f(x if self.all_positions else x[:, -1])                         # (B,C) or (B,T,C)
        return (x @ self.lm_head, *new)                                                 # (B,V), 2L x (H,B,T,D)

    def attend(self, attn, x, pk, pv, rk, rv, bias):
        B, T, _ = x.shape
        H, D = self.n_head, self.head_dim
        C = H * D  # a Python int: the split below must not depend on a traced size
        P0, S = pk.shape[1], rk.shape[2]
        q, k, v = (t.reshape(B, T, H, D).permute(2, 0, 1, 3) for t in _linear(x, attn.c_attn).split(C, dim=2))
        q = q * D ** -0.5                                                               # (H,B,T,D)
        # -1, not P0: an ONNX Reshape reads a 0 in the target shape as "keep that input dimension"
        s = torch.cat([(q.reshape(H, B * T, D) @ pk.transpose(-1, -2)).reshape(H, B, T, -1),  # shared prefix
                       q @ rk.transpose(-1, -2),                                        # (H,B,T,S)
                       q @ k.transpose(-1, -2)], dim=-1) + bias                         # (H,B,T,K)
        p = torch.softmax(s, dim=-1)
        y = ((p[..., :P0].reshape(H, B * T, -1) @ pv).reshape(H, B, T, D)
             + p[..., P0:P0 + S] @ rv + p[..., P0 + S:] @ v)                           # (H,B,T,D)
        return _linear(y.permute(1, 2, 0, 3).reshape(B, T, C), attn.c_proj), k, v


@dataclass
class KVCache:
    """A runner's ``past``: shared prefix tensors, per-row buffers and how many row positions are filled."""

    prefix: list[torch.Tensor]  # 2L x (H,P0,D)
    rows: list[torch.Tensor]    # 2L x (H,B,capacity,D)
    length: int = 0

    @property
    def prefix_len(self) -> int:
        return self.prefix[0].shape[1]

    @property
    def capacity(self) -> int:
        return self.rows[0].shape[2]


class CascadeRunner:
    """KV-cache bookkeeping of the :class:`ModelRunner` step; subclasses run the forward in ``_run``."""

    backend = "cascade"

    def __init__(self, n_layer: int, n_head: int, head_dim: int, dtype: torch.dtype, device: str,
                 slack: int = 32, prefill_scores: int = 1 << 23):
        self.n_layer, self.n_head, self.head_dim = n_layer, n_head, head_dim
        self.dtype, self.device = dtype, torch.device(device)
        self.slack = slack  # row positions allocated beyond the need when the buffers grow
        self.prefill_scores = prefill_scores  # attention scores (H*b*T*K) per prefill chunk of b rows

    #: whether ``forward(..., all_logits=True)`` works (the ONNX graph of an older export may not allow it)
    all_logits = True

    def _run(self, input_ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor,
             past: KVCache, all_logits: bool = False) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits (B,V), or (B,T,V) with ``all_logits``, and the T new positions' KV."""
        raise NotImplementedError

    def _zeros(self, *shape: int) -> torch.Tensor:
        return torch.zeros(*shape, dtype=self.dtype, device=self.device)

    def forward(self, input_ids: np.ndarray, attention_mask: np.ndarray, position_ids: np.ndarray,
                past: KVCache | None, all_logits: bool = False) -> tuple[np.ndarray, KVCache]:
        """One step. ``past`` is updated in place: callers never reuse a past they passed in. With
        ``all_logits`` the logits of every new position (B,T,V) come back (verifying drafted tokens)."""
        B, T = input_ids.shape
        H, D, L = self.n_head, self.head_dim, self.n_layer
        if past is None:
            past = KVCache(prefix=[self._zeros(H, 0, D)] * (2 * L), rows=[self._zeros(H, B, 0, D)] * (2 * L))
        P0, S, cap = past.prefix_len, past.length, past.capacity
        # the caller's mask covers prefix | filled rows | new; the graph's covers the whole row buffer
        mask = np.zeros((B, P0 + cap + T), dtype=np.int64)
        mask[:, :P0 + S] = attention_mask[:, :P0 + S]
        mask[:, P0 + cap:] = attention_mask[:, P0 + S:]
        ids, mask, positions = (torch.from_numpy(np.ascontiguousarray(a, dtype=np.int64)).to(self.device)
                                for a in (input_ids, mask, position_ids))
        chunk = B if cap or all_logits else max(1, self.prefill_scores // (H * T * mask.shape[1]))
        if chunk >= B:
            logits, new = self._run(ids, mask, positions, past, all_logits)
        else:
            logits, new = self._prefill_in_chunks(ids, mask, positions, past.prefix, chunk)
        if S + T > cap:  # grow after the run: the graph saw the new positions through ``new``
            grown = [self._zeros(H, B, S + T + max(self.slack, S // 2), D) for _ in past.rows]  # amortised
            for buf, old in zip(grown, past.rows):
                buf[:, :, :S] = old[:, :, :S]
            past.rows = grown
        for buf, kv in zip(past.rows, new):
            buf[:, :, S:S + T] = kv                                                     # append (H,B,T,D)
        past.length = S + T
        return logits.float().cpu().numpy(), past

    def _prefill_in_chunks(self, ids, mask, positions, prefix, chunk):
        """Prefill of fresh rows, ``chunk`` rows at a time, longest first, each chunk cut to its longest
        prompt: the (H,b,T,K) attention scores stay small and little left padding is computed."""
        B, T = ids.shape
        H, D, L, P0 = self.n_head, self.head_dim, self.n_layer, mask.shape[1] - T
        lengths = mask[:, P0:].sum(1)
        order = torch.argsort(lengths, descending=True, stable=True)
        logits, new = None, [self._zeros(H, B, T, D) for _ in range(2 * L)]
        for start in range(0, B, chunk):
            rows = order[start:start + chunk]
            cut = T - max(1, int(lengths[rows].max()))                                   # all-pad columns
            part_logits, part_new = self._run(ids[rows, cut:], torch.cat([mask[rows, :P0], mask[rows, P0 + cut:]], 1),
                                              positions[rows, cut:],
                                              KVCache(prefix, [self._zeros(H, len(rows), 0, D)] * (2 * L)))
            if logits is None:
                logits = part_logits.new_empty(B, part_logits.shape[1])
            logits[rows] = part_logits
            for buf, kv in zip(new, part_new):
                buf[:, rows, cut:] = kv                                                 # pads stay zero (masked)
        return logits, new

    # --- row and column edits of a cache (continuous batching): the caller keeps the matching mask ---
    def select_rows(self, past: KVCache, rows: list[int]) -> KVCache:
        """The cache of ``rows`` only (rows that finished leave the batch)."""
        index = torch.as_tensor(rows, dtype=torch.long, device=self.device)
        return KVCache(prefix=past.prefix, rows=[r.index_select(1, index) for r in past.rows], length=past.length)

    def keep_columns(self, past: KVCache, columns: list[int]) -> KVCache:
        """The cache with only the row ``columns`` given (those some row still attends to)."""
        index = torch.as_tensor(columns, dtype=torch.long, device=self.device)
        return KVCache(prefix=past.prefix, rows=[r.index_select(2, index) for r in past.rows], length=len(columns))

    def inline_prefix(self, past: KVCache) -> KVCache:
        """The same cache with its shared prefix copied into every row (to join a batch with another prefix)."""
        B, P0 = past.rows[0].shape[1], past.prefix_len
        rows = [torch.cat([p[:, None].expand(-1, B, -1, -1), r[:, :, :past.length]], dim=2)
                for p, r in zip(past.prefix, past.rows)]
        H, D = self.n_head, self.head_dim
        return KVCache(prefix=[self._zeros(H, 0, D)] * (2 * self.n_layer), rows=rows, length=P0 + past.length)

    def share_prefix(self, past: KVCache, other: KVCache | None) -> KVCache:
        """``past`` with ``other``'s shared prefix (None: none); the caller masks it for ``past``'s rows."""
        H, D = self.n_head, self.head_dim
        prefix = other.prefix if other is not None else [self._zeros(H, 0, D)] * (2 * self.n_layer)
        return KVCache(prefix=prefix, rows=past.rows, length=past.length)

    def concat_rows(self, a: KVCache, b: KVCache) -> KVCache:
        """Rows of ``a`` then rows of ``b`` over ``a``'s prefix (``b``'s must equal it or be empty); the shorter
        side's missing columns are zeros the caller masks."""
        if b.prefix_len not in (0, a.prefix_len):
            raise ValueError("concat_rows: the second cache's prefix must be empty or the first's")
        H, D, S = self.n_head, self.head_dim, max(a.length, b.length)
        Ba, Bb = a.rows[0].shape[1], b.rows[0].shape[1]
        rows = []
        for ra, rb in zip(a.rows, b.rows):
            buf = self._zeros(H, Ba + Bb, S + self.slack, D)
            buf[:, :Ba, :a.length] = ra[:, :, :a.length]
            buf[:, Ba:, :b.length] = rb[:, :, :b.length]
            rows.append(buf)
        return KVCache(prefix=a.prefix, rows=rows, length=S)

    def expand_past(self, past: KVCache, batch_size: int) -> KVCache:
        """Turn a batch-1 cache into the shared prefix of a ``batch_size`` batch (no copy per row)."""
        if past.rows[0].shape[1] != 1:
            raise ValueError("expand_past needs a batch-1 cache")
        prefix = [torch.cat([p, r[:, 0, :past.length]], dim=1) for p, r in zip(past.prefix, past.rows)]
        H, D = self.n_head, self.head_dim
        return KVCache(prefix=prefix, rows=[self._zeros(H, batch_size, 0, D)] * (2 * self.n_layer))


class TorchRunner(CascadeRunner):
    """The forward in PyTorch (CPU fp32, or CUDA fp16)."""

    backend = "torch"

    def __init__(self, hf_model: nn.Module, device: str = "cpu"):
        self.module = CascadeGPT2(hf_model)
        cfg = hf_model.config
        dtype = next(hf_model.parameters()).dtype
        super().__init__(cfg.n_layer, cfg.n_head, cfg.n_embd // cfg.n_head, dtype, device)

    def _run(self, input_ids, mask, positions, past, all_logits=False):
        self.module.all_positions = all_logits
        with torch.inference_mode():
            logits, *new = self.module(input_ids, mask, positions, *past.prefix, *past.rows)
        return logits, new


def load_hf_model(source: str, dtype: torch.dtype = torch.float32, device: str = "cpu") -> nn.Module:
    """transformers ``GPT2LMHeadModel`` in eval mode; clear errors for missing or unreadable weights."""
    from transformers import GPT2LMHeadModel

    try:
        return GPT2LMHeadModel.from_pretrained(source, dtype=dtype).to(device).eval()
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load model weights from {source!r}: {exc}") from exc


def load_torch_generator(source: str, device: str = "cpu", dtype: str = "auto",
                         reuse_prefix: bool = True) -> DecodingGenerator:
    """Load a model by hub id or local directory into a PyTorch :class:`DecodingGenerator`.

    ``dtype="auto"`` is float16 on CUDA and float32 on CPU.
    """
    if device == "cuda" and not torch.cuda.is_available():
        raise BackendUnavailable("device 'cuda' requested but torch sees no CUDA GPU", why="no_cuda")
    config = load_config(source)
    tokenizer = load_tokenizer(source)
    dtype = ("float16" if device == "cuda" else "float32") if dtype == "auto" else dtype
    model = load_hf_model(source, getattr(torch, dtype), device)
    return DecodingGenerator(TorchRunner(model, device), tokenizer, model_id=str(source),
                             eos_token_id=eos_token_id(config, tokenizer), max_context=config.n_positions,
                             reuse_prefix=reuse_prefix, sampling_defaults=sampling_defaults(source),
                             prompt_format=prompt_format(source))
