"""Files in checksummed chunks: the receiving side, the pulling side, and manifests.

Bulk data only flows where the receiver sets the pace: a DEALER pushes (its sends block when the
peer is slow), and whatever sits behind a ROUTER is pulled with at most WINDOW chunks outstanding,
because a ROUTER drops what it cannot queue. Every chunk carries its SHA-256 and every file's SHA-256
is checked when its last byte arrives.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..scorefolder import MANIFEST
from .protocol import (
    CHECKSUM,
    CHUNK_SIZE,
    MAX_REROLL_JSON,
    REROLL_JSON,
    REROLL_REQUIRED,
    TOO_LARGE,
    WINDOW,
    ProtocolError,
    check_sha256,
    is_clip_name,
    relative_name,
)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK_SIZE):
            digest.update(block)
    return digest.hexdigest()


def read_chunk(path: Path, offset: int, length: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(min(length, CHUNK_SIZE))


def file_chunks(path: Path, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[int, bytes]]:
    """(offset, data) over `path`, in order."""
    with open(path, "rb") as f:
        offset = 0
        while data := f.read(chunk_size):
            yield offset, data
            offset += len(data)


def manifest(folder: Path, *, exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Every file under `folder` (one level of subfolders) as name, size and SHA-256, sorted.

    OUT's own bookkeeping (which files a run wrote) stays where it is: each side keeps its own.
    """
    files = []
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and name not in exclude and name != MANIFEST:
            files.append({"name": relative_name(name), "size": path.stat().st_size,
                          "sha256": sha256_file(path)})
    return files


def check_manifest(files: Any, *, limit: int) -> list[dict[str, Any]]:
    """A peer's manifest, validated: safe names, sizes within `limit` in total, well-formed digests."""
    if not isinstance(files, list) or len(files) > 1000:
        raise ProtocolError("bad_request", "files must be a list of at most 1000 entries")
    checked, total, names = [], 0, set()
    for entry in files:
        if not isinstance(entry, dict):
            raise ProtocolError("bad_request", "each file must be an object")
        name = relative_name(entry.get("name"))
        size = entry.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ProtocolError("bad_request", f"{name}: size must be a non-negative integer")
        if name in names or name.split("/")[0] in names:
            raise ProtocolError("bad_request", f"{name}: listed twice or inside a listed file")
        names.add(name)
        total += size
        checked.append({"name": name, "size": size, "sha256": check_sha256(entry.get("sha256"))})
    if total > limit:
        raise ProtocolError(TOO_LARGE, f"the files total {total / 1e6:.1f} MB; the cap is "
                            f"{limit / 1e6:.1f} MB")
    return checked


def reroll_files(raw: Any, *, limit: int) -> list[dict[str, Any]]:
    """A reroll's upload manifest, checked: flat names, the JSON artifacts it needs, at most one clip."""
    files = check_manifest(raw, limit=limit)
    names = [f["name"] for f in files]
    missing = [name for name in REROLL_REQUIRED if name not in names]
    if missing:
        raise ProtocolError("bad_request", f"reroll: the upload lacks {', '.join(missing)}")
    clips = [name for name in names if name not in REROLL_JSON]
    if len(clips) > 1 or not all(is_clip_name(name) for name in clips):
        raise ProtocolError("bad_request", "reroll: besides the JSON artifacts, only one clip (NAME.ext) "
                            "may be uploaded")
    json_bytes = sum(f["size"] for f in files if f["name"] in REROLL_JSON)
    if json_bytes > MAX_REROLL_JSON:
        raise ProtocolError(TOO_LARGE, f"the JSON artifacts total {json_bytes / 1e6:.1f} MB; this server "
                            f"accepts at most {MAX_REROLL_JSON / 1e6:.0f} MB")
    return files


class IncomingFile:
    """One file arriving in order, chunk by chunk, into a path the receiver chose."""

    def __init__(self, path: Path, size: int, sha256: str | None = None) -> None:
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.received = 0
        self._digest = hashlib.sha256()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "wb")  # noqa: SIM115 - stays open across many messages

    @property
    def complete(self) -> bool:
        return self.received == self.size

    def add(self, offset: int, data: bytes, digest: str) -> None:
        """Append one chunk after checking its place, its size and its checksum."""
        if offset != self.received:
            raise ProtocolError("bad_request", f"chunk at offset {offset}, expected {self.received}")
        if self.received + len(data) > self.size:
            raise ProtocolError(TOO_LARGE, f"more bytes than the {self.size} declared")
        if not data and self.size:
            raise ProtocolError("bad_request", "empty chunk")
        if sha256_bytes(data) != digest:
            raise ProtocolError(CHECKSUM, f"chunk at offset {offset} does not match its SHA-256")
        self._file.write(data)
        self._digest.update(data)
        self.received += len(data)
        if self.complete:
            self._file.close()

    def finish(self, sha256: str | None = None) -> None:
        """Check the whole file against its SHA-256 (given now or when the transfer began)."""
        expected = sha256 or self.sha256
        self.close()
        if not self.complete:
            raise ProtocolError("bad_request", f"file incomplete: {self.received} of {self.size} bytes")
        if expected is not None and self._digest.hexdigest() != expected:
            raise ProtocolError(CHECKSUM, "the file does not match its SHA-256")

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


@dataclass
class Pull:
    """Fetches the files of a manifest into `dest`, keeping at most WINDOW requests in flight."""

    job: str
    files: list[dict[str, Any]]
    dest: Path
    window: int = WINDOW
    _pending: list[tuple[str, int, int]] = field(default_factory=list)
    _incoming: dict[str, IncomingFile] = field(default_factory=dict)
    in_flight: int = 0
    done_bytes: int = 0

    def __post_init__(self) -> None:
        for entry in self.files:
            name, size = entry["name"], entry["size"]
            self._incoming[name] = IncomingFile(self.dest / name, size, entry["sha256"])
            self._pending += [(name, off, min(CHUNK_SIZE, size - off)) for off in range(0, size, CHUNK_SIZE)]
            if size == 0:
                self._incoming[name].finish()
        self._pending.reverse()  # pop() from the end gives file order
        self.total_bytes = sum(e["size"] for e in self.files)

    @property
    def done(self) -> bool:
        return not self._pending and self.in_flight == 0

    def requests(self) -> list[dict[str, Any]]:
        """Fetch messages to send now."""
        out = []
        while self._pending and self.in_flight < self.window:
            name, offset, length = self._pending.pop()
            out.append({"op": "fetch", "job": self.job, "name": name, "offset": offset, "length": length})
            self.in_flight += 1
        return out

    def on_chunk(self, msg: dict[str, Any], payload: bytes) -> None:
        incoming = self._incoming.get(msg["name"])
        if incoming is None or msg["job"] != self.job:
            raise ProtocolError("bad_request", f"unexpected chunk of {msg['name']!r}")
        incoming.add(msg["offset"], payload, msg["sha256"])
        self.in_flight -= 1
        self.done_bytes += len(payload)
        if incoming.complete:
            incoming.finish()

    def close(self) -> None:
        for incoming in self._incoming.values():
            incoming.close()


def chunk_reply(job: str, name: str, path: Path, offset: int, length: int) -> tuple[dict[str, Any], bytes]:
    """The answer to a fetch: the bytes and their checksum."""
    data = read_chunk(path, offset, length)
    return {"op": "chunk", "job": job, "name": name, "offset": offset, "sha256": sha256_bytes(data)}, data


def check_fetch(msg: dict[str, Any], size: int) -> None:
    if msg["offset"] >= max(size, 1) or msg["length"] <= 0 or msg["length"] > CHUNK_SIZE:
        raise ProtocolError("bad_request", "fetch outside the file or longer than one chunk")
