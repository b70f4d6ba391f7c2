"""How much the picture moves in each measure, for the parts that follow motion (the ostinato)."""

from __future__ import annotations

from ..model import Spotting, TempoMap


def measure_motion(spotting: Spotting, tm: TempoMap, measures: int, reference: float) -> list[float]:
    """Per measure, 0 (still) .. 1 (frantic): flow speed s as s / (s + reference).

    Speed is the mean of the motion curve's samples inside the measure, or, where the curve has
    none, the shots' speeds weighted by how much of the measure each covers.
    """
    out = []
    for m in range(1, measures + 1):
        t0 = tm.measure_start(m)
        speed = spotting.motion_between(t0, min(tm.measure_start(m + 1), max(spotting.duration, t0 + 1e-3)))
        out.append(speed / (speed + reference) if reference > 0 else 1.0)
    return out
