"""A small HTTP endpoint per process: ``/metrics`` (Prometheus), ``/livez`` (liveness) and ``/readyz``
(readiness; ``/healthz`` is the same).

Liveness says the process is alive and its loop answers: a failing one is restarted. Readiness says it can
do its work now (Redis and Kafka reachable, the model loaded): a failing one is only taken out of service,
so a short Redis or Kafka outage never restarts a worker and reloads its model.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client import multiprocess

log = logging.getLogger("newsgen.health")

#: returns (healthy, details); details are shown as JSON on /livez, /readyz and /healthz
HealthCheck = Callable[[], tuple[bool, dict]]
READY_PATHS = ("/readyz", "/healthz")
LIVE_PATHS = ("/livez",)


def bootstrap_hosts(bootstrap: str) -> list[tuple[str, int]]:
    """``host:port`` pairs of a Kafka bootstrap list (``PROTOCOL://`` prefixes and IPv6 brackets allowed)."""
    out = []
    for item in bootstrap.split(","):
        item = item.strip().rsplit("://", 1)[-1]
        if not item:
            continue
        host, _, port = item.rpartition(":")
        out.append((host.strip("[]") or item, int(port) if port.isdigit() else 9092))
    return out


def tcp_open(host: str, port: int, timeout_s: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def kafka_reachable(bootstrap: str, timeout_s: float = 2.0) -> bool:
    """Whether a bootstrap server accepts a TCP connection within ``timeout_s`` (readiness and the CLI's
    reachability check; the clients' own state says too little while they reconnect)."""
    return any(tcp_open(h, p, timeout_s) for h, p in bootstrap_hosts(bootstrap))


def _alive() -> tuple[bool, dict]:
    return True, {"pid": os.getpid()}


def _answer(check: HealthCheck) -> tuple[bytes, int]:
    try:
        ok, details = check()
    except Exception as exc:  # noqa: BLE001 - a failing check is an unhealthy answer
        ok, details = False, {"error": str(exc)}
    return json.dumps({"ok": ok, **details}, default=str).encode(), 200 if ok else 503


def registry() -> CollectorRegistry:
    """The process registry, or a multiprocess collector when ``PROMETHEUS_MULTIPROC_DIR`` is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
        return reg
    return REGISTRY


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def serve(port: int, check: HealthCheck, host: str = "127.0.0.1", timeout_s: float = 10.0,
          live: HealthCheck | None = None) -> ThreadingHTTPServer:
    """Serve /metrics, /livez (``live``; default: the process answers) and /readyz = /healthz (``check``) on
    ``host:port`` from a daemon thread; returns the server.

    ``host`` is ``settings.metrics_host`` (loopback unless a container sets 0.0.0.0); a client that sends or
    reads nothing for ``timeout_s`` (``settings.metrics_timeout_s``) is dropped, so idle connections cannot
    pile up threads."""

    class Handler(BaseHTTPRequestHandler):
        timeout = timeout_s  # socket timeout of every connection (StreamRequestHandler applies it)

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            if self.path.startswith("/metrics"):
                body, status, ctype = generate_latest(registry()), 200, CONTENT_TYPE_LATEST
            elif self.path.split("?")[0] in READY_PATHS:
                body, status = _answer(check)
                ctype = "application/json"
            elif self.path.split("?")[0] in LIVE_PATHS:
                body, status = _answer(live or _alive)
                ctype = "application/json"
            else:
                body, status, ctype = b"not found: try /metrics, /livez, /readyz or /healthz\n", 404, "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server_class = _IPv6Server if ":" in host else ThreadingHTTPServer
    server = server_class((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name=f"health-{port}", daemon=True).start()
    log.info("serving /metrics, /livez and /readyz on %s:%d", host, server.server_address[1])
    return server
