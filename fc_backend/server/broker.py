"""`filmcomposer serve`: a ROUTER for clients, a ROUTER for workers, and the jobs between them.

The load-balancing broker of the ZeroMQ guide: workers (local processes it starts, and remote
machines running `filmcomposer worker --connect`) say "ready", and each queued job goes to the worker
that has waited longest. The broker stores the upload and the artifacts, so clients and workers
never share a filesystem. One thread, one poll loop, non-blocking sends: a slow or hostile peer can
lose its own messages but never stall anyone else's.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zmq

from ..errors import InputError
from . import protocol as p
from .auth import secure_server, start_authenticator
from .protocol import ProtocolError, decode, encode, error
from .transfer import IncomingFile, check_fetch, check_manifest, chunk_reply
from .worker import worker_dir

log = logging.getLogger("filmcomposer.serve")

#: cap on the artifacts of one job, all files together
MAX_RESULT = 8 << 30
#: finished and failed jobs remembered for `status`
TOMBSTONES = 512
WORKER_ERRORS = {p.INPUT, p.TOO_LONG, p.BACKEND, p.INTERNAL}


@dataclass
class ServeSettings:
    """Everything `filmcomposer serve` can be told; the defaults suit one laptop."""

    bind: str = "tcp://127.0.0.1:5555"
    workers: int = 1
    workers_bind: str | None = None
    curve_keys: Path | None = None
    insecure: bool = False
    queue: int = 16
    max_upload: int = 2048 << 20
    max_duration: float = 1800.0
    heartbeat: float = 1.0
    timeout: float = 5.0
    retries: int = 1
    job_timeout: float = 3600.0
    keep_results: float = 600.0
    work_dir: Path | None = None
    state_file: Path | None = None
    idle_exit: float | None = None
    soundfont: str | None = None

    def check(self) -> None:
        """Refuse, before binding anything, an exposed port that no key protects."""
        for endpoint in (self.bind, self.workers_bind):
            if endpoint and not p.is_local_endpoint(endpoint) and not self.curve_keys and not self.insecure:
                raise InputError(endpoint, "not a loopback address; give --curve-keys DIR "
                                 "(see --make-keys) or, on a trusted network only, --insecure")
        if self.workers < 0 or self.queue < 0 or self.retries < 0:
            raise InputError("--workers/--queue/--retries", "must not be negative")
        if self.timeout <= self.heartbeat:
            raise InputError("--timeout", "must be longer than --heartbeat")


@dataclass
class Job:
    id: str
    client: bytes
    dir: Path
    video_name: str
    size: int
    options: dict[str, Any]
    state: str = "uploading"  # uploading -> queued -> running -> done
    upload: IncomingFile | None = None
    video_sha: str = ""
    worker: bytes | None = None
    attempts: int = 0
    stage: str = ""
    fraction: float = 0.0
    incoming: dict[str, IncomingFile] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    started: float = 0.0
    touched: float = field(default_factory=time.monotonic)
    forwarded: float = 0.0


@dataclass
class WorkerInfo:
    identity: bytes
    pid: int
    host: str
    seen: float
    job: str | None = None


class Broker:
    def __init__(self, settings: ServeSettings) -> None:
        settings.check()
        self.s = settings
        self.jobs: dict[str, Job] = {}
        self.queue: deque[str] = deque()
        self.workers: dict[bytes, WorkerInfo] = {}
        self.ready: deque[bytes] = deque()
        self.clients: dict[bytes, float] = {}
        self.tombstones: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.local: list[subprocess.Popen] = []
        self.stopping = False
        self.last_activity = time.monotonic()
        self._last_beat = 0.0

    # -- lifecycle -------------------------------------------------------------------------------

    def run(self) -> int:
        """Bind, start the local workers, serve until SIGTERM/SIGINT (or idle exit), clean up."""
        self._own_work_dir = self.s.work_dir is None
        self.work_dir = Path(self.s.work_dir or tempfile.mkdtemp(prefix="filmcomposer-serve-"))
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._sock_dir = Path(tempfile.mkdtemp(prefix="fc-"))  # short: ipc paths are limited to ~100 chars
        self.ctx = zmq.Context()
        self.auth = start_authenticator(self.ctx, self.s.curve_keys) if self.s.curve_keys else None
        try:
            self.front = self._router(self.s.bind, "client")
            internal = f"ipc://{self._sock_dir}/workers" if zmq.has("ipc") else "tcp://127.0.0.1:*"
            self.back = self._router(internal, "worker")
            self.internal = self.back.getsockopt_string(zmq.LAST_ENDPOINT)
            self.workers_endpoint = None
            if self.s.workers_bind:
                try:
                    self.back.bind(self.s.workers_bind)
                except zmq.ZMQError as err:
                    raise InputError(self.s.workers_bind, f"cannot bind ({err})") from None
                self.workers_endpoint = self.back.getsockopt_string(zmq.LAST_ENDPOINT)
            self.endpoint = self.front.getsockopt_string(zmq.LAST_ENDPOINT)
            self._install_signals()
            for _ in range(self.s.workers):
                self.local.append(self._start_local_worker())
            self._write_state()
            log.info("serving on %s (%d local workers%s)", self.endpoint, self.s.workers,
                     f", remote workers on {self.workers_endpoint}" if self.workers_endpoint else "")
            self._loop()
        finally:
            self._shutdown()
        return 0

    def _router(self, endpoint: str, role: str) -> zmq.Socket:
        sock = self.ctx.socket(zmq.ROUTER)
        sock.linger = 0
        sock.router_mandatory = True  # an unroutable reply raises instead of vanishing
        sock.maxmsgsize = p.MAX_FRAME
        sock.sndhwm = sock.rcvhwm = 1000
        if self.s.curve_keys:
            secure_server(sock, self.s.curve_keys, role)
        try:
            sock.bind(endpoint)
        except zmq.ZMQError as err:
            sock.close()
            raise InputError(endpoint, f"cannot bind ({err})") from None
        return sock

    def _install_signals(self) -> None:
        def stop(_signum: int, _frame: Any) -> None:
            self.stopping = True
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, stop)

    def _write_state(self) -> None:
        if self.s.state_file:
            tmp = self.s.state_file.with_suffix(".tmp")
            tmp.write_text(json.dumps({"endpoint": self.endpoint, "workers_endpoint": self.workers_endpoint,
                                       "pid": os.getpid(), "version": p.VERSION}))
            os.replace(tmp, self.s.state_file)

    def _start_local_worker(self) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "fc_backend.server", "worker", "--connect", self.internal,
               "--work-dir", str(self.work_dir / "workers"), "--heartbeat", str(self.s.heartbeat),
               "--timeout", str(self.s.timeout), "--exit-with-parent"]
        if self.s.curve_keys:
            cmd += ["--curve-keys", str(self.s.curve_keys)]
        if self.s.soundfont:
            cmd += ["--soundfont", self.s.soundfont]
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL)

    def _shutdown(self) -> None:
        for proc in self.local:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 5
        for proc in self.local:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for job in list(self.jobs.values()):
            self._remove(job)
        if self.auth:
            self.auth.stop()
        self.ctx.destroy(linger=0)
        shutil.rmtree(self._sock_dir, ignore_errors=True)
        if self._own_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)
        if self.s.state_file:
            self.s.state_file.unlink(missing_ok=True)
        log.info("stopped")

    # -- the loop --------------------------------------------------------------------------------

    def _loop(self) -> None:
        poller = zmq.Poller()
        poller.register(self.front, zmq.POLLIN)
        poller.register(self.back, zmq.POLLIN)
        tick = max(0.02, self.s.heartbeat / 4)
        next_tick = 0.0
        while not self.stopping:
            events = dict(poller.poll(tick * 1000))
            # Bounded batches per socket keep one flooding side from starving the other.
            for sock, handler in ((self.front, self._on_client), (self.back, self._on_worker)):
                for _ in range(200 if sock in events else 0):
                    try:
                        frames = sock.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    if len(frames) < 2:
                        continue
                    self._guard(handler, frames[0], frames[1:])
            if time.monotonic() >= next_tick:
                next_tick = time.monotonic() + tick
                self._guard(lambda *_: self._tick(time.monotonic()), b"", [])

    def _guard(self, handler: Any, identity: bytes, frames: list[bytes]) -> None:
        """Run a handler; a bug in one must never take the whole server down."""
        try:
            handler(identity, frames)
        except Exception:  # noqa: BLE001 - logged with its traceback, the loop goes on
            log.exception("internal error while handling a message")
            if identity and frames is not None and handler == self._on_client:
                self._send(self.front, identity, error(p.INTERNAL, "internal server error; see the log"))

    def _send(self, sock: zmq.Socket, identity: bytes, msg: dict[str, Any],
              payload: bytes | None = None) -> bool:
        try:
            sock.send_multipart([identity, *encode(msg, payload)], zmq.NOBLOCK, copy=payload is None)
            return True
        except zmq.ZMQError:  # gone (EHOSTUNREACH) or not reading (EAGAIN): its loss, not ours
            return False

    # -- clients ---------------------------------------------------------------------------------

    def _on_client(self, identity: bytes, frames: list[bytes]) -> None:
        now = time.monotonic()
        self.clients[identity] = now
        self.last_activity = now
        msg: dict[str, Any] = {}
        try:
            msg, payload = decode(frames, p.CLIENT_OPS)
            reply = getattr(self, f"_client_{msg['op']}")(identity, msg, payload)
        except ProtocolError as err:
            reply = error(err.code, err.message, **err.msg)
        if reply is not None:
            if "rid" in msg:
                reply.setdefault("rid", msg["rid"])
            self._send(self.front, identity, reply)

    def _client_ping(self, identity: bytes, msg: dict, payload: Any) -> dict:
        running = sum(1 for j in self.jobs.values() if j.state == "running")
        return {"op": "pong", "version": p.VERSION, "workers": len(self.workers), "ready": len(self.ready),
                "jobs": len(self.jobs), "queued": len(self.queue), "running": running}

    def _client_heartbeat(self, identity: bytes, msg: dict, payload: Any) -> None:
        return None

    def _client_score(self, identity: bytes, msg: dict, payload: Any) -> dict:
        video = msg["video"]
        size = video.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise ProtocolError(p.BAD_REQUEST, "video.size must be a positive integer")
        if size > self.s.max_upload:
            raise ProtocolError(p.TOO_LARGE, f"the video is {size / 1e6:.1f} MB; this server accepts at most "
                                f"{self.s.max_upload / 1e6:.1f} MB")
        suffix = p.video_suffix(video.get("suffix"))
        options = p.score_options(msg["options"])
        pending = sum(1 for j in self.jobs.values() if j.state in ("uploading", "queued"))
        if pending >= self.s.queue:
            raise ProtocolError(p.BUSY, f"the server is busy ({pending} jobs waiting); try again later")
        job_id = secrets.token_hex(16)
        folder = Path(tempfile.mkdtemp(prefix="job-", dir=self.work_dir))
        job = Job(job_id, identity, folder, f"video{suffix}", size, options)
        job.upload = IncomingFile(folder / "input" / job.video_name, size)
        self.jobs[job_id] = job
        log.info("job %s: accepted, %d bytes", job_id[:8], size)
        return {"op": "accepted", "job": job_id, "chunk_size": p.CHUNK_SIZE, "window": p.WINDOW}

    def _owned(self, identity: bytes, msg: dict, *states: str) -> Job:
        job = self.jobs.get(msg["job"])
        if job is None or job.client != identity:
            raise ProtocolError(p.NOT_FOUND, "no such job on this connection", {"job": msg["job"]})
        if states and job.state not in states:
            raise ProtocolError(p.BAD_REQUEST, f"{msg['op']}: the job is {job.state}", {"job": job.id})
        return job

    def _client_chunk(self, identity: bytes, msg: dict, payload: bytes) -> dict | None:
        job = self._owned(identity, msg, "uploading")
        try:
            job.upload.add(msg["offset"], payload, msg["sha256"])
        except ProtocolError as err:
            self._fail(job, err.code, f"upload: {err.message}")
            return None
        return {"op": "chunk_ok", "job": job.id, "offset": msg["offset"]}

    def _client_upload_end(self, identity: bytes, msg: dict, payload: Any) -> dict | None:
        job = self._owned(identity, msg, "uploading")
        try:
            job.upload.finish(p.check_sha256(msg["sha256"]))
        except ProtocolError as err:
            self._fail(job, err.code, f"upload: {err.message}")
            return None
        job.video_sha = msg["sha256"]
        job.state = "queued"
        self.queue.append(job.id)
        self._dispatch()
        position = self.queue.index(job.id) + 1 if job.id in self.queue else 0
        return {"op": "queued", "job": job.id, "position": position}

    def _client_fetch(self, identity: bytes, msg: dict, payload: Any) -> dict | None:
        job = self._owned(identity, msg, "done")
        entry = next((f for f in job.files if f["name"] == msg["name"]), None)
        if entry is None:
            raise ProtocolError(p.NOT_FOUND, "no such file in the result", {"job": job.id})
        check_fetch(msg, entry["size"])
        job.touched = time.monotonic()
        head, data = chunk_reply(job.id, entry["name"], job.dir / "out" / entry["name"], msg["offset"],
                                 msg["length"])
        self._send(self.front, identity, head, data)
        return None

    def _client_release(self, identity: bytes, msg: dict, payload: Any) -> dict:
        job = self._owned(identity, msg, "done")
        self._remove(job)
        return {"op": "released", "job": job.id}

    def _client_status(self, identity: bytes, msg: dict, payload: Any) -> dict:
        job = self.jobs.get(msg["job"])
        if job is None:
            if msg["job"] in self.tombstones:
                return {"op": "status", "job": msg["job"], **self.tombstones[msg["job"]]}
            raise ProtocolError(p.NOT_FOUND, "no such job", {"job": msg["job"]})
        position = self.queue.index(job.id) + 1 if job.id in self.queue else 0
        worker = self.workers.get(job.worker) if job.worker else None
        return {"op": "status", "job": job.id, "state": job.state, "stage": job.stage,
                "fraction": job.fraction, "position": position, "attempts": job.attempts,
                "worker": f"{worker.host}:{worker.pid}" if worker else ""}

    def _client_cancel(self, identity: bytes, msg: dict, payload: Any) -> dict:
        """Anyone holding the job id may cancel it (the id is an unguessable 128-bit token)."""
        job = self.jobs.get(msg["job"])
        if job is None:
            raise ProtocolError(p.NOT_FOUND, "no such job (finished, cancelled or never existed)",
                                {"job": msg["job"]})
        self._fail(job, p.CANCELLED, "the job was cancelled", state="cancelled")
        return {"op": "cancelled", "job": msg["job"]}

    # -- workers ---------------------------------------------------------------------------------

    def _on_worker(self, identity: bytes, frames: list[bytes]) -> None:
        try:
            msg, payload = decode(frames, p.WORKER_OPS)
        except ProtocolError as err:
            log.warning("malformed message from a worker: %s", err.message)
            return
        worker = self.workers.get(identity)
        if worker is None and msg["op"] != "ready":
            self._send(self.back, identity, error(p.NOT_FOUND, "unknown worker; say ready first"))
            return
        if worker is not None:
            worker.seen = time.monotonic()
        if msg["op"] in ("ready", "heartbeat"):
            if msg["op"] == "ready":
                self._worker_ready(identity, msg)
            return
        job = self.jobs.get(msg["job"])
        if job is None or job.worker != identity:
            return  # a job cancelled or reassigned meanwhile: its late messages mean nothing now
        try:
            getattr(self, f"_worker_{msg['op']}")(worker, job, msg, payload)
        except ProtocolError as err:
            self._fail(job, p.INTERNAL, f"the worker sent a bad {msg['op']}: {err.message}")

    def _worker_ready(self, identity: bytes, msg: dict) -> None:
        worker = self.workers.get(identity)
        if worker is None:
            worker = WorkerInfo(identity, msg["pid"], msg["host"][:100], time.monotonic())
            self.workers[identity] = worker
            log.info("worker %s:%d joined (%d workers)", worker.host, worker.pid, len(self.workers))
        elif worker.job and worker.job in self.jobs:
            self._job_lost(self.jobs[worker.job], "the worker restarted during the job")
        worker.job = None
        if identity not in self.ready:
            self.ready.append(identity)
        self._dispatch()

    def _worker_fetch(self, worker: WorkerInfo, job: Job, msg: dict, payload: Any) -> None:
        if msg["name"] != job.video_name:
            raise ProtocolError(p.NOT_FOUND, "a worker may fetch only its job's video")
        check_fetch(msg, job.size)
        head, data = chunk_reply(job.id, job.video_name, job.dir / "input" / job.video_name,
                                 msg["offset"], msg["length"])
        self._send(self.back, worker.identity, head, data)

    def _worker_progress(self, worker: WorkerInfo, job: Job, msg: dict, payload: Any) -> None:
        now = time.monotonic()
        stage, fraction = msg["stage"][:40], min(max(msg["fraction"], 0.0), 1.0)
        changed = stage != job.stage
        job.stage, job.fraction = stage, fraction
        if changed or fraction >= 1.0 or now - job.forwarded >= 0.1:
            job.forwarded = now
            self._send(self.front, job.client,
                       {"op": "progress", "job": job.id, "stage": stage, "fraction": fraction})

    def _worker_artifacts(self, worker: WorkerInfo, job: Job, msg: dict, payload: Any) -> None:
        files = check_manifest(msg["files"], limit=MAX_RESULT)
        out = job.dir / "out"
        shutil.rmtree(out, ignore_errors=True)
        self._close_incoming(job)
        job.files = files
        job.incoming = {f["name"]: IncomingFile(out / f["name"], f["size"], f["sha256"]) for f in files}

    def _worker_chunk(self, worker: WorkerInfo, job: Job, msg: dict, payload: bytes) -> None:
        incoming = job.incoming.get(msg["name"])
        if incoming is None:
            raise ProtocolError(p.BAD_REQUEST, f"chunk of unlisted file {msg['name']!r}")
        incoming.add(msg["offset"], payload, msg["sha256"])
        if incoming.complete:
            incoming.finish()

    def _worker_finished(self, worker: WorkerInfo, job: Job, msg: dict, payload: Any) -> None:
        if not job.files:
            raise ProtocolError(p.BAD_REQUEST, "finished without sending any artifacts")
        for incoming in job.incoming.values():
            incoming.finish()  # raises if a file is short or does not match its checksum
        job.incoming = {}
        job.state, job.worker, worker.job = "done", None, None
        job.touched = time.monotonic()
        summary = msg["summary"] if len(json.dumps(msg["summary"])) < 8000 else {}
        log.info("job %s: done after %d attempt(s)", job.id[:8], job.attempts)
        self._send(self.front, job.client, {"op": "result", "job": job.id, "files": job.files,
                                            "summary": summary, "video": job.video_name,
                                            "attempts": job.attempts})

    def _worker_failed(self, worker: WorkerInfo, job: Job, msg: dict, payload: Any) -> None:
        worker.job = job.worker = None
        code = msg["code"] if msg["code"] in WORKER_ERRORS else p.INTERNAL
        self._fail(job, code, msg["message"])

    def _worker_cancelled(self, worker: WorkerInfo, job: Job, msg: dict, payload: Any) -> None:
        worker.job = job.worker = None

    def _dispatch(self) -> None:
        while self.queue and self.ready:
            identity = self.ready.popleft()
            worker = self.workers.get(identity)
            if worker is None or worker.job is not None:
                continue
            job = self.jobs[self.queue.popleft()]
            job.state, job.worker, job.stage, job.fraction = "running", identity, "", 0.0
            job.attempts += 1
            job.started = time.monotonic()
            worker.job = job.id
            self._send(self.back, identity, {
                "op": "job", "job": job.id, "options": job.options, "max_duration": self.s.max_duration,
                "video": {"name": job.video_name, "size": job.size, "sha256": job.video_sha}})
            log.info("job %s: attempt %d on worker %s:%d", job.id[:8], job.attempts, worker.host, worker.pid)

    # -- endings ---------------------------------------------------------------------------------

    def _fail(self, job: Job, code: str, message: str, *, state: str = "failed") -> None:
        """End `job` with its one error: tell the client, stop the worker, delete the files."""
        log.info("job %s: %s (%s)", job.id[:8], message, code)
        self._send(self.front, job.client, error(code, message, job=job.id))
        if job.worker is not None:
            self._send(self.back, job.worker, {"op": "cancel", "job": job.id})
            # The worker stays busy until it answers "cancelled"/"ready" (its child is being replaced).
        self._remove(job, state=state, code=code, message=message)

    def _job_lost(self, job: Job, why: str) -> None:
        """The worker vanished: retry on another one while retries remain, else fail the job."""
        job.worker = None
        self._close_incoming(job)
        if job.attempts <= self.s.retries:
            log.warning("job %s: %s; retrying", job.id[:8], why)
            job.state = "queued"
            self.queue.appendleft(job.id)
            self._send(self.front, job.client,
                       {"op": "progress", "job": job.id, "stage": "retry", "fraction": 0.0})
            self._dispatch()
        else:
            self._fail(job, p.WORKER_LOST, why)

    def _remove(self, job: Job, *, state: str = "done", code: str = "", message: str = "") -> None:
        if job.upload:
            job.upload.close()
        self._close_incoming(job)
        shutil.rmtree(job.dir, ignore_errors=True)
        self.jobs.pop(job.id, None)
        if job.id in self.queue:
            self.queue.remove(job.id)
        worker = self.workers.get(job.worker) if job.worker else None
        if worker is not None and worker.job == job.id and state == "done":
            worker.job = None
        self.tombstones[job.id] = {"state": state, "code": code, "message": message}
        while len(self.tombstones) > TOMBSTONES:
            self.tombstones.popitem(last=False)

    @staticmethod
    def _close_incoming(job: Job) -> None:
        for incoming in job.incoming.values():
            incoming.close()
        job.incoming = {}

    # -- time ------------------------------------------------------------------------------------

    def _tick(self, now: float) -> None:
        beat = now - self._last_beat >= self.s.heartbeat
        if beat:
            self._last_beat = now
            for identity in self.workers:
                self._send(self.back, identity, {"op": "heartbeat"})
            for client in {j.client for j in self.jobs.values()}:
                self._send(self.front, client, {"op": "heartbeat"})
        self._check_local_workers()
        for worker in [w for w in self.workers.values() if now - w.seen > self.s.timeout]:
            self._worker_gone(worker, "the worker stopped answering")
        for job in list(self.jobs.values()):
            if now - self.clients.get(job.client, 0.0) > self.s.timeout:
                self._fail(job, p.CLIENT_LOST, "the client stopped answering", state="cancelled")
            elif job.state == "uploading" and now - job.touched > self.s.job_timeout:
                self._fail(job, p.TIMEOUT, f"the upload took longer than {self.s.job_timeout:g} s")
            elif job.state == "running" and now - job.started > self.s.job_timeout:
                self._fail(job, p.TIMEOUT, f"the job ran longer than {self.s.job_timeout:g} s")
            elif job.state == "done" and now - job.touched > self.s.keep_results:
                self._remove(job, state="expired")
        busy = {j.client for j in self.jobs.values()}
        for client, seen in list(self.clients.items()):
            if now - seen > self.s.timeout and client not in busy:
                del self.clients[client]
        if self.s.idle_exit and not self.jobs and now - self.last_activity > self.s.idle_exit:
            log.info("idle for %g s; exiting", self.s.idle_exit)
            self.stopping = True

    def _worker_gone(self, worker: WorkerInfo, why: str) -> None:
        log.warning("worker %s:%d lost: %s", worker.host, worker.pid, why)
        self.workers.pop(worker.identity, None)
        if worker.identity in self.ready:
            self.ready.remove(worker.identity)
        if worker.job and worker.job in self.jobs:
            self._job_lost(self.jobs[worker.job], f"{why} (worker {worker.host}:{worker.pid})")
        for proc in self.local:  # a local worker that hangs is replaced, not waited for
            if proc.pid == worker.pid and proc.poll() is None:
                proc.kill()

    def _check_local_workers(self) -> None:
        for i, proc in enumerate(self.local):
            if proc.poll() is None or self.stopping:
                continue
            for worker in [w for w in self.workers.values() if w.pid == proc.pid]:
                self._worker_gone(worker, f"the worker process exited ({proc.returncode})")
            log.info("restarting local worker (pid %d exited with %s)", proc.pid, proc.returncode)
            shutil.rmtree(worker_dir(self.work_dir / "workers", proc.pid), ignore_errors=True)
            self.local[i] = self._start_local_worker()


def serve(settings: ServeSettings) -> int:
    """Run the broker in this process until it is stopped."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s filmcomposer serve: %(message)s")
    return Broker(settings).run()
