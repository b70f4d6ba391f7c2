"""Voicing as it sounds: the tune in its instrument's singing register, every other part below it.

The part writers place notes by harmony; this is the arranger's last look at the score as heard
(after transposition and range fitting): an accompanying note that would sound above the melody
moves down by octaves, and is left out where its instrument cannot go that low.
"""

from __future__ import annotations

from bisect import bisect_left

from ..model import Note
from ..schemes import Instrument
from .ranges import fold

#: where an instrument sings a theme (MIDI pitches): horns about F3-F5, violins D4-A6, ...
SINGING: dict[str, tuple[int, int]] = {
    "french_horns": (53, 77), "trumpets": (60, 79), "muted_trumpet": (60, 79), "trombones": (48, 70),
    "bass_trombone": (40, 62), "tuba": (36, 55), "brass_section": (55, 77),
    "violins_1": (62, 93), "violins_2": (60, 88), "solo_violin": (62, 93), "violas": (55, 81),
    "solo_viola": (55, 81), "cellos": (48, 74), "solo_cello": (48, 74), "strings1_ensemble": (60, 88),
    "strings2_ensemble": (60, 88), "tremolo_strings": (60, 88), "flutes": (67, 93), "alto_flute": (60, 84),
    "piccolo": (79, 103), "oboe": (62, 86), "english_horn": (55, 79), "clarinets": (55, 84),
    "bassoons": (43, 67), "bass_clarinet": (43, 67)}
#: roles that may sound above the tune: the tune itself, its doublings, and hits
ABOVE_ALLOWED = ("melody", "doubling", "percussion")


def singing_register(inst: Instrument) -> tuple[int, int]:
    """The listed register, else the middle 70 % of the instrument's range."""
    if inst.key in SINGING:
        lo, hi = SINGING[inst.key]
        return max(lo, inst.low), min(hi, inst.high)
    span = inst.high - inst.low
    return inst.low + round(0.15 * span), inst.high - round(0.15 * span)


def sing_shift(pitches: list[int], inst: Instrument) -> int:
    """The smallest whole-octave shift that keeps every pitch playable and at most a quarter of them
    outside the singing register (failing that, the one with fewest outside)."""
    lo, hi = singing_register(inst)
    if not pitches:
        return 0
    spare = len(pitches) // 4

    def cost(shift: int) -> tuple[int, int, int]:
        unplayable = sum(not inst.low <= p + shift <= inst.high for p in pitches)
        unsung = sum(not lo <= p + shift <= hi for p in pitches)
        return unplayable, max(0, unsung - spare), abs(shift)

    return min((12 * k for k in range(-8, 9)), key=cost)


def sung(pitches: list[int], inst: Instrument) -> list[int]:
    """`pitches` moved into the singing register by whole octaves, stragglers folded into the range."""
    shift = sing_shift(pitches, inst)
    return [fold(p + shift, inst.low, inst.high) for p in pitches]


class TuneCeiling:
    """The lowest pitch the tune sounds over a span of time: a held chord must stay under it throughout."""

    def __init__(self, tune: list[Note]) -> None:
        self.notes = sorted(tune, key=lambda n: n.start)
        self.starts = [n.start for n in self.notes]

    def over(self, start: float, end: float) -> int | None:
        """Lowest pitch of the tune notes overlapping [start, end), or None where it rests."""
        low = None
        for n in self.notes[max(0, bisect_left(self.starts, start) - 8):]:
            if n.start >= end - 1e-6:
                break
            if n.end > start + 1e-6 and (low is None or n.pitch < low):
                low = n.pitch
        return low


def under_tune(notes: list[Note], ceiling: TuneCeiling, low: int) -> list[Note]:
    """Each note moved down by octaves until it sounds at or under the tune all through; dropped if it
    cannot go that low in its instrument."""
    out = []
    for n in notes:
        top = ceiling.over(n.start, n.end)
        pitch = n.pitch
        while top is not None and pitch > top and pitch - 12 >= low:
            pitch -= 12
        if top is None or pitch <= top:
            out.append(Note(pitch, n.start, n.end, n.velocity))
    return out
