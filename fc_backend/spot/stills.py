"""One still per shot, kept during the spotting pass so that nobody decodes the clip again for it.

Seeking into H.264 decodes from the previous keyframe, so taking stills afterwards cost the report
two seconds for a minute of 720p; here they are picked from frames the pass decodes anyway. The
still of a shot is its frame a little after the cut (at most `after` seconds, the middle of a shorter
shot): far enough from the cut to show the shot, early enough to show how it opens.

Cuts are confirmed a few frames late, so the last `lag` frames are always kept; older frames are kept
only while they lie within `after` seconds of a known shot start. Memory stays flat with clip length.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from ..model import Shot
from ..scorefolder import STILLS  # noqa: F401  (the folder of an OUT that holds the stills)

#: stills are this wide (pixels)
STILL_WIDTH = 256
#: the still is taken at most this long after the cut (s)
AFTER = 1.0
#: how late (frames) a cut may be confirmed; the cut detector's lag is well under this
LAG = 16
JPEG_QUALITY = 82


def still_time(start: float, end: float, after: float = AFTER) -> float:
    """When the still of the shot [start, end) is taken: `after` s in, or its middle if shorter."""
    return start + min((end - start) / 2, after)


def thumbnail(frame: np.ndarray, width: int = STILL_WIDTH) -> np.ndarray:
    """`frame` at most `width` pixels wide (area-averaged), always a copy."""
    h, w = frame.shape[:2]
    if w <= width:
        return frame.copy()
    return cv2.resize(frame, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)


class StillPicker:
    """Feed every frame (any size, BGR) and every confirmed cut; `finish` gives one still per shot.

    `starts`: shot starts (seconds) known before the pass (a person's edited spots); detected cuts
    are then ignored, as they do not make the shots. A shot's still is chosen as soon as the next
    shot's start is known, and the frames kept for it are let go.
    """

    def __init__(self, *, starts: Sequence[float] | None = None, after: float = AFTER, lag: int = LAG,
                 width: int = STILL_WIDTH) -> None:
        self.after, self.lag, self.width = after, lag, width
        self._given = sorted(s for s in starts if s > 0) if starts is not None else None
        self._start = 0.0  # start of the shot being watched (s)
        self._kept: dict[int, tuple[float, np.ndarray]] = {}
        self._times: dict[int, float] = {}  # times of the last `lag` frames, to place a late cut
        self._stills: list[tuple[float, np.ndarray | None]] = []  # (shot start, still) of finished shots

    def feed(self, index: int, time: float, frame: np.ndarray) -> None:
        while self._given and self._given[0] <= time:
            self._begin(self._given.pop(0))
        self._kept[index] = (time, frame)
        self._times[index] = time
        self._times.pop(index - self.lag, None)
        old = self._kept.get(index - self.lag)
        if old is not None and old[0] - self._start > self.after + 1e-6:
            del self._kept[index - self.lag]

    def cut(self, index: int) -> None:
        """A detected shot starts at frame `index` (fed at most `lag` frames ago)."""
        if self._given is None and index in self._times:
            self._begin(self._times[index])

    def finish(self, bounds: Sequence[tuple[float, float]]) -> list[np.ndarray | None]:
        """The still of every shot (start, end) in seconds, matched by start; None where none was kept."""
        self._begin(float("inf"))
        starts = np.array([start for start, _still in self._stills])
        stills: list[np.ndarray | None] = []
        for start, end in bounds:
            nearest = int(np.argmin(np.abs(starts - start))) if starts.size else -1
            near = nearest >= 0 and abs(starts[nearest] - start) < max(0.1, (end - start) / 2)
            stills.append(self._stills[nearest][1] if near else None)
        return stills

    def _begin(self, start: float) -> None:
        """A new shot starts at `start` s: choose the still of the one before from the frames kept for it."""
        if start <= self._start:
            return
        end = start
        before = [(t, frame) for t, frame in self._kept.values() if self._start - 1e-6 <= t < end]
        if end == float("inf"):
            end = max((t for t, _frame in before), default=self._start)
        target = still_time(self._start, end, self.after)
        best = min(before, key=lambda item: abs(item[0] - target), default=None)
        self._stills.append((self._start, thumbnail(best[1], self.width) if best is not None else None))
        self._kept = {i: item for i, item in self._kept.items() if item[0] >= start}
        self._start = start


def save_stills(stills: Sequence[np.ndarray | None], folder: Path) -> list[Path]:
    """Write the stills as shot_001.jpg, ... into `folder` (created); a missing still writes no file."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, still in enumerate(stills, start=1):
        if still is None:
            continue
        path = folder / still_name(number)
        if not cv2.imwrite(str(path), still, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
            raise OSError(f"{path}: could not write the still")
        written.append(path)
    return written


def still_name(number: int) -> str:
    """File name of shot `number`'s still (1-based), as save_stills writes it and the report reads it."""
    return f"shot_{number:03d}.jpg"


def saved_stills(folder: Path, shots: int) -> list[bytes | None] | None:
    """The JPEG stills `save_stills` wrote, one per shot, or None when they are not all there."""
    paths = [folder / still_name(number) for number in range(1, shots + 1)]
    if not all(path.is_file() for path in paths):
        return None
    return [path.read_bytes() for path in paths]


def stills_from_clip(video: Path, shots: list[Shot], fps: float, *,
                     width: int = STILL_WIDTH) -> list[bytes | None]:
    """A JPEG per shot sought in `video` at `still_time` (None where that frame cannot be decoded).

    For a folder whose stills were not kept while spotting. Encoders put a keyframe on a cut, so a
    seek a little after it decodes a few frames instead of up to a whole group of pictures per shot.
    """
    capture = cv2.VideoCapture(str(video))
    if not capture.isOpened():
        return [None] * len(shots)
    stills: list[bytes | None] = []
    try:
        for shot in shots:
            capture.set(cv2.CAP_PROP_POS_FRAMES, int(still_time(shot.start, shot.end) * fps))
            ok, frame = capture.read()
            if not ok or frame is None:
                stills.append(None)
                continue
            ok, jpeg = cv2.imencode(".jpg", thumbnail(frame, width), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            stills.append(jpeg.tobytes() if ok else None)
    finally:
        capture.release()
    return stills
