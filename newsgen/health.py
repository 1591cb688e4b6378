"""A small HTTP endpoint per process: ``/metrics`` (Prometheus) and ``/healthz`` (liveness + readiness)."""
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

#: returns (healthy, details); details are shown as JSON on /healthz
HealthCheck = Callable[[], tuple[bool, dict]]


def registry() -> CollectorRegistry:
    """The process registry, or a multiprocess collector when ``PROMETHEUS_MULTIPROC_DIR`` is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
        return reg
    return REGISTRY


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def serve(port: int, check: HealthCheck, host: str = "127.0.0.1", timeout_s: float = 10.0) -> ThreadingHTTPServer:
    """Serve /metrics and /healthz on ``host:port`` from a daemon thread; returns the server.

    ``host`` is ``settings.metrics_host`` (loopback unless a container sets 0.0.0.0); a client that sends or
    reads nothing for ``timeout_s`` (``settings.metrics_timeout_s``) is dropped, so idle connections cannot
    pile up threads."""

    class Handler(BaseHTTPRequestHandler):
        timeout = timeout_s  # socket timeout of every connection (StreamRequestHandler applies it)

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            if self.path.startswith("/metrics"):
                body, status, ctype = generate_latest(registry()), 200, CONTENT_TYPE_LATEST
            elif self.path.startswith("/healthz"):
                try:
                    ok, details = check()
                except Exception as exc:  # noqa: BLE001 - a failing check is an unhealthy answer
                    ok, details = False, {"error": str(exc)}
                body, status, ctype = json.dumps({"ok": ok, **details}).encode(), 200 if ok else 503, "application/json"
            else:
                body, status, ctype = b"not found: try /metrics or /healthz\n", 404, "text/plain"
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
    log.info("serving /metrics and /healthz on %s:%d", host, server.server_address[1])
    return server
