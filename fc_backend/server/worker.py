"""`filmcomposer worker --connect ADDR`: runs score and reroll jobs for a broker, local or remote.

The process that talks to the broker never runs the pipeline itself: its job process (runner.py)
does, so a cancel or a vanished client kills the job at once and a stuck job never stops the
heartbeats. A job's inputs are pulled from the broker and what the job wrote is pushed back (only
the files that differ from the inputs), so the worker needs no filesystem shared with anyone.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq

from . import protocol as p
from .auth import keys_for, secure_client
from .private import private_dir
from .protocol import ProtocolError, decode, encode
from .runner import JobRunner, input_dir
from .transfer import Pull, check_manifest, file_chunks, manifest, sha256_bytes

log = logging.getLogger("filmcomposer.worker")


# -- the worker --------------------------------------------------------------------------------------


#: the job kinds this worker runs, announced in every "ready"
OPS = list(p.KINDS)


@dataclass
class _Job:
    id: str
    kind: str
    dir: Path
    inputs: list[dict[str, Any]]
    clip: str | None
    options: dict[str, Any]
    max_duration: float
    pull: Pull | None
    stage: str = ""
    sent: float = 0.0


class Worker:
    def __init__(self, connect: str, *, curve_keys: Path | None = None, work_dir: Path | None = None,
                 soundfont: str | None = None, heartbeat: float = 1.0, timeout: float = 5.0,
                 exit_with_parent: bool = False, insecure: bool = False) -> None:
        self.connect = connect
        self.insecure = insecure
        self.curve_keys = curve_keys
        #: this process's own folder; a folder of a worker that died is swept by the next one to start
        self.work_dir = worker_dir(Path(work_dir) if work_dir else _default_work_dir(), os.getpid())
        self.soundfont = soundfont
        self.heartbeat = heartbeat
        self.timeout = timeout
        self.parent = os.getppid() if exit_with_parent else None
        self.job: _Job | None = None
        self.stopping = False

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: setattr(self, "stopping", True))
        private_dir(self.work_dir.parent)  # clips and artifacts wait here: this user's alone
        sweep_dead_workers(self.work_dir.parent)
        private_dir(self.work_dir)
        self.ctx = zmq.Context()
        self.runner = JobRunner(self.soundfont)
        try:
            while not self.stopping:
                self._session()
        finally:
            self._drop_job()
            self.runner.stop()
            self.ctx.destroy(linger=0)
            shutil.rmtree(self.work_dir, ignore_errors=True)
        return 0

    def _session(self) -> None:
        """One connection to the broker; returns when the broker has been silent too long."""
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.routing_id = secrets.token_bytes(8)
        self.sock.linger = 0
        self.sock.sndtimeo = int(self.timeout * 1000)
        self.sock.maxmsgsize = p.MAX_FRAME
        keys = keys_for(self.connect, self.curve_keys, insecure=self.insecure)
        if keys:
            secure_client(self.sock, keys, "worker")
        self.sock.connect(self.connect)
        self._ready()
        heard = sent = time.monotonic()
        try:
            while not self.stopping:
                poller = zmq.Poller()  # rebuilt each time: a cancel replaces the job process and its pipe
                poller.register(self.sock, zmq.POLLIN)
                conn = self.runner.conn
                poller.register(conn, zmq.POLLIN)
                events = dict(poller.poll(self.heartbeat * 250))
                if self.sock in events:
                    while self.sock.poll(0):
                        heard = time.monotonic()
                        self._on_broker(self.sock.recv_multipart())
                # a cancel above may have replaced the job process and closed `conn`: ask which first
                # (a closed pipe has no fileno); zmq reports plain fds by number
                if conn is self.runner.conn and conn.fileno() in events:
                    self._on_job_process()
                now = time.monotonic()
                if now - sent >= self.heartbeat:
                    self._send({"op": "heartbeat"})
                    sent = now
                if now - heard > self.timeout:
                    log.warning("the broker at %s is silent; reconnecting", self.connect)
                    return
                if self.parent is not None and os.getppid() != self.parent:
                    self.stopping = True
        except zmq.Again:
            log.warning("the broker at %s stopped reading; reconnecting", self.connect)
        finally:
            self._drop_job()
            self.sock.close(linger=0)

    def _send(self, msg: dict[str, Any], payload: bytes | None = None) -> None:
        self.sock.send_multipart(encode(msg, payload), copy=payload is None)

    def _on_broker(self, frames: list[bytes]) -> None:
        try:
            msg, payload = decode(frames, p.BROKER_OPS)
        except ProtocolError as err:
            log.warning("malformed message from the broker: %s", err.message)
            return
        op = msg["op"]
        if op == "job":
            self._start_job(msg)
        elif op == "chunk" and self.job and self.job.pull and msg["job"] == self.job.id:
            try:
                self.job.pull.on_chunk(msg, payload)
            except ProtocolError as err:
                self._finish_failed(p.INTERNAL, f"input transfer from the broker failed: {err.message}")
                return
            self._pull_more()
        elif op == "cancel" and self.job and msg["job"] == self.job.id:
            log.info("job %s: cancelled", self.job.id[:8])
            self._drop_job()
            self._send({"op": "cancelled", "job": msg["job"]})
            self._ready()
        elif op == "error" and msg["code"] == p.NOT_FOUND and not self.job:
            self._ready()  # the broker restarted and forgot us

    def _ready(self) -> None:
        self._send({"op": "ready", "pid": os.getpid(), "host": socket.gethostname(), "ops": OPS})

    def _start_job(self, msg: dict[str, Any]) -> None:
        if self.job is not None:
            self._send({"op": "failed", "job": msg["job"], "code": p.INTERNAL,
                        "message": "worker already busy"})
            return
        kind = msg.get("kind", "score")
        try:
            if kind == "score":
                inputs = check_manifest(msg.get("files") or [msg.get("video")], limit=1 << 40)
                if len(inputs) != 1:
                    raise ProtocolError(p.BAD_REQUEST, "a score job has one input, the clip")
                options = p.score_options(msg["options"])
                clip = inputs[0]["name"]
            elif kind == "reroll":
                inputs = check_manifest(msg.get("files"), limit=1 << 40)
                options = p.reroll_options(msg["options"])
                clip = next((f["name"] for f in inputs if f["name"] not in p.REROLL_JSON), None)
            else:
                raise ProtocolError(p.BAD_REQUEST, f"this worker does not run {str(kind)[:40]!r} jobs")
            if any("/" in f["name"] for f in inputs) or (kind == "score" and inputs[0]["size"] <= 0):
                raise ProtocolError(p.BAD_REQUEST, "bad input description")
        except ProtocolError as err:
            self._send({"op": "failed", "job": msg["job"], "code": p.INTERNAL, "message": err.message})
            self._ready()
            return
        folder = Path(tempfile.mkdtemp(prefix="job-", dir=private_dir(self.work_dir)))
        pull = Pull(msg["job"], inputs, input_dir(kind, folder))
        self.job = _Job(msg["job"], kind, folder, inputs, clip, options, msg["max_duration"], pull)
        log.info("job %s: %s, fetching %d bytes", self.job.id[:8], kind, pull.total_bytes)
        self._pull_more()

    def _pull_more(self) -> None:
        job = self.job
        for request in job.pull.requests():
            self._send(request)
        if job.pull.done:
            job.pull.close()
            job.pull = None
            self.runner.run(job.kind, job.dir, job.clip, job.options, job.max_duration)

    def _on_job_process(self) -> None:
        try:
            event = self.runner.conn.recv()
        except (EOFError, OSError):
            self.runner.proc.join(1)
            code = self.runner.proc.exitcode
            self.runner.restart()
            if self.job:
                self._finish_failed(p.INTERNAL, f"the job process died (exit code {code})", restart=False)
            return
        if not self.job:
            return
        kind = event[0]
        if kind == "progress":
            _, stage, fraction = event
            now = time.monotonic()
            if stage != self.job.stage or fraction >= 1.0 or now - self.job.sent >= 0.1:
                self.job.stage, self.job.sent = stage, now
                self._send({"op": "progress", "job": self.job.id, "stage": stage,
                            "fraction": float(fraction)})
        elif kind == "done":
            self._push_artifacts(event[1])
        elif kind == "failed":
            self._finish_failed(event[1], event[2], restart=False)

    def _push_artifacts(self, summary: dict[str, Any]) -> None:
        """Send what the job wrote, but the clip and any input it left as it was, and say finished."""
        job = self.job
        out = job.dir / "out"
        given = {(f["name"], f["sha256"]) for f in job.inputs}
        files = [f for f in manifest(out, exclude=(job.clip,) if job.clip else ())
                 if (f["name"], f["sha256"]) not in given]
        self._send({"op": "artifacts", "job": job.id, "files": files})
        for entry in files:
            for offset, data in file_chunks(out / entry["name"]):
                self._send({"op": "chunk", "job": job.id, "name": entry["name"], "offset": offset,
                            "sha256": sha256_bytes(data)}, data)
        self._send({"op": "finished", "job": job.id, "summary": summary})
        log.info("job %s: finished, %d files sent", job.id[:8], len(files))
        self._clear_job()
        self._ready()

    def _finish_failed(self, code: str, message: str, *, restart: bool = True) -> None:
        job_id = self.job.id
        if restart:
            self._drop_job()
        else:
            self._clear_job()
        self._send({"op": "failed", "job": job_id, "code": code, "message": message})
        self._ready()

    def _drop_job(self) -> None:
        """Abandon the current job: kill its process if it was running, delete its files."""
        if self.job is None:
            return
        if self.job.pull is None and not self.stopping:  # the job process has it
            self.runner.restart()
        self._clear_job()

    def _clear_job(self) -> None:
        if self.job is not None:
            if self.job.pull is not None:
                self.job.pull.close()
            shutil.rmtree(self.job.dir, ignore_errors=True)
            self.job = None


def _default_work_dir() -> Path:
    """A per-user folder in the temp dir: the shared temp dir itself would let anyone plant worker-PID."""
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return Path(tempfile.gettempdir()) / f"filmcomposer-worker-{user}"


def worker_dir(parent: Path, pid: int) -> Path:
    return parent / f"worker-{pid}"


def sweep_dead_workers(parent: Path) -> None:
    """Remove the folders of workers on this machine that no longer run (killed, crashed)."""
    if not parent.is_dir():
        return
    for folder in parent.glob("worker-*"):
        pid = folder.name.removeprefix("worker-")
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def work(connect: str, **options: Any) -> int:
    """Run a worker in this process until it is stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s filmcomposer worker: %(message)s")
    return Worker(connect, **options).run()
