"""The DEALER side: what `filmcomposer request` (and so the REAPER actions) use to talk to a backend.

A score request uploads the clip's bytes; a reroll request uploads OUT's JSON artifacts (and the clip
beside them, so the report keeps its stills), never the audio. Both follow the job's progress, pull
the files back and write them into OUT atomically: everything lands in a hidden folder beside OUT
and is moved into place only when every file arrived and matched its checksum. A reroll brings back
only the files it rewrote; OUT's other files, the clip among them, are left as they are.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zmq

from ..config import Config
from ..errors import InputError
from ..ranges import read_artifact
from ..scorefolder import ScoreFolder
from ..staging import staged_output
from . import protocol as p
from .auth import keys_for, secure_client
from .protocol import ProtocolError, ServerError, decode, encode
from .transfer import Pull, check_manifest, file_chunks, sha256_bytes, sha256_file

#: receives {"event": "accepted" | "queued" | "progress" | "result", ...} as the request goes on
OnEvent = Callable[[dict[str, Any]], None]


def _ignore(event: dict[str, Any]) -> None:
    """The default listener."""


class Client:
    """One connection to a backend. Not thread-safe: one Client per thread."""

    def __init__(self, server: str, *, curve_keys: str | Path | None = None, timeout: float = 10.0,
                 heartbeat: float = 1.0, insecure: bool = False) -> None:
        self.server = server
        self.timeout = timeout
        self.heartbeat = heartbeat
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.routing_id = secrets.token_bytes(12)
        self.sock.linger = 0
        self.sock.sndtimeo = int(timeout * 1000)
        self.sock.maxmsgsize = p.MAX_FRAME
        keys = keys_for(server, curve_keys, insecure=insecure)  # a loopback server: this user's keys
        if keys:
            secure_client(self.sock, keys, "client")
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
                           "(is the server running, and are the CURVE keys right? a server started with "
                           "--insecure needs request --insecure)")

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
              loudness: float = Config.loudness, on_event: OnEvent = _ignore) -> dict[str, Any]:
        """Score `video` on the server and write the artifacts (and a copy of the clip) into `out`.

        Returns the result message: its files, the summary and the job id.
        """
        video, out = Path(video), Path(out)
        check_writable(out)  # before the upload, not after the whole job has run
        job = self.submit(video, seed=seed, description=description, loudness=loudness, on_event=on_event)

        def place_clip(result: dict[str, Any], staging: Path, names: set[str]) -> None:
            try:
                name = p.relative_name(result.get("video"))
            except ProtocolError as err:
                raise ServerError(p.BAD_REQUEST, f"malformed result from the server: {err.message}") from None
            if "/" in name or name in names:
                raise ServerError(p.BAD_REQUEST, "malformed result from the server: bad video name")
            _place_clip(video, staging / name)

        return self._complete(job, out, place_clip, on_event)

    def submit(self, video: str | Path, *, seed: int = 0, description: str = "",
               loudness: float = Config.loudness, on_event: OnEvent = _ignore) -> str:
        """Upload `video` as a new score job and return its id once the server has verified and queued it.

        The job stays ours only while this client keeps talking (score() follows it to the end).
        """
        video = Path(video)
        size = _check_video(video)
        suffix = video.suffix.lower() if 1 < len(video.suffix) <= 9 and video.suffix[1:].isalnum() else ""
        accepted = self._call({"op": "score", "video": {"size": size, "suffix": suffix},
                               "options": {"seed": seed, "description": description, "loudness": loudness}},
                              "accepted")
        return self._upload(accepted["job"], [("video", video, size)], on_event, send_digest=True)

    def reroll(self, out: str | Path, t0: float, t1: float, *, seed: int | None = None,
               loudness: float = Config.loudness, on_event: OnEvent = _ignore) -> dict[str, Any]:
        """Compose anew, on the server, the measures of OUT's melody over [t0, t1] s; rewrite what follows.

        Like `filmcomposer reroll OUT` but remote: OUT's JSON artifacts (and its clip, for the
        report's stills) are uploaded, and only the files the re-roll rewrote come back into OUT.
        A missing artifact or an impossible span is an InputError before anything is sent.
        Returns the result message: the rewritten files, the summary (measures, seed, assessment).
        """
        out = Path(out)
        _check_span(t0, t1)
        inputs = reroll_inputs(out)
        check_writable(out)
        digests = {name: sha256_file(path) for name, path in inputs.items()}
        with contextlib.ExitStack() as stack:
            elsewhere = _clip_elsewhere(out)
            if elsewhere is not None:  # the server takes only names of files sent with the job
                inputs["plan.json"] = stack.enter_context(_plan_without_clip(out / "plan.json"))
            result = self._reroll(out, inputs, digests, t0, t1, seed, loudness, on_event, elsewhere)
        return result

    def _reroll(self, out: Path, inputs: dict[str, Path], digests: dict[str, str], t0: float, t1: float,
                seed: int | None, loudness: float, on_event: OnEvent,
                elsewhere: str | None) -> dict[str, Any]:
        sizes = {name: path.stat().st_size for name, path in inputs.items()}
        sent = {name: sha256_file(path) for name, path in inputs.items()}
        files = [{"name": name, "size": sizes[name], "sha256": sent[name]} for name in inputs]
        accepted = self._call({"op": "reroll", "files": files,
                               "options": {"from": t0, "to": t1, "seed": seed, "loudness": loudness,
                                           "keep_scheme": ScoreFolder(out).holds_edited_scheme()}},
                              "accepted")
        job = self._upload(accepted["job"], [(name, path, sizes[name]) for name, path in inputs.items()],
                           on_event, send_digest=False)
        clip = next((name for name in inputs if name not in p.REROLL_JSON), None)

        def check_out(result: dict[str, Any], staging: Path, names: set[str]) -> None:
            if clip in names:
                raise ServerError(p.BAD_REQUEST, "malformed result from the server: it replaces the clip")
            for name in p.REROLL_JSON:  # someone edited OUT meanwhile: theirs wins, nothing is written
                path = out / name if name in inputs else None
                if path is not None and (not path.is_file() or sha256_file(path) != digests[name]):
                    raise InputError(path, "changed while the re-roll ran; nothing was written "
                                     "(run it again)")
            if elsewhere is not None and (staging / "plan.json").is_file():  # the clip stays where it is
                plan = json.loads((staging / "plan.json").read_text(encoding="utf-8"))
                plan["video"] = elsewhere
                (staging / "plan.json").write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")

        return self._complete(job, out, check_out, on_event)

    def _upload(self, job: str, files: list[tuple[str, Path, int]], on_event: OnEvent, *,
                send_digest: bool) -> str:
        """Push `files` (wire name, path, size) in checksummed chunks, at most WINDOW unacknowledged.

        Ends with upload_end (carrying the SHA-256 of the one file when `send_digest`: a score's
        clip) and returns the job id once the server has verified and queued it.
        """
        on_event({"event": "accepted", "job": job})
        try:
            total = sum(size for _, _, size in files)
            in_flight, sent, last = 0, 0, 0.0
            digest = hashlib.sha256()
            for name, path, size in files:
                done = 0
                for offset, data in file_chunks(path):
                    while in_flight >= p.WINDOW:
                        in_flight -= self._await_ack(job)
                    if send_digest:
                        digest.update(data)
                    self._send({"op": "chunk", "job": job, "name": name, "offset": offset,
                                "sha256": sha256_bytes(data)}, data)
                    in_flight += 1
                    done += len(data)
                    sent += len(data)
                    if time.monotonic() - last > 0.1 or sent == total:
                        last = time.monotonic()
                        on_event({"event": "progress", "job": job, "stage": "upload",
                                  "fraction": sent / max(1, total)})
                if done != size:
                    raise InputError(path, "the file changed while it was being uploaded")
            end = {"sha256": digest.hexdigest()} if send_digest else {}
            self._send({"op": "upload_end", "job": job, **end})
            while True:
                msg, _ = self._recv()
                if msg["op"] == "queued" and msg["job"] == job:
                    on_event({"event": "queued", "job": job, "position": msg["position"]})
                    return job
                self._job_error(job, msg)
        except BaseException:
            with contextlib.suppress(ServerError):
                self._send({"op": "cancel", "job": job})
            raise

    def _await_ack(self, job: str) -> int:
        msg, _ = self._recv()
        self._job_error(job, msg)
        return 1 if msg["op"] == "chunk_ok" and msg["job"] == job else 0

    @staticmethod
    def _job_error(job: str, msg: dict[str, Any]) -> None:
        if msg["op"] == "error" and msg.get("job") in (job, None):
            raise ServerError(msg["code"], msg["message"])

    def _complete(self, job: str, out: Path, check: Callable[[dict[str, Any], Path, set[str]], None],
                  on_event: OnEvent) -> dict[str, Any]:
        """Follow `job` to its end, bring its files into `out` (after `check` passes on the staging
        folder), release it on the server; cancel it if anything goes wrong before it ended."""
        finished = False
        try:
            result = self._follow(job, on_event)
            finished = True
            self._download(job, result, out, check, on_event)
            self._send({"op": "release", "job": job})
        except BaseException:
            if not finished:
                with contextlib.suppress(ServerError):  # best effort: no job left running for nobody
                    self._send({"op": "cancel", "job": job})
            raise
        on_event({"event": "result", "job": job, "out": str(out),
                  "files": [f["name"] for f in result["files"]], "summary": result["summary"]})
        return result

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

    def _download(self, job: str, result: dict[str, Any], out: Path,
                  check: Callable[[dict[str, Any], Path, set[str]], None], on_event: OnEvent) -> None:
        try:
            files = check_manifest(result["files"], limit=1 << 40)
        except ProtocolError as err:
            raise ServerError(p.BAD_REQUEST, f"malformed result from the server: {err.message}") from None
        with staged_output(out) as staging:
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
            check(result, staging, {f["name"].split("/")[0] for f in files})
            _check_results(staging)


def reroll_inputs(out: Path) -> dict[str, Path]:
    """OUT's files a re-roll reads, by name: the JSON artifacts, and the clip if plan.json names one beside
    them (as `request score` leaves it). A missing artifact is an InputError, before anything is sent."""
    if not out.is_dir():
        raise InputError(out, "no such folder; score the clip first (filmcomposer request score ... -o OUT)")
    for name in p.REROLL_REQUIRED:
        if not (out / name).is_file():
            raise InputError(out / name, "missing; a re-roll needs the folder a score wrote")
    inputs = {name: out / name for name in p.REROLL_JSON if (out / name).is_file()}
    for name, kind in (("spotting.json", "Spotting"), ("melody.json", "Melody"), ("plan.json", "Plan")):
        read_artifact(out / name, kind)  # refused here, in one line, rather than after an upload
    if (out / "scheme.json").is_file():
        read_artifact(out / "scheme.json", "Scheme")
    video = read_artifact(out / "plan.json", "Plan").get("video")
    try:  # a clip elsewhere (an absolute path) stays there; the report is then written without stills
        if isinstance(video, str) and p.is_clip_name(p.relative_name(video)) and (out / video).is_file():
            inputs[video] = out / video
    except ProtocolError:
        pass
    return inputs


def _clip_elsewhere(out: Path) -> str | None:
    """plan.json's clip when it is a path outside OUT (a local score of a clip kept elsewhere)."""
    video = read_artifact(out / "plan.json", "Plan").get("video")
    if not isinstance(video, str):
        return None
    try:
        p.relative_name(video)
    except ProtocolError:
        return video
    return video if "/" in video else None


@contextlib.contextmanager
def _plan_without_clip(plan: Path) -> Any:
    """A copy of plan.json that names no clip, for the upload; removed afterwards."""
    data = read_artifact(plan, "Plan")
    data["video"] = None
    with tempfile.TemporaryDirectory(prefix="fc-reroll-") as tmp:
        copy = Path(tmp) / "plan.json"
        copy.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        yield copy


#: the results REAPER and later runs read, by the model type each one holds
RESULT_KINDS = {"plan.json": "Plan", "scheme.json": "Scheme", "spotting.json": "Spotting",
                "melody.json": "Melody", "cue_scores.json": "CueScores", "cue_schemes.json": "CueSchemes"}


def _check_results(staging: Path) -> None:
    """What came back is range-checked like any plan (fc_backend.ranges) before it reaches OUT, so
    a faulty or hostile server cannot hand REAPER a NaN pan or a million tracks."""
    for name, kind in RESULT_KINDS.items():
        if (staging / name).is_file():
            try:
                read_artifact(staging / name, kind)
            except InputError as err:
                raise ServerError(p.BAD_REQUEST, f"malformed result from the server: {name}: "
                                  f"{err.problem}") from None


def check_writable(out: Path) -> None:
    """Refuse, before anything is sent, an OUT whose files could not be written when the job ends.

    The results land in a hidden folder beside OUT and then move into it, so both OUT (when it
    exists) and the nearest existing folder above it must take a new entry; a probe folder is made
    and removed there (permission bits alone do not tell: root ignores them, read-only mounts not).
    """
    out = Path(os.path.abspath(out))
    if out.exists() and not out.is_dir():
        raise InputError(out, "exists and is not a folder")
    above = out.parent
    while not above.exists() and above != above.parent:
        above = above.parent
    for folder in (above, out) if out.exists() else (above,):
        try:
            os.rmdir(tempfile.mkdtemp(prefix=".fc-probe-", dir=folder))
        except OSError as err:
            raise InputError(out, f"cannot be written ({err.strerror} in {folder}); "
                             "choose another output folder") from None


def _check_span(t0: float, t1: float) -> None:
    if not (math.isfinite(t0) and math.isfinite(t1) and 0.0 <= t0 <= t1):
        raise InputError("--from/--to", f"the span {t0:g}..{t1:g} s must satisfy 0 <= FROM <= TO")


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
