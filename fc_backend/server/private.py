"""Folders and files only this user may touch: the runtime folder, the server's work folder, keys.

With no XDG_RUNTIME_DIR (cron, ssh, containers, macOS) the runtime folder sits in the shared temp
folder under a guessable name, where another local user can make it first, open it to everyone or
plant symlinks. So a private folder is made 0700 and checked on every use (a real folder, owned by
us, closed to group and others), and files in it are opened without following symlinks. Anything
else is one line naming the folder and how to choose another.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from ..errors import InputError

#: where a person points the bridge and the local backend at a folder of their choosing
ENV = "FC_RUNTIME_DIR"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def runtime_dir() -> Path:
    """$FC_RUNTIME_DIR, else $XDG_RUNTIME_DIR/filmcomposer, else a per-user folder in the temp dir;
    made 0700 if missing and refused if it is not this user's alone."""
    base = os.environ.get(ENV)
    if base:
        folder = Path(base)
    elif os.environ.get("XDG_RUNTIME_DIR"):
        folder = Path(os.environ["XDG_RUNTIME_DIR"]) / "filmcomposer"
    else:
        user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
        folder = Path(tempfile.gettempdir()) / f"filmcomposer-{user}"
    return private_dir(folder)


def private_dir(folder: Path) -> Path:
    """`folder`, made 0700 when missing; an InputError unless it is a folder only this user can use."""
    if not folder.parent.exists():
        folder.parent.mkdir(parents=True, mode=0o700)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError as err:
        raise _unsafe(folder, f"cannot be made ({err.strerror})") from None
    problem = _problem(folder)
    if problem:
        raise _unsafe(folder, problem)
    return folder


def _problem(folder: Path) -> str | None:
    try:
        info = os.lstat(folder)
    except OSError as err:
        return f"cannot be read ({err.strerror})"
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a folder"
    if os.name != "posix":
        return None
    if info.st_uid != os.getuid():
        return f"belongs to another user (uid {info.st_uid})"
    if info.st_mode & 0o077:
        return f"is open to other users (mode {stat.S_IMODE(info.st_mode):04o}, needs 0700)"
    return None


def _unsafe(folder: Path, problem: str) -> InputError:
    return InputError(folder, f"unsafe private folder: {problem}; remove it, or set {ENV} to a folder "
                      "only you can use")


def open_private(path: Path, flags: int, mode: int = 0o600) -> int:
    """os.open that never follows a symlink planted at `path`; a refusal is one line naming it."""
    try:
        return os.open(path, flags | _NOFOLLOW | _CLOEXEC, mode)
    except OSError as err:
        if os.path.islink(path):
            raise InputError(path, f"is a symbolic link; refusing to follow it (remove it, or set {ENV} "
                             "to a folder only you can use)") from None
        raise InputError(path, f"cannot open it ({err.strerror})") from None


def read_private(path: Path) -> bytes:
    fd = open_private(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as f:
        return f.read(1 << 20)


def write_private(path: Path, data: bytes) -> None:
    """Write `path` atomically (a fresh 0600 file renamed over it), never through a symlink."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
