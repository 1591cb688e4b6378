"""ops/docker: the images build from files that exist, run as a non-root user, check /livez and start
`newsgen worker`; the GPU image swaps onnxruntime for onnxruntime-gpu. (No Docker engine here: the
Dockerfiles are checked as text.)"""
import fnmatch
import json
import re
import tomllib

import pytest

from newsgen.config import ROOT

DOCKERFILES = ["worker.Dockerfile", "worker-gpu.Dockerfile"]


def instructions(path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def dockerignored(path: str) -> bool:
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")]
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatch(prefix, pattern.removeprefix("**/")) or fnmatch.fnmatch(prefix, pattern)
               for pattern in patterns for prefix in prefixes)


@pytest.mark.parametrize("name", DOCKERFILES)
def test_image_runs_newsgen_worker_as_non_root_with_a_health_check(name, ops_dir):
    steps = instructions(ops_dir / "docker" / name)
    kinds = [k for k, _ in steps]
    user = next(args for k, args in reversed(steps) if k == "USER")
    assert user.split(":")[0] not in {"root", "0"}
    assert kinds.index("CMD") > max(i for i, k in enumerate(kinds) if k == "USER")
    cmd = next(args for k, args in steps if k == "CMD")
    assert json.loads(cmd) == ["newsgen", "worker"]       # exec form: Celery gets SIGTERM as PID 1
    healthcheck = next(args for k, args in steps if k == "HEALTHCHECK")
    assert "http://127.0.0.1:9102/livez" in healthcheck      # liveness: a Redis outage must not fail it
    run = " ".join(a for k, a in steps if k == "RUN")
    assert "pip install --no-deps /tmp/dist/newsgen-*.whl" in run and " -e " not in run
    assert "NEWSGEN_STATE_DIR=" in " ".join(a for k, a in steps if k == "ENV")
    # /metrics and /healthz default to 127.0.0.1; in a container they must answer on its address
    assert "NEWSGEN_METRICS_HOST=0.0.0.0" in " ".join(a for k, a in steps if k == "ENV").split()


def test_cpu_image_is_python_slim(ops_dir):
    steps = instructions(ops_dir / "docker" / "worker.Dockerfile")
    assert next(a for k, a in steps if k == "FROM").startswith("python:3.11-slim")
    assert "download.pytorch.org/whl/cpu" in " ".join(a for k, a in steps if k == "ARG")


def test_gpu_image_is_cuda_runtime_with_onnxruntime_gpu_only(ops_dir):
    steps = instructions(ops_dir / "docker" / "worker-gpu.Dockerfile")
    args = dict(a.split("=", 1) for k, a in steps if k == "ARG" and "=" in a)
    assert re.fullmatch(r"nvidia/cuda:[\d.]+-(cudnn-)?runtime-ubuntu[\d.]+", args["CUDA_IMAGE"])
    assert [a for k, a in steps if k == "FROM"][-1] == "${CUDA_IMAGE}"
    run = " ".join(a for k, a in steps if k == "RUN")
    assert "python3.11" in run and '"onnxruntime-gpu==${ORT_GPU_VERSION}"' in run
    assert "NEWSGEN_DEVICE=cuda" in " ".join(a for k, a in steps if k == "ENV")
    # the requirements it installs are the project's minus onnxruntime, which the filter must really match
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert [d for d in deps if d.startswith("onnxruntime")] and "startswith('onnxruntime')" in run


@pytest.mark.parametrize("name", DOCKERFILES)
def test_copied_files_exist_and_are_in_the_build_context(name, ops_dir):
    for kind, args in instructions(ops_dir / "docker" / name):
        if kind == "COPY" and not args.startswith("--from"):
            *sources, _ = [a for a in args.split() if not a.startswith("--")]
            for source in sources:
                if source != ".":
                    assert (ROOT / source).exists(), source
                    assert not dockerignored(source), f"{source} is excluded by .dockerignore"


def test_dockerignore_keeps_state_out_and_sources_in():
    for path in (".git", ".ops/models/tiny", ".venv", "tests/unit", "newsgen/__pycache__/x.pyc",
                 "bench/results/x.json"):
        assert dockerignored(path), path
    for path in ("newsgen/config.py", "workers/tasks.py", "producers/publish.py", "templates/lexicon.json",
                 "schemas/note.json", "pyproject.toml", "README.md", "ops/constraints.txt"):
        assert not dockerignored(path), path


@pytest.mark.parametrize("name", DOCKERFILES)
def test_image_installs_the_wheel_built_in_its_first_stage(name, ops_dir):
    """No editable install and no source tree in the final image: templates, schemas and example records
    come from the wheel's package data (tests/package/test_wheel.py checks that wheel)."""
    steps = instructions(ops_dir / "docker" / name)
    froms = [i for i, (k, _) in enumerate(steps) if k == "FROM"]
    assert len(froms) == 2 and steps[froms[0]][1].endswith(" AS wheel")
    build = " ".join(a for k, a in steps[froms[0]:froms[1]] if k == "RUN")
    assert "pip wheel" in build and "--no-deps" in build and "-w /dist" in build
    final = steps[froms[1]:]
    assert ("COPY", "--from=wheel /dist /tmp/dist") in final
    assert not [a for k, a in final if k == "COPY" and a.split()[0] == "."], "no source tree in the final image"
    assert "newsgen model tiny" in " ".join(a for k, a in final if k == "RUN")


@pytest.mark.parametrize("name", DOCKERFILES)
def test_models_mount_point_belongs_to_the_image_user(name, ops_dir):
    """A fresh named volume mounted at /models takes the image's /models ownership (uid 10001)."""
    steps = instructions(ops_dir / "docker" / name)
    run = " ".join(a for k, a in steps if k == "RUN")
    user = next(args for k, args in reversed(steps) if k == "USER").split(":")[0]
    assert user == "10001" and "mkdir -p /models" in run
    assert re.search(r"chown -R newsgen:newsgen [^&]*/models", run)
