"""How much the picture moves in each measure, for the parts that follow motion (the ostinato)."""

from __future__ import annotations

from ..model import Spotting, TempoMap


def measure_motion(spotting: Spotting, tm: TempoMap, measures: int, reference: float) -> list[float]:
    """Per measure, 0 (still) .. 1 (frantic): flow speed s as s / (s + reference).

    Speed is the mean of the motion curve's samples inside the measure, or, where the curve has
    none, the shots' speeds weighted by how much of the measure each covers.
    """
    curve = list(zip(spotting.motion_curve.times, spotting.motion_curve.values, strict=False))
    out = []
    for m in range(1, measures + 1):
        t0 = tm.measure_start(m)
        t1 = min(tm.measure_start(m + 1), max(spotting.duration, t0 + 1e-3))
        samples = [v for t, v in curve if t0 <= t < t1]
        if samples:
            speed = sum(samples) / len(samples)
        else:
            weight = total = 0.0
            for shot in spotting.shots:
                overlap = min(t1, shot.end) - max(t0, shot.start)
                if overlap > 0:
                    weight += overlap
                    total += overlap * shot.motion_speed
            speed = total / weight if weight else 0.0
        speed = max(0.0, speed)
        out.append(speed / (speed + reference) if reference > 0 else 1.0)
    return out
