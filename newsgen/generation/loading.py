"""Find and load GPT-2-architecture models (ruGPT-3 by hub id, or a local directory)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from newsgen.errors import ModelError
from newsgen.generation.base import PromptFormat

#: model_type values newsgen can run (ruGPT-3 is GPT-2 architecture)
SUPPORTED_MODEL_TYPES = ("gpt2",)


def is_local(source: str) -> bool:
    """A source is a local directory when it exists or is written like a path, else a hub id."""
    return os.path.exists(source) or source.startswith((".", "/", "~")) or source.count("/") > 1


def load_config(source: str) -> Any:
    """Load and check a model config: clear errors for a missing path or a non-GPT-2 model."""
    from transformers import AutoConfig

    if is_local(source):
        path = Path(source).expanduser()
        if not path.is_dir():
            raise ModelError(f"model directory not found: {path}")
        if not (path / "config.json").is_file():
            raise ModelError(f"{path} has no config.json: not a transformers model directory")
    try:
        config = AutoConfig.from_pretrained(source)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load model config from {source!r}: {exc}. Offline? Pass a local "
                         "directory (see `newsgen model tiny`) or set HF_HOME to a cache that has it.") from exc
    if config.model_type not in SUPPORTED_MODEL_TYPES:
        raise ModelError(f"{source!r} is a {config.model_type!r} model; newsgen runs GPT-2-architecture "
                         "models such as ai-forever/rugpt3small_based_on_gpt2")
    return config


#: sampling fields a model's ``generation_config.json`` may set for newsgen (``NEWSGEN_SAMPLING__*`` overrides)
SAMPLING_KEYS = ("max_new_tokens", "temperature", "top_k", "top_p", "repetition_penalty", "no_repeat_ngram_size")


def _generation_config(source: str | Path) -> dict[str, Any]:
    """A local model directory's ``generation_config.json`` ({} when it has none)."""
    path = Path(str(source)).expanduser() / "generation_config.json"
    if not is_local(str(source)) or not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc


def sampling_defaults(source: str | Path) -> dict[str, Any]:
    """The sampling a local model directory recommends in its ``generation_config.json``: only the fields it
    writes out (transformers' own defaults are not recommendations); ``do_sample: false`` means greedy."""
    raw = _generation_config(source)
    out = {k: raw[k] for k in SAMPLING_KEYS if raw.get(k) is not None}
    if raw.get("do_sample") is False:
        out["temperature"] = 0.0
    return out


def prompt_format(source: str | Path) -> PromptFormat:
    """How the model wants its seeds: ``"newsgen_prompt": {"examples": false, "slots": true}`` in its
    ``generation_config.json`` (a model fine-tuned on slotted seeds without examples); the default keeps the
    few-shot examples and the names."""
    raw = _generation_config(source).get("newsgen_prompt") or {}
    if not isinstance(raw, dict) or set(raw) - {"examples", "slots"}:
        raise ModelError(f"{source}: newsgen_prompt must be an object with 'examples' and 'slots', not {raw!r}")
    return PromptFormat(examples=raw.get("examples", True) is not False, slots=raw.get("slots", False) is True)


def load_tokenizer(source: str) -> Any:
    """Load the model's tokenizer (byte-level BPE) with a pad token set."""
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(source)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load tokenizer from {source!r}: {exc}") from exc
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def eos_token_id(config: Any, tokenizer: Any) -> int | None:
    """End-of-text id: current ruGPT-3 configs use ``</s>`` = 2, older copies ``<|endoftext|>`` = 50256."""
    return tokenizer.eos_token_id if tokenizer.eos_token_id is not None else config.eos_token_id
