"""Mode reviewer: is the melody clearly, steadily and consistently in its key?"""

from __future__ import annotations

import numpy as np

from ..model import Criterion
from .analysis import Analysis
from .criteria import criterion, ramp
from .keys import correlation, key_name, ranked_keys, scale_pitch_classes

REVIEWER = "mode"
#: measures in a key-finding window
WINDOW = 4


def review(a: Analysis) -> list[Criterion]:
    return [key_clarity(a), tonal_stability(a), mode_consistency(a)]


def key_clarity(a: Analysis) -> Criterion:
    """Krumhansl-Kessler correlation of the duration-weighted pitch-class histogram with the key."""
    r = correlation(a.histogram(), a.tonic, a.mode)
    source = "declared" if a.key_declared else "estimated"
    return criterion("key_clarity", REVIEWER, ramp(r, 0.2, 0.75),
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
        ranked = ranked_keys(hist, (a.tonic, a.mode))
        top = [(t, md) for _, t, md in ranked[:3]]
        if (a.tonic, a.mode) in top or correlation(hist, a.tonic, a.mode) >= ranked[0][0] - 0.1:
            stable += 1
    if total == 0:
        return criterion("tonal_stability", REVIEWER, 0.5,
                         "too few pitches per window to judge key stability")
    share = stable / total
    return criterion("tonal_stability", REVIEWER, ramp(share, 0.2, 0.85),
                     f"{stable} of {total} {width}-measure windows ({share:.0%}) stay in {a.key_name}")


def mode_consistency(a: Analysis) -> Criterion:
    """Duration-weighted share of the melody inside the key's scale."""
    hist = a.histogram()
    if hist.sum() == 0:
        return criterion("mode_consistency", REVIEWER, 0.0, "the melody has no notes")
    inside = sum(hist[pc] for pc in scale_pitch_classes(a.tonic, a.mode)) / hist.sum()
    return criterion("mode_consistency", REVIEWER, ramp(inside, 0.6, 0.95),
                     f"{inside:.0%} of the sounding time is in the scale of {key_name(a.tonic, a.mode)}")
