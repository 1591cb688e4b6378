# newsgen CPU image: CPU workers (default CMD) and the Kafka -> Celery bridge (CMD `newsgen bridge`).
#   docker build -f ops/docker/worker.Dockerfile -t newsgen:cpu .        (context: the repository root)
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

# Editable install: templates/ and schemas/ are found next to the package (newsgen.config.ROOT = /app).
COPY . .
RUN pip install --no-deps -e . \
 && newsgen model tiny \
 && chown -R newsgen:newsgen /var/lib/newsgen

USER 10001:10001
# 9101: bridge /metrics + /healthz, 9102: worker /metrics + /healthz (NEWSGEN_BRIDGE_PORT / NEWSGEN_WORKER_PORT)
# on every interface of the container (NEWSGEN_METRICS_HOST=0.0.0.0 above; outside a container: 127.0.0.1)
EXPOSE 9101 9102
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9102/healthz', timeout=4)"]
# exec form: Celery is PID 1 and gets SIGTERM itself (warm shutdown: finish the tasks in hand, then exit)
CMD ["newsgen", "worker"]
