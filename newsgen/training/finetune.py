"""Causal-LM fine-tuning on (record, note) pairs (``newsgen model finetune``).

Each pair becomes exactly what the worker sends and should get back:

    prompt = SeedRenderer.render(record, task, language).prompt     few-shot prefix + record facts + lead
    target = the note after the lead, then "\\n"                    (the worker stops at "\\n")

tokenised like :class:`~newsgen.generation.decode.DecodingGenerator` does (prefix and the rest separately, no
special tokens). The loss covers the target tokens only.

The few-shot prefix is the same for every record of a type, task and language, and is most of the prompt
(hundreds of tokens). Like the worker, training computes its KV once per step, for one row, and runs the
batch over the record facts and the note only: about 3x less work per example on CPU. The gradient flows
back through the shared prefix (cheap: one row), so its positions learn to be told apart from the record's
(with a stop-gradient there, a small model trained briefly kept confusing them). Batches hold examples of one
prefix. Examples longer than the model's context are skipped (counted), never truncated.

Checkpoints (``<out>/checkpoints/step-N``: weights, tokenizer, optimizer, RNG, step) are written every
``save_every`` steps; ``resume=True`` continues from the newest. The finished model (weights, tokenizer,
``training.json`` with the config and the loss history) is a transformers directory that
``newsgen model export`` accepts.
"""
from __future__ import annotations

import inspect
import json
import math
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from newsgen.errors import ModelError
from newsgen.generation.base import PromptFormat
from newsgen.slots import TOKENS as SLOT_TOKENS


@dataclass
class FinetuneConfig:
    """Training settings; ``max_steps`` or ``epochs`` bounds the run, ``time_budget_s`` cuts it short."""

    epochs: float = 1.0              # passes over the training split (ignored when max_steps is set)
    max_steps: int | None = None
    batch_size: int = 8              # examples per step (one prefix per batch)
    lr: float = 5e-5                 # ruGPT-3: 5e-5; a small model from scratch wants ~1e-3
    weight_decay: float = 0.01
    warmup_steps: int = 20
    min_lr_ratio: float = 0.1        # cosine decay to this fraction of lr
    grad_clip: float = 1.0
    val_fraction: float = 0.05
    max_val: int = 64                # validation examples at most (CPU time)
    eval_every: int = 50             # steps; 0 = only at the end
    save_every: int = 200            # steps; 0 = no intermediate checkpoints
    keep_checkpoints: int = 2
    device: str = "auto"             # auto | cpu | cuda
    precision: str = "auto"          # auto (bf16 on CUDA when supported, else fp16; fp32 on CPU) | fp32 | fp16 | bf16
    seed: int = 0
    time_budget_s: float | None = None
    threads: int | None = None       # torch CPU threads
    prefix_free_until: float = 0.0   # warm-up: this fraction of the run trains without the few-shot prefix
    seed_examples: bool = True       # False: seeds without their few-shot examples ...
    slots: bool = False              # ... True: and the record's names as pointer slots (newsgen.slots); the model
                                     # records it (generation_config "newsgen_prompt") and the worker serves it so


@dataclass
class Example:
    prefix: str
    prefix_ids: list[int]
    rest_ids: list[int]              # record facts + lead
    target_ids: list[int]            # note + "\n"


@dataclass
class FinetuneResult:
    out_dir: Path
    steps: int
    train_examples: int
    val_examples: int
    skipped: int
    history: list[dict[str, float]] = field(default_factory=list)  # {"step", "loss"} and {"step", "val_loss"}
    seconds: float = 0.0

    @property
    def val_losses(self) -> list[float]:
        return [h["val_loss"] for h in self.history if "val_loss" in h]


def target_text(prompt: str, lead: str, note: str) -> str:
    """What the model must write after ``prompt``: the note without its lead, then the stop line break."""
    if lead and not note.startswith(lead):
        raise ValueError(f"note does not start with the seed's lead {lead!r}")
    text = note[len(lead):]
    if not lead and prompt and not prompt.endswith((" ", "\n")) and not text.startswith(" "):
        text = " " + text  # "Заметка:" + " «Зенит» обыграл ...", as in the few-shot examples
    return text + "\n"


def seed_texts(pairs: Sequence[dict[str, Any]], fmt: PromptFormat = PromptFormat(),
               templates_dir: Path | None = None) -> Iterator[tuple[str, str, str] | None]:
    """``(prefix, rest of the prompt, target)`` of each pair as a model of prompt format ``fmt`` reads and
    writes it (None for a pair with no seed): the seed rendered as the worker renders it, then served as
    :func:`newsgen.notes.model_prompt` serves it."""
    from newsgen.config import load_settings
    from newsgen.errors import NewsgenError
    from newsgen.facts import default_lexicon
    from newsgen.seeds import SeedRenderer
    from newsgen.slots import served_prompt

    renderer = SeedRenderer(templates_dir or load_settings().templates_dir)
    lexicon = default_lexicon()
    for pair in pairs:
        try:
            seed = renderer.render(pair["record"], pair["task"], pair.get("language", "ru"))
            target = target_text(seed.prompt, seed.lead, pair["note"])
        except (NewsgenError, ValueError, KeyError):
            yield None
            continue
        prefix, rest, slots = served_prompt(seed, pair["record"], pair.get("language", "ru"), fmt, lexicon)
        yield prefix, rest, target if slots is None else slots.delex(target, agree=True)


def build_examples(pairs: Sequence[dict[str, Any]], tokenizer: Any, max_length: int,
                   templates_dir: Path | None = None, fmt: PromptFormat = PromptFormat()) -> tuple[list[Example], int]:
    """Tokenise each pair's :func:`seed_texts`; returns the examples and how many were skipped (too long or
    no template)."""
    enc = lambda text: list(tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []  # noqa: E731
    prefix_ids: dict[str, list[int]] = {}
    out, skipped = [], 0
    for texts in seed_texts(pairs, fmt, templates_dir):
        if texts is None:
            skipped += 1
            continue
        prefix, rest, target = texts
        if prefix not in prefix_ids:
            prefix_ids[prefix] = enc(prefix)
        ex = Example(prefix, prefix_ids[prefix], enc(rest), enc(target))
        if not ex.rest_ids or len(ex.prefix_ids) + len(ex.rest_ids) + len(ex.target_ids) > max_length:
            skipped += 1
            continue
        out.append(ex)
    return out, skipped


def split(examples: list[Example], val_fraction: float, max_val: int, seed: int) -> tuple[list, list]:
    rng = random.Random(seed)
    order = list(range(len(examples)))
    rng.shuffle(order)
    n_val = min(max_val, max(1, int(len(examples) * val_fraction))) if len(examples) > 1 and val_fraction > 0 else 0
    return [examples[i] for i in order[n_val:]], [examples[i] for i in order[:n_val]]


def batches(examples: list[Example], batch_size: int, rng: random.Random) -> list[list[Example]]:
    """One epoch of batches, each of a single prefix, in random order."""
    groups: dict[str, list[Example]] = {}
    for ex in examples:
        groups.setdefault(ex.prefix, []).append(ex)
    out = []
    for group in groups.values():
        group = group[:]
        rng.shuffle(group)
        out += [group[i:i + batch_size] for i in range(0, len(group), batch_size)]
    rng.shuffle(out)
    return out


def _cache_arg(model: Any) -> str:
    # transformers 5.x renamed past_key_values to cache on some models; older releases only know the former
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def _layer_kv(cache: Any, n_layer: int) -> list[tuple[Any, Any]]:
    if hasattr(cache, "layers"):
        return [(layer.keys, layer.values) for layer in cache.layers[:n_layer]]
    if hasattr(cache, "key_cache"):
        return list(zip(cache.key_cache, cache.value_cache))
    return [(k, v) for k, v in cache]


def batch_loss(model: Any, batch: list[Example], pad_id: int, device: Any, autocast: Any,
               with_prefix: bool = True) -> tuple[Any, int]:
    """Mean cross-entropy over the batch's target tokens, and how many there were.

    ``with_prefix=False`` leaves the few-shot prefix out of attention (the warm-up phase) but keeps every
    position where it would be, so what is learnt carries over to the full seed."""
    import torch
    from transformers import DynamicCache

    B = len(batch)
    P0 = len(batch[0].prefix_ids)
    cache = None
    if P0 and with_prefix:
        with autocast():
            out = model.transformer(input_ids=torch.tensor([batch[0].prefix_ids], device=device), use_cache=True)
        cache = DynamicCache()
        for i, (k, v) in enumerate(_layer_kv(out.past_key_values, model.config.n_layer)):
            cache.update(k.expand(B, -1, -1, -1), v.expand(B, -1, -1, -1), i)
    seqs = [ex.rest_ids + ex.target_ids for ex in batch]
    T = max(map(len, seqs))
    C = P0 if cache is not None else 0                  # cached positions the batch attends to
    ids = torch.full((B, T), pad_id, dtype=torch.long)
    labels = torch.full((B, T), -100, dtype=torch.long)
    mask = torch.zeros((B, C + T), dtype=torch.long)
    mask[:, :C] = 1
    for b, (ex, seq) in enumerate(zip(batch, seqs)):
        ids[b, :len(seq)] = torch.tensor(seq)
        labels[b, len(ex.rest_ids):len(seq)] = torch.tensor(ex.target_ids)
        mask[b, C:C + len(seq)] = 1
    positions = (P0 + torch.arange(T)).expand(B, -1)
    kwargs = {_cache_arg(model): cache} if cache is not None else {}
    with autocast():
        hidden = model.transformer(input_ids=ids.to(device), attention_mask=mask.to(device),
                                   position_ids=positions.to(device), use_cache=cache is not None,
                                   **kwargs).last_hidden_state
        # the LM head only where a target token is predicted: the record's own tokens need no logits
        predicts = (labels[:, 1:] != -100).to(device)
        logits = model.lm_head(hidden[:, :-1][predicts])
    targets = labels[:, 1:].to(device)[predicts]
    loss = torch.nn.functional.cross_entropy(logits.float(), targets)
    return loss, int(targets.numel())


def evaluate(model: Any, examples: list[Example], cfg: FinetuneConfig, pad_id: int, device: Any, autocast: Any) -> float:
    """Token-weighted mean loss over ``examples``."""
    import torch

    if not examples:
        return float("nan")
    was_training = model.training
    model.eval()
    total, tokens = 0.0, 0
    with torch.no_grad():
        for batch in batches(examples, cfg.batch_size, random.Random(0)):
            loss, n = batch_loss(model, batch, pad_id, device, autocast)
            total, tokens = total + float(loss) * n, tokens + n
    model.train(was_training)
    return total / max(tokens, 1)


def _device_and_precision(cfg: FinetuneConfig) -> tuple[str, str]:
    import torch

    device = cfg.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelError("device 'cuda' requested but torch sees no CUDA GPU")
    precision = cfg.precision
    if precision == "auto":
        precision = ("bf16" if torch.cuda.is_bf16_supported() else "fp16") if device == "cuda" else "fp32"
    if precision == "fp16" and device != "cuda":
        raise ModelError("fp16 training needs CUDA; use fp32 (or bf16) on CPU")
    if precision not in ("fp32", "fp16", "bf16"):
        raise ModelError(f"unknown precision {precision!r}")
    return device, precision


def _checkpoints(out_dir: Path) -> list[Path]:
    root = out_dir / "checkpoints"
    found = [p for p in root.glob("step-*") if (p / "state.pt").is_file()] if root.is_dir() else []
    return sorted(found, key=lambda p: int(p.name.split("-")[1]))


def finetune(base: str, pairs: Sequence[dict[str, Any]], out_dir: Path, cfg: FinetuneConfig = FinetuneConfig(),
             resume: bool = False, progress: Callable[[dict[str, Any]], None] | None = None,
             templates_dir: Path | None = None) -> FinetuneResult:
    """Fine-tune ``base`` (hub id or directory) on ``pairs`` and write the model to ``out_dir``.

    ``progress`` gets ``{"step", "total", "loss", "lr"}`` after each step, plus ``"val_loss"`` after an
    evaluation, and ``{"stage": ...}`` messages.
    """
    import torch
    from transformers import GPT2LMHeadModel

    from newsgen.generation.loading import load_config, load_tokenizer

    report = progress or (lambda _info: None)
    started = time.monotonic()
    out_dir = Path(out_dir)
    device, precision = _device_and_precision(cfg)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)

    ckpts = _checkpoints(out_dir) if resume else []
    source = str(ckpts[-1]) if ckpts else base
    report({"stage": f"loading {source}"})
    config = load_config(source)
    tokenizer = load_tokenizer(source)
    try:
        model = GPT2LMHeadModel.from_pretrained(source, dtype=torch.float32).to(device)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load model weights from {source!r}: {exc}") from exc
    model.train()

    report({"stage": "rendering seeds"})
    fmt = PromptFormat(examples=cfg.seed_examples and not cfg.slots, slots=cfg.slots)
    if fmt.slots and not set(SLOT_TOKENS) <= set(tokenizer.get_vocab()):
        tokenizer.add_tokens(list(SLOT_TOKENS))          # one token each: a slot is copied, never spelt out
        model.resize_token_embeddings(len(tokenizer))
    examples, skipped = build_examples(pairs, tokenizer, config.n_positions, templates_dir, fmt)
    if not examples:
        raise ModelError(f"no usable training examples ({skipped} skipped: no template or longer than "
                         f"{config.n_positions} tokens)")
    train, val = split(examples, cfg.val_fraction, cfg.max_val, cfg.seed)
    per_epoch = len(batches(train, cfg.batch_size, random.Random(0)))
    total = cfg.max_steps or max(1, math.ceil(per_epoch * cfg.epochs))

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optim = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                               {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.95))

    def done(step: int) -> float:
        """How far the run is: steps done of ``total``, or time spent of the time budget if that is further."""
        t = step / total
        if cfg.time_budget_s:
            t = max(t, (time.monotonic() - started) / cfg.time_budget_s)
        return min(t, 1.0)

    def lr_at(step: int) -> float:
        """Linear warmup, then cosine decay over the run (a budget-bound run still anneals)."""
        if step < cfg.warmup_steps:
            return cfg.lr * (step + 1) / cfg.warmup_steps
        t = done(step)
        return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * t)))

    amp_dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(precision)
    autocast = (lambda: torch.autocast(device_type=device, dtype=amp_dtype)) if amp_dtype else \
        (lambda: torch.autocast(device_type=device, enabled=False))
    scaler = torch.amp.GradScaler("cuda") if precision == "fp16" else None

    step, history = 0, []
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    if ckpts:
        state = torch.load(ckpts[-1] / "state.pt", map_location=device, weights_only=False)
        optim.load_state_dict(state["optimizer"])
        step, history = state["step"], state["history"]
        random.setstate(state["python_rng"])
        torch.set_rng_state(state["torch_rng"])
        report({"stage": f"resumed at step {step}"})

    if val and not ckpts:  # the starting point, so the history shows what training did
        history.append({"step": 0, "val_loss": round(evaluate(model, val, cfg, pad_id, device, autocast), 4)})
        report({"step": 0, "total": total, "val_loss": history[-1]["val_loss"]})
    rng = random.Random(cfg.seed + step)
    queue: list[list[Example]] = []
    while step < total:
        if cfg.time_budget_s is not None and time.monotonic() - started > cfg.time_budget_s:
            report({"stage": f"time budget reached at step {step}"})
            break
        if not queue:
            queue = batches(train, cfg.batch_size, rng)
        batch = queue.pop()
        lr = lr_at(step)
        for group in optim.param_groups:
            group["lr"] = lr
        loss, _ = batch_loss(model, batch, pad_id, device, autocast, with_prefix=done(step) >= cfg.prefix_free_until)
        optim.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(optim)
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            scaler.step(optim)
            scaler.update()
        else:
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            optim.step()
        step += 1
        info: dict[str, Any] = {"step": step, "total": total, "loss": float(loss.detach()), "lr": lr}
        history.append({"step": step, "loss": round(info["loss"], 4)})
        if val and cfg.eval_every and step % cfg.eval_every == 0 and step < total:
            info["val_loss"] = evaluate(model, val, cfg, pad_id, device, autocast)
            history.append({"step": step, "val_loss": round(info["val_loss"], 4)})
        report(info)
        if cfg.save_every and step % cfg.save_every == 0 and step < total:
            _save_checkpoint(model, tokenizer, optim, step, history, out_dir, cfg.keep_checkpoints)
    if val:
        v = evaluate(model, val, cfg, pad_id, device, autocast)
        history.append({"step": step, "val_loss": round(v, 4)})
        report({"step": step, "total": total, "val_loss": v})

    out_dir.mkdir(parents=True, exist_ok=True)
    model.eval()
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    if fmt != PromptFormat():                          # the worker serves the model its seeds in this format
        path = out_dir / "generation_config.json"
        raw = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        path.write_text(json.dumps(raw | {"newsgen_prompt": asdict(fmt)}, indent=2), encoding="utf-8")
    result = FinetuneResult(out_dir, step, len(train), len(val), skipped, history, time.monotonic() - started)
    (out_dir / "training.json").write_text(json.dumps(
        {"base": base, "config": asdict(cfg), "device": device, "precision": precision, "steps": step,
         "train_examples": len(train), "val_examples": len(val), "skipped": skipped,
         "seconds": round(result.seconds, 1), "history": history}, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def _save_checkpoint(model: Any, tokenizer: Any, optim: Any, step: int, history: list, out_dir: Path,
                     keep: int) -> None:
    import torch

    path = out_dir / "checkpoints" / f"step-{step}"
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    torch.save({"optimizer": optim.state_dict(), "step": step, "history": history,
                "python_rng": random.getstate(), "torch_rng": torch.get_rng_state()}, path / "state.pt")
    for old in _checkpoints(out_dir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
