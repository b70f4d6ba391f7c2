"""Visual attributes of paper table 6 from image statistics of a few frames per shot.

Brightness, hue and shot scale are measured; emotion is read off a valence (light, warm colour) /
arousal (motion) plane, after Russell's circumplex. Setting, behaviour and theme are claimed only where
colour, texture and motion support them (shot_labels.py); the rest needs semantics (a vision LLM).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..model import Shot, VisualAttributes
from .shot_labels import Regions, behaviour_label, mean_regions, regions, setting_label, theme_label

log = logging.getLogger(__name__)

#: hue, saturation and value bins of a frame's colour histogram (its palette, for telling settings apart)
COLOUR_BINS = (12, 3, 4)

#: OpenCV hue (0..179, half degrees) -> index into HUES; red wraps around 0
HUES = ("red", "orange", "yellow", "green", "cyan", "blue", "purple")
_HUE_EDGES = ((0, 8, 0), (8, 20, 1), (20, 35, 2), (35, 80, 3), (80, 100, 4), (100, 130, 5), (130, 172, 6),
              (172, 180, 0))
_HUE_LUT = np.zeros(180, np.int64)
for _lo, _hi, _bin in _HUE_EDGES:
    _HUE_LUT[_lo:_hi] = _bin
_WARMTH = np.array([1.0, 1.0, 0.6, 0.0, -0.6, -1.0, -0.4])

#: (valence, arousal) prototype of each emotion label, both in [-1, 1]
EMOTION_PLANE: dict[str, tuple[float, float]] = {
    "joyous": (0.8, 0.5), "heroic": (0.4, 0.85), "tense": (-0.4, 0.6), "fear": (-0.8, 0.85),
    "graceful": (0.6, -0.3), "calm": (0.4, -0.8), "dreamy": (0.0, -0.45), "sad": (-0.6, -0.6),
    "dignified": (-0.3, 0.1),
}
#: motion speed (frame widths per second) that counts as neutral arousal
NEUTRAL_SPEED = 0.05
#: a face smaller than this fraction of the frame height is not looked for (and would be a long shot)
MIN_FACE = 0.1
#: faces are looked for on frames this wide: a MIN_FACE face is still above the cascade's 24 pixels
FACE_WIDTH = 480


@dataclass
class FrameStats:
    """Image statistics of one sampled frame."""

    index: int
    luma: float  # mean, 0..255
    hues: np.ndarray  # saturated-pixel count per HUES bin
    saturated: float  # fraction of pixels with a definite colour
    edges: float  # fraction of Canny edge pixels
    face: float | None  # largest face height / frame height; None when not looked for
    regions: Regions = field(default_factory=Regions)  # sky, green and texture by region (setting)
    #: the palette: a normalised hue x saturation x value histogram (COLOUR_BINS), what scenes compare
    colours: np.ndarray | None = None


#: where the frontal-face cascade may be: OpenCV's wheel (4.x), Debian's opencv-data
CASCADE_FILE = "haarcascade_frontalface_default.xml"
CASCADE_DIRS = ("/usr/share/opencv4/haarcascades", "/usr/share/opencv/haarcascades")


@lru_cache(maxsize=1)
def face_cascade() -> Any | None:
    """OpenCV's Haar face detector, or None where this OpenCV build or its data lacks it.

    OpenCV 5 moved CascadeClassifier to the contrib build and ships no cascade files; without it
    shot scale falls back to detail density.
    """
    make = getattr(cv2, "CascadeClassifier", None)
    if make is None:
        log.info("this OpenCV has no CascadeClassifier: shot scale from detail density only")
        return None
    bundled = getattr(getattr(cv2, "data", None), "haarcascades", "")
    for folder in (bundled, *CASCADE_DIRS):
        path = Path(folder) / CASCADE_FILE
        if folder and path.is_file():
            cascade = make(str(path))
            if not cascade.empty():
                return cascade
    log.info("no %s found: shot scale from detail density only", CASCADE_FILE)
    return None


#: a row or column of bars holds nothing brighter than this (video black decodes to 0..~20)
BAR_LUMA = 24
#: bars on both sides, each at least this fraction of the frame and within this fraction of each other
MIN_BAR, BAR_ASYMMETRY = 0.02, 0.03

#: (top, bottom, left, right) pixel bounds of the picture inside a frame: rows top..bottom-1 etc.
Area = tuple[int, int, int, int]


def active_area(small_bgr: np.ndarray) -> Area | None:
    """The picture inside letterbox (scope) or pillarbox bars, or None when the frame has no bars.

    Bars come in pairs of about equal size on opposite sides: a dark sky at the top alone is picture,
    and so is a frame that is dark all over (nothing to measure the bars against).
    """
    gray = cv2.cvtColor(small_bgr, cv2.COLOR_BGR2GRAY) if small_bgr.ndim == 3 else small_bgr
    h, w = gray.shape
    lit_rows = np.flatnonzero(gray.max(axis=1) > BAR_LUMA)
    lit_cols = np.flatnonzero(gray.max(axis=0) > BAR_LUMA)
    if lit_rows.size == 0 or lit_cols.size == 0:
        return None
    top, bottom = _bars(int(lit_rows[0]), h - 1 - int(lit_rows[-1]), h)
    left, right = _bars(int(lit_cols[0]), w - 1 - int(lit_cols[-1]), w)
    if top == bottom == left == right == 0:
        return None
    return top, h - bottom, left, w - right


def _bars(first: int, last: int, size: int) -> tuple[int, int]:
    """The pair of bars (dark lines before the picture, after it), or (0, 0) when they are no pair."""
    if min(first, last) >= MIN_BAR * size and abs(first - last) <= BAR_ASYMMETRY * size + 2:
        return first, last
    return 0, 0


def crop(frame: np.ndarray, area: Area | None, reference_width: int) -> np.ndarray:
    """`frame` cut to `area`, which was measured on a frame `reference_width` pixels wide."""
    if area is None:
        return frame
    scale = frame.shape[1] / reference_width
    top, bottom, left, right = (round(v * scale) for v in area)
    return frame[top:max(bottom, top + 1), left:max(right, left + 1)]


def frame_stats(index: int, small_bgr: np.ndarray, face_source: np.ndarray | None = None, *,
                area: Area | None = None) -> FrameStats:
    """Statistics of a downscaled frame, plus face detection on `face_source` when given (the costly part).

    With `area` (see active_area, measured on `small_bgr`), only the picture inside the bars counts:
    bars are neither darkness nor detail, and a face's size is relative to the picture's height.
    """
    width = small_bgr.shape[1]
    small_bgr = crop(small_bgr, area, width)
    if face_source is not None:
        face_source = crop(face_source, area, width)
    hsv = cv2.cvtColor(small_bgr, cv2.COLOR_BGR2HSV)
    gray = cv2.cvtColor(small_bgr, cv2.COLOR_BGR2GRAY)
    mask = (hsv[..., 1] >= 60) & (hsv[..., 2] >= 40)
    hues = np.bincount(_HUE_LUT[hsv[..., 0][mask]], minlength=len(HUES)).astype(float)
    colours = cv2.calcHist([hsv], [0, 1, 2], None, list(COLOUR_BINS), [0, 180, 0, 256, 0, 256]).ravel()
    colours /= max(1.0, float(colours.sum()))
    face = None
    cascade = face_cascade() if face_source is not None else None
    if face_source is not None and cascade is not None:
        h, w = face_source.shape[:2]
        if w > FACE_WIDTH:
            size = (FACE_WIDTH, round(h * FACE_WIDTH / w))
            face_source = cv2.resize(face_source, size, interpolation=cv2.INTER_AREA)
            h = face_source.shape[0]
        face_gray = cv2.cvtColor(face_source, cv2.COLOR_BGR2GRAY)
        side = max(24, int(MIN_FACE * h))
        found = cascade.detectMultiScale(face_gray, scaleFactor=1.2, minNeighbors=5, minSize=(side, side))
        face = max((float(fh) / h for (_x, _y, _w, fh) in found), default=0.0)
    edges = cv2.Canny(gray, 80, 160)
    return FrameStats(index=index, luma=float(gray.mean()), hues=hues, saturated=float(mask.mean()),
                      edges=float(np.count_nonzero(edges)) / gray.size, face=face,
                      regions=regions(hsv, edges), colours=colours)


def brightness_label(luma: float) -> str:
    return "dark" if luma < 45 else "dim" if luma < 90 else "normal" if luma < 170 else "bright"


def hue_label(hues: np.ndarray, saturated: float) -> str:
    """Dominant hue of the saturated pixels, 'neutral' when too few pixels carry a colour."""
    if saturated < 0.1 or hues.sum() == 0:
        return "neutral"
    return HUES[int(np.argmax(hues))]


def view_scale_label(face: float | None, edges: float) -> str:
    """Shot scale from the largest face; without one, from detail density (dense detail: far away)."""
    if face:
        return ("extreme close-up" if face >= 0.5 else "close-up" if face >= 0.25
                else "medium shot" if face >= 0.1 else "long shot")
    return ("extreme long shot" if edges >= 0.12 else "long shot" if edges >= 0.05
            else "medium shot" if edges >= 0.02 else "close-up")


def valence_arousal(luma: float, hues: np.ndarray, saturated: float, speed: float) -> tuple[float, float]:
    """Light and warm pictures read positive; fast motion reads aroused."""
    light = float(np.clip((luma / 255.0 - 0.45) * 2.5, -1.0, 1.0))
    warmth = float(hues @ _WARMTH / hues.sum()) * min(1.0, saturated * 2.0) if hues.sum() else 0.0
    valence = float(np.clip(0.7 * light + 0.5 * warmth, -1.0, 1.0))
    arousal = 2.0 * speed / (speed + NEUTRAL_SPEED) - 1.0
    return valence, arousal


def emotion_label(valence: float, arousal: float) -> str:
    """The emotion whose prototype on the valence/arousal plane is nearest."""
    return min(EMOTION_PLANE, key=lambda e: math.dist(EMOTION_PLANE[e], (valence, arousal)))


def shot_attributes(samples: list[FrameStats], speed: float, variation: float = 0.0) -> VisualAttributes:
    """Attributes of one shot from its sampled frames, its motion speed and how much that varies
    (the flow samples' coefficient of variation)."""
    if not samples:
        return VisualAttributes()
    luma = float(np.mean([s.luma for s in samples]))
    hues = np.sum([s.hues for s in samples], axis=0)
    saturated = float(np.mean([s.saturated for s in samples]))
    edges = float(np.mean([s.edges for s in samples]))
    faces = [s.face for s in samples if s.face is not None]
    face = max(faces) if faces else None
    brightness = brightness_label(luma)
    emotion = emotion_label(*valence_arousal(luma, hues, saturated, speed))
    setting = setting_label(mean_regions([s.regions for s in samples]))
    behaviour = behaviour_label(speed, variation, edges)
    return VisualAttributes(setting=setting, brightness=brightness, hue=hue_label(hues, saturated),
                            behaviour=behaviour, view_scale=view_scale_label(face, edges), emotion=emotion,
                            theme=theme_label(setting, emotion, brightness, behaviour))


def main_emotion(shots: list[Shot]) -> str:
    """The emotion that holds longest over `shots` ("" when no shot has one): a clip's, or a cue's."""
    weights: Counter[str] = Counter()
    for shot in shots:
        if shot.attributes.emotion:
            weights[shot.attributes.emotion] += shot.duration
    return weights.most_common(1)[0][0] if weights else ""
