"""Text generation: the ``Generator`` contract, its backends, sampling and post-processing."""
from __future__ import annotations

from pathlib import Path

from newsgen.config import Settings
from newsgen.errors import ModelError
from newsgen.generation.base import (GenerationRequest, GenerationResult, Generator, ModelRunner, PromptFormat,
                                     SamplingParams)

__all__ = ["GenerationRequest", "GenerationResult", "Generator", "ModelRunner", "PromptFormat", "SamplingParams",
           "default_model_dir", "load_generator", "resolve_model"]


def default_model_dir(settings: Settings) -> Path:
    """Where ``newsgen model tiny`` puts the offline model used when no model is configured."""
    return settings.state_dir / "models" / "tiny"


def resolve_model(settings: Settings) -> str:
    """The configured model (hub id or directory), else the offline demo model (``newsgen model demo``) if
    built, else the offline tiny model."""
    if settings.model:
        return settings.model
    demo = settings.state_dir / "models" / "demo"
    if (demo / "config.json").is_file():
        return str(demo)
    tiny = default_model_dir(settings)
    if not (tiny / "config.json").is_file():
        raise ModelError(f"no model configured (NEWSGEN_MODEL) and no offline model at {tiny}: "
                         "run `newsgen model tiny` or set NEWSGEN_MODEL to a hub id or directory")
    return str(tiny)


def load_generator(settings: Settings) -> Generator:
    """Build the generator the settings ask for: ``backend`` auto|onnx|torch on ``device`` (see ``selection``)."""
    from newsgen.generation.selection import select_generator

    generator = select_generator(settings, resolve_model(settings))
    if hasattr(generator, "prompt_lookup"):
        generator.prompt_lookup = settings.prompt_lookup_tokens
    return generator
