"""A criterion's score is clipped to [0, 1] and its reason cites the value that was measured."""

from __future__ import annotations

import math

from ..model import Criterion


def criterion(key: str, reviewer: str, score: float, reason: str) -> Criterion:
    if not math.isfinite(score):
        score = 0.0
    return Criterion(key, reviewer, round(min(1.0, max(0.0, score)), 4), reason)


def ramp(value: float, zero: float, one: float) -> float:
    """0 at `zero`, 1 at `one`, linear between (either direction), clipped."""
    if one == zero:
        return 1.0 if value >= one else 0.0
    return min(1.0, max(0.0, (value - zero) / (one - zero)))
