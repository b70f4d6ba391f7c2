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
    """Rises balanced by falls, one climax that is neither the first note nor everywhere, and no long
    run one way (a scale is not a tune: human tunes rarely run more than five steps one way)."""
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
    run = longest_run(a.pitches)
    return criterion("contour", REVIEWER, 0.3 * balance + 0.2 * climax + 0.5 * ramp(run, 7, 5),
                     f"{rises} rises / {falls} falls (balance {balance:.2f}); climax at {position:.0%} "
                     f"of the theme, reached {len(at_top)} time(s); longest run one way {run} intervals")


def longest_run(pitches: np.ndarray) -> int:
    """Most consecutive intervals moving the same way (repeated notes break a run)."""
    best = current = 0
    previous = 0
    for direction in np.sign(np.diff(pitches)):
        current = current + 1 if direction != 0 and direction == previous else int(direction != 0)
        previous = direction
        best = max(best, current)
    return best


def interval_smoothness(a: Analysis) -> Criterion:
    """Mostly steps and thirds, as sung tunes move, yet not only steps (that is a scale).

    Human tunes (music21 dev split): 54-85 % steps, 78-97 % within a major third (10th-90th
    percentile); random notes in the key: 21-43 % and 35-65 %.
    """
    steps = np.abs(np.diff(a.pitches))
    if len(steps) == 0:
        return criterion("interval_smoothness", REVIEWER, 0.0, "a single note has no intervals")
    step_share = float(np.mean(steps <= 2))
    small_share = float(np.mean(steps <= 4))
    score = 0.4 * ramp(step_share, 0.25, 0.5) + 0.6 * ramp(small_share, 0.5, 0.75)
    score *= ramp(step_share, 1.0, 0.95)  # nothing but steps: a scale, not a tune
    return criterion("interval_smoothness", REVIEWER, score,
                     f"{step_share:.0%} of intervals are steps, {small_share:.0%} within a third; mean "
                     f"|interval| {np.mean(steps):.1f} semitones")


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
    """A motif that comes back: the share of bars whose rhythm another bar repeats exactly, and the
    mean best likeness (rhythm and intervals) of each bar to another.

    Human tunes (dev split): 47-100 % of bars recur (10th-90th percentile); the same tunes with
    their note values shuffled: 0-69 %.
    """
    useful = [i for i, p in enumerate(patterns) if len(p[2]) >= 2]
    if len(useful) < 2:
        return criterion("motif_repetition", REVIEWER, 0.0, "fewer than two measures with a figure to repeat")
    best = [max(_similarity(patterns[i], patterns[j]) for j in useful if j != i) for i in useful]
    mean = float(np.mean(best))
    rhythms = [patterns[i][0] for i in useful]
    recur = sum(rhythms.count(r) > 1 for r in rhythms) / len(rhythms)
    score = 0.5 * ramp(recur, 0.15, 0.5) + 0.5 * ramp(mean, 0.35, 0.8)
    return criterion("motif_repetition", REVIEWER, score,
                     f"{recur:.0%} of {len(useful)} measures repeat another's rhythm; mean best "
                     f"self-similarity {mean:.2f}")


def variation(patterns: list) -> Criterion:
    """The motif developed, not copied or forgotten: the share of bars whose rhythm comes back
    elsewhere on other pitches (a sequence, a varied restatement).

    Human tunes (dev split) restate most bars' rhythms on new pitches; random notes rarely do.
    """
    filled = [(p[0], p[2]) for p in patterns if len(p[2]) >= 2]
    if len(filled) < 2:
        return criterion("variation", REVIEWER, 0.0, "fewer than two measures with a figure to vary")
    varied = sum(any(r == r2 and q != q2 for j, (r2, q2) in enumerate(filled) if j != i)
                 for i, (r, q) in enumerate(filled))
    share = varied / len(filled)
    return criterion("variation", REVIEWER, ramp(share, 0.1, 0.4),
                     f"{varied} of {len(filled)} measures ({share:.0%}) come back on other pitches")


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
    if not inner:  # no rest and no held note anywhere: a run of notes, not phrases
        return criterion("phrase_endings", REVIEWER, 0.4 * final_ok,
                         f"0 inner phrase endings found (no rest or held note); {final}")
    return criterion("phrase_endings", REVIEWER, score,
                     f"{sum(inner)} of {len(inner)} inner phrase endings on degrees 1/3/5 ({share:.0%}); "
                     f"{final}")
