"""Streaming decode: one pass over the frames, never the whole video in memory.

Containers lie about length (edit lists, missing indexes, variable frame rate), so the frames are
counted as they are decoded, and each frame's own timestamp is kept: a variable-frame-rate clip (a
phone recording, a screen capture) places its frames where its timestamps say, not at index / fps.
"""

from __future__ import annotations

import math
import os
import queue
import threading
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError

#: frame rate assumed when the container reports none (0 or NaN)
FALLBACK_FPS = 25.0


@dataclass
class VideoInfo:
    """What the container says: frame rate, frame size and its (untrusted) frame count.

    Width and height describe the frames as displayed (OpenCV applies rotation metadata).
    """

    path: Path
    fps: float
    width: int
    height: int
    container_frames: int


def open_video(video: str | Path, *, hardware: bool = False) -> tuple[cv2.VideoCapture, VideoInfo]:
    """Open `video` for decoding, or raise an InputError naming the file and the problem.

    `hardware` asks OpenCV's FFmpeg for any hardware decoder; without one it decodes on the CPU.
    """
    path = Path(video)
    if not path.exists():
        raise InputError(path, "no such file")
    if not path.is_file():
        raise InputError(path, "not a file")
    if path.stat().st_size == 0:
        raise InputError(path, "the file is empty")
    # libav's own complaints ("moov atom not found") would precede our one-line error; quiet them
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    params = [cv2.CAP_PROP_HW_ACCELERATION, cv2.VIDEO_ACCELERATION_ANY] if hardware else []
    previous = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # its "can't capture" precedes ours
    try:
        capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, params)
    finally:
        cv2.utils.logging.setLogLevel(previous)
    if not capture.isOpened():
        capture.release()
        raise InputError(path, "not a readable video (the decoder cannot open it)")
    fps = capture.get(cv2.CAP_PROP_FPS)
    if not (math.isfinite(fps) and fps > 0):
        fps = FALLBACK_FPS
    frames = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    info = VideoInfo(path=path, fps=float(fps),
                     width=int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                     height=int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                     container_frames=int(frames) if math.isfinite(frames) and frames > 0 else 0)
    return capture, info


def container_rate(video: str | Path) -> tuple[float, float]:
    """(length in seconds, frame rate) as the container states them, without decoding."""
    capture, info = open_video(video)
    capture.release()
    return (info.container_frames / info.fps if info.container_frames else 0.0), info.fps


def frames(capture: cv2.VideoCapture) -> Iterator[tuple[np.ndarray, float]]:
    """(BGR frame, its timestamp in seconds) in decode order, one at a time; releases the capture."""
    try:
        while True:
            ok, frame = capture.read()
            if not ok or frame is None:
                return
            yield frame, capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
    finally:
        capture.release()


def frames_ahead(capture: cv2.VideoCapture, prepare: Callable[[np.ndarray], np.ndarray], *,
                 depth: int = 8) -> Iterator[tuple[np.ndarray, np.ndarray, float]]:
    """(frame, prepare(frame), timestamp) like `frames`, decoded and prepared in a background thread.

    Decoding is half the spotting work; OpenCV releases the GIL while it decodes and resizes, so on
    two cores the analysis of frame n overlaps the decoding of frame n + 1. At most `depth` frames
    wait in between (memory stays flat). Stopping early (an exception in the caller) stops the thread.
    """
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def decode() -> None:
        try:
            for frame, stamp in frames(capture):
                if not put((frame, prepare(frame), stamp)):
                    return
            put(done)
        except BaseException as error:  # noqa: BLE001  (handed to the consumer, raised there)
            put(error)

    worker = threading.Thread(target=decode, name="fc-decode", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


class FrameClock:
    """Frame index -> seconds from the first frame, from the frames' own timestamps when they are usable.

    A constant-rate clip keeps exact index / fps times (timestamps carry rounding); a clip whose
    timestamps stray more than half a frame from that grid is variable-rate and uses them. Timestamps
    that do not increase (raw streams without any) are ignored. One float per frame: 8 bytes.
    """

    def __init__(self, fps: float) -> None:
        self.fps = fps
        self._stamps = array("d")

    def add(self, stamp: float) -> None:
        self._stamps.append(stamp)

    def __len__(self) -> int:
        return len(self._stamps)

    @property
    def variable(self) -> bool:
        """True when the timestamps are usable and say the frames are not evenly spaced at fps."""
        stamps = np.frombuffer(self._stamps, dtype=np.float64)
        if stamps.size < 2 or not np.all(np.diff(stamps) > 0):
            return False
        grid = np.arange(stamps.size) / self.fps
        return bool(np.max(np.abs(stamps - stamps[0] - grid)) > 0.5 / self.fps)

    def times(self) -> np.ndarray:
        """Start time of every frame, seconds (frame 0 at 0.0)."""
        if self.variable:
            stamps = np.frombuffer(self._stamps, dtype=np.float64)
            return stamps - stamps[0]
        return np.arange(len(self._stamps)) / self.fps

    def duration(self) -> float:
        """End of the last frame: it lasts as long as the typical frame before it."""
        count = len(self._stamps)
        if not self.variable:
            return count / self.fps
        times = self.times()
        return float(times[-1] + np.median(np.diff(times)))
