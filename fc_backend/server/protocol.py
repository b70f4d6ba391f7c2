"""The wire format: JSON messages with a protocol version, optional binary payload, caps and checks.

A message is one JSON frame (``{"v": 1, "op": ..., ...}``), followed by one payload frame only for
``chunk``. Both directions are validated against the tables below before anything acts on them, so
a malformed frame becomes an error reply, never an exception that stops a loop.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from typing import Any

from ..config import LOUDNESS_TARGETS, Config
from ..errors import FilmComposerError

VERSION = 1

#: largest JSON frame accepted (a score request with a long description still fits easily)
MAX_HEADER = 64 * 1024
#: payload bytes of one chunk; a larger chunk is refused with an error
CHUNK_SIZE = 1 << 20
#: libzmq drops a connection that sends a bigger frame than this, before it reaches our code
MAX_FRAME = 2 * CHUNK_SIZE
#: chunks a peer may have requested or sent without an answer yet
WINDOW = 8
MAX_DESCRIPTION = 4000

# Error codes: each error reply carries one of these and a one-line message.
BAD_REQUEST = "bad_request"
UNKNOWN_OP = "unknown_op"
VERSION_MISMATCH = "version"
TOO_LARGE = "too_large"
TOO_LONG = "too_long"
BUSY = "busy"
NOT_FOUND = "not_found"
CHECKSUM = "checksum"
INPUT = "input"
BACKEND = "backend"
INTERNAL = "internal"
WORKER_LOST = "worker_lost"
TIMEOUT = "timeout"
CANCELLED = "cancelled"
CLIENT_LOST = "client_lost"
UNREACHABLE = "unreachable"
NO_WORKER = "no_worker"

#: the kinds of job a worker may run; a worker announces those it knows in its "ready"
KINDS = ("score", "reroll")
#: the artifacts a reroll reads from OUT (the first three must be there) and uploads; all small JSON
REROLL_REQUIRED = ("spotting.json", "melody.json", "plan.json")
REROLL_JSON = (*REROLL_REQUIRED, "assessment.json", "scheme.json", "cue_scores.json", "cue_schemes.json")
#: cap on the JSON artifacts of one reroll, all together (the clip counts against the upload cap)
MAX_REROLL_JSON = 64 << 20

_JOB = str
_CHUNK = {"job": _JOB, "name": str, "offset": int, "sha256": str}
_FETCH = {"job": _JOB, "name": str, "offset": int, "length": int}

#: what a client may send to the broker: op -> required fields and their types
CLIENT_OPS: dict[str, dict[str, type]] = {
    "ping": {},
    "heartbeat": {},
    "score": {"video": dict, "options": dict},
    "reroll": {"files": list, "options": dict},
    "chunk": _CHUNK,
    "upload_end": {"job": _JOB},  # + "sha256" of the video for score (reroll files carry theirs)
    "fetch": _FETCH,
    "release": {"job": _JOB},
    "status": {"job": _JOB},
    "cancel": {"job": _JOB},
}

#: what a worker may send to the broker
WORKER_OPS: dict[str, dict[str, type]] = {
    "ready": {"pid": int, "host": str},  # + "ops": the job kinds it runs (absent: score only)
    "heartbeat": {},
    "fetch": _FETCH,
    "progress": {"job": _JOB, "stage": str, "fraction": float},
    "artifacts": {"job": _JOB, "files": list},
    "chunk": _CHUNK,
    "finished": {"job": _JOB, "summary": dict},
    "failed": {"job": _JOB, "code": str, "message": str},
    "cancelled": {"job": _JOB},
}

#: what the broker sends to a client
SERVER_OPS: dict[str, dict[str, type]] = {
    "pong": {"version": int},
    "heartbeat": {},
    "accepted": {"job": _JOB, "chunk_size": int, "window": int},
    "chunk_ok": {"job": _JOB, "offset": int},
    "queued": {"job": _JOB, "position": int},
    "progress": {"job": _JOB, "stage": str, "fraction": float},
    "result": {"job": _JOB, "files": list, "summary": dict},  # + "video" (the clip's name) for score
    "chunk": _CHUNK,
    "status": {"job": _JOB, "state": str},
    "cancelled": {"job": _JOB},
    "released": {"job": _JOB},
    "error": {"code": str, "message": str},
}

#: what the broker sends to a worker
BROKER_OPS: dict[str, dict[str, type]] = {
    "heartbeat": {},
    # + "kind" (absent: score), "files" (the inputs to fetch), "video" (a score's clip, for older workers)
    "job": {"job": _JOB, "options": dict, "max_duration": float},
    "chunk": _CHUNK,
    "cancel": {"job": _JOB},
    "error": {"code": str, "message": str},
}

_JOB_ID = re.compile(r"^[0-9a-f]{16,64}$")
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")
_NAME_PART = re.compile(r"^[\w][\w .()+,=-]{0,127}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")


class ProtocolError(Exception):
    """A message we refuse; becomes an error reply with `code`, never a crash."""

    def __init__(self, code: str, message: str, msg: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.msg = msg or {}


class ServerError(FilmComposerError):
    """The backend ended a request with an error (or never answered); printed as one line."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{message} [{code}]")
        self.code = code
        self.message = message


def encode(msg: dict[str, Any], payload: bytes | None = None) -> list[bytes]:
    """Frames for `msg` (the version is added here, once)."""
    frames = [json.dumps({"v": VERSION, **msg}, separators=(",", ":")).encode()]
    if payload is not None:
        frames.append(payload)
    return frames


def decode(frames: list[bytes], ops: dict[str, dict[str, type]]) -> tuple[dict[str, Any], bytes | None]:
    """The message in `frames`, checked against `ops`; raises ProtocolError on anything else."""
    if not frames or len(frames) > 2:
        raise ProtocolError(BAD_REQUEST, f"expected 1 or 2 frames, got {len(frames)}")
    head = frames[0]
    if len(head) > MAX_HEADER:
        raise ProtocolError(TOO_LARGE, f"message of {len(head)} bytes exceeds the {MAX_HEADER}-byte cap")
    try:
        msg = json.loads(head)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError; RecursionError: [[[[...
        raise ProtocolError(BAD_REQUEST, "the first frame is not JSON") from None
    if not isinstance(msg, dict):
        raise ProtocolError(BAD_REQUEST, "the message is not a JSON object")
    rid = msg.get("rid")
    echo = {"rid": rid} if isinstance(rid, str) and len(rid) <= 64 else {}
    if "rid" in msg and not echo:
        raise ProtocolError(BAD_REQUEST, "rid must be a string of at most 64 characters")
    if msg.get("v") != VERSION:
        raise ProtocolError(VERSION_MISMATCH, f"protocol version {msg.get('v')!r} is not supported "
                            f"(this side speaks {VERSION})", echo)
    op = msg.get("op")
    if not isinstance(op, str) or op not in ops:
        shown = op if isinstance(op, str) and len(op) < 40 else type(op).__name__
        raise ProtocolError(UNKNOWN_OP, f"unknown operation {shown!r}", echo)
    for field, kind in ops[op].items():
        value = msg.get(field)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = msg[field] = float(value)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ProtocolError(BAD_REQUEST, f"{op}: field {field!r} must be {kind.__name__}", echo)
        if kind is int and not 0 <= value < 1 << 53:
            raise ProtocolError(BAD_REQUEST, f"{op}: field {field!r} is out of range", echo)
    if "job" in ops[op] and not _JOB_ID.match(msg["job"]):
        raise ProtocolError(BAD_REQUEST, f"{op}: malformed job id", echo)
    payload = frames[1] if len(frames) == 2 else None
    if (op == "chunk") != (payload is not None):
        raise ProtocolError(BAD_REQUEST, f"{op}: a payload frame goes with chunk messages only", echo)
    if payload is not None and len(payload) > CHUNK_SIZE:
        raise ProtocolError(TOO_LARGE, f"chunk of {len(payload)} bytes exceeds the {CHUNK_SIZE}-byte cap",
                            echo)
    return msg, payload


def error(code: str, message: str, **fields: Any) -> dict[str, Any]:
    """An error reply: a code a program can branch on and one line a person can read."""
    return {"op": "error", "code": code, "message": " ".join(message.split())[:500], **fields}


def check_sha256(value: Any) -> str:
    if not isinstance(value, str) or not _SHA.match(value):
        raise ProtocolError(BAD_REQUEST, "sha256 must be 64 lowercase hex digits")
    return value


def video_suffix(value: Any) -> str:
    """The upload's file extension, the only part of the client's file name the server keeps."""
    if value in (None, ""):
        return ".mp4"
    if not isinstance(value, str) or not _SUFFIX.match(value.lower()):
        raise ProtocolError(BAD_REQUEST, "video suffix must look like .mp4 (1-8 letters or digits)")
    return value.lower()


def is_clip_name(name: str) -> bool:
    """A clip a reroll may upload beside the JSON artifacts: a plain NAME.ext in OUT, nothing else."""
    stem, dot, suffix = name.rpartition(".")
    return bool(stem and dot) and "/" not in name and name not in REROLL_JSON and \
        bool(_SUFFIX.match(f".{suffix.lower()}"))


def relative_name(value: Any) -> str:
    """An artifact name as it travels (``master.wav``, ``stems/Harp.wav``); nothing that climbs out."""
    if not isinstance(value, str) or len(value) > 256:
        raise ProtocolError(BAD_REQUEST, "file name must be a short string")
    parts = value.split("/")
    if len(parts) > 2 or not all(_NAME_PART.match(p) and p.strip() == p for p in parts):
        raise ProtocolError(BAD_REQUEST, f"file name {value[:80]!r} is not allowed")
    return value


def score_options(raw: dict[str, Any]) -> dict[str, Any]:
    """The options of a score job, checked; unknown keys are refused so typos do not pass silently."""
    allowed = {"seed", "description", "loudness"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ProtocolError(BAD_REQUEST, f"unknown score options: {', '.join(map(str, unknown))[:200]}")
    seed = raw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ProtocolError(BAD_REQUEST, "seed must be an integer in [0, 2^32)")
    description = raw.get("description", "")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise ProtocolError(BAD_REQUEST, f"description must be text of at most {MAX_DESCRIPTION} characters")
    loudness = raw.get("loudness", Config.loudness)
    if isinstance(loudness, bool) or not isinstance(loudness, (int, float)) or \
            float(loudness) not in LOUDNESS_TARGETS:
        raise ProtocolError(BAD_REQUEST, f"loudness must be one of {', '.join(map(str, LOUDNESS_TARGETS))}")
    return {"seed": seed, "description": description, "loudness": float(loudness)}


def reroll_options(raw: dict[str, Any]) -> dict[str, Any]:
    """The options of a reroll job: the span in seconds, an optional seed, the loudness target, and
    whether the client's scheme.json is the user's own edit, to be planned on as it is (`keep_scheme`)."""
    allowed = {"from", "to", "seed", "loudness", "keep_scheme"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ProtocolError(BAD_REQUEST, f"unknown reroll options: {', '.join(map(str, unknown))[:200]}")
    span = []
    for name in ("from", "to"):
        value = raw.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ProtocolError(BAD_REQUEST, f"reroll: {name!r} must be a number of seconds")
        span.append(float(value))
    if not 0.0 <= span[0] <= span[1]:
        raise ProtocolError(BAD_REQUEST, f"reroll: the span {span[0]:g}..{span[1]:g} s must satisfy "
                            "0 <= from <= to")
    seed = raw.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32):
        raise ProtocolError(BAD_REQUEST, "seed must be an integer in [0, 2^32) or absent")
    loudness = score_options({"loudness": raw.get("loudness", Config.loudness)})["loudness"]
    keep_scheme = raw.get("keep_scheme", False)
    if not isinstance(keep_scheme, bool):
        raise ProtocolError(BAD_REQUEST, "reroll: 'keep_scheme' must be true or false")
    return {"from": span[0], "to": span[1], "seed": seed, "loudness": loudness, "keep_scheme": keep_scheme}


def is_local_endpoint(endpoint: str) -> bool:
    """True for ipc/inproc endpoints and tcp bound to a loopback address, where no key is needed."""
    scheme, _, rest = endpoint.partition("://")
    if scheme in ("ipc", "inproc"):
        return True
    if scheme != "tcp" or not rest:
        return False
    host = rest.rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # an interface name or '*': every address, so not loopback
