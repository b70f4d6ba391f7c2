"""One still per shot, taken from the clip a little after the cut, as JPEG bytes.

A little after the cut rather than the middle: encoders put a keyframe on a cut, so a seek lands
near it and decodes a few frames instead of up to a whole group of pictures per shot.
"""

from __future__ import annotations

from pathlib import Path

import cv2

from ..model import Shot
from ..spot.stills import JPEG_QUALITY, STILL_WIDTH, still_time, thumbnail


def shot_thumbnails(video: Path, shots: list[Shot], fps: float, *,
                    width: int = STILL_WIDTH) -> list[bytes | None]:
    """A JPEG per shot (None where that frame cannot be decoded)."""
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
