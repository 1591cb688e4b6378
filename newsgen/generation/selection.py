"""Pick the generation backend the settings ask for, falling back only when asked to (``auto``).

    backend=torch   PyTorch on ``device``; errors are raised
    backend=onnx    ONNX Runtime on ``device`` from the export; errors are raised, no fallback
    backend=auto    ONNX Runtime when an export exists and its session loads, else PyTorch; on CUDA, when
                    neither backend gets the GPU, PyTorch on CPU. Every failed candidate logs one warning
                    line and counts in ``newsgen_backend_fallbacks_total{from,to,reason}``.

An export is ``settings.onnx_dir``, else the model itself when it is an export directory (a
``manifest.json`` at its top: ``NEWSGEN_MODEL=/models/<export>``), else ``<model dir>/onnx``. PyTorch loads
an export only when it carries its weights (``torch_fallback`` in the manifest); one that declares no
fallback is refused by :func:`check_model` (the worker's start) with one line when PyTorch is forced, and
``auto`` then has no PyTorch candidate.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from newsgen.config import Settings
from newsgen.errors import ModelError
from newsgen.generation.base import Generator
from newsgen.generation.export import has_torch_fallback, no_fallback_error, read_export_manifest
from newsgen.generation.loading import is_local
from newsgen.metrics import BACKEND_FALLBACKS

log = logging.getLogger(__name__)


def count_fallback(src: str, dst: str, reason: str) -> None:
    """Add one to the fallback counter (labels ``from``, ``to``, ``reason``; older definitions: ``reason``)."""
    values = {"from": src, "to": dst, "reason": reason}
    BACKEND_FALLBACKS.labels(*(values[name] for name in BACKEND_FALLBACKS._labelnames)).inc()


def is_export(model: str) -> bool:
    """Whether ``model`` is an export directory (``manifest.json`` at its top)."""
    return is_local(model) and (Path(model).expanduser() / "manifest.json").is_file()


def torch_possible(model: str) -> bool:
    """Whether PyTorch can load ``model``: anything but an export that declares no fallback."""
    return not is_export(model) or has_torch_fallback(model)


def check_model(settings: Settings, model: str) -> None:
    """Refuse, before anything loads, a configuration that cannot work: a missing local model or export
    directory, ``backend=onnx`` with no export, ``backend=torch`` on an export without PyTorch weights."""
    if settings.onnx_dir is None and is_local(model) and not Path(model).expanduser().is_dir():
        raise ModelError(f"model directory not found: {model} (NEWSGEN_MODEL)")
    if is_export(model):
        read_export_manifest(model)  # unreadable -> ModelError
    if settings.backend == "torch" and not torch_possible(model):
        raise no_fallback_error(model)
    if settings.backend == "onnx" and find_export(settings, model) is None:
        raise ModelError(f"backend 'onnx' needs an export: point NEWSGEN_MODEL at one, set NEWSGEN_ONNX_DIR or "
                         f"run `newsgen model export {model} <new dir>`")


def find_export(settings: Settings, model: str) -> Path | None:
    """The ONNX export directory to use, or None when there is none."""
    if settings.onnx_dir is not None:
        return Path(settings.onnx_dir)
    if is_export(model):
        return Path(model).expanduser()
    if is_local(model) and (Path(model).expanduser() / "onnx" / "manifest.json").is_file():
        return Path(model).expanduser() / "onnx"
    return None


def _torch(model: str, device: str) -> Generator:
    from newsgen.generation.torch_backend import load_torch_generator

    return load_torch_generator(model, device=device)


def _onnx(export: Path, device: str) -> Generator:
    from newsgen.generation.onnx_backend import load_onnx_generator

    return load_onnx_generator(export, device=device)


def _reason(exc: Exception) -> str:
    return getattr(exc, "why", None) or ("import" if isinstance(exc, ImportError) else "error")


def select_generator(settings: Settings, model: str) -> Generator:
    """Load the generator for ``model`` (hub id or directory) with the settings' backend and device."""
    check_model(settings, model)
    device, export = settings.device, find_export(settings, model)
    if settings.backend == "torch":
        return _torch(model, device)
    if settings.backend == "onnx":
        assert export is not None  # check_model
        return _onnx(export, device)

    candidates: list[tuple[str, Callable[[], Generator]]] = []
    if export is not None:
        candidates.append((f"onnx-{device}", lambda: _onnx(export, device)))
    else:
        log.info("no ONNX export for %s: using PyTorch", model)
    if torch_possible(model):
        candidates.append((f"torch-{device}", lambda: _torch(model, device)))
        if device == "cuda":
            candidates.append(("torch-cpu", lambda: _torch(model, "cpu")))
    else:
        log.info("%s declares no PyTorch fallback: ONNX Runtime only", model)
    for (name, load), (next_name, _) in zip(candidates, candidates[1:] + [("none", None)]):
        try:
            return load()
        except (ModelError, ImportError, RuntimeError, OSError) as exc:
            if next_name == "none":
                raise
            reason = _reason(exc)
            log.warning("backend %s failed (%s: %s); falling back to %s", name, reason, exc, next_name)
            count_fallback(name, next_name, reason)
    raise AssertionError("unreachable")  # pragma: no cover
