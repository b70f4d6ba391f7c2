"""Hard cuts with PySceneDetect's own detector, fed frame by frame from our single decode pass.

The demo's sources move a lot (the Game of Life flips a third of its cells on the first frames), so
a fixed content threshold cannot separate motion from cuts. The adaptive detector compares each
frame's content change with the frames around it: a cut is an isolated spike, motion is not.
"""

from __future__ import annotations

import cv2
import numpy as np
from scenedetect import FrameTimecode
from scenedetect.detectors import AdaptiveDetector

#: frames are downscaled to this width before detection: 16x less work at 720p, same cuts
DETECT_WIDTH = 320


class CutDetector:
    """Feed every frame in order; collects the frame numbers where a new shot starts."""

    def __init__(self, fps: float, *, min_shot_frames: int = 6, adaptive_threshold: float = 2.4,
                 min_content: float = 20.0, window: int = 2) -> None:
        self.fps = fps
        self.cuts: list[int] = []
        self._detector = AdaptiveDetector(adaptive_threshold=adaptive_threshold,
                                          min_scene_len=min_shot_frames, window_width=window,
                                          min_content_val=min_content)
        self._last = 0

    def feed(self, index: int, small_bgr: np.ndarray) -> list[int]:
        """Process frame `index` (already downscaled); returns cuts found now (they may lag a little)."""
        self._last = index
        events = self._detector.process_frame(FrameTimecode(index, self.fps), small_bgr)
        found = [tc.frame_num for tc in events]
        self.cuts += found
        return found

    def flush(self) -> list[int]:
        """Cuts the detector still holds after the last frame."""
        found = [tc.frame_num for tc in self._detector.post_process(FrameTimecode(self._last, self.fps))]
        self.cuts += found
        return found


def downscale(frame: np.ndarray, width: int) -> np.ndarray:
    """`frame` resized to `width` pixels wide (aspect kept); unchanged when already that narrow.

    Bilinear, not area averaging: 7x cheaper at 720p and the cut scores' margins measured the same.
    """
    h, w = frame.shape[:2]
    if w <= width:
        return frame
    return cv2.resize(frame, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_LINEAR)


def shot_bounds(cuts: list[int], frame_count: int, fps: float) -> list[tuple[float, float]]:
    """(start, end) seconds of every shot: the first starts at 0, the last ends at the duration."""
    edges = [0, *sorted(c for c in set(cuts) if 0 < c < frame_count), frame_count]
    return [(a / fps, b / fps) for a, b in zip(edges, edges[1:], strict=False)]
