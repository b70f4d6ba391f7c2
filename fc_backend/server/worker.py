"""`filmcomposer worker --connect ADDR`: runs score jobs for a broker, local or across the network.

The process that talks to the broker never runs the pipeline itself: a child process (spawned once,
with the pipeline already imported) does, so cancelling a job is terminating that child and
spawning a fresh one, and a stuck job can never stop the heartbeats. The video is pulled from the
broker and the artifacts pushed back, so the worker needs no filesystem shared with anyone.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import secrets
import shutil
import signal
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import zmq

from . import protocol as p
from .auth import secure_client
from .protocol import ProtocolError, decode, encode
from .transfer import Pull, file_chunks, manifest, sha256_bytes

log = logging.getLogger("filmcomposer.worker")


# -- the job process ---------------------------------------------------------------------------------


def _watch_parent(parent: int) -> None:
    """Exit when the worker that owns us is gone, so a killed worker leaves no orphan running jobs."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(3)


def _job_process(conn: Connection, soundfont: str | None, parent: int) -> None:
    """Import the pipeline once, then run the jobs the worker sends, one at a time."""
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the worker's to handle
    from tqdm import tqdm

    # tqdm's default lock is a multiprocessing semaphore, which a killed job would leak; one process, one lock
    tqdm.set_lock(threading.RLock())
    from ..config import Config
    from ..errors import FilmComposerError, InputError
    from ..pipeline import score

    while True:
        try:
            video, out, options, max_duration = conn.recv()
        except (EOFError, OSError):
            return
        try:
            _check_duration(Path(video), max_duration)
            config = Config(seed=options["seed"], loudness=options["loudness"], soundfont=soundfont)
            result = score(video, out, config, description=options["description"], copy_video=True,
                           show_progress=False,
                           on_progress=lambda stage, fraction: conn.send(("progress", stage, fraction)))
            a = result.assessment
            summary = {"shots": len(result.spotting.shots), "rhythm_spots": len(result.spotting.rhythm_spots),
                       "key": result.melody.key, "tracks": len(result.plan.tracks),
                       "duration": result.spotting.duration, "assessment": round(a.total, 2),
                       "passed": a.passed, "composer_attempts": a.attempts}
            conn.send(("done", summary))
        except InputError as err:
            conn.send(("failed", p.INPUT, err.problem))
        except FilmComposerError as err:
            conn.send(("failed", p.BACKEND, str(err)))
        except Exception as err:  # noqa: BLE001 - reported to the client as one line; the process lives on
            conn.send(("failed", p.INTERNAL, f"{type(err).__name__}: {err}"))


def _check_duration(video: Path, max_duration: float) -> None:
    """Refuse a clip whose container says it is longer than the server allows, before decoding it."""
    import cv2

    from ..errors import InputError

    capture = cv2.VideoCapture(str(video))
    try:
        fps = capture.get(cv2.CAP_PROP_FPS)
        frames = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    finally:
        capture.release()
    if fps > 0 and frames > 0 and frames / fps > max_duration:
        raise InputError(video, f"the clip lasts {frames / fps:.0f} s; this server accepts at most "
                         f"{max_duration:g} s")


class JobRunner:
    """The job process: start, send a job, kill and replace."""

    def __init__(self, soundfont: str | None) -> None:
        self.soundfont = soundfont
        self._start()

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_job_process, args=(child, self.soundfont, os.getpid()), daemon=True,
                                name="filmcomposer-job")
        self.proc.start()
        child.close()

    def run(self, video: Path, out: Path, options: dict[str, Any], max_duration: float) -> None:
        job = (str(video), str(out), options, max_duration)
        if not self.proc.is_alive():
            self.restart()
        try:
            self.conn.send(job)
        except OSError:  # it died just now: a fresh one gets the job
            self.restart()
            self.conn.send(job)

    def restart(self) -> None:
        """Kill the running job, whatever it is doing, and have a fresh process ready."""
        self.stop()
        self._start()

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


# -- the worker --------------------------------------------------------------------------------------


@dataclass
class _Job:
    id: str
    dir: Path
    video: Path
    options: dict[str, Any]
    max_duration: float
    pull: Pull | None
    stage: str = ""
    sent: float = 0.0


class Worker:
    def __init__(self, connect: str, *, curve_keys: Path | None = None, work_dir: Path | None = None,
                 soundfont: str | None = None, heartbeat: float = 1.0, timeout: float = 5.0,
                 exit_with_parent: bool = False) -> None:
        self.connect = connect
        self.curve_keys = curve_keys
        #: this process's own folder; a folder of a worker that died is swept by the next one to start
        self.work_dir = worker_dir(Path(work_dir or tempfile.gettempdir()), os.getpid())
        self.soundfont = soundfont
        self.heartbeat = heartbeat
        self.timeout = timeout
        self.parent = os.getppid() if exit_with_parent else None
        self.job: _Job | None = None
        self.stopping = False

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: setattr(self, "stopping", True))
        sweep_dead_workers(self.work_dir.parent)
        self.work_dir.mkdir(parents=True, exist_ok=True)
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
        if self.curve_keys:
            secure_client(self.sock, self.curve_keys, "worker")
        self.sock.connect(self.connect)
        self._send({"op": "ready", "pid": os.getpid(), "host": socket.gethostname()})
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
                if conn.fileno() in events and conn is self.runner.conn:  # zmq reports plain fds by number
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
                self._finish_failed(p.INTERNAL, f"video transfer from the broker failed: {err.message}")
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
        self._send({"op": "ready", "pid": os.getpid(), "host": socket.gethostname()})

    def _start_job(self, msg: dict[str, Any]) -> None:
        if self.job is not None:
            self._send({"op": "failed", "job": msg["job"], "code": p.INTERNAL,
                        "message": "worker already busy"})
            return
        video = msg["video"]
        try:
            name = p.relative_name(video.get("name"))
            size, sha = video.get("size"), p.check_sha256(video.get("sha256"))
            if "/" in name or not isinstance(size, int) or size <= 0:
                raise ProtocolError(p.BAD_REQUEST, "bad video description")
            options = p.score_options(msg["options"])
        except ProtocolError as err:
            self._send({"op": "failed", "job": msg["job"], "code": p.INTERNAL, "message": err.message})
            self._ready()
            return
        folder = Path(tempfile.mkdtemp(prefix="job-", dir=self.work_dir))
        pull = Pull(msg["job"], [{"name": name, "size": size, "sha256": sha}], folder / "input")
        self.job = _Job(msg["job"], folder, folder / "input" / name, options, msg["max_duration"], pull)
        log.info("job %s: fetching %d bytes", self.job.id[:8], size)
        self._pull_more()

    def _pull_more(self) -> None:
        job = self.job
        for request in job.pull.requests():
            self._send(request)
        if job.pull.done:
            job.pull.close()
            job.pull = None
            self.runner.run(job.video, job.dir / "out", job.options, job.max_duration)

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
        """Send every file the job wrote (but the clip, which the client has) and say finished."""
        job = self.job
        out = job.dir / "out"
        files = manifest(out, exclude=(job.video.name,))
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
