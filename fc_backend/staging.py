"""Write-then-move output folders: a failure never leaves a half-written OUT, or a leftover, behind.

A run builds its files in a hidden `.OUT.<pid>.<random>.partial` folder beside OUT and moves them in
one by one only when every stage succeeded. Only files we wrote are replaced (see `scorefolder`);
folders such as stems/ are merged file by file, so a user's files inside them stay. The staging folder
is removed on every exit Python sees (errors, Ctrl-C, SIGTERM via `exit_on_signals`); one left by a
killed run (SIGKILL, power loss) is recognised by its dead owner's pid and removed by the next run.
Shared by the in-process pipeline and the service's client, which both fill OUT with a run's files.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import FilmComposerError
from .scorefolder import MANAGED_DIRS, MANIFEST, OverwriteRefused, ScoreFolder, file_hash

#: a staging folder with no owner pid in its name (an older version's) counts as stale after this long
STALE_AFTER_S = 3600.0
#: below this much free space after a failed write, the failure is reported as a full disk
FULL_DISK_BYTES = 1 << 20
_SIGNALS = (signal.SIGINT, signal.SIGTERM) + ((signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ())


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like Ctrl-C so every `finally` and staging cleanup runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class DiskFull(FilmComposerError):
    """Writing OUT ran out of space; nothing was left behind."""


def exit_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into `Terminated` in the main thread, so a kill cleans up like Ctrl-C."""

    def handler(signum: int, _frame: object) -> None:
        raise Terminated(signum)

    for sig in _SIGNALS[1:]:
        signal.signal(sig, handler)


def needs_space(out_dir: Path, needed: int) -> None:
    """Refuse up front when the filesystem holding OUT has less than `needed` bytes free."""
    probe = out_dir
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if free < needed:
        raise DiskFull(f"{out_dir}: not enough free disk space: about {_mb(needed)} needed, {_mb(free)} free")


@contextmanager
def staged_output(out_dir: Path, *, force: bool = False) -> Iterator[Path]:
    """A hidden folder beside `out_dir`, merged into it only if the block succeeds; removed otherwise.

    Into an existing `out_dir` (re-scoring), each staged file replaces its namesake only when that
    namesake is ours and unchanged since we wrote it (or `force`); otherwise nothing moves and an
    `OverwriteRefused` names the files. When a run writes stems/ (or stills/), the files we wrote
    there last time and not this time are removed (a renamed track's old stem would mislead); the
    user's stay, and a folder the run did not write is left alone.
    """
    out_dir = Path(out_dir)
    if not out_dir.name:  # "." or "/": the staging folder needs a name to sit beside
        out_dir = out_dir.resolve()
    folder = ScoreFolder(out_dir)
    folder.check_usable()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.{os.getpid()}.", suffix=".partial",
                                    dir=out_dir.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # mkdtemp's private 0700 would become OUT's mode
        try:
            yield staging
        except Exception as err:
            full = _disk_full(err, out_dir)
            if full:
                raise full from None
            raise
        _commit(staging, folder, force=force)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def remove_stale(out_dir: Path) -> list[Path]:
    """Remove staging folders of `out_dir` left by runs that no longer exist; returns what went."""
    removed = []
    for candidate in out_dir.parent.glob(f".{out_dir.name}.*.partial"):
        if candidate.is_dir() and not candidate.is_symlink() and _stale(candidate, out_dir.name):
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


def _stale(staging: Path, name: str) -> bool:
    owner = staging.name[len(name) + 2:].split(".", 1)[0]
    if owner.isdigit():
        return not _alive(int(owner))
    try:
        return time.time() - staging.stat().st_mtime > STALE_AFTER_S
    except OSError:
        return False


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _commit(staging: Path, folder: ScoreFolder, *, force: bool) -> None:
    """Move the staged files into OUT (ours replaced, the user's kept or refused), then the manifest."""
    staged = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*")
                    if p.is_file() and p.name != MANIFEST)
    if not folder.path.exists():
        with _signals_held():
            os.replace(staging, folder.path)
            folder.write_manifest({name: file_hash(folder / name) for name in staged})
        return
    old = folder.manifest()
    moves, kept, refused = [], {}, []
    for name in staged:
        target, new_hash = folder / name, file_hash(staging / name)
        if _blocked_by_file(folder.path, name) or target.is_dir() and not target.is_symlink():
            refused.append(name)
        elif not target.exists() and not target.is_symlink():
            moves.append((name, new_hash))
        elif not target.is_symlink() and file_hash(target) == new_hash:
            if name in old:  # the same bytes: leave the file, and its mark of having been edited
                kept[name] = old[name]
        elif force or (not target.is_symlink() and old.get(name) == file_hash(target)):
            moves.append((name, new_hash))
        else:
            refused.append(name)
    if refused:
        raise OverwriteRefused(folder.path, refused)
    written_dirs = {name.split("/", 1)[0] for name in staged if "/" in name} & set(MANAGED_DIRS)
    outdated = [name for name, digest in old.items()
                if "/" in name and name.split("/", 1)[0] in written_dirs and name not in staged
                and (folder / name).is_file() and file_hash(folder / name) == digest]
    manifest = {name: digest for name, digest in old.items() if name not in outdated}
    with _signals_held():
        for name, digest in moves:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, folder / name)
            manifest[name] = digest
        manifest.update(kept)
        for name in outdated:
            (folder / name).unlink(missing_ok=True)
        folder.write_manifest(manifest)


def _blocked_by_file(out: Path, name: str) -> bool:
    """A file of the user's sits where one of our folders (stems/, stills/) should be."""
    parent = (out / name).parent
    while parent != out:
        if parent.exists() and not parent.is_dir():
            return True
        parent = parent.parent
    return False


@contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the files are all moved: OUT is either the old or the new run."""
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    except (AttributeError, ValueError):  # no pthread_sigmask (Windows) or not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _disk_full(err: Exception, out: Path) -> DiskFull | None:
    """A DiskFull naming OUT when `err` came from the disk filling up (soundfile's errors carry no errno)."""
    if isinstance(err, FilmComposerError):
        return None
    by_errno = isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT)
    try:
        free = shutil.disk_usage(out.parent).free
    except OSError:
        return None
    if by_errno or (isinstance(err, (OSError, RuntimeError)) and free < FULL_DISK_BYTES):
        return DiskFull(f"{out}: the disk is full ({_mb(free)} free); free some space and run again")
    return None


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"
