"""Harmony reviewer: non-chord tones that pass or turn by step, a coherent progression, variety, cadences."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from ..model import Criterion
from ..theory import NAMES
from .analysis import Analysis, HeldChord
from .criteria import criterion, ramp

REVIEWER = "harmony"

#: tonal functions by the chord root's semitones above the tonic (T tonic, S subdominant, D dominant)
_FUNCTION = {0: "T", 9: "T", 8: "T", 4: "T", 3: "T", 5: "S", 2: "S", 7: "D", 11: "D", 10: "D", 1: "S", 6: "D"}
#: how usual a move from one function to the next is (a tiny first-order transition model)
_FUNCTION_MOVE = {("T", "S"): 1.0, ("S", "D"): 1.0, ("D", "T"): 1.0, ("T", "D"): 0.9, ("S", "T"): 0.8,
                  ("T", "T"): 0.7, ("S", "S"): 0.7, ("D", "D"): 0.6, ("D", "S"): 0.4}
#: how usual the root motion is, by semitones mod 12: fourths/fifths, steps, thirds, the rest
_ROOT_MOTION = {5: 1.0, 7: 1.0, 2: 0.8, 10: 0.8, 3: 0.6, 4: 0.6, 8: 0.6, 9: 0.6, 1: 0.3, 11: 0.3, 6: 0.1}


def review(a: Analysis) -> list[Criterion]:
    changes = _changes(a.chords)
    return [chord_tone_support(a), progression_coherence(a, changes), harmonic_variety(a, changes),
            cadences(a)]


def _changes(chords: list[HeldChord]) -> list[HeldChord]:
    out: list[HeldChord] = []
    for c in chords:
        if out and (out[-1].root, out[-1].quality) == (c.root, c.quality):
            continue
        out.append(c)
    return out


def _source(a: Analysis) -> str:
    return "the triads the notes imply (one a measure)"


def chord_tone_support(a: Analysis) -> Criterion:
    """The harmony carries the tune: notes outside the measure's chord are embellishments, a passing
    or neighbour note on a weak beat reached or left by step, or an appoggiatura resolving by step.

    Human tunes (dev split): 88 % of their non-chord tones are (10th percentile 69 %); the same notes
    in a random order 57 %, random notes in the key 50 %.
    """
    outside = handled = 0
    for i, pitch in enumerate(a.pitches):
        chord = a.chord_at(float(a.starts[i]))
        if chord is None or int(pitch) % 12 in chord.tones:
            continue
        outside += 1
        into = i > 0 and abs(int(pitch) - int(a.pitches[i - 1])) <= 2
        out = i + 1 < len(a.pitches) and abs(int(a.pitches[i + 1]) - int(pitch)) <= 2
        weak = a.metric_weight(float(a.starts[i])) < 3
        handled += (weak and (into or out)) or (into and out) or (not weak and out)
    if outside == 0:
        return criterion("chord_tone_support", REVIEWER, 1.0,
                         f"every note is a tone of {_source(a)}")
    share = handled / outside
    return criterion("chord_tone_support", REVIEWER, ramp(share, 0.55, 0.85),
                     f"{handled} of {outside} notes outside {_source(a)} ({share:.0%}) are passing, "
                     "neighbour or appoggiatura notes moving by step")


def progression_coherence(a: Analysis, changes: list[HeldChord]) -> Criterion:
    """Mean usualness of each chord change: functional move or root motion, whichever explains it better."""
    if len(changes) < 2:
        return criterion("progression_coherence", REVIEWER, 0.5, "a single chord has no progression to judge")
    scale = a.key.scale_pitch_classes()
    scores = []
    for x, y in pairwise(changes):
        motion = _ROOT_MOTION.get((y.root - x.root) % 12, 0.0)
        fx, fy = _FUNCTION[(x.root - a.tonic) % 12], _FUNCTION[(y.root - a.tonic) % 12]
        functional = _FUNCTION_MOVE.get((fx, fy), 0.5)
        diatonic = 1.0 if x.root in scale and y.root in scale else 0.8
        scores.append(diatonic * max(motion, functional))
    mean = sum(scores) / len(scores)
    return criterion("progression_coherence", REVIEWER, ramp(mean, 0.4, 0.85),
                     f"{len(scores)} chord changes of {_source(a)} score {mean:.2f} "
                     f"on root motion and function")


def harmonic_variety(a: Analysis, changes: list[HeldChord]) -> Criterion:
    """More than one chord (a tune implies at least tonic and dominant), changing at most twice a measure."""
    distinct = len({(c.root, c.quality) for c in a.chords})
    per_measure = len(changes) / max(1, a.measures)
    variety = 0.2 if distinct == 1 else 1.0  # tonic and dominant suffice: more chords is not better
    busy = 1.0 if per_measure <= 2.0 else ramp(per_measure, 4.0, 2.0)
    return criterion("harmonic_variety", REVIEWER, min(variety, busy),
                     f"{distinct} distinct chords, {per_measure:.2f} chord changes per measure")


def cadences(a: Analysis) -> Criterion:
    """The final chord is the tonic (best after its dominant) under a chord tone reached by step or
    from the dominant, and the last note is
    held (human tunes end on their longest note; shuffled note values rarely do); 4-measure ends on
    I or V."""
    if not a.chords:
        return criterion("cadences", REVIEWER, 0.0, "no chords")
    tonic, dominant = a.tonic % 12, (a.tonic + 7) % 12
    changes = _changes(a.chords)
    final = changes[-1].root
    before = changes[-2].root if len(changes) > 1 else None
    final_score = (1.0 if final == tonic and before in (dominant, (a.tonic + 5) % 12, (a.tonic + 10) % 12,
                                                         (a.tonic + 1) % 12)
                   else 0.8 if final == tonic else 0.5 if final == dominant else 0.0)
    last_note = int(a.pitches[-1]) % 12
    if last_note not in changes[-1].tones:
        final_score *= 0.5  # the harmony resolves but the melody does not
    approach = int(a.pitches[-1]) - int(a.pitches[-2]) if len(a.pitches) > 1 else 99
    if not (abs(approach) <= 2 or (int(a.pitches[-2]) - a.tonic) % 12 == 7):
        final_score *= 0.5  # a cadence arrives by step (2-1, 7-1) or from the dominant, not by a leap
    # the tune comes to rest: its last note is held at least twice its usual value and as long as any
    durations = a.durations
    held = len(durations) > 1 and (
        (durations[-1] >= 2 * float(np.median(durations[:-1])) - 1e-6)
        + (durations[-1] >= float(durations[:-1].max()) - 1e-6)) / 2
    ends = [m * a.per - 1e-3 for m in range(4, a.measures, 4)]
    at_ends = [a.chord_at(b) for b in ends]
    resolved = [c is not None and c.root in (tonic, dominant) for c in at_ends]
    share = sum(resolved) / len(resolved) if resolved else final_score
    names = f"final chord {NAMES[final]}" + (f" after {NAMES[before]}" if before is not None else "")
    names += f" under melody note {NAMES[last_note]}, held {durations[-1]:g} beats"
    return criterion("cadences", REVIEWER, 0.45 * final_score + 0.3 * float(held) + 0.25 * share,
                     f"{names}; {sum(resolved)} of {len(resolved)} four-measure ends on I or V")
