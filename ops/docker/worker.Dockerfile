# newsgen CPU image: CPU workers (default CMD) and the Kafka -> Celery bridge (CMD `newsgen bridge`).
#   docker build -f ops/docker/worker.Dockerfile -t newsgen:cpu .        (context: the repository root)
# Stage 1: the wheel (templates, schemas and example records inside it as package data).
FROM python:3.11-slim-bookworm AS wheel
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir --disable-pip-version-check "setuptools>=68" \
 && pip wheel --no-cache-dir --disable-pip-version-check --no-deps --no-build-isolation -w /dist .

FROM python:3.11-slim-bookworm

# CPU-only PyTorch wheels: the default PyPI build drags in ~3 GB of CUDA libraries this image never uses.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONUNBUFFERED=1 \
    NEWSGEN_METRICS_HOST=0.0.0.0 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NEWSGEN_STATE_DIR=/var/lib/newsgen \
    HF_HOME=/var/lib/newsgen/hf

RUN groupadd --system --gid 10001 newsgen \
 && useradd --system --uid 10001 --gid newsgen --home-dir /var/lib/newsgen --create-home --shell /usr/sbin/nologin newsgen

WORKDIR /app

# Dependencies in their own layer (pinned by ops/constraints.txt), so a code change does not reinstall torch.
COPY pyproject.toml ./
COPY ops/constraints.txt ops/constraints.txt
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && pip install --extra-index-url "$TORCH_INDEX_URL" -c ops/constraints.txt -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The package itself from the wheel built above (no source tree in the image); /models is the mount point
# of the models volume, owned by the image's user so a fresh volume is writable by `newsgen model export`.
COPY --from=wheel /dist /tmp/dist
RUN pip install --no-deps /tmp/dist/newsgen-*.whl \
 && rm -rf /tmp/dist \
 && newsgen model tiny \
 && mkdir -p /models \
 && chown -R newsgen:newsgen /var/lib/newsgen /models

USER 10001:10001
# 9101: bridge /metrics, /livez, /readyz; 9102: worker /metrics, /livez, /readyz (NEWSGEN_BRIDGE_PORT / NEWSGEN_WORKER_PORT)
# on every interface of the container (NEWSGEN_METRICS_HOST=0.0.0.0 above; outside a container: 127.0.0.1)
EXPOSE 9101 9102
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9102/livez', timeout=4)"]
# exec form: Celery is PID 1 and gets SIGTERM itself (warm shutdown: finish the tasks in hand, then exit)
CMD ["newsgen", "worker"]
