"""Dynamic variation: does the music get louder where the picture moves more?

Pearson correlation between the motion curve and the master's momentary loudness at the same
instants, and between each shot's motion speed and its mean loudness (the arranger decides levels
per measure, so the per-shot figure is the one its choices answer for).
"""

from __future__ import annotations

import numpy as np

from ..loudness import MOMENTARY, k_weighted, loudness_curve
from ..model import MotionCurve, Shot

#: silence is clamped to this loudness before correlating (-inf has no correlation)
FLOOR_LUFS = -70.0


def dynamic_variation(curve: MotionCurve, shots: list[Shot], audio: np.ndarray, sample_rate: int, *,
                      weighted: np.ndarray | None = None) -> dict[str, float | int | None]:
    """Motion/loudness correlations over the curve's samples and over shots (None when undefined)."""
    if weighted is None:
        weighted = k_weighted(audio, sample_rate)
    times, lufs = loudness_curve(audio, sample_rate, window=MOMENTARY, hop=0.05, weighted=weighted)
    lufs = np.maximum(lufs, FLOOR_LUFS)
    motion_t, motion_v = np.asarray(curve.times, float), np.asarray(curve.values, float)
    curve_r = None
    if len(times) > 1 and len(motion_t) > 2:
        curve_r = _pearson(motion_v, np.interp(motion_t, times, lufs))
    shot_loudness = []
    for shot in shots:
        inside = (times >= shot.start) & (times < shot.end)
        power = np.mean(10 ** (lufs[inside] / 10)) if inside.any() else 10 ** (FLOOR_LUFS / 10)
        shot_loudness.append(10 * np.log10(power))
    shot_r = _pearson(np.array([s.motion_speed for s in shots]), np.array(shot_loudness)) \
        if len(shots) > 2 else None
    return {"motion_samples": int(len(motion_t)), "curve_r": curve_r, "shots": len(shots), "shot_r": shot_r}


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        return None
    return round(float(np.corrcoef(x, y)[0, 1]), 4)
