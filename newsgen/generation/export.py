"""Export a GPT-2-architecture model to ONNX (``newsgen model export``).

The graph is :class:`~newsgen.generation.torch_backend.CascadeGPT2` traced with the legacy exporter
(``torch.onnx.export(..., dynamo=False)``, opset 17), so ONNX and PyTorch run the same forward:

    inputs   input_ids (B,T) int64, position_ids (B,T) int64,
             attention_mask (B, P0+S+T) int64      columns: prefix | row cache | new tokens
             prefix.{i}.key/value (H,P0,D)         the shared few-shot prefix (one copy for all rows)
             past.{i}.key/value (H,B,S,D)          each row's cache (unused slack is masked)
    outputs  logits (B,V)                          last position only
             new.{i}.key/value (H,B,T,D)           keys/values of the T new positions only

An export directory holds ``model.onnx`` (+ ``model.onnx.data`` over 2 GB), the tokenizer, the model
config and ``manifest.json`` (source, precision, opset, graph layout, parity check, SHA-256 of each file).
With ``torch_fallback`` (the default) it also holds the PyTorch weights (``model.safetensors``), so the
directory is a transformers model directory too: ``NEWSGEN_MODEL=<export>`` runs on ONNX Runtime, and on
PyTorch when that is forced (``NEWSGEN_BACKEND=torch``) or ONNX Runtime fails (``auto``). Without it the
manifest says ``"torch_fallback": false`` and a PyTorch backend for it is refused at start.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import inspect
import io
import json
import logging
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from newsgen.errors import ModelError
from newsgen.generation.loading import is_local, load_config, load_tokenizer

FORMAT = "newsgen-onnx/1"
GRAPH = "cascade-kv/1"
OPSET = 17
PRECISIONS = ("fp32", "fp16", "int8")
MODEL_FILE = "model.onnx"
MANIFEST = "manifest.json"
_PROTOBUF_LIMIT = 2 * 1024 ** 3 - 64 * 1024 ** 2  # headroom for the graph itself


def io_names(n_layer: int) -> tuple[list[str], list[str]]:
    """Graph input and output names, in the order the module takes and returns them."""
    kv = lambda kind: [f"{kind}.{i}.{t}" for i in range(n_layer) for t in ("key", "value")]  # noqa: E731
    return ["input_ids", "attention_mask", "position_ids", *kv("prefix"), *kv("past")], ["logits", *kv("new")]


def example_inputs(cfg: Any, batch: int = 2, new: int = 3, prefix: int = 4, past: int = 5) -> tuple:
    """Inputs with every dimension different (none gets baked into the trace), one row left-padded."""
    import torch

    g = torch.Generator().manual_seed(0)
    H, D = cfg.n_head, cfg.n_embd // cfg.n_head
    ids = torch.randint(0, cfg.vocab_size, (batch, new), generator=g)
    mask = torch.ones(batch, prefix + past + new, dtype=torch.long)
    mask[0, prefix:prefix + min(2, past)] = 0
    positions = (mask.cumsum(1) - 1).clamp(min=0)[:, -new:]
    kv = [torch.randn(H, prefix, D, generator=g) for _ in range(2 * cfg.n_layer)]
    kv += [torch.randn(H, batch, past, D, generator=g) for _ in range(2 * cfg.n_layer)]
    return (ids, mask, positions, *kv)


def reference_logits(hf_model: Any, args: tuple) -> Any:
    """Last-position logits of plain transformers for :func:`example_inputs` (prefix + rows as its cache)."""
    import torch
    from transformers import DynamicCache

    L = hf_model.config.n_layer
    ids, mask, positions = args[:3]
    prefix, rows = args[3:3 + 2 * L], args[3 + 2 * L:]
    B = ids.shape[0]
    cache = DynamicCache()
    for i in range(L):
        k, v = (torch.cat([prefix[2 * i + j][:, None].expand(-1, B, -1, -1), rows[2 * i + j]], dim=2)
                .transpose(0, 1) for j in (0, 1))                                      # (B,H,P0+S,D)
        cache.update(k, v, i)
    # transformers 5.x renamed past_key_values to cache; older releases only know the former
    arg = "cache" if "cache" in inspect.signature(hf_model.forward).parameters else "past_key_values"
    with torch.inference_mode():
        out = hf_model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, **{arg: cache})
    return out.logits[:, -1].float().numpy()


def check_parity(hf_model: Any, onnx_path: Path) -> float:
    """Max |logits(ONNX Runtime) - logits(transformers)| at shapes other than the traced ones."""
    import numpy as np
    import onnxruntime as ort

    args = example_inputs(hf_model.config, batch=3, new=2, prefix=6, past=3)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    feeds = dict(zip(io_names(hf_model.config.n_layer)[0], (a.numpy() for a in args)))
    got = session.run(["logits"], feeds)[0]
    return float(np.abs(got - reference_logits(hf_model, args)).max())


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


WEIGHTS_FILES = ("model.safetensors", "pytorch_model.bin")


def read_export_manifest(path: str | Path) -> dict[str, Any] | None:
    """The ``manifest.json`` of an export directory, or None when ``path`` is not one (no manifest)."""
    file = Path(str(path)).expanduser() / MANIFEST
    if not file.is_file():
        return None
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"unreadable export manifest {file}: {exc}") from exc


def has_torch_fallback(export_dir: str | Path, manifest: dict[str, Any] | None = None) -> bool:
    """Whether an export carries what PyTorch needs: its manifest's ``torch_fallback`` (older exports:
    whether transformers weights are there)."""
    path = Path(str(export_dir)).expanduser()
    manifest = manifest if manifest is not None else (read_export_manifest(path) or {})
    if "torch_fallback" in manifest:
        return bool(manifest["torch_fallback"])
    return any((path / name).is_file() for name in WEIGHTS_FILES)


def no_fallback_error(export_dir: str | Path) -> ModelError:
    return ModelError(f"{export_dir} is an ONNX export without PyTorch weights (exported with "
                      "--no-torch-fallback): use NEWSGEN_BACKEND=onnx or auto, or export again with the fallback")


def export_model(source: str, out_dir: Path, precision: str = "fp32", optimize: bool = False,
                 opset: int = OPSET, progress: Callable[[str], None] | None = None,
                 torch_fallback: bool = True) -> dict[str, Any]:
    """Export ``source`` (hub id, local model directory or an earlier export that carries its PyTorch
    weights) to ``out_dir`` and return the manifest written there.

    ``torch_fallback`` also writes the PyTorch weights (``model.safetensors``): the export is then a model
    directory the PyTorch backend loads too; without it the manifest declares ``"torch_fallback": false``.

    ``fp16`` is for CUDA; ``int8`` (dynamic quantisation of the weight MatMuls) is for CPU. ``optimize``
    applies ONNX Runtime's transformer fusions offline (fp32/fp16; the session applies most of them at load).
    """
    if precision not in PRECISIONS:
        raise ModelError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    step = progress or (lambda _msg: None)
    src_manifest = read_export_manifest(source) if is_local(str(source)) else None
    if src_manifest is not None and not has_torch_fallback(source, src_manifest):
        raise ModelError(f"cannot export from {source}: it is an ONNX export without PyTorch weights; export "
                         f"from its source ({src_manifest.get('source', 'the original model')}) instead")
    out_dir = Path(out_dir)
    if is_local(str(source)) and Path(str(source)).expanduser().resolve() == out_dir.expanduser().resolve():
        raise ModelError(f"cannot export {source} onto itself: exports are immutable, choose a new directory")
    import onnx
    import onnxruntime
    import torch
    import transformers

    from newsgen.generation.torch_backend import CascadeGPT2, load_hf_model

    step(f"loading {source}")
    config = load_config(source)
    tokenizer = load_tokenizer(source)
    hf_model = load_hf_model(source)
    module = CascadeGPT2(hf_model)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in (MANIFEST, MODEL_FILE, MODEL_FILE + ".data", *WEIGHTS_FILES):
        (out_dir / old).unlink(missing_ok=True)
    names_in, names_out = io_names(config.n_layer)
    axes = {"input_ids": {0: "batch", 1: "new"}, "position_ids": {0: "batch", 1: "new"},
            "attention_mask": {0: "batch", 1: "total"}, "logits": {0: "batch"}}
    axes.update({n: {1: "prefix"} for n in names_in if n.startswith("prefix.")})
    axes.update({n: {1: "batch", 2: "past"} for n in names_in if n.startswith("past.")})
    axes.update({n: {1: "batch", 2: "new"} for n in names_out if n.startswith("new.")})

    with tempfile.TemporaryDirectory(prefix="newsgen-export-") as tmp:
        raw = Path(tmp) / "raw.onnx"
        step(f"tracing to ONNX (opset {opset})")
        with torch.no_grad():
            torch.onnx.export(module, example_inputs(config), str(raw), dynamo=False, opset_version=opset,
                              input_names=names_in, output_names=names_out, dynamic_axes=axes,
                              do_constant_folding=True)
        step("checking ONNX Runtime against transformers")
        diff = check_parity(hf_model, raw)
        if diff > 1e-3:
            raise ModelError(f"exported graph disagrees with transformers: max logit difference {diff:.2e}")
        if torch_fallback:
            step("writing PyTorch weights (the fallback)")
            hf_model.save_pretrained(out_dir, safe_serialization=True)
        del hf_model, module
        model = onnx.load(str(raw))
        if optimize and precision != "int8":  # the quantizer's shape inference rejects fused contrib ops
            step("optimising (ONNX Runtime transformer fusions)")
            model = _optimize(model, config, use_gpu=precision == "fp16")
        if precision == "fp16":
            step("converting to fp16")
            model = _to_fp16(model)
        if precision == "int8":
            step("quantising weights to int8")
            _quantize_int8(raw, out_dir / MODEL_FILE)
        else:
            step("writing model")
            _save(model, out_dir / MODEL_FILE)

    step("writing tokenizer and config")
    tokenizer.save_pretrained(out_dir)
    config.save_pretrained(out_dir)
    (out_dir / "generation_config.json").unlink(missing_ok=True)  # save_pretrained's; the source's wins
    if is_local(str(source)) and (Path(source).expanduser() / "generation_config.json").is_file():
        shutil.copyfile(Path(source).expanduser() / "generation_config.json", out_dir / "generation_config.json")
    step("hashing files")
    if src_manifest is not None:  # an export of an export names the model it came from
        source = src_manifest.get("source", str(source))
    manifest = {
        "format": FORMAT, "graph": GRAPH, "source": str(source), "model_type": config.model_type,
        "precision": precision, "opset": opset, "torch_fallback": bool(torch_fallback),
        "optimized": bool(optimize and precision != "int8"),
        "n_layer": config.n_layer, "n_head": config.n_head, "n_embd": config.n_embd,
        "vocab_size": config.vocab_size, "n_positions": config.n_positions,
        "fp32_parity_max_abs_logit_diff": diff,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__},
        "files": {p.name: sha256_file(p) for p in sorted(out_dir.iterdir()) if p.is_file() and p.name != MANIFEST},
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _save(model: Any, path: Path) -> None:
    """Save a ModelProto, with the weights in ``<name>.data`` when protobuf's 2 GB limit would break."""
    import onnx

    large = model.ByteSize() > _PROTOBUF_LIMIT
    onnx.save_model(model, str(path), save_as_external_data=large, all_tensors_to_one_file=True,
                    location=path.name + ".data" if large else None)


@contextmanager
def _quiet() -> Iterator[None]:
    """Hush ORT's offline tools (shape-inference warnings and prints, the quantizer's pre-processing hint)."""
    logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logging.disable(logging.NOTSET)


def _optimize(model: Any, config: Any, use_gpu: bool) -> Any:
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    options = FusionOptions("gpt2")
    options.enable_attention = False  # the three-part attention is not a pattern ORT fuses
    with _quiet():
        return optimize_model(model, model_type="gpt2", num_heads=config.n_head, hidden_size=config.n_embd,
                              optimization_options=options, opt_level=0, use_gpu=use_gpu).model


def _to_fp16(model: Any) -> Any:
    from onnxruntime.transformers.onnx_model import OnnxModel

    wrapped = OnnxModel(model)
    with _quiet():
        wrapped.convert_float_to_float16(keep_io_types=False)  # the KV cache itself is fp16 on the device
    return wrapped.model


def _quantize_int8(src: Path, dst: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet():
        quantize_dynamic(src, dst, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
                         extra_options={"MatMulConstBOnly": True},
                         use_external_data_format=src.stat().st_size > _PROTOBUF_LIMIT)
