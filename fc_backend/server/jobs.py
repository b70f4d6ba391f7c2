"""The broker's bookkeeping, apart from its sockets: jobs and their queue, workers and who is ready.

Nothing here sends a message; the broker (broker.py) decides what to tell whom. Keeping the state
in two small tables makes the rules checkable on their own: a job is in the queue exactly while it
is "queued", a worker is in the ready list only while it has no job, and an ended job leaves a
tombstone so `status` can still say how it ended.
"""

from __future__ import annotations

import shutil
import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import protocol as p
from .protocol import ProtocolError
from .transfer import IncomingFile

#: finished and failed jobs remembered for `status`
TOMBSTONES = 512


@dataclass
class Job:
    """One score or reroll request, from its first upload chunk to its release (or its one error)."""

    id: str
    kind: str
    client: bytes
    dir: Path
    options: dict[str, Any]
    #: what the worker fetches (name, size, sha256), stored under dir/input
    inputs: list[dict[str, Any]]
    #: wire name of each upload -> the file it fills (a score's clip arrives as "video")
    uploads: dict[str, IncomingFile]
    #: the clip's name among the inputs (a score's, or the one a reroll's report takes stills from)
    clip: str | None = None
    state: str = "uploading"  # uploading -> queued -> running -> done
    worker: bytes | None = None
    attempts: int = 0
    stage: str = ""
    fraction: float = 0.0
    incoming: dict[str, IncomingFile] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    started: float = 0.0
    touched: float = field(default_factory=time.monotonic)
    created: float = field(default_factory=time.monotonic)
    forwarded: float = 0.0
    #: since when no connected worker could run this queued job (None: one can)
    orphaned: float | None = None

    def input_path(self, name: str) -> Path:
        return self.dir / "input" / name

    def close_files(self) -> None:
        for incoming in (*self.uploads.values(), *self.incoming.values()):
            incoming.close()
        self.incoming = {}


class JobBook:
    """Live jobs by id, the queue in order, and the tombstones of jobs that ended."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.queue: deque[str] = deque()
        self.tombstones: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def __iter__(self) -> Iterator[Job]:
        """Over a snapshot, so a caller may end jobs while it loops."""
        return iter(list(self.jobs.values()))

    def __len__(self) -> int:
        return len(self.jobs)

    def add(self, job: Job) -> None:
        self.jobs[job.id] = job

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def owned(self, identity: bytes, msg: dict[str, Any], *states: str) -> Job:
        """The job `msg` names, if this connection started it and it is in one of `states`."""
        job = self.jobs.get(msg["job"])
        if job is None or job.client != identity:
            raise ProtocolError(p.NOT_FOUND, "no such job on this connection", {"job": msg["job"]})
        if states and job.state not in states:
            raise ProtocolError(p.BAD_REQUEST, f"{msg['op']}: the job is {job.state}", {"job": job.id})
        return job

    def count(self, *states: str, client: bytes | None = None) -> int:
        """Jobs in one of `states` (of one client connection, when given)."""
        return sum(1 for job in self.jobs.values()
                   if job.state in states and (client is None or job.client == client))

    def enqueue(self, job: Job, *, front: bool = False) -> None:
        job.state = "queued"
        job.worker = None
        if front:
            self.queue.appendleft(job.id)
        else:
            self.queue.append(job.id)

    def position(self, job: Job) -> int:
        """1 for the next job to run, 0 when not queued."""
        return self.queue.index(job.id) + 1 if job.id in self.queue else 0

    def queued(self) -> list[Job]:
        return [self.jobs[job_id] for job_id in self.queue]

    def start(self, job: Job, worker: bytes) -> None:
        self.queue.remove(job.id)
        job.state, job.worker, job.stage, job.fraction = "running", worker, "", 0.0
        job.attempts += 1
        job.started = time.monotonic()

    def remove(self, job: Job, *, state: str = "done", code: str = "", message: str = "") -> None:
        """Forget `job`: close and delete its files, leave a tombstone saying how it ended."""
        job.close_files()
        shutil.rmtree(job.dir, ignore_errors=True)
        self.jobs.pop(job.id, None)
        if job.id in self.queue:
            self.queue.remove(job.id)
        self.tombstones[job.id] = {"state": state, "code": code, "message": message}
        while len(self.tombstones) > TOMBSTONES:
            self.tombstones.popitem(last=False)


@dataclass
class WorkerInfo:
    identity: bytes
    pid: int
    host: str
    seen: float
    ops: frozenset[str] = frozenset({"score"})
    job: str | None = None

    @property
    def name(self) -> str:
        return f"{self.host}:{self.pid}"


def worker_ops(raw: Any) -> frozenset[str]:
    """The job kinds a worker says it runs; a worker from before reroll existed says nothing: score."""
    if raw is None:
        return frozenset({"score"})
    if not isinstance(raw, list) or not all(isinstance(op, str) for op in raw):
        raise ProtocolError(p.BAD_REQUEST, "ready: ops must be a list of job kinds")
    return frozenset(op for op in raw if op in p.KINDS)


class WorkerPool:
    """Connected workers, and the idle ones in the order they became idle (longest-waiting first)."""

    def __init__(self) -> None:
        self.workers: dict[bytes, WorkerInfo] = {}
        self.ready: deque[bytes] = deque()

    def __len__(self) -> int:
        return len(self.workers)

    def get(self, identity: bytes | None) -> WorkerInfo | None:
        return self.workers.get(identity) if identity is not None else None

    def join(self, identity: bytes, pid: int, host: str, ops: frozenset[str]) -> tuple[WorkerInfo, bool]:
        """The worker, registered if new; True when it is new."""
        worker = self.workers.get(identity)
        if worker is not None:
            worker.ops = ops
            return worker, False
        worker = WorkerInfo(identity, pid, host[:100], time.monotonic(), ops)
        self.workers[identity] = worker
        return worker, True

    def idle(self, worker: WorkerInfo) -> None:
        worker.job = None
        if worker.identity not in self.ready:
            self.ready.append(worker.identity)

    def take_for(self, kind: str) -> WorkerInfo | None:
        """The longest-waiting idle worker that runs `kind` jobs, removed from the ready list."""
        for identity in list(self.ready):
            worker = self.workers.get(identity)
            if worker is None or worker.job is not None:
                self.ready.remove(identity)  # stale entry
                continue
            if kind in worker.ops:
                self.ready.remove(identity)
                return worker
        return None

    def can_run(self, kind: str) -> bool:
        """Whether any connected worker (idle or busy) runs `kind` jobs."""
        return any(kind in worker.ops for worker in self.workers.values())

    def leave(self, worker: WorkerInfo) -> None:
        self.workers.pop(worker.identity, None)
        if worker.identity in self.ready:
            self.ready.remove(worker.identity)

    def silent(self, now: float, timeout: float) -> list[WorkerInfo]:
        return [w for w in self.workers.values() if now - w.seen > timeout]
