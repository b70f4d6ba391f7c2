"""`filmcomposer serve`: a ROUTER for clients, a ROUTER for workers, and the messages between them.

The load-balancing broker of the ZeroMQ guide: workers (local processes it starts, and remote
machines running `filmcomposer worker --connect`) say "ready", and each queued job goes to the idle
worker that has waited longest among those that run its kind (score, reroll). The broker stores the
uploads and the artifacts, so clients and workers never share a filesystem. One thread, one poll
loop, non-blocking sends: a slow or hostile peer can lose its own messages but never stall anyone
else's. The tables of jobs and workers live in jobs.py; this module is the sockets and the rules.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import zmq

from ..errors import InputError
from . import protocol as p
from .auth import secure_server, start_authenticator, user_keys
from .jobs import Job, JobBook, WorkerInfo, WorkerPool, worker_ops
from .local_workers import LocalWorkers
from .private import private_dir, write_private
from .protocol import ProtocolError, decode, encode, error
from .settings import ServeSettings
from .transfer import IncomingFile, check_fetch, check_manifest, chunk_reply, reroll_files

__all__ = ["Broker", "ServeSettings", "serve"]

log = logging.getLogger("filmcomposer.serve")

#: cap on the artifacts of one job, all files together
MAX_RESULT = 8 << 30
WORKER_ERRORS = {p.INPUT, p.TOO_LONG, p.BACKEND, p.INTERNAL, p.BAD_REQUEST}


class Broker:
    def __init__(self, settings: ServeSettings) -> None:
        settings.check()
        self.s = settings
        self.book = JobBook()
        self.pool = WorkerPool()
        self.clients: dict[bytes, float] = {}
        self.local: LocalWorkers | None = None
        self.hostname = socket.gethostname()[:100]
        self.stopping = False
        self.last_activity = time.monotonic()
        self._last_beat = 0.0
        self.notifier = None
        if settings.notify_osc:
            from .notify import OscNotifier

            self.notifier = OscNotifier(settings.notify_osc)

    # -- lifecycle -------------------------------------------------------------------------------

    def run(self) -> int:
        """Bind, start the local workers, serve until SIGTERM/SIGINT (or idle exit), clean up."""
        self._own_work_dir = self.s.work_dir is None
        self.work_dir = private_dir(Path(self.s.work_dir or tempfile.mkdtemp(prefix="filmcomposer-serve-")))
        self._sock_dir = Path(tempfile.mkdtemp(prefix="fc-"))  # short: ipc paths are limited to ~100 chars
        self.ctx = zmq.Context()
        # no keys given and not --insecure: this user's own keys keep other local users out (auth.py)
        self.keys = self.s.curve_keys or (None if self.s.insecure else user_keys())
        self.auth = start_authenticator(self.ctx, self.keys) if self.keys else None
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
            self.local = LocalWorkers(self.internal, self.work_dir, heartbeat=self.s.heartbeat,
                                      timeout=self.s.timeout, curve_keys=self.keys,
                                      soundfont=self.s.soundfont)
            self.local.start(self.s.workers)
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
        if self.keys:
            secure_server(sock, self.keys, role)
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
            write_private(self.s.state_file, json.dumps({
                "endpoint": self.endpoint, "workers_endpoint": self.workers_endpoint, "pid": os.getpid(),
                "version": p.VERSION}).encode())

    def _shutdown(self) -> None:
        if self.local:
            self.local.stop()
        for job in self.book:
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
        return {"op": "pong", "version": p.VERSION, "workers": len(self.pool), "ready": len(self.pool.ready),
                "jobs": len(self.book), "uploading": self.book.count("uploading"),
                "queued": self.book.count("queued"), "running": self.book.count("running")}

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
        name = f"video{p.video_suffix(video.get('suffix'))}"
        options = p.score_options(msg["options"])
        self._check_busy(identity)
        folder = Path(tempfile.mkdtemp(prefix="job-", dir=private_dir(self.work_dir)))
        job = Job(secrets.token_hex(16), "score", identity, folder, options,
                  inputs=[{"name": name, "size": size, "sha256": None}],
                  uploads={"video": IncomingFile(folder / "input" / name, size)}, clip=name)
        return self._accept(job)

    def _client_reroll(self, identity: bytes, msg: dict, payload: Any) -> dict:
        files = reroll_files(msg["files"], limit=self.s.max_upload)
        options = p.reroll_options(msg["options"])
        self._check_busy(identity)
        folder = Path(tempfile.mkdtemp(prefix="job-", dir=private_dir(self.work_dir)))
        clip = next((f["name"] for f in files if f["name"] not in p.REROLL_JSON), None)
        uploads = {f["name"]: IncomingFile(folder / "input" / f["name"], f["size"], f["sha256"])
                   for f in files}
        job = Job(secrets.token_hex(16), "reroll", identity, folder, options, inputs=files, uploads=uploads,
                  clip=clip)
        return self._accept(job)

    def _check_busy(self, identity: bytes) -> None:
        """Room for one more job: in the server, and for this client (one client cannot hold every slot)."""
        pending = self.book.count("uploading", "queued")
        if pending >= self.s.queue:
            raise ProtocolError(p.BUSY, f"the server is busy ({pending} jobs waiting); try again later")
        uploading = self.book.count("uploading", client=identity)
        if uploading >= self.s.client_uploads:
            raise ProtocolError(p.BUSY, f"this client already has {uploading} uploads in flight (at most "
                                f"{self.s.client_uploads}); finish one first")
        waiting = self.book.count("uploading", "queued", client=identity)
        if waiting >= self.s.client_queue:
            raise ProtocolError(p.BUSY, f"this client already has {waiting} jobs waiting (at most "
                                f"{self.s.client_queue}); try again when one has started")

    def _accept(self, job: Job) -> dict:
        self.book.add(job)
        size = sum(f["size"] for f in job.inputs)
        log.info("job %s: %s accepted, %d bytes to upload", job.id[:8], job.kind, size)
        return {"op": "accepted", "job": job.id, "chunk_size": p.CHUNK_SIZE, "window": p.WINDOW}

    def _client_chunk(self, identity: bytes, msg: dict, payload: bytes) -> dict | None:
        job = self.book.owned(identity, msg, "uploading")
        try:
            incoming = job.uploads.get(msg["name"])
            if incoming is None:
                raise ProtocolError(p.BAD_REQUEST, f"chunk of unlisted file {msg['name'][:80]!r}")
            incoming.add(msg["offset"], payload, msg["sha256"])
        except ProtocolError as err:
            self._fail(job, err.code, f"upload: {err.message}")
            return None
        job.touched = time.monotonic()  # the upload moves: not stalled
        return {"op": "chunk_ok", "job": job.id, "offset": msg["offset"]}

    def _client_upload_end(self, identity: bytes, msg: dict, payload: Any) -> dict | None:
        job = self.book.owned(identity, msg, "uploading")
        try:
            for entry, incoming in zip(job.inputs, job.uploads.values(), strict=True):
                if entry["sha256"] is None:  # a score's clip: its digest comes now
                    entry["sha256"] = p.check_sha256(msg.get("sha256"))
                incoming.finish(entry["sha256"])
        except ProtocolError as err:
            self._fail(job, err.code, f"upload: {err.message}")
            return None
        self.book.enqueue(job)
        self._dispatch()
        return {"op": "queued", "job": job.id, "position": self.book.position(job)}

    def _client_fetch(self, identity: bytes, msg: dict, payload: Any) -> dict | None:
        job = self.book.owned(identity, msg, "done")
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
        job = self.book.owned(identity, msg, "done")
        self._remove(job)
        return {"op": "released", "job": job.id}

    def _client_status(self, identity: bytes, msg: dict, payload: Any) -> dict:
        job = self.book.get(msg["job"])
        if job is None:
            if msg["job"] in self.book.tombstones:
                return {"op": "status", "job": msg["job"], **self.book.tombstones[msg["job"]]}
            raise ProtocolError(p.NOT_FOUND, "no such job", {"job": msg["job"]})
        worker = self.pool.get(job.worker)
        return {"op": "status", "job": job.id, "kind": job.kind, "state": job.state, "stage": job.stage,
                "fraction": job.fraction, "position": self.book.position(job), "attempts": job.attempts,
                "worker": worker.name if worker else ""}

    def _client_cancel(self, identity: bytes, msg: dict, payload: Any) -> dict:
        """Anyone holding the job id may cancel it (the id is an unguessable 128-bit token)."""
        job = self.book.get(msg["job"])
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
        worker = self.pool.get(identity)
        if worker is None and msg["op"] != "ready":
            self._send(self.back, identity, error(p.NOT_FOUND, "unknown worker; say ready first"))
            return
        if worker is not None:
            worker.seen = time.monotonic()
        if msg["op"] in ("ready", "heartbeat"):
            if msg["op"] == "ready":
                self._worker_ready(identity, msg)
            return
        job = self.book.get(msg["job"])
        if job is None or job.worker != identity:
            return  # a job cancelled or reassigned meanwhile: its late messages mean nothing now
        try:
            getattr(self, f"_worker_{msg['op']}")(worker, job, msg, payload)
        except ProtocolError as err:
            self._fail(job, p.INTERNAL, f"the worker sent a bad {msg['op']}: {err.message}")

    def _worker_ready(self, identity: bytes, msg: dict) -> None:
        try:
            ops = worker_ops(msg.get("ops"))
        except ProtocolError as err:
            log.warning("worker %s:%d: %s", msg["host"][:100], msg["pid"], err.message)
            return
        worker, new = self.pool.join(identity, msg["pid"], msg["host"], ops)
        if new:
            log.info("worker %s joined, runs %s (%d workers)", worker.name, "+".join(sorted(ops)),
                     len(self.pool))
        elif worker.job and self.book.get(worker.job):
            self._job_lost(self.book.get(worker.job), "the worker restarted during the job")
        self.pool.idle(worker)
        self._dispatch()

    def _worker_fetch(self, worker: WorkerInfo, job: Job, msg: dict, payload: Any) -> None:
        entry = next((f for f in job.inputs if f["name"] == msg["name"]), None)
        if entry is None:
            raise ProtocolError(p.NOT_FOUND, "a worker may fetch only its job's inputs")
        check_fetch(msg, entry["size"])
        head, data = chunk_reply(job.id, entry["name"], job.input_path(entry["name"]), msg["offset"],
                                 msg["length"])
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
        job.close_files()
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
        log.info("job %s: %s done after %d attempt(s) on %s", job.id[:8], job.kind, job.attempts, worker.name)
        result = {"op": "result", "job": job.id, "kind": job.kind, "files": job.files, "summary": summary,
                  "attempts": job.attempts, "worker": worker.name}
        if job.kind == "score":
            result["video"] = job.clip
        self._send(self.front, job.client, result)
        if self.notifier is not None:
            self.notifier.job_ended(job.id, job.kind, "done", f"{len(job.files)} files")

    def _worker_failed(self, worker: WorkerInfo, job: Job, msg: dict, payload: Any) -> None:
        worker.job = job.worker = None
        code = msg["code"] if msg["code"] in WORKER_ERRORS else p.INTERNAL
        self._fail(job, code, msg["message"])

    def _worker_cancelled(self, worker: WorkerInfo, job: Job, msg: dict, payload: Any) -> None:
        worker.job = job.worker = None

    def _dispatch(self) -> None:
        """Give each queued job, oldest first, to the longest-idle worker that runs its kind."""
        for job in self.book.queued():
            if not self.pool.ready:
                return
            worker = self.pool.take_for(job.kind)
            if worker is None:
                continue
            self.book.start(job, worker.identity)
            worker.job = job.id
            order = {"op": "job", "job": job.id, "kind": job.kind, "files": job.inputs,
                     "options": job.options, "max_duration": self.s.max_duration}
            if job.kind == "score":  # what a worker from before reroll existed reads
                order["video"] = job.inputs[0]
            self._send(self.back, worker.identity, order)
            log.info("job %s: attempt %d on worker %s", job.id[:8], job.attempts, worker.name)

    # -- endings ---------------------------------------------------------------------------------

    def _fail(self, job: Job, code: str, message: str, *, state: str = "failed") -> None:
        """End `job` with its one error: tell the client, stop the worker, delete the files."""
        log.info("job %s: %s (%s)", job.id[:8], message, code)
        self._send(self.front, job.client, error(code, message, job=job.id))
        if self.notifier is not None:
            self.notifier.job_ended(job.id, job.kind, state, f"{code}: {message}")
        if job.worker is not None:
            self._send(self.back, job.worker, {"op": "cancel", "job": job.id})
            # The worker stays busy until it answers "cancelled"/"ready" (its child is being replaced).
        self._remove(job, state=state, code=code, message=message)

    def _job_lost(self, job: Job, why: str) -> None:
        """The worker vanished: retry on another one while retries remain, else fail the job."""
        job.worker = None
        job.close_files()
        if job.attempts <= self.s.retries:
            log.warning("job %s: %s; retrying", job.id[:8], why)
            self.book.enqueue(job, front=True)
            self._send(self.front, job.client,
                       {"op": "progress", "job": job.id, "stage": "retry", "fraction": 0.0})
            self._dispatch()
        else:
            self._fail(job, p.WORKER_LOST, why)

    def _remove(self, job: Job, *, state: str = "done", code: str = "", message: str = "") -> None:
        worker = self.pool.get(job.worker)
        if worker is not None and worker.job == job.id and state == "done":
            worker.job = None
        self.book.remove(job, state=state, code=code, message=message)

    # -- time ------------------------------------------------------------------------------------

    def _tick(self, now: float) -> None:
        if now - self._last_beat >= self.s.heartbeat:
            self._last_beat = now
            for identity in self.pool.workers:
                self._send(self.back, identity, {"op": "heartbeat"})
            for client in {job.client for job in self.book}:
                self._send(self.front, client, {"op": "heartbeat"})
        self._check_local_workers()
        for worker in self.pool.silent(now, self.s.timeout):
            self._worker_gone(worker, "the worker stopped answering")
        for job in self.book:
            if now - self.clients.get(job.client, 0.0) > self.s.timeout:
                self._fail(job, p.CLIENT_LOST, "the client stopped answering", state="cancelled")
            elif job.state == "uploading" and now - job.touched > self.s.upload_timeout:
                self._fail(job, p.TIMEOUT, f"the upload stalled ({self.s.upload_timeout:g} s without data)")
            elif job.state == "uploading" and now - job.created > self.s.job_timeout:
                self._fail(job, p.TIMEOUT, f"the upload took longer than {self.s.job_timeout:g} s")
            elif job.state == "running" and now - job.started > self.s.job_timeout:
                self._fail(job, p.TIMEOUT, f"the job ran longer than {self.s.job_timeout:g} s")
            elif job.state == "done" and now - job.touched > self.s.keep_results:
                self._remove(job, state="expired")
        self._expire_orphans(now)
        busy = {job.client for job in self.book}
        for client, seen in list(self.clients.items()):
            if now - seen > self.s.timeout and client not in busy:
                del self.clients[client]
        if self.s.idle_exit and not self.book and now - self.last_activity > self.s.idle_exit:
            log.info("idle for %g s; exiting", self.s.idle_exit)
            self.stopping = True

    def _expire_orphans(self, now: float) -> None:
        """A queued job waits for a busy worker as long as it takes, but not for one that is not there."""
        for job in self.book.queued():
            if self.pool.can_run(job.kind):
                job.orphaned = None
            elif job.orphaned is None:
                job.orphaned = now
            elif now - job.orphaned > self.s.queue_timeout:
                self._fail(job, p.NO_WORKER, f"no worker that runs {job.kind} jobs was connected for "
                           f"{self.s.queue_timeout:g} s; start one (serve --workers N, or "
                           "filmcomposer worker --connect)")

    def _worker_gone(self, worker: WorkerInfo, why: str) -> None:
        log.warning("worker %s lost: %s", worker.name, why)
        self.pool.leave(worker)
        job = self.book.get(worker.job) if worker.job else None
        if job is not None:
            self._job_lost(job, f"{why} (worker {worker.name})")
        if self.local and worker.host == self.hostname:
            self.local.kill(worker.pid)

    def _check_local_workers(self) -> None:
        if self.stopping or not self.local:
            return
        for proc in self.local.exited():
            for worker in [w for w in self.pool.workers.values()
                           if w.pid == proc.pid and w.host == self.hostname]:
                self._worker_gone(worker, f"the worker process exited ({proc.returncode})")
            self.local.replace(proc)


def serve(settings: ServeSettings) -> int:
    """Run the broker in this process until it is stopped."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s filmcomposer serve: %(message)s")
    return Broker(settings).run()
