"""The theme's motif and the ways a composer develops it across shots.

A motif is a rhythm (onsets and durations in beats) and a contour in diatonic steps relative to its
first note. Development keeps the motif recognisable: repetition, sequence (the realiser moves it to
each chord's root), inversion, rhythmic augmentation and diminution.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: one-pulse rhythm cells, in beats, for simple (quarter-note pulse) and compound (dotted-quarter) meters
_SIMPLE_CELLS = ((1.0,), (0.5, 0.5), (1.0,), (0.75, 0.25), (0.5, 0.5), (0.25, 0.25, 0.5))
_COMPOUND_CELLS = ((1.5,), (1.0, 0.5), (0.5, 0.5, 0.5), (0.75, 0.25, 0.5))


@dataclass(frozen=True)
class MotifNote:
    offset: float  # beats from the start of the motif
    duration: float  # beats
    step: int  # diatonic steps above (or below) the motif's first note


@dataclass(frozen=True)
class Motif:
    notes: tuple[MotifNote, ...]
    span: float  # beats the motif occupies (whole measures)

    @property
    def steps(self) -> list[int]:
        return [n.step for n in self.notes]


def pulse_of(meter: tuple[int, int]) -> float:
    """Beats in one felt pulse: a dotted quarter in 6/8, 9/8, 12/8; a quarter otherwise."""
    num, den = meter
    if den == 8 and num % 3 == 0 and num > 3:
        return 1.5
    return 0.5 if den == 8 else 1.0


def make_motif(rng: random.Random, meter: tuple[int, int], beats_per_measure: float) -> Motif:
    """A 1-2 measure motif: a lively head, a long note to end, mostly stepwise with one leap."""
    pulse = pulse_of(meter)
    measures = 2 if beats_per_measure <= 3 or rng.random() < 0.4 else 1
    span = measures * beats_per_measure
    cells = _COMPOUND_CELLS if pulse == 1.5 else tuple(tuple(d * pulse for d in c) for c in _SIMPLE_CELLS)
    pulses = max(1, int(span / pulse + 1e-9))
    durations: list[float] = []
    for i in range(pulses):
        if i == pulses - 1:
            durations.append(span - sum(durations))  # the motif comes to rest on a longer note
        elif i == pulses - 2 and rng.random() < 0.5:
            durations.append(span - sum(durations))
            break
        else:
            durations.extend(cells[rng.randrange(len(cells))])
    # at least three notes, or it is not a motif
    while len(durations) < 3:
        longest = max(range(len(durations)), key=lambda k: durations[k])
        half = durations[longest] / 2
        durations[longest:longest + 1] = [half, half]

    steps = [0]
    direction = rng.choice((1, -1))
    leap_at = rng.randrange(1, len(durations)) if len(durations) > 2 else -1
    for i in range(1, len(durations)):
        if i == leap_at:
            move = direction * rng.choice((2, 3, 4))
        elif i == leap_at + 1:
            move = -direction  # a leap is recovered by a step the other way
        else:
            move = direction * rng.choice((1, 1, 1, 0, 2)) if rng.random() < 0.75 else -direction
        if move == 0 and (i == 1 or steps[-1] == steps[-2]):
            move = direction  # a repeated note at most once, and never as the first move
        if abs(steps[-1] + move) > 5:
            move = -move
        steps.append(steps[-1] + move)
        if rng.random() < 0.25:
            direction = -direction

    offsets = [sum(durations[:i]) for i in range(len(durations))]
    return Motif(tuple(MotifNote(o, d, s) for o, d, s in zip(offsets, durations, steps, strict=True)), span)


# ----------------------------------------------------------------------------------- development


def repeat(motif: Motif) -> Motif:
    return motif


def invert(motif: Motif) -> Motif:
    """Mirror the contour around the first note."""
    return Motif(tuple(MotifNote(n.offset, n.duration, -n.step) for n in motif.notes), motif.span)


def augment(motif: Motif) -> Motif:
    """Twice as slow; what no longer fits in the span is dropped (the head stays)."""
    notes = [MotifNote(n.offset * 2, n.duration * 2, n.step)
             for n in motif.notes if n.offset * 2 < motif.span]
    last = notes[-1]
    notes[-1] = MotifNote(last.offset, motif.span - last.offset, last.step)
    return Motif(tuple(notes), motif.span)


def diminish(motif: Motif) -> Motif:
    """Twice as fast, stated twice: the second time a step higher, as a sequence.

    Notes that would be shorter than a sixteenth merge into their neighbour, so the line stays
    playable and notates on a sixteenth grid.
    """
    half = _merge_short([MotifNote(n.offset / 2, n.duration / 2, n.step) for n in motif.notes])
    second = [MotifNote(n.offset + motif.span / 2, n.duration, n.step + 1) for n in half]
    return Motif(tuple(half + second), motif.span)


def _merge_short(notes: list[MotifNote], shortest: float = 0.25) -> list[MotifNote]:
    out: list[MotifNote] = []
    pending: MotifNote | None = None  # a too-short first note waits to absorb the next one
    for note in notes:
        if pending is not None:
            note = MotifNote(pending.offset, pending.duration + note.duration, pending.step)
            pending = None
        if note.duration >= shortest - 1e-9:
            out.append(note)
        elif out:
            last = out[-1]
            out[-1] = MotifNote(last.offset, last.duration + note.duration, last.step)
        else:
            pending = note
    if pending is not None:
        out.append(pending)
    return out


TRANSFORMS = {"repeat": repeat, "sequence": repeat, "inversion": invert, "augmentation": augment,
              "diminution": diminish}


def choose_transform(rng: random.Random, level: float, *, first_of_piece: bool, first_of_phrase: bool) -> str:
    """How this statement develops the motif: faster shots diminish it, still shots augment it.

    In between, a phrase opens with the motif itself (repeated or sequenced to the chord) and
    continues with sequences and inversions.
    """
    if first_of_piece:
        return "repeat"
    if level >= 0.65:
        return "diminution"
    if level <= 0.3:
        return "augmentation"
    if first_of_phrase:
        return rng.choice(("repeat", "sequence"))
    return rng.choice(("sequence", "inversion", "sequence"))
