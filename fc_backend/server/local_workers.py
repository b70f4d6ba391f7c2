"""The worker processes `serve --workers N` starts on its own machine, restarted when they exit.

They are ordinary `worker --connect` processes on the broker's internal (ipc) endpoint, so the
broker treats them exactly like remote ones; only starting, replacing and stopping them is local.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .worker import worker_dir

log = logging.getLogger("filmcomposer.serve")


class LocalWorkers:
    def __init__(self, connect: str, work_dir: Path, *, heartbeat: float, timeout: float,
                 curve_keys: Path | None = None, soundfont: str | None = None) -> None:
        self.work_dir = work_dir / "workers"
        self.cmd = [sys.executable, "-m", "fc_backend.server", "worker", "--connect", connect,
                    "--work-dir", str(self.work_dir), "--heartbeat", str(heartbeat),
                    "--timeout", str(timeout), "--exit-with-parent"]
        if curve_keys:
            self.cmd += ["--curve-keys", str(curve_keys)]
        if soundfont:
            self.cmd += ["--soundfont", soundfont]
        self.procs: list[subprocess.Popen] = []

    def start(self, count: int) -> None:
        self.procs += [self._spawn() for _ in range(count)]

    def _spawn(self) -> subprocess.Popen:
        return subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL)

    def exited(self) -> list[subprocess.Popen]:
        return [proc for proc in self.procs if proc.poll() is not None]

    def replace(self, proc: subprocess.Popen) -> None:
        """Start a fresh worker in place of `proc`, which exited; sweep the folder it left."""
        log.info("restarting local worker (pid %d exited with %s)", proc.pid, proc.returncode)
        shutil.rmtree(worker_dir(self.work_dir, proc.pid), ignore_errors=True)
        self.procs[self.procs.index(proc)] = self._spawn()

    def kill(self, pid: int) -> None:
        """A local worker that hangs is replaced, not waited for."""
        for proc in self.procs:
            if proc.pid == pid and proc.poll() is None:
                proc.kill()

    def stop(self, grace: float = 5.0) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + grace
        for proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
