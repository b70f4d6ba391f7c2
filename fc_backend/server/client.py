"""The DEALER side: what `filmcomposer request` (and so the REAPER actions) use to talk to a backend.

A score request uploads the clip's bytes, follows the job's progress, pulls the artifacts back and
writes them into OUT atomically: everything lands in a hidden folder beside OUT and is moved into
place only when every file arrived and matched its checksum.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import zmq

from ..errors import InputError
from . import protocol as p
from .auth import secure_client
from .protocol import ProtocolError, ServerError, decode, encode
from .transfer import Pull, check_manifest, file_chunks, sha256_bytes

#: receives {"event": "accepted" | "queued" | "progress" | "result", ...} as the request goes on
OnEvent = Callable[[dict[str, Any]], None]


def _ignore(event: dict[str, Any]) -> None:
    """The default listener."""


class Client:
    """One connection to a backend. Not thread-safe: one Client per thread."""

    def __init__(self, server: str, *, curve_keys: str | Path | None = None, timeout: float = 10.0,
                 heartbeat: float = 1.0) -> None:
        self.server = server
        self.timeout = timeout
        self.heartbeat = heartbeat
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.routing_id = secrets.token_bytes(12)
        self.sock.linger = 0
        self.sock.sndtimeo = int(timeout * 1000)
        self.sock.maxmsgsize = p.MAX_FRAME
        if curve_keys:
            secure_client(self.sock, curve_keys, "client")
        self.sock.connect(server)

    def close(self) -> None:
        self.ctx.destroy(linger=0)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------------------------

    def _send(self, msg: dict[str, Any], payload: bytes | None = None) -> None:
        try:
            self.sock.send_multipart(encode(msg, payload), copy=payload is None)
        except zmq.Again:
            raise self._unreachable() from None

    def _unreachable(self) -> ServerError:
        return ServerError(p.UNREACHABLE, f"no answer from {self.server} within {self.timeout:g} s "
                           "(is the server running, and are the CURVE keys right?)")

    def _recv(self) -> tuple[dict[str, Any], bytes | None]:
        """The next message; silence longer than the timeout means the server is gone."""
        if not self.sock.poll(self.timeout * 1000):
            raise self._unreachable()
        try:
            return decode(self.sock.recv_multipart(), p.SERVER_OPS)
        except ProtocolError as err:
            raise ServerError(p.BAD_REQUEST, f"malformed reply from the server: {err.message}") from None

    def _call(self, msg: dict[str, Any], *ops: str) -> dict[str, Any]:
        """Send one request and return its reply (or raise its error); other traffic is skipped."""
        rid = secrets.token_hex(8)
        self._send({**msg, "rid": rid})
        while True:
            reply, _ = self._recv()
            if reply.get("rid") != rid:
                continue
            if reply["op"] == "error":
                raise ServerError(reply["code"], reply["message"])
            if reply["op"] in ops:
                return reply

    # -- operations ------------------------------------------------------------------------------

    def ping(self) -> dict[str, Any]:
        """The server's version and load (workers, queued and running jobs)."""
        return self._call({"op": "ping"}, "pong")

    def status(self, job: str) -> dict[str, Any]:
        return self._call({"op": "status", "job": job}, "status")

    def cancel(self, job: str) -> dict[str, Any]:
        return self._call({"op": "cancel", "job": job}, "cancelled")

    def score(self, video: str | Path, out: str | Path, *, seed: int = 0, description: str = "",
              loudness: float = -23.0, on_event: OnEvent = _ignore) -> dict[str, Any]:
        """Score `video` on the server and write the artifacts (and a copy of the clip) into `out`.

        Returns the result message: its files, the summary and the job id.
        """
        video, out = Path(video), Path(out)
        job = self.submit(video, seed=seed, description=description, loudness=loudness, on_event=on_event)
        finished = False
        try:
            result = self._follow(job, on_event)
            finished = True
            self._download(job, result, video, out, on_event)
            self._send({"op": "release", "job": job})
        except BaseException:
            if not finished:
                with contextlib.suppress(ServerError):  # best effort: no job left running for nobody
                    self._send({"op": "cancel", "job": job})
            raise
        on_event({"event": "result", "job": job, "out": str(out),
                  "files": [f["name"] for f in result["files"]], "summary": result["summary"]})
        return result

    def submit(self, video: str | Path, *, seed: int = 0, description: str = "", loudness: float = -23.0,
               on_event: OnEvent = _ignore) -> str:
        """Upload `video` as a new score job and return its id once the server has verified and queued it.

        The job stays ours only while this client keeps talking (score() follows it to the end).
        """
        video = Path(video)
        size = _check_video(video)
        suffix = video.suffix.lower() if 1 < len(video.suffix) <= 9 and video.suffix[1:].isalnum() else ""
        accepted = self._call({"op": "score", "video": {"size": size, "suffix": suffix},
                               "options": {"seed": seed, "description": description, "loudness": loudness}},
                              "accepted")
        job = accepted["job"]
        on_event({"event": "accepted", "job": job})
        try:
            self._upload(job, video, size, on_event)
        except BaseException:
            with contextlib.suppress(ServerError):
                self._send({"op": "cancel", "job": job})
            raise
        return job

    def _upload(self, job: str, video: Path, size: int, on_event: OnEvent) -> None:
        """Push the clip in checksummed chunks, at most WINDOW unacknowledged, then its SHA-256."""
        digest = hashlib.sha256()
        in_flight, sent, last = 0, 0, 0.0
        for offset, data in file_chunks(video):
            while in_flight >= p.WINDOW:
                in_flight -= self._await_ack(job)
            digest.update(data)
            self._send({"op": "chunk", "job": job, "name": "video", "offset": offset,
                        "sha256": sha256_bytes(data)}, data)
            in_flight += 1
            sent += len(data)
            if time.monotonic() - last > 0.1 or sent == size:
                last = time.monotonic()
                on_event({"event": "progress", "job": job, "stage": "upload", "fraction": sent / size})
        if sent != size:
            raise InputError(video, "the file changed while it was being uploaded")
        self._send({"op": "upload_end", "job": job, "sha256": digest.hexdigest()})
        while True:
            msg, _ = self._recv()
            if msg["op"] == "queued" and msg["job"] == job:
                on_event({"event": "queued", "job": job, "position": msg["position"]})
                return
            self._job_error(job, msg)

    def _await_ack(self, job: str) -> int:
        msg, _ = self._recv()
        self._job_error(job, msg)
        return 1 if msg["op"] == "chunk_ok" and msg["job"] == job else 0

    @staticmethod
    def _job_error(job: str, msg: dict[str, Any]) -> None:
        if msg["op"] == "error" and msg.get("job") in (job, None):
            raise ServerError(msg["code"], msg["message"])

    def _follow(self, job: str, on_event: OnEvent) -> dict[str, Any]:
        """Progress until the job's one result or one error; heartbeats keep the job ours."""
        beat = heard = time.monotonic()
        while True:
            if time.monotonic() - beat >= self.heartbeat:
                self._send({"op": "heartbeat"})
                beat = time.monotonic()
            if not self.sock.poll(self.heartbeat * 1000):
                if time.monotonic() - heard > self.timeout:
                    raise self._unreachable()
                continue
            msg, _ = self._recv()
            heard = time.monotonic()
            self._job_error(job, msg)
            if msg.get("job") != job:
                continue
            if msg["op"] == "progress":
                on_event({"event": "progress", "job": job, "stage": msg["stage"],
                          "fraction": msg["fraction"]})
            elif msg["op"] == "result":
                return msg

    def _download(self, job: str, result: dict[str, Any], video: Path, out: Path, on_event: OnEvent) -> None:
        try:
            files = check_manifest(result["files"], limit=1 << 40)
            video_name = p.relative_name(result["video"])
        except ProtocolError as err:
            raise ServerError(p.BAD_REQUEST, f"malformed result from the server: {err.message}") from None
        if "/" in video_name or video_name in {f["name"] for f in files}:
            raise ServerError(p.BAD_REQUEST, "malformed result from the server: bad video name")
        with _staging(out) as staging:
            pull = Pull(job, files, staging)
            try:
                last = 0.0
                while not pull.done:
                    for request in pull.requests():
                        self._send(request)
                    msg, payload = self._recv()
                    self._job_error(job, msg)
                    if msg["op"] != "chunk":
                        continue
                    try:
                        pull.on_chunk(msg, payload)
                    except ProtocolError as err:
                        raise ServerError(err.code, f"download: {err.message}") from None
                    if time.monotonic() - last > 0.1 or pull.done:
                        last = time.monotonic()
                        on_event({"event": "progress", "job": job, "stage": "download",
                                  "fraction": pull.done_bytes / max(1, pull.total_bytes)})
            finally:
                pull.close()
            _place_clip(video, staging / video_name)


def _check_video(video: Path) -> int:
    if not video.exists():
        raise InputError(video, "no such file")
    if not video.is_file():
        raise InputError(video, "not a file")
    size = video.stat().st_size
    if size == 0:
        raise InputError(video, "file is empty")
    return size


def _place_clip(video: Path, target: Path) -> None:
    """The project refers to the clip beside it (the server never sees our paths): link or copy it."""
    try:
        os.link(video, target)
    except OSError:
        shutil.copy2(video, target)


@contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """A hidden folder beside `out`, moved into place only if the block succeeds; removed otherwise."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not out.exists():
        os.replace(staging, out)
        return
    for item in staging.iterdir():  # re-scoring into OUT: replace our files, keep the user's others
        target = out / item.name
        if target.is_dir() and item.is_dir():
            shutil.rmtree(target)
        os.replace(item, target)
    staging.rmdir()
