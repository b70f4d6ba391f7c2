"""Helpers for the server tests (no tests here): real `serve` processes on loopback, always stopped.

Every server is started with `tcp://127.0.0.1:*` (a free port) and a state file it writes once bound;
on exit it gets SIGTERM and the test fails if any process it started is still alive afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import zmq

from fc_backend.server.auth import keys_for, secure_client
from fc_backend.server.client import Client
from fc_backend.server.protocol import ServerError

SERVER_CMD = [sys.executable, "-m", "fc_backend.server"]


def secure(sock: zmq.Socket, endpoint: str, role: str = "client") -> None:
    """Give a bare test socket the keys `filmcomposer request` would use for `endpoint`."""
    keys = keys_for(endpoint, None)
    if keys:
        secure_client(sock, keys, role)


def descendants(pid: int) -> set[int]:
    """Every live process under `pid` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


def wait_for(predicate, timeout: float, what: str, step: float = 0.05):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@dataclass
class Server:
    proc: subprocess.Popen
    endpoint: str
    workers_endpoint: str | None
    work: Path
    log: Path
    keys: Path | None = None
    insecure: bool = False

    def client(self, **options: object) -> Client:
        return Client(self.endpoint, **{"curve_keys": self.keys, "insecure": self.insecure, **options})

    def ping(self, **options: object) -> dict:
        with self.client(timeout=5.0, **options) as client:
            return client.ping()

    def job_dirs(self) -> list[Path]:
        """Job folders on the broker and on its local workers: what a cancelled job must not leave."""
        return sorted(self.work.glob("job-*")) + sorted(self.work.glob("workers/*/job-*"))


@contextmanager
def running_server(folder: Path, *args: str, ready: int = 0, timeout: float = 60.0,
                   keys: Path | None = None, insecure: bool = False) -> Iterator[Server]:
    """`filmcomposer serve` on a free loopback port, until the block ends; then every process is gone."""
    folder.mkdir(parents=True, exist_ok=True)
    state, log = folder / "state.json", folder / "serve.log"
    cmd = [*SERVER_CMD, "serve", "--bind", "tcp://127.0.0.1:*", "--state-file", str(state),
           "--work-dir", str(folder / "work"), *(["--insecure"] if insecure else []), *args]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    tree: set[int] = set()
    try:
        def bound() -> dict | None:
            if proc.poll() is not None:
                raise AssertionError(f"serve exited with {proc.returncode}:\n{log.read_text()}")
            try:
                return json.loads(state.read_text())
            except (OSError, ValueError):
                return None
        info = wait_for(bound, timeout, "the server to bind")
        server = Server(proc, info["endpoint"], info.get("workers_endpoint"), folder / "work", log, keys,
                        insecure)

        def workers_ready() -> bool:
            try:
                return server.ping()["ready"] >= ready
            except ServerError:
                return False
        wait_for(workers_ready, timeout, f"{ready} workers", step=0.2)
        yield server
    finally:
        tree = descendants(proc.pid) | {proc.pid}
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        try:
            wait_for(lambda: not any(alive(pid) for pid in tree), 10, "the server's processes to exit")
        finally:
            for pid in tree:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)


def request(endpoint: str, *args: str) -> subprocess.Popen:
    """`filmcomposer request --server ENDPOINT --progress-json ARGS` as a separate client process."""
    cmd = [*SERVER_CMD, "request", "--server", endpoint, "--progress-json", "-q", *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)


def events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def read_events_until(proc: subprocess.Popen, predicate, timeout: float) -> list[dict]:  # noqa: ANN001
    """JSON events from a running request until one satisfies `predicate` (blocking reads)."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"request ended before the event; got {seen[-3:]}: {proc.stderr.read()}")
        if line.startswith("{"):
            seen.append(json.loads(line))
            if predicate(seen[-1]):
                return seen
    raise AssertionError(f"no matching event within {timeout} s; got {seen[-3:]}")
