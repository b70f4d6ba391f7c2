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
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import protocol as p
from .client import Client
from .protocol import ServerError

#: a backend started on demand exits after this long without a client
IDLE_EXIT = 900.0


def runtime_dir() -> Path:
    """$FC_RUNTIME_DIR, else $XDG_RUNTIME_DIR/filmcomposer, else a per-user folder in the temp dir."""
    base = os.environ.get("FC_RUNTIME_DIR")
    if base:
        folder = Path(base)
    elif os.environ.get("XDG_RUNTIME_DIR"):
        folder = Path(os.environ["XDG_RUNTIME_DIR"]) / "filmcomposer"
    else:
        user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
        folder = Path(tempfile.gettempdir()) / f"filmcomposer-{user}"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


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
    try:
        info = json.loads(state.read_text())
        endpoint, pid = str(info["endpoint"]), int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
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
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


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
        with open(log_path, "ab") as log:
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
