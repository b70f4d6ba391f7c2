"""Melody reviewer: contour, smoothness, range, a recurring motif, variation, and where phrases rest."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from ..model import Criterion
from .analysis import Analysis
from .criteria import criterion, ramp

REVIEWER = "melody"


def review(a: Analysis) -> list[Criterion]:
    patterns = [_measure_pattern(a, m) for m in range(a.measures)]
    return [contour(a), interval_smoothness(a), pitch_range(a), motif_repetition(patterns),
            variation(patterns), phrase_endings(a)]


def contour(a: Analysis) -> Criterion:
    """Rises balanced by falls, and one climax that is neither the first note nor everywhere."""
    steps = np.diff(a.pitches)
    rises, falls = int((steps > 0).sum()), int((steps < 0).sum())
    if rises + falls == 0:
        return criterion("contour", REVIEWER, 0.0, "the melody never moves (no rises or falls)")
    balance = 1.0 - abs(rises - falls) / (rises + falls)
    top = a.pitches.max()
    at_top = np.flatnonzero(a.pitches == top)
    position = (a.starts[at_top[0]] - a.starts[0]) / max(1e-9, a.ends[-1] - a.starts[0])
    few = len(at_top) <= max(2, 0.12 * len(a.pitches))
    climax = (0.5 if few else 0.0) + (0.5 if 0.1 <= position <= 0.95 else 0.0)
    return criterion("contour", REVIEWER, 0.5 * balance + 0.5 * climax,
                     f"{rises} rises / {falls} falls (balance {balance:.2f}); climax at {position:.0%} "
                     f"of the theme, reached {len(at_top)} time(s)")


def interval_smoothness(a: Analysis) -> Criterion:
    """Steps score 1, thirds 0.8; larger leaps count only when a step the other way recovers them."""
    steps = np.diff(a.pitches)
    if len(steps) == 0:
        return criterion("interval_smoothness", REVIEWER, 0.0, "a single note has no intervals")
    scores = []
    for i, step in enumerate(steps):
        size = abs(int(step))
        if size <= 2:
            scores.append(1.0)
        elif size <= 4:
            scores.append(0.8)
        else:
            nxt = int(steps[i + 1]) if i + 1 < len(steps) else 0
            recovered = nxt * step < 0 and abs(nxt) <= 4
            base = 0.5 if size <= 7 else 0.2 if size <= 12 else 0.0
            scores.append(base + (0.4 if recovered and size <= 12 else 0.0))
    small = float(np.mean(np.abs(steps) <= 4))
    mean = float(np.mean(scores))
    return criterion("interval_smoothness", REVIEWER, ramp(mean, 0.4, 0.9),
                     f"{small:.0%} of intervals are steps or thirds; mean |interval| "
                     f"{np.mean(np.abs(steps)):.1f} semitones; smoothness {mean:.2f}")


def pitch_range(a: Analysis) -> Criterion:
    """Singable: a span of 8 to 19 semitones."""
    span = int(a.pitches.max() - a.pitches.min())
    score = ramp(span, 3, 8) if span < 8 else 1.0 if span <= 19 else ramp(span, 31, 19)
    return criterion("range", REVIEWER, score, f"span {span} semitones (singable: 8..19)")


def _measure_pattern(a: Analysis, m: int) -> tuple[tuple[float, ...], tuple[int, ...], tuple[int, ...]]:
    """(onsets within the measure, intervals, pitches) of the notes starting in measure `m`."""
    idx = a.measure_notes(m)
    onsets = tuple(round((a.starts[i] - m * a.per) * 12) / 12 for i in idx)
    pitches = tuple(int(a.pitches[i]) for i in idx)
    return onsets, tuple(int(b - c) for c, b in pairwise(pitches)), pitches


def _similarity(x: tuple, y: tuple) -> float:
    """Rhythm (Jaccard of onsets) and intervals (exact, diatonic-sequence or inverted) of two measures."""
    rx, ry = set(x[0]), set(y[0])
    rhythm = len(rx & ry) / len(rx | ry) if rx | ry else 0.0
    ix, iy = x[1], y[1]
    if not ix or len(ix) != len(iy):
        return 0.4 * rhythm

    def match(u: tuple[int, ...], v: tuple[int, ...]) -> float:
        return float(np.mean([1.0 if p == q else 0.75 if p * q > 0 and abs(p - q) <= 1 else 0.0
                              for p, q in zip(u, v, strict=True)]))

    pitch = max(match(ix, iy), 0.8 * match(ix, tuple(-v for v in iy)))
    return 0.4 * rhythm + 0.6 * pitch


def motif_repetition(patterns: list) -> Criterion:
    """Mean, over measures with a motif (2+ notes), of the best likeness to another measure."""
    useful = [i for i, p in enumerate(patterns) if len(p[2]) >= 2]
    if len(useful) < 2:
        return criterion("motif_repetition", REVIEWER, 0.0, "fewer than two measures with a figure to repeat")
    best = [max(_similarity(patterns[i], patterns[j]) for j in useful if j != i) for i in useful]
    mean, top = float(np.mean(best)), float(np.max(best))
    return criterion("motif_repetition", REVIEWER, ramp(mean, 0.35, 0.8),
                     f"measures recur with mean best self-similarity {mean:.2f} (max {top:.2f}) "
                     f"over {len(useful)} measures")


def variation(patterns: list) -> Criterion:
    """Not every measure the same: the share of distinct measure patterns."""
    filled = [(p[0], p[2]) for p in patterns if p[2]]
    if not filled:
        return criterion("variation", REVIEWER, 0.0, "no measure has notes")
    distinct = len(set(filled))
    share = distinct / len(filled)
    score = ramp(share, 0.1, 0.45) if len(filled) > 1 else 0.5
    return criterion("variation", REVIEWER, score,
                     f"{distinct} distinct measure patterns of {len(filled)} ({share:.0%})")


def phrase_endings(a: Analysis) -> Criterion:
    """Phrases (the last note, notes before a rest, long held notes) come to rest on degrees 1, 3, 5."""
    stable = a.key.stable_pitch_classes()
    durations = a.durations
    long_note = max(1.5, 2.0 * float(np.median(durations)))
    ends = []
    for i in range(len(a.pitches) - 1):
        rest_after = a.starts[i + 1] - a.ends[i] >= 0.5
        if rest_after or durations[i] >= long_note:
            ends.append(i)
    final_ok = int(a.pitches[-1]) % 12 in stable
    inner = [int(a.pitches[i]) % 12 in stable for i in ends]
    share = float(np.mean(inner)) if inner else float(final_ok)
    score = 0.4 * final_ok + 0.6 * ramp(share, 0.25, 0.9)
    final = f"final note {'is' if final_ok else 'is not'} on degree 1/3/5"
    if not inner:
        return criterion("phrase_endings", REVIEWER, score, f"0 inner phrase endings found; {final}")
    return criterion("phrase_endings", REVIEWER, score,
                     f"{sum(inner)} of {len(inner)} inner phrase endings on degrees 1/3/5 ({share:.0%}); "
                     f"{final}")
