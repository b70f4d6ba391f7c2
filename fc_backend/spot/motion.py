"""Optical-flow motion: a magnitude curve sampled a few times a second, never across a cut.

Magnitudes are in frame widths per second, so the same motion reads the same at any resolution,
frame rate or sampling step. Each sample also keeps its directogram (Davis and Agrawala, "Visual
Rhythm and Beat", 2018; the visual beats of CMT): the flow magnitude binned by direction. Where the
motion in some direction stops, that bin falls; summed over the bins this is the impact envelope, so a
bounce (the same speed, the other way) is an impact although the speed never drops.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ..model import MotionCurve

#: directions of the directogram (45 degrees each)
DIRECTIONS = 8


@dataclass
class FlowSample:
    """Mean flow magnitude between frames `start` and `end` (frame widths per second), and the same
    magnitude split by flow direction (`directions`, DIRECTIONS bins summing to `magnitude`)."""

    start: int
    end: int
    magnitude: float
    directions: np.ndarray | None = None


class FlowTracker:
    """Farneback flow between sampled frames; `cut()` restarts the chain at a shot boundary."""

    def __init__(self, fps: float, *, flow_fps: float = 8.0, width: int = 160) -> None:
        self.fps = fps
        self.width = width
        self.step = max(1, round(fps / flow_fps))
        self.samples: list[FlowSample] = []
        self._prev: tuple[int, float | None, np.ndarray] | None = None
        # the cut detector reports a cut several frames late; keep those frames to restart from
        self._recent: deque[tuple[int, float | None, np.ndarray]] = deque(maxlen=16)

    def feed(self, index: int, small_bgr: np.ndarray, time: float | None = None) -> None:
        """Frame `index`, shown at `time` seconds (its timestamp; None: index / fps)."""
        h, w = small_bgr.shape[:2]
        size = (self.width, max(8, round(h * self.width / w)))
        gray = cv2.cvtColor(cv2.resize(small_bgr, size, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
        self._recent.append((index, time, gray))
        if self._prev is None:
            self._prev = (index, time, gray)
        elif index - self._prev[0] >= self.step:
            start, start_time, before = self._prev
            flow = cv2.calcOpticalFlowFarneback(before, gray, None, 0.5, 3, 15, 3, 5, 1.2, 0)
            magnitude, angle = cv2.cartToPolar(flow[..., 0], flow[..., 1])
            bins = (angle * (DIRECTIONS / (2 * np.pi)) + 0.5).astype(np.intp) % DIRECTIONS
            directogram = np.bincount(bins.ravel(), weights=magnitude.ravel(), minlength=DIRECTIONS)
            seconds = (index - start) / self.fps
            if time is not None and start_time is not None and time > start_time:
                seconds = time - start_time  # variable frame rate: the frames' own clock
            directogram /= magnitude.size * self.width * seconds
            self.samples.append(FlowSample(start, index, float(directogram.sum()), directogram))
            self._prev = (index, time, gray)

    def cut(self, at: int) -> None:
        """A new shot starts at frame `at`: forget flow across it and restart the chain there."""
        self.samples = [s for s in self.samples if not s.start < at <= s.end]
        if any(s.start >= at for s in self.samples):
            return
        self._prev = next((entry for entry in self._recent if entry[0] == at), None)

    def curve(self, frame_times: Sequence[float] | Callable[[int], float] | None = None) -> MotionCurve:
        """The samples as a curve, each placed at the middle of its frame pair.

        `frame_times` gives each frame's time (a sequence indexed by frame, or a function); by default
        index / fps.
        """
        if frame_times is None:
            def at(i: int) -> float:
                return i / self.fps
        elif callable(frame_times):
            at = frame_times
        else:
            at = frame_times.__getitem__
        return MotionCurve(times=[(float(at(s.start)) + float(at(s.end))) / 2 for s in self.samples],
                           values=[s.magnitude for s in self.samples], impacts=self.impacts())

    def impacts(self) -> list[float]:
        """At each sample, how much motion stopped since the sample before: the directogram's bins
        that fell, summed (frame widths per second). Zero where the chain restarted (a cut)."""
        out = [0.0] * len(self.samples)
        for k in range(1, len(self.samples)):
            before, now = self.samples[k - 1], self.samples[k]
            if before.end == now.start and before.directions is not None and now.directions is not None:
                out[k] = float(np.maximum(before.directions - now.directions, 0.0).sum())
        return out


def shot_motion(curve: MotionCurve, start: float, end: float) -> tuple[float, float]:
    """(speed, saliency) of the shot [start, end): paper eq. 4 and 5.

    Speed is the mean flow magnitude; saliency the mean positive increase between consecutive
    samples, i.e. how much the motion surges rather than how much there is.
    """
    values = np.array([v for t, v in zip(curve.times, curve.values, strict=True) if start <= t < end])
    if values.size == 0:
        return 0.0, 0.0
    speed = float(values.mean())
    saliency = float(np.maximum(np.diff(values), 0.0).mean()) if values.size > 1 else 0.0
    return speed, saliency
