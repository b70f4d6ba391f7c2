"""One still per shot, taken from the clip a little after the cut, as JPEG bytes.

A little after the cut rather than the middle: encoders put a keyframe on a cut, so a seek lands
near it and decodes a few frames instead of up to a whole group of pictures per shot.
"""

from __future__ import annotations

from pathlib import Path

import cv2

from ..model import Shot

#: thumbnails are this wide (pixels); the still is taken at most this long after the cut (s)
THUMB_WIDTH = 256
MAX_OFFSET = 1.0


def shot_thumbnails(video: Path, shots: list[Shot], fps: float, *,
                    width: int = THUMB_WIDTH) -> list[bytes | None]:
    """A JPEG per shot (None where that frame cannot be decoded)."""
    capture = cv2.VideoCapture(str(video))
    if not capture.isOpened():
        return [None] * len(shots)
    stills: list[bytes | None] = []
    try:
        for shot in shots:
            at = shot.start + min(shot.duration / 2, MAX_OFFSET)
            capture.set(cv2.CAP_PROP_POS_FRAMES, int(at * fps))
            ok, frame = capture.read()
            if not ok or frame is None:
                stills.append(None)
                continue
            h, w = frame.shape[:2]
            if w > width:
                frame = cv2.resize(frame, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)
            ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 82])
            stills.append(jpeg.tobytes() if ok else None)
    finally:
        capture.release()
    return stills
