"""Upgrading a model as the README's "Upgrading a model without downtime" says, on the real broker and Redis.

Step 1: ``newsgen model export <model> <new dir>``; step 2: ``NEWSGEN_MODEL=<new dir>`` and (re)start the
workers; step 3: the notes' provenance names the backend. Then the same export with PyTorch forced (the
export carries its weights), and an export made with ``--no-torch-fallback``: a worker forced onto PyTorch
refuses to start with one line and a non-zero exit.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from newsgen.cli.stack import LocalStack
from newsgen.config import ROOT
from newsgen.routing import RecordRouter
from producers.publish import EXAMPLES_DIR, RecordPublisher, read_lines
from workers.topics import ensure_topics, read_messages

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("services")]


def newsgen(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "newsgen", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def export(src, out, *flags: str) -> dict:
    """README step 1."""
    done = newsgen("model", "export", str(src), str(out), *flags)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def notes_from_worker(env: dict[str, str], settings, log_dir, timeout_s: float = 120) -> list[dict]:
    """README step 2 (a worker and a bridge with ``env``), one record published; the notes read back.

    The fact check is off: the random-weights tiny model writes no true facts, and with the check on every
    note would be the template's (``backend: template``), which would not say which backend ran."""
    env = {**env, "NEWSGEN_FACT_CHECK": "false"}
    line = next(read_lines(EXAMPLES_DIR / "football.jsonl"))
    keys = {t.key for t in RecordRouter(settings).route(line).tasks}
    ensure_topics(settings)
    with LocalStack(env, log_dir, manage_services=False):
        publisher = RecordPublisher(settings)
        try:
            publisher.publish([line])
        finally:
            publisher.close()
        notes = [m.value for m in read_messages(settings, settings.notes_topic, count=len(keys), timeout_s=timeout_s)]
    logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in sorted(log_dir.glob("*.log")))
    assert {n["key"] for n in notes} == keys, logs
    assert any(not n["provenance"]["fallback"] for n in notes), logs
    return [n for n in notes if not n["provenance"]["fallback"]]


def test_worker_runs_a_new_export_on_onnx_and_on_forced_pytorch(tiny_model_dir, pipeline_env, pipeline_settings,
                                                              tmp_path, monkeypatch):
    new = tmp_path / "models" / "tiny-fp32"               # a new directory, as the README asks
    manifest = export(tiny_model_dir, new)
    assert manifest["torch_fallback"] is True and (new / "model.safetensors").is_file()
    assert manifest["source"] == str(tiny_model_dir)

    env = {**pipeline_env, "NEWSGEN_MODEL": str(new)}
    notes = notes_from_worker(env, pipeline_settings, tmp_path / "logs-onnx")
    assert {n["provenance"]["backend"] for n in notes} == {"onnx"}

    # the same export, PyTorch forced: a new record id so the note is new
    forced = {**env, "NEWSGEN_BACKEND": "torch", "NEWSGEN_NOTES_TOPIC": pipeline_env["NEWSGEN_NOTES_TOPIC"] + "-torch",
              "NEWSGEN_CELERY_QUEUE": pipeline_env["NEWSGEN_CELERY_QUEUE"] + "-torch",
              "NEWSGEN_CONSUMER_GROUP": pipeline_env["NEWSGEN_CONSUMER_GROUP"] + "-torch",
              "NEWSGEN_RECORDS_TOPIC": pipeline_env["NEWSGEN_RECORDS_TOPIC"] + "-torch"}
    for k, v in forced.items():
        monkeypatch.setenv(k, v)
    from newsgen.config import load_settings

    notes = notes_from_worker(forced, load_settings(), tmp_path / "logs-torch")
    assert {n["provenance"]["backend"] for n in notes} == {"torch"}
    assert {n["provenance"]["model"] for n in notes} == {str(new)}

    # an export of the export (it carries its weights) names the original model
    again = export(new, tmp_path / "models" / "tiny-int8", "--precision", "int8")
    assert again["source"] == str(tiny_model_dir) and again["precision"] == "int8"


def test_export_without_fallback_refuses_a_forced_pytorch_worker_in_one_line(tiny_model_dir, pipeline_env,
                                                                           tmp_path):
    new = tmp_path / "models" / "tiny-onnx-only"
    manifest = export(tiny_model_dir, new, "--no-torch-fallback")
    assert manifest["torch_fallback"] is False and not (new / "model.safetensors").exists()

    done = newsgen("worker", env={**pipeline_env, "NEWSGEN_MODEL": str(new), "NEWSGEN_BACKEND": "torch",
                                  "COLUMNS": "400"}, timeout=60)
    out = (done.stdout + done.stderr).strip()
    assert done.returncode != 0
    assert len(out.splitlines()) == 1, out
    assert "without PyTorch weights" in out and str(new) in out

    # and it cannot be the source of another export either
    done = newsgen("model", "export", str(new), str(tmp_path / "models" / "again"), env={"COLUMNS": "400"})
    assert done.returncode != 0 and "without PyTorch weights" in done.stdout + done.stderr
