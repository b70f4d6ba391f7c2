"""Optical-flow motion: a magnitude curve sampled a few times a second, never across a cut.

Magnitudes are in frame widths per second, so the same motion reads the same at any resolution,
frame rate or sampling step.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from ..model import MotionCurve


@dataclass
class FlowSample:
    """Mean flow magnitude between frames `start` and `end` (frame widths per second)."""

    start: int
    end: int
    magnitude: float


class FlowTracker:
    """Farneback flow between sampled frames; `cut()` restarts the chain at a shot boundary."""

    def __init__(self, fps: float, *, flow_fps: float = 8.0, width: int = 160) -> None:
        self.fps = fps
        self.width = width
        self.step = max(1, round(fps / flow_fps))
        self.samples: list[FlowSample] = []
        self._prev: tuple[int, np.ndarray] | None = None
        # the cut detector reports a cut a few frames late; keep those frames to restart from
        self._recent: deque[tuple[int, np.ndarray]] = deque(maxlen=8)

    def feed(self, index: int, small_bgr: np.ndarray) -> None:
        h, w = small_bgr.shape[:2]
        size = (self.width, max(8, round(h * self.width / w)))
        gray = cv2.cvtColor(cv2.resize(small_bgr, size, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
        self._recent.append((index, gray))
        if self._prev is None:
            self._prev = (index, gray)
        elif index - self._prev[0] >= self.step:
            start, before = self._prev
            flow = cv2.calcOpticalFlowFarneback(before, gray, None, 0.5, 3, 15, 3, 5, 1.2, 0)
            pixels = float(np.mean(np.hypot(flow[..., 0], flow[..., 1])))
            seconds = (index - start) / self.fps
            self.samples.append(FlowSample(start, index, pixels / self.width / seconds))
            self._prev = (index, gray)

    def cut(self, at: int) -> None:
        """A new shot starts at frame `at`: forget flow across it and restart the chain there."""
        self.samples = [s for s in self.samples if not s.start < at <= s.end]
        if any(s.start >= at for s in self.samples):
            return
        self._prev = next(((i, g) for i, g in self._recent if i == at), None)

    def curve(self) -> MotionCurve:
        """The samples as a curve, each placed at the middle of its frame pair."""
        return MotionCurve(times=[(s.start + s.end) / 2 / self.fps for s in self.samples],
                           values=[s.magnitude for s in self.samples])


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
