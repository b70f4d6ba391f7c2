"""Rhythm reviewer: onsets on the grid of a clear metre, a steady pulse, varied durations, picture hits."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from ..model import Criterion
from .analysis import ONSET_SLACK, Analysis
from .criteria import criterion, ramp

REVIEWER = "rhythm"
#: a rhythm spot counts as hit when an onset is this close (seconds)
SPOT_WINDOW = 0.05
STRONG_SPOT = 0.7
#: the grid (beats) a theme marks a spot on when the spot falls between grid positions
HIT_GRID = 0.5


def review(a: Analysis) -> list[Criterion]:
    return [rhythmic_clarity(a), beat_consistency(a), rhythmic_variety(a), spot_alignment(a)]


def _on_grid(beats: np.ndarray, step: float, tolerance: float = 0.04) -> np.ndarray:
    phase = beats / step
    return np.abs(phase - np.round(phase)) * step <= tolerance


def rhythmic_clarity(a: Analysis) -> Criterion:
    """Onsets on the beat grid, and a metre the notes confirm: few notes start on a weak position
    and hold through a stronger one (a syncopation) or across the bar line.

    Human tunes (dev split, upbeats read before bar 1): every onset on the grid; 3 % of their notes
    syncopate or cross a bar line (90 % under 9 %); the same notes with their values shuffled 39 %,
    random notes in the key 58 %.
    """
    grid = _on_grid(a.starts, 0.25) | _on_grid(a.starts, 1 / 3)
    share = float(grid.mean())
    against = 0
    for start, end in zip(a.starts, a.ends, strict=True):
        weight = a.metric_weight(float(start))
        nxt = (math.floor(start / a.pulse + 1e-6) + 1) * a.pulse
        syncopated = nxt < end - 1e-3 and a.metric_weight(nxt) > weight
        across = math.floor(start / a.per + 1e-6) < math.floor(end / a.per - 1e-6)
        against += syncopated or across
    metre = against / len(a.starts)
    score = min(ramp(share, 0.85, 0.99), ramp(metre, 0.3, 0.08))
    return criterion("rhythmic_clarity", REVIEWER, score,
                     f"{share:.0%} of onsets on the sixteenth/triplet grid of the tempo map; {metre:.0%} "
                     "of notes syncopate or cross a bar line")


def beat_consistency(a: Analysis) -> Criterion:
    """A felt pulse: notes start on most beats (human tunes: 45-96 %, whole notes 25 %), longer notes
    start on stronger beats (duration correlates with the onset's metric weight: human tunes r=0.54,
    90 % above 0.34; shuffled note values or random rhythms about 0), and no long dead spot."""
    last = int(math.floor(a.ends.max() - 1e-6))
    beats = np.arange(0, last + 1, dtype=float)
    struck = np.array([bool(np.any(np.abs(a.starts - b) <= ONSET_SLACK)) for b in beats])
    gaps = np.concatenate([[a.starts[0]], a.starts[1:] - a.ends[:-1]]) if len(a.starts) else np.array([0.0])
    longest = float(gaps.max())
    share = float(struck.mean())
    weights = np.array([a.metric_weight(float(s)) for s in a.starts], dtype=float)
    durations = a.durations
    r = (float(np.corrcoef(durations, weights)[0, 1])
         if len(durations) > 2 and np.ptp(durations) > 0 and np.ptp(weights) > 0 else 0.0)
    penalty = 0.1 * max(0.0, longest - 2.0)
    score = 0.5 * ramp(share, 0.3, 0.55) + 0.5 * ramp(r, 0.0, 0.35) - penalty
    return criterion("beat_consistency", REVIEWER, score,
                     f"a note starts on {struck.sum()} of {len(beats)} beats ({share:.0%}); note length "
                     f"follows metric weight r={r:.2f}; longest silence {longest:.1f} beats")


def rhythmic_variety(a: Analysis) -> Criterion:
    """Entropy of note values (to a 48th of a beat): about 1 to 2.3 bits is lively but clear."""
    values = Counter(round(d * 12) for d in a.durations)
    p = np.array(list(values.values()), dtype=float) / len(a.durations)
    bits = float(-(p * np.log2(p)).sum())
    score = ramp(bits, 0.0, 1.0) if bits < 1.0 else 1.0 if bits <= 2.3 else ramp(bits, 3.6, 2.3)
    return criterion("rhythmic_variety", REVIEWER, score,
                     f"duration entropy {bits:.2f} bits over {len(values)} note values")


def spot_alignment(a: Analysis) -> Criterion:
    """Share of the picture's cuts and strong rhythm spots that a note onset marks: within 50 ms of
    the spot, or on the eighth-grid position nearest it (the tune keeps to the grid; the orchestra's
    hits mark a spot that falls between grid positions)."""
    s = a.spotting
    if s is None:
        return criterion("spot_alignment", REVIEWER, 0.0,
                         "no spotting given: not judged (left out of the pass mark)")
    spots = sorted(set(s.cuts) | {r.time for r in s.rhythm_spots if r.strength >= STRONG_SPOT})
    spots = [t for t in spots if 0.0 <= t < s.duration]
    if not spots:
        return criterion("spot_alignment", REVIEWER, 0.5,
                         "the clip has no cuts or strong rhythm spots to mark")
    onsets = np.array([n.start for n in a.melody.notes])
    tm = a.melody.tempo_map

    def marked(t: float) -> bool:
        grid = tm.time_at(round(tm.beat_at(t) / HIT_GRID) * HIT_GRID)
        return bool(len(onsets)) and min(float(np.min(np.abs(onsets - t))),
                                         float(np.min(np.abs(onsets - grid)))) <= SPOT_WINDOW

    hit = [marked(t) for t in spots]
    share = sum(hit) / len(spots)
    return criterion("spot_alignment", REVIEWER, share,
                     f"{sum(hit)} of {len(spots)} cuts/strong spots ({share:.0%}) have an onset within 50 ms "
                     "or on their nearest eighth")
