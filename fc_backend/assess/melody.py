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
    return [contour(a), interval_smoothness(a), pitch_range(a), motif_repetition(a, patterns),
            variation(patterns), phrase_endings(a)]


def contour(a: Analysis) -> Criterion:
    """The line moves in gestures: it keeps its direction for a few notes before turning (human tunes
    turn at 49 % of their moves, 10th-90th percentile 38-60 %; notes in a random order turn at about
    70 %), has one climax that is neither the first note nor everywhere, and no long run one way (a
    scale is not a tune: human tunes rarely run more than five steps one way)."""
    steps = np.diff(a.pitches)
    moves = np.sign(steps[steps != 0])
    if len(moves) == 0:
        return criterion("contour", REVIEWER, 0.0, "the melody never moves (no rises or falls)")
    turns = float(np.mean(moves[1:] != moves[:-1])) if len(moves) > 1 else 0.0
    top = a.pitches.max()
    at_top = np.flatnonzero(a.pitches == top)
    position = (a.starts[at_top[0]] - a.starts[0]) / max(1e-9, a.ends[-1] - a.starts[0])
    few = len(at_top) <= max(2, 0.12 * len(a.pitches))
    climax = (0.5 if few else 0.0) + (0.5 if 0.1 <= position <= 0.95 else 0.0)
    run = longest_run(a.pitches)
    score = 0.6 * ramp(turns, 0.7, 0.55) + 0.15 * climax + 0.25 * ramp(run, 7, 5)
    return criterion("contour", REVIEWER, score,
                     f"turns at {turns:.0%} of {len(moves)} moves; climax at {position:.0%} "
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
    percentile), a mean interval of 2.2 semitones (90 % under 2.8); random notes in the key: 21-43 %,
    35-65 % and 5.2; the tune's own notes in a random order: 41 % steps, a mean interval of 3.9.
    """
    steps = np.abs(np.diff(a.pitches))
    if len(steps) == 0:
        return criterion("interval_smoothness", REVIEWER, 0.0, "a single note has no intervals")
    step_share = float(np.mean(steps <= 2))
    small_share = float(np.mean(steps <= 4))
    mean = float(np.mean(steps))
    score = (0.3 * ramp(step_share, 0.25, 0.5) + 0.4 * ramp(small_share, 0.5, 0.75)
             + 0.3 * ramp(mean, 4.5, 3.0))
    score *= ramp(step_share, 1.0, 0.95)  # nothing but steps: a scale, not a tune
    return criterion("interval_smoothness", REVIEWER, score,
                     f"{step_share:.0%} of intervals are steps, {small_share:.0%} within a third; mean "
                     f"|interval| {mean:.1f} semitones")


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


def motif_repetition(a: Analysis, patterns: list) -> Criterion:
    """A motif that comes back: the share of bars whose rhythm another bar repeats exactly, the share
    of three-interval figures (in steps of the scale) heard again elsewhere, at any pitch, and of
    figures heard again with their rhythm too.

    Human tunes (dev split): bars recur 47-100 % (10th-90th percentile); 54 % of their figures
    recur, 37 % with their rhythm. Their own notes in a random order: 6 % and 1 %; their note values
    shuffled: bars recur 0-69 %, figures with their rhythm 7 %; random notes in the key: 2 % and 0 %.
    """
    useful = [i for i, p in enumerate(patterns) if len(p[2]) >= 2]
    if len(useful) < 2:
        return criterion("motif_repetition", REVIEWER, 0.0, "fewer than two measures with a figure to repeat")
    rhythms = [patterns[i][0] for i in useful]
    recur = sum(rhythms.count(r) > 1 for r in rhythms) / len(rhythms)
    steps = np.diff(scale_steps(a))
    values = np.round(a.durations * 12).astype(int)
    figures = [tuple(steps[i:i + 3]) for i in range(len(steps) - 2)]
    timed = [(f, tuple(values[i:i + 4])) for i, f in enumerate(figures)]
    shaped = [len(set(f)) > 1 for f in figures]  # three equal steps are a scale or one note, no motif
    count = max(1, len(figures))
    again = sum(s and figures.count(f) > 1 for f, s in zip(figures, shaped, strict=True)) / count
    again_timed = sum(s and timed.count(f) > 1 for f, s in zip(timed, shaped, strict=True)) / count
    score = 0.35 * ramp(recur, 0.15, 0.5) + 0.35 * ramp(again, 0.05, 0.3) + 0.3 * ramp(again_timed, 0.0, 0.2)
    return criterion("motif_repetition", REVIEWER, score,
                     f"{recur:.0%} of {len(useful)} measures repeat another's rhythm; {again:.0%} of "
                     f"{len(figures)} three-interval figures recur, {again_timed:.0%} with their rhythm")


def scale_steps(a: Analysis) -> np.ndarray:
    """Each note as a step of the key's scale (a note outside it counts as the scale note below), so a
    figure sequenced up the scale is the same figure (C-D-E and D-E-F# in G, or D-E-F in C)."""
    scale = sorted(a.key.scale_pitch_classes())
    return np.array([7 * (int(p) // 12) + max(i for i, pc in enumerate(scale) if pc <= int(p) % 12 or i == 0)
                     for p in a.pitches])


def variation(patterns: list) -> Criterion:
    """The motif developed, not copied or forgotten: the share of bars that come back elsewhere
    changed, with a like rhythm and like intervals (likeness >= 0.7, see `_similarity`) on other
    pitches (a sequence, a varied restatement).

    Human tunes (dev split) restate most bars this way; their own notes in a random order keep the
    rhythms but lose the intervals, and random notes keep neither.
    """
    filled = [p for p in patterns if len(p[2]) >= 2]
    if len(filled) < 2:
        return criterion("variation", REVIEWER, 0.0, "fewer than two measures with a figure to vary")
    varied = sum(any(x[2] != y[2] and _similarity(x, y) >= 0.7 for j, y in enumerate(filled) if j != i)
                 for i, x in enumerate(filled))
    share = varied / len(filled)
    return criterion("variation", REVIEWER, ramp(share, 0.1, 0.4),
                     f"{varied} of {len(filled)} measures ({share:.0%}) come back varied: a like rhythm "
                     "and like intervals on other pitches")


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
