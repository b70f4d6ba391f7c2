"""Streaming decode: one pass over the frames, never the whole video in memory.

Containers lie about length (edit lists, missing indexes, variable frame rate), so the frames are
counted as they are decoded; the true duration is that count over the container's frame rate.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError

#: frame rate assumed when the container reports none (0 or NaN)
FALLBACK_FPS = 25.0


@dataclass
class VideoInfo:
    """What the container says: frame rate, frame size and its (untrusted) frame count."""

    path: Path
    fps: float
    width: int
    height: int
    container_frames: int


def open_video(video: str | Path) -> tuple[cv2.VideoCapture, VideoInfo]:
    """Open `video` for decoding, or raise an InputError naming the file and the problem."""
    path = Path(video)
    if not path.exists():
        raise InputError(path, "no such file")
    if not path.is_file():
        raise InputError(path, "not a file")
    if path.stat().st_size == 0:
        raise InputError(path, "the file is empty")
    # libav's own complaints ("moov atom not found") would precede our one-line error; quiet them
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    capture = cv2.VideoCapture(str(path))
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


def frames(capture: cv2.VideoCapture) -> Iterator[np.ndarray]:
    """Decoded BGR frames in order, one at a time; releases the capture when exhausted."""
    try:
        while True:
            ok, frame = capture.read()
            if not ok or frame is None:
                return
            yield frame
    finally:
        capture.release()
