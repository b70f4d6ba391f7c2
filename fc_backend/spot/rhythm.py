"""Rhythm spots: every cut, every flash (an accent), plus motion impacts as CMT's visual beats.

A visual beat (Di et al., "Video Background Music Generation with Controllable Music Transformer",
after Davis and Agrawala's visual rhythm) is where motion suddenly stops or turns: a landing, a stop,
a hit, a bounce. The impact envelope is the directional decrease of flow between samples (the
directogram's fallen bins, measured by spot/motion.py; a curve without them falls back to the
decrease of the magnitude), high-passed so slow drifts do not count, and peak-picked with a minimum
spacing so the music is not asked to mark every flicker.
"""

from __future__ import annotations

from collections.abc import Sequence

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


#: strength of an accent (a flash: lightning, a muzzle flash): below a cut, above most impacts
ACCENT_STRENGTH = 0.7


def rhythm_spots(cuts: list[float], curve: MotionCurve, accents: Sequence[float] = (), *,
                 cut_guard: float = 0.25, **options: float) -> list[RhythmSpot]:
    """Every cut (strength 1), every flash as an accent and every motion impact, in time order.

    An accent or impact within `cut_guard` seconds of a stronger spot is the same event: dropped.
    """
    spots = [RhythmSpot(time=t, strength=1.0, kind="cut") for t in cuts]
    marked = list(cuts)
    for t in sorted(accents):
        if all(abs(t - m) >= cut_guard for m in marked):
            spots.append(RhythmSpot(time=float(t), strength=ACCENT_STRENGTH, kind="accent"))
            marked.append(t)
    spots += [s for s in motion_spots(curve, cuts, cut_guard=cut_guard, **options)
              if all(abs(s.time - m) >= cut_guard for m in marked)]
    return sorted(spots, key=lambda s: s.time)
