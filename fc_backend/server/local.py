"""A backend on this machine, started on demand and reused while it lives.

`filmcomposer request` with no --server looks in a per-user runtime folder for the endpoint and pid
of a running backend, checks it answers a ping, and otherwise starts one (loopback only, any free
port) that exits by itself after a while without work. A lock keeps two bridges starting at the same
moment from starting two backends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import protocol as p
from .client import Client
from .private import open_private, read_private, runtime_dir
from .protocol import ServerError

__all__ = ["ensure_backend", "running_backend", "runtime_dir"]

#: a backend started on demand exits after this long without a client
IDLE_EXIT = 900.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_backend(folder: Path | None = None) -> tuple[str, int] | None:
    """(endpoint, pid) of a live local backend that answers a ping, or None."""
    state = (folder or runtime_dir()) / "backend.json"
    if not state.exists() and not state.is_symlink():
        return None
    try:
        info = json.loads(read_private(state))
        endpoint, pid = str(info["endpoint"]), int(info["pid"])
    except (ValueError, KeyError, TypeError):
        return None
    if info.get("version") != p.VERSION or not _alive(pid):
        return None
    try:
        with Client(endpoint, timeout=3.0) as client:
            client.ping()
    except ServerError:
        return None
    return endpoint, pid


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock; a rare double start costs one idle backend
        yield
        return
    fd = open_private(path, os.O_RDWR | os.O_CREAT)  # never truncates, never follows a planted symlink
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def ensure_backend(*, workers: int = 1, start_timeout: float = 60.0) -> str:
    """The endpoint of the local backend, starting one if none is alive."""
    folder = runtime_dir()
    with _locked(folder / "backend.lock"):
        found = running_backend(folder)
        if found:
            return found[0]
        state = folder / "backend.json"
        state.unlink(missing_ok=True)
        log_path = folder / "backend.log"
        cmd = [sys.executable, "-m", "fc_backend.server", "serve", "--bind", "tcp://127.0.0.1:*",
               "--workers", str(workers), "--state-file", str(state), "--idle-exit", str(IDLE_EXIT)]
        with os.fdopen(open_private(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND), "ab") as log:
            detach = {"start_new_session": True} if os.name == "posix" else \
                {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS}
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=True,
                                    **detach)
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            found = running_backend(folder)
            if found and found[1] == proc.pid:
                return found[0]
            time.sleep(0.1)
        if proc.poll() is None:
            proc.kill()
        raise ServerError(p.UNREACHABLE, f"the local backend did not start; see {log_path}")
