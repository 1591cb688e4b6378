"""Build a small GPT-2 (own byte-level BPE tokenizer, a few layers) so tests and the demo run offline.

The weights are random (seeded): the text it writes is real model output, not readable prose.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from newsgen.config import ROOT, package_data

#: special tokens in the order current ruGPT-3 hub configs use: <pad>=0, <s>=1, </s>=2
SPECIALS = ("<pad>", "<s>", "</s>")
#: (directory, the name it has in a checkout): the files are ordered by their checkout path, so a model built
#: from the installed package (templates as package data) is the one a checkout builds
CORPUS_DIRS = ((package_data("templates"), "templates"), (ROOT / "producers" / "examples", "producers/examples"))
CORPUS_SUFFIXES = {".j2", ".json", ".jsonl", ".txt", ".md"}


@dataclass(frozen=True)
class TinyConfig:
    vocab_size: int = 2000   # BPE merges learnt from the corpus, byte alphabet included
    n_layer: int = 2
    n_embd: int = 64
    n_head: int = 2
    n_positions: int = 2048  # as ruGPT-3: a few-shot rewrite seed alone is over 1,000 tokens
    seed: int = 0            # torch seed for the random weights
    dropout: float = 0.1     # GPT-2's default; a short from-scratch run learns faster without (0.0)


def corpus_texts(dirs: Iterable[tuple[Path, str]] = CORPUS_DIRS) -> list[str]:
    """The project's own example texts (templates, few-shot data, example records), in a stable order."""
    files = sorted((f"{name}/{p.relative_to(d).as_posix()}", p) for d, name in dirs if d.is_dir()
                   for p in d.rglob("*") if p.suffix in CORPUS_SUFFIXES)
    return [p.read_text(encoding="utf-8") for _, p in files]


def train_tokenizer(texts: list[str], vocab_size: int):
    """Train a GPT-2-style byte-level BPE tokenizer and wrap it for transformers."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(SPECIALS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", bos_token="<s>", eos_token="</s>")


def build_tiny_model(out_dir: Path, texts: list[str] | None = None, cfg: TinyConfig = TinyConfig()) -> Path:
    """Write tokenizer, config and random weights of a small GPT-2 to ``out_dir``; return it."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    texts = corpus_texts() if texts is None else texts
    if not texts:
        raise ValueError("no corpus texts to train the tokenizer on")
    tokenizer = train_tokenizer(texts, cfg.vocab_size)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=cfg.n_positions, n_embd=cfg.n_embd,
                        n_layer=cfg.n_layer, n_head=cfg.n_head, pad_token_id=0, bos_token_id=1, eos_token_id=2,
                        resid_pdrop=cfg.dropout, embd_pdrop=cfg.dropout, attn_pdrop=cfg.dropout)
    torch.manual_seed(cfg.seed)
    model = GPT2LMHeadModel(config).eval()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(out_dir)
    model.save_pretrained(out_dir)
    return out_dir
