"""Keeping every note inside its instrument: shift a whole part by octaves, then fold stragglers.

The paper admits arrangements with notes an instrument cannot play; here no note leaves the range.
"""

from __future__ import annotations

from ..model import Note


def fold(pitch: int, low: int, high: int) -> int:
    """`pitch` moved by octaves into [low, high]; clamped if the range is narrower than an octave."""
    while pitch < low:
        pitch += 12
    while pitch > high:
        pitch -= 12
    return min(max(pitch, low), high)


def octave_shift(pitches: list[int], low: int, high: int) -> int:
    """The whole-octave shift leaving fewest pitches outside [low, high] (smallest shift on ties)."""
    if not pitches:
        return 0

    def cost(shift: int) -> tuple[int, int]:
        return sum(1 for p in pitches if not low <= p + shift <= high), abs(shift)

    return min((12 * k for k in range(-8, 9)), key=cost)


def fit_pitches(pitches: list[int], low: int, high: int) -> list[int]:
    """Raw pitches (any integers) shifted by their best octave, then folded into [low, high]."""
    shift = octave_shift(pitches, low, high)
    return [fold(p + shift, low, high) for p in pitches]


def fit(notes: list[Note], low: int, high: int) -> list[Note]:
    """The part shifted by its best octave, then every remaining outsider folded into range."""
    shift = octave_shift([n.pitch for n in notes], low, high)
    return [Note(fold(n.pitch + shift, low, high), n.start, n.end, n.velocity) for n in notes]
