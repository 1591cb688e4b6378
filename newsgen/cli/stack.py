"""Run the whole pipeline on this machine: services, Celery workers and bridges as child processes.

Used by ``newsgen demo`` and the end-to-end tests. Services are started through ``ops/services.sh`` and
stopped on exit only if this stack started them.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from newsgen.config import ROOT

log = logging.getLogger("newsgen.stack")
SERVICES = ROOT / "ops" / "services.sh"


def services_running() -> bool:
    return subprocess.run(["bash", str(SERVICES), "status"], capture_output=True).returncode == 0


@dataclass
class LocalStack:
    """Context manager: ``with LocalStack(env, log_dir) as stack: ...``; children get ``env`` on top of ours."""

    env: dict[str, str]
    log_dir: Path
    workers: int = 1
    bridges: int = 1
    manage_services: bool = True
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    _started_services: bool = False

    def __enter__(self) -> "LocalStack":
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if self.manage_services and not services_running():
            log.info("starting Kafka and Redis (ops/services.sh start)")
            subprocess.run(["bash", str(SERVICES), "start"], check=True)
            self._started_services = True
        try:
            for i in range(self.workers):
                self.spawn(f"worker-{i}", ["worker", "--hostname", f"worker{i}@%h"])
            for i in range(self.bridges):
                self.spawn(f"bridge-{i}", ["bridge"])
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        """Start ``newsgen <args>`` as a child process logging to ``<log_dir>/<name>.log``."""
        out = open(self.log_dir / f"{name}.log", "ab")
        # health/metrics ports off unless asked for: several workers share this machine
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "NEWSGEN_WORKER_PORT": "0", "NEWSGEN_BRIDGE_PORT": "0",
               **self.env}
        proc = subprocess.Popen([sys.executable, "-m", "newsgen", *args], env=env, stdout=out,
                                stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
        out.close()
        self.procs[name] = proc
        log.info("%s started (pid %d, log %s)", name, proc.pid, self.log_dir / f"{name}.log")
        return proc

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout_s: float = 60) -> int | None:
        """Signal one child and wait for it (SIGKILL after ``timeout_s``); returns its exit code."""
        proc = self.procs.pop(name)
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0fs, killing", name, timeout_s)
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        return proc.returncode

    def __exit__(self, *exc) -> None:
        # bridges first (stop feeding), then workers (warm shutdown finishes the task in hand)
        for name in sorted(self.procs, key=lambda n: not n.startswith("bridge")):
            self.stop(name)
        if self._started_services:
            log.info("stopping the services this run started")
            subprocess.run(["bash", str(SERVICES), "stop"], check=False)
