"""The job process: a child of the worker that runs score and reroll jobs, one at a time.

The worker never runs the pipeline itself: this child (spawned once, with the pipeline already
imported) does, so cancelling a job is killing the child and spawning a fresh one, and a stuck job
can never stop the worker's heartbeats. A job is a folder: a score's clip waits in input/ and its
artifacts appear in out/; a reroll's inputs (OUT's JSON artifacts and maybe the clip) are placed in
out/ itself, because pipeline.reroll works on a scored folder in place.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from . import protocol as p


def input_dir(kind: str, folder: Path) -> Path:
    """Where the worker puts a job's inputs before the job process runs it."""
    return folder / ("out" if kind == "reroll" else "input")


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
    from .. import pipeline  # noqa: F401 - imported now so that the first job starts at once
    from ..errors import FilmComposerError, InputError

    def progress(stage: str, fraction: float) -> None:
        conn.send(("progress", stage, fraction))

    while True:
        try:
            kind, folder, clip, options, max_duration = conn.recv()
        except (EOFError, OSError):
            return
        folder = Path(folder)
        try:
            run = _score if kind == "score" else _reroll
            conn.send(("done", run(folder, clip, options, max_duration, soundfont, progress)))
        except p.ProtocolError as err:
            conn.send(("failed", err.code, err.message))
        except InputError as err:
            conn.send(("failed", p.INPUT, _where(err, folder / "out") + err.problem))
        except FilmComposerError as err:
            conn.send(("failed", p.BACKEND, str(err)))
        except Exception as err:  # noqa: BLE001 - reported to the client as one line; the process lives on
            conn.send(("failed", p.INTERNAL, f"{type(err).__name__}: {err}"))


def _where(err: Exception, out: Path) -> str:
    """'melody.json: ' for an error about a file of the job's folder; never the worker's own paths."""
    try:
        name = Path(err.path).relative_to(out).as_posix()
    except (AttributeError, ValueError):
        return ""
    return "" if name == "." else f"{name}: "


def _score(folder: Path, clip: str, options: dict[str, Any], max_duration: float, soundfont: str | None,
           progress: Any) -> dict[str, Any]:
    from ..config import Config
    from ..pipeline import score

    video = input_dir("score", folder) / clip
    _check_duration(video, max_duration)
    config = Config(seed=options["seed"], loudness=options["loudness"], soundfont=soundfont)
    result = score(video, folder / "out", config, description=options["description"], copy_video=True,
                   show_progress=False, on_progress=progress)
    a = result.assessment
    return {"shots": len(result.spotting.shots), "rhythm_spots": len(result.spotting.rhythm_spots),
            "key": str(result.melody.heard_key()), "tracks": len(result.plan.tracks),
            "duration": result.spotting.duration,
            "assessment": round(a.total, 2), "criteria": len(a.criteria), "passed": a.passed,
            "composer_attempts": a.attempts}


def _reroll(folder: Path, clip: str | None, options: dict[str, Any], max_duration: float,
            soundfont: str | None, progress: Any) -> dict[str, Any]:
    from ..compose.reroll import region_measures
    from ..config import Config
    from ..model import Melody
    from ..pipeline import reroll
    from .confine import confine_reroll

    out = input_dir("reroll", folder)
    _check_spotted_duration(out, max_duration)
    sent_spotting = confine_reroll(out)
    try:
        before: Melody | None = Melody.load(out / "melody.json")
    except (OSError, ValueError, KeyError, TypeError):
        before = None  # reroll() names what is wrong with the file
    t0, t1 = options["from"], options["to"]
    try:
        result = reroll(out, t0, t1, Config(loudness=options["loudness"], soundfont=soundfont),
                        seed=options["seed"], show_progress=False, on_progress=progress,
                        keep_scheme=options["keep_scheme"],
                        force=True)  # the job's own copy of OUT: the client checks the user's OUT
    finally:
        if sent_spotting is not None:  # as the client sent it, so it does not travel back as changed
            (out / "spotting.json").write_bytes(sent_spotting)
    first, last = region_measures(before or result.melody, t0, t1)
    a = result.assessment
    return {"measures": [first, last], "seed": result.melody.seed, "key": str(result.melody.heard_key()),
            "tracks": len(result.plan.tracks), "duration": result.spotting.duration,
            "assessment": round(a.total, 2), "criteria": len(a.criteria), "passed": a.passed}


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


def _check_spotted_duration(out: Path, max_duration: float) -> None:
    """A reroll renders the whole clip again: refuse, before any work, artifacts out of range or a clip
    longer than the server allows (as score does)."""
    from ..ranges import read_artifact

    for name, kind in (("spotting.json", "Spotting"), ("plan.json", "Plan"), ("melody.json", "Melody")):
        if (out / name).is_file():
            read_artifact(out / name, kind, max_duration=max_duration)


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

    def run(self, kind: str, folder: Path, clip: str | None, options: dict[str, Any],
            max_duration: float) -> None:
        job = (kind, str(folder), clip, options, max_duration)
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
