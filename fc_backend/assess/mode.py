"""Mode reviewer: is the melody clearly, steadily and consistently in its key?"""

from __future__ import annotations

import numpy as np

from ..model import Criterion
from ..theory import key_correlation, rank_keys
from .analysis import Analysis
from .criteria import criterion, ramp

REVIEWER = "mode"
#: measures in a key-finding window
WINDOW = 4


def review(a: Analysis) -> list[Criterion]:
    return [key_clarity(a), tonal_stability(a), mode_consistency(a)]


def key_clarity(a: Analysis) -> Criterion:
    """Krumhansl-Kessler correlation of the duration-weighted pitch-class histogram with the key."""
    r = key_correlation(a.histogram(), a.key)
    source = "declared" if a.key_declared else "estimated"
    return criterion("key_clarity", REVIEWER, ramp(r, 0.2, 0.6),
                     f"pitch-class profile correlates r={r:.2f} with the {source} key {a.key_name}")


def tonal_stability(a: Analysis) -> Criterion:
    """Share of four-measure windows (hop one measure) that still fit the global key best.

    A window fits when the global key is among its three best-correlated keys (a phrase leaning
    to the dominant or the relative key is still in the key) or within 0.1 of the best.
    """
    width = min(WINDOW, a.measures)
    stable = total = 0
    for m in range(a.measures - width + 1):
        hist = a.histogram(m * a.per, (m + width) * a.per)
        if np.count_nonzero(hist) < 3:
            continue
        total += 1
        ranked = rank_keys(hist, a.key)
        top = [key for _, key in ranked[:3]]
        if a.key in top or key_correlation(hist, a.key) >= ranked[0][0] - 0.1:
            stable += 1
    if total == 0:
        return criterion("tonal_stability", REVIEWER, 0.5,
                         "too few pitches per window to judge key stability")
    share = stable / total
    return criterion("tonal_stability", REVIEWER, ramp(share, 0.1, 0.4),
                     f"{stable} of {total} {width}-measure windows ({share:.0%}) stay in {a.key_name}")


def mode_consistency(a: Analysis) -> Criterion:
    """Duration-weighted share of the melody inside the key's scale."""
    hist = a.histogram()
    if hist.sum() == 0:
        return criterion("mode_consistency", REVIEWER, 0.0, "the melody has no notes")
    inside = sum(hist[pc] for pc in a.key.idiomatic_pitch_classes()) / hist.sum()
    return criterion("mode_consistency", REVIEWER, ramp(inside, 0.6, 0.95),
                     f"{inside:.0%} of the sounding time is in the scale of {a.key_name}")
