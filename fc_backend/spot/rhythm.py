"""Rhythm spots: every cut, plus motion impacts in the manner of CMT's visual beats.

A visual beat (Di et al., "Video Background Music Generation with Controllable Music Transformer",
after Davis and Agrawala's visual rhythm) is where motion suddenly stops or turns: a landing, a stop,
a hit, a bounce. The impact envelope is the directional decrease of flow between samples (the
directogram's fallen bins, measured by spot/motion.py; a curve without them falls back to the
decrease of the magnitude), high-passed so slow drifts do not count, and peak-picked with a minimum
spacing so the music is not asked to mark every flicker.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import find_peaks

from ..model import MotionCurve, RhythmSpot


def impact_envelope(curve: MotionCurve, cuts: list[float]) -> np.ndarray:
    """Directional decrease of flow at each sample, zero where the previous sample is in another shot."""
    times = np.asarray(curve.times, float)
    values = np.asarray(curve.values, float)
    if values.size < 2:
        return np.zeros(values.size)
    if len(curve.impacts) == values.size:
        decrease = np.asarray(curve.impacts, float)[1:]
    else:  # a curve from before directograms were kept
        decrease = np.maximum(values[:-1] - values[1:], 0.0)
    shot = np.searchsorted(np.asarray(sorted(cuts), float), times, side="right")
    drop = np.zeros(values.size)
    drop[1:] = np.where(shot[1:] == shot[:-1], decrease, 0.0)
    return drop


def motion_spots(curve: MotionCurve, cuts: list[float], *, min_spacing: float = 0.5,
                 cut_guard: float = 0.25, min_drop: float = 0.01, height: float = 0.35) -> list[RhythmSpot]:
    """Motion impacts, strength 0.3..0.8, none within `cut_guard` seconds of a cut.

    `min_drop` (frame widths per second) keeps noise in still pictures from becoming impacts.
    """
    drop = impact_envelope(curve, cuts)
    if drop.size < 3 or drop.max() < min_drop:
        return []
    times = np.asarray(curve.times, float)
    rate = (drop.size - 1) / max(times[-1] - times[0], 1e-9)  # samples per second
    window = max(3, int(round(rate * 1.5)) | 1)
    highpassed = np.maximum(drop - uniform_filter1d(drop, window, mode="nearest"), 0.0)
    scale = highpassed.max()
    if scale <= 0.0:
        return []
    norm = highpassed / scale
    peaks, _ = find_peaks(norm, height=height, distance=max(1, int(round(min_spacing * rate))))
    cut_times = np.asarray(cuts, float)
    spots = []
    for k in peaks:
        if drop[k] < min_drop or (cut_times.size and np.min(np.abs(cut_times - times[k])) < cut_guard):
            continue
        spots.append(RhythmSpot(time=float(times[k]), strength=round(0.3 + 0.5 * float(norm[k]), 4),
                                kind="motion"))
    return spots


def rhythm_spots(cuts: list[float], curve: MotionCurve, **options: float) -> list[RhythmSpot]:
    """Every cut (strength 1) and every motion impact, in time order."""
    spots = [RhythmSpot(time=t, strength=1.0, kind="cut") for t in cuts]
    spots += motion_spots(curve, cuts, **options)
    return sorted(spots, key=lambda s: s.time)
