"""What `filmcomposer serve` can be told, checked before anything is bound or started."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..ranges import MAX_DURATION
from .protocol import is_local_endpoint


@dataclass
class ServeSettings:
    """Everything `filmcomposer serve` can be told; the defaults suit one laptop."""

    bind: str = "tcp://127.0.0.1:5555"
    workers: int = 1
    workers_bind: str | None = None
    curve_keys: Path | None = None
    insecure: bool = False
    queue: int = 16
    #: per client connection: uploads in flight, and jobs uploading or queued, before `busy`
    client_uploads: int = 2
    client_queue: int = 4
    #: an upload that sends nothing for this long is dropped and its slot freed
    upload_timeout: float = 60.0
    #: a queued job that no connected worker can run for this long ends with `no_worker`
    queue_timeout: float = 300.0
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
    #: HOST:PORT of an OSC server told when a job ends (fc_backend.server.notify)
    notify_osc: str | None = None

    def check(self) -> None:
        """Refuse, before binding anything, an exposed port that no key protects."""
        for endpoint in (self.bind, self.workers_bind):
            if endpoint and not is_local_endpoint(endpoint) and not self.curve_keys and not self.insecure:
                raise InputError(endpoint, "not a loopback address; give --curve-keys DIR "
                                 "(see --make-keys) or, on a trusted network only, --insecure")
        if self.workers < 0 or self.queue < 0 or self.retries < 0:
            raise InputError("--workers/--queue/--retries", "must not be negative")
        if self.client_uploads < 1 or self.client_queue < 1:
            raise InputError("--client-uploads/--client-queue", "must be at least 1")
        if self.upload_timeout <= self.heartbeat:
            raise InputError("--upload-timeout", "must be longer than --heartbeat")
        if self.timeout <= self.heartbeat:
            raise InputError("--timeout", "must be longer than --heartbeat")
        if self.notify_osc:
            from .notify import parse_target

            parse_target(self.notify_osc)
        if not 0 < self.max_duration <= MAX_DURATION:
            raise InputError("--max-duration", f"must be in (0, {MAX_DURATION:g}] s")
        if self.queue_timeout <= 0:
            raise InputError("--queue-timeout", "must be positive")
