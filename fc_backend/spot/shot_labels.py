"""Setting, behaviour and theme of a shot from what pixels and optical flow can honestly show.

No semantics here (that is the vision model's job, spot/vision.py), so each label is claimed only
where a plain measure supports it, and stays None (unknown) otherwise:

- setting: a clear blue sky in the top third is open air; green texture filling the lower half is
  vegetation; blue filling the lower half under a sky, or with ripples, is water; blue sky top *and*
  bottom is the sky itself. `indoor`, `city`, `space` and `fantasy` need semantics: never claimed here.
- behaviour: the pace of what moves on screen, from the shot's mean flow speed (frame widths per
  second) and how steady it is: no motion is `still`; steady motion is `walking` pace, fast steady
  motion `running` pace. Flicker (motion that comes and goes, e.g. a flashing light) is no pace at all,
  and a picture without texture (clear sky) shows the flow no motion to measure.
- theme: a documented rule from setting, emotion, brightness and pace (THEME_RULES, first match).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: OpenCV hue (0..179) ranges: sky/water blue (cyan to blue), vegetation green
BLUE_HUES, GREEN_HUES = (85, 130), (35, 85)
#: a region is "sky-coloured" / "green" / "blue" when this share of its pixels is
SKY_SHARE, GREEN_SHARE, BLUE_SHARE = 0.5, 0.35, 0.4
#: Canny edge share below which a region is smooth (clear sky), at or above which it has texture
TEXTURE = 0.03
#: flow speed (frame widths per second) below which nothing moves, and from which the pace is a run
STILL_SPEED, RUN_SPEED = 0.005, 0.06
#: share of edge pixels below which optical flow has nothing to follow (it reads such a pan as still)
MIN_TEXTURE = 0.002
#: coefficient of variation of the shot's flow samples above which the motion is flicker, not a pace
UNSTEADY = 0.8


@dataclass
class Regions:
    """Colour and texture of the frame's top third and bottom half (shares of their pixels)."""

    sky_top: float = 0.0  # bright, saturated blue in the top third
    edges_top: float = 0.0
    sky_bottom: float = 0.0  # the same in the bottom half
    green_bottom: float = 0.0  # saturated green in the bottom half
    edges_bottom: float = 0.0


def regions(hsv: np.ndarray, edges: np.ndarray) -> Regions:
    """Region statistics of one frame from its HSV image and its Canny edge map (same size)."""
    h = hsv.shape[0]
    top, bottom = slice(0, max(1, h // 3)), slice(h // 2, h)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    sky = (hue >= BLUE_HUES[0]) & (hue < BLUE_HUES[1]) & (sat >= 40) & (val >= 110)
    green = (hue >= GREEN_HUES[0]) & (hue < GREEN_HUES[1]) & (sat >= 50) & (val >= 40)
    textured = edges > 0
    return Regions(sky_top=float(sky[top].mean()), edges_top=float(textured[top].mean()),
                   sky_bottom=float(sky[bottom].mean()), green_bottom=float(green[bottom].mean()),
                   edges_bottom=float(textured[bottom].mean()))


def frame_regions(small_bgr: np.ndarray) -> Regions:
    """Regions of a BGR frame (for tests and tools; frame_stats reuses its own HSV and edges)."""
    gray = cv2.cvtColor(small_bgr, cv2.COLOR_BGR2GRAY)
    return regions(cv2.cvtColor(small_bgr, cv2.COLOR_BGR2HSV), cv2.Canny(gray, 80, 160))


def setting_label(r: Regions) -> str | None:
    """Where the shot is, as far as colour and texture tell (see the module docstring)."""
    sky_above = r.sky_top >= SKY_SHARE and r.edges_top < TEXTURE
    if sky_above and r.sky_bottom >= SKY_SHARE and r.edges_bottom < TEXTURE:
        return "sky"  # a clear sky fills the frame: looking up, or flying
    if r.sky_bottom >= BLUE_SHARE and (sky_above or r.edges_bottom >= TEXTURE):
        return "water"  # blue below a sky, or rippled blue
    if r.green_bottom >= GREEN_SHARE and r.edges_bottom >= TEXTURE:
        return "nature"  # foliage and grass: green with texture
    if sky_above:
        return "outdoor"
    return None


def mean_regions(samples: list[Regions]) -> Regions:
    if not samples:
        return Regions()
    return Regions(*(float(np.mean([getattr(s, name) for s in samples]))
                     for name in ("sky_top", "edges_top", "sky_bottom", "green_bottom", "edges_bottom")))


def behaviour_label(speed: float, variation: float, texture: float = 1.0) -> str | None:
    """The pace of the shot's motion: `speed` its mean flow, `variation` the flow's coefficient of
    variation over the shot (0: perfectly steady), `texture` the share of edge pixels. A picture with
    no texture (a clear sky, a plain wall) shows flow nothing to follow: no pace is claimed for it."""
    if texture < MIN_TEXTURE:
        return None
    if speed < STILL_SPEED:
        return "still"
    if variation > UNSTEADY:
        return None
    return "running" if speed >= RUN_SPEED else "walking"


def motion_variation(times: list[float], values: list[float], start: float, end: float) -> float:
    """Coefficient of variation of the flow samples in [start, end); 0 with fewer than two."""
    inside = np.array([v for t, v in zip(times, values, strict=True) if start <= t < end])
    if inside.size < 2 or inside.mean() <= 0:
        return 0.0
    return float(inside.std() / inside.mean())


#: (settings or None for any, emotions or None, brightness labels or None, paces or None) -> theme; the
#: first rule that matches wins. Why: a dark or dim tense/fearful picture is suspense (mystery); sad
#: pictures tragedy; a fast heroic, tense or joyous chase is adventure; open country, water and sky in a
#: calm, graceful, dreamy or joyous mood are a nature film; a dreamy picture elsewhere is fantasy.
Allowed = frozenset[str] | None
THEME_RULES: tuple[tuple[Allowed, Allowed, Allowed, Allowed, str], ...] = (
    (None, frozenset({"tense", "fear"}), frozenset({"dark", "dim"}), None, "mystery"),
    (None, frozenset({"sad"}), None, None, "tragedy"),
    (None, frozenset({"heroic", "tense", "joyous"}), None, frozenset({"running"}), "adventure"),
    (frozenset({"nature", "water", "sky", "outdoor"}), frozenset({"calm", "graceful", "dreamy", "joyous"}),
     None, None, "nature"),
    (None, frozenset({"dreamy"}), None, None, "fantasy"),
)


def theme_label(setting: str | None, emotion: str | None, brightness: str | None,
                behaviour: str | None) -> str | None:
    """The first THEME_RULES entry whose every given field matches; None when none does."""
    for settings, emotions, lights, paces, theme in THEME_RULES:
        if all(allowed is None or value in allowed
               for allowed, value in ((settings, setting), (emotions, emotion), (lights, brightness),
                                      (paces, behaviour))):
            return theme
    return None
