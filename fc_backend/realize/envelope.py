"""The one reading of a track's volume envelope, shared by the renderer and the .RPP writer.

A plan's `volume_envelope` gives a level per point (usually one per measure): the gain holds from a
point until the next one. A held level that jumps clicks, so each change is a short linear ramp that
ends on the point's time (the downbeat is already at its new level). Written as breakpoints with
linear interpolation, REAPER's linear envelope shape plays exactly the curve the offline mix renders.
"""

from __future__ import annotations

import numpy as np

from ..model import EnvelopePoint

#: length of the ramp into each new level, seconds (20-50 ms: no zipper noise, no audible fade)
RAMP = 0.03


def envelope_breakpoints(points: list[EnvelopePoint], *, ramp: float = RAMP) -> list[tuple[float, float]]:
    """(time, gain) breakpoints to interpolate linearly; empty when the track has no envelope.

    Example: points at 0 s (1.0) and 2 s (0.5) -> [(0.0, 1.0), (1.97, 1.0), (2.0, 0.5)].
    """
    ordered = sorted(points, key=lambda p: p.time)
    out: list[tuple[float, float]] = []
    for point in ordered:
        if out and point.gain != out[-1][1]:
            start = max(point.time - ramp, out[-1][0])
            if start > out[-1][0]:
                out.append((start, out[-1][1]))
        if out and point.time <= out[-1][0]:
            out[-1] = (out[-1][0], point.gain)  # a point on top of another: the later one wins
        else:
            out.append((max(point.time, 0.0), max(point.gain, 0.0)))
    return out


def gain_block(breakpoints: list[tuple[float, float]], start: int, n_samples: int,
               sample_rate: int) -> np.ndarray:
    """Per-sample gain (float32) of samples [start, start + n_samples): the breakpoints interpolated
    linearly, the first level held before them and the last after them. Any block of a clip can be
    computed on its own, so a streaming mix needs no envelope state."""
    times = np.arange(start, start + n_samples, dtype=np.float64) / sample_rate
    bp_times = np.array([t for t, _ in breakpoints], dtype=np.float64)
    bp_gains = np.array([g for _, g in breakpoints], dtype=np.float64)
    return np.interp(times, bp_times, bp_gains).astype(np.float32)


def gain_curve(points: list[EnvelopePoint], n_samples: int, sample_rate: int) -> np.ndarray | None:
    """Per-sample gain (float32) for `n_samples` from 0, or None when there is no envelope (gain 1)."""
    breakpoints = envelope_breakpoints(points)
    if not breakpoints:
        return None
    return gain_block(breakpoints, 0, n_samples, sample_rate)
