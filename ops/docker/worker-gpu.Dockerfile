# newsgen GPU worker: CUDA runtime + cuDNN, Python 3.11, onnxruntime-gpu in place of onnxruntime.
#   docker build -f ops/docker/worker-gpu.Dockerfile -t newsgen:gpu .    (context: the repository root)
# Run it with the NVIDIA container toolkit (compose: `--profile gpu`, Kubernetes: nvidia.com/gpu).
#
# CUDA majors must agree: onnxruntime-gpu on PyPI and the default PyPI torch wheels are both CUDA 13 /
# cuDNN 9 builds; the base image provides the same runtime system-wide, so ORT's CUDA provider loads
# whatever torch was imported first. Check after a bump: `python -c "import onnxruntime as o;
# print(o.get_available_providers())"` must list CUDAExecutionProvider.
ARG CUDA_IMAGE=nvidia/cuda:13.0.2-cudnn-runtime-ubuntu22.04

# Stage 1: the wheel (pure Python: templates, schemas and example records inside it as package data).
FROM python:3.11-slim-bookworm AS wheel
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir --disable-pip-version-check "setuptools>=68" \
 && pip wheel --no-cache-dir --disable-pip-version-check --no-deps --no-build-isolation -w /dist .

FROM ${CUDA_IMAGE}

# onnxruntime-gpu releases trail onnxruntime by a few weeks: pin it on its own
ARG ORT_GPU_VERSION=1.31.1

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    NEWSGEN_METRICS_HOST=0.0.0.0 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    NEWSGEN_STATE_DIR=/var/lib/newsgen \
    HF_HOME=/var/lib/newsgen/hf \
    NEWSGEN_DEVICE=cuda

RUN apt-get update \
 && apt-get install -y --no-install-recommends python3.11 python3.11-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && python3.11 -m venv /opt/venv \
 && groupadd --system --gid 10001 newsgen \
 && useradd --system --uid 10001 --gid newsgen --home-dir /var/lib/newsgen --create-home --shell /usr/sbin/nologin newsgen

WORKDIR /app

# The project's dependencies with onnxruntime swapped for onnxruntime-gpu (both ship the `onnxruntime`
# module: never install both). torch comes from PyPI, which builds it for CUDA.
COPY pyproject.toml ./
COPY ops/constraints.txt ops/constraints.txt
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
print('\n'.join(d for d in deps if not d.startswith('onnxruntime')))" > /tmp/requirements.txt \
 && grep -v '^onnxruntime==' ops/constraints.txt > /tmp/constraints.txt \
 && pip install -c /tmp/constraints.txt -r /tmp/requirements.txt "onnxruntime-gpu==${ORT_GPU_VERSION}" \
 && python -c "import importlib.metadata as m; assert not [d for d in m.distributions() if d.metadata['Name'] == 'onnxruntime']" \
 && rm /tmp/requirements.txt /tmp/constraints.txt

# The package itself from the wheel built above (no source tree in the image); /models is the mount point
# of the models volume, owned by the image's user so a fresh volume is writable by `newsgen model export`.
COPY --from=wheel /dist /tmp/dist
RUN pip install --no-deps /tmp/dist/newsgen-*.whl \
 && rm -rf /tmp/dist \
 && newsgen model tiny \
 && mkdir -p /models \
 && chown -R newsgen:newsgen /var/lib/newsgen /models

USER 10001:10001
EXPOSE 9102
HEALTHCHECK --interval=30s --timeout=5s --start-period=300s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9102/livez', timeout=4)"]
# exec form: Celery is PID 1 and gets SIGTERM itself (warm shutdown: finish the tasks in hand, then exit)
CMD ["newsgen", "worker"]
