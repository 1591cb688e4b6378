"""Fixtures for the checks of ops/: parsed manifests, promtool, and the names newsgen really reads."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from newsgen import metrics
from newsgen.config import ROOT, Settings

OPS = ROOT / "ops"
#: metrics the alerts and the dashboard may use before newsgen/metrics.py defines them
PLANNED_METRICS = {"newsgen_factcheck_total"}


@pytest.fixture(scope="session")
def ops_dir() -> Path:
    return OPS


@pytest.fixture(scope="session")
def load_yaml():
    """Parse a YAML file under ops/ into a list of its documents (empty documents dropped)."""

    def load(relpath: str) -> list:
        with open(OPS / relpath, encoding="utf-8") as f:
            return [d for d in yaml.safe_load_all(f) if d is not None]

    return load


@pytest.fixture(scope="session")
def promtool() -> str:
    """promtool from the Debian package ``prometheus``: required in CI, a skip elsewhere."""
    path = shutil.which("promtool")
    if path:
        return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("promtool not found: ops/setup.sh must install the Debian package 'prometheus'")
    pytest.skip("promtool not found: `apt-get install prometheus` to check the Prometheus rules and config")


def setting_path(env_name: str) -> list[str] | None:
    """``NEWSGEN_SAMPLING__TOP_K`` -> ``["sampling", "top_k"]`` if Settings has that field, else None.

    Settings ignores unknown variables, so a misspelt name in a manifest would silently do nothing.
    """
    if not env_name.startswith("NEWSGEN_") or env_name == "NEWSGEN_CONFIG":
        return None
    parts = env_name[len("NEWSGEN_"):].lower().split("__")
    model: type[BaseModel] = Settings
    for i, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        if i < len(parts) - 1:
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                return None
            model = annotation
    return parts


@pytest.fixture(scope="session")
def is_setting():
    return lambda name: setting_path(name) is not None


@pytest.fixture
def settings_from_env(monkeypatch):
    """Build Settings from a dict of NEWSGEN_* variables (and only those) the way a process would."""

    def build(env: dict[str, str]) -> Settings:
        from newsgen.config import load_settings

        for name in [n for n in os.environ if n.startswith("NEWSGEN_")]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, str(value))
        return load_settings()

    return build


@pytest.fixture(scope="session")
def metric_sample_names() -> set[str]:
    """Every sample name newsgen exports (``_total`` of counters, ``_bucket``/``_sum``/``_count`` of histograms)."""
    from prometheus_client.metrics import MetricWrapperBase

    names = set(PLANNED_METRICS)
    for obj in vars(metrics).values():
        if not isinstance(obj, MetricWrapperBase):
            continue
        kind, name = obj._type, obj._name
        if kind == "counter":
            names.add(f"{name}_total")
        elif kind == "gauge":
            names.add(name)
        elif kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return names


@pytest.fixture(scope="session")
def metric_names_in():
    """The ``newsgen_*`` metric names a PromQL expression uses (recording-rule names ``newsgen:...`` excluded)."""
    return lambda expr: set(re.findall(r"\bnewsgen_[a-z0-9_]+\b", expr))
