"""The theme's pitches: each developed bar placed over its chord, in a singable register.

Input: the `Bar` plan (rhythm and contour per measure), the key and one triad per measure; output:
the line in beats. A bar starts on a chord tone near the theme's home note plus the bar's lift (a
sequence moves, the climax rises); strong beats and long notes land on chord tones; a closing bar
comes to rest on a stable chord tone and the theme ends on the tonic.
"""

from __future__ import annotations

from ..theory import Key, Triad, stable
from .align import BeatNote
from .development import Bar
from .tonality import HIGH_INDEX, LOW_INDEX


def write_line(bars: list[Bar], key: Key, triads: list[Triad], per: float, strong: tuple[float, ...],
               levels: list[float], *, home: float) -> list[BeatNote]:
    """Notes in beats for `bars`; `home` is the diatonic index the theme's statement starts near."""
    notes: list[BeatNote] = []
    previous = round(home)
    for bar in bars:
        triad = triads[bar.measure]
        span = bar.steps or (0,)
        lo, hi = LOW_INDEX - min(span), HIGH_INDEX - max(span)
        target = home + bar.lift + 4.0 * (levels[bar.measure] - 0.5)  # faster shots sing higher
        starts = [b for b in range(lo, hi + 1) if triad.contains(b)] or [max(lo, min(hi, round(target)))]
        base = min(starts, key=lambda b: (abs(b - target), b))
        velocity = int(64 + 36 * levels[bar.measure])
        offset = 0.0
        for i, (value, step) in enumerate(zip(bar.values, bar.steps, strict=True)):
            index = fold(base + step)
            is_strong = any(abs(offset - s) < 1e-6 for s in strong)
            last = i == len(bar.values) - 1
            if last and bar.closes:
                index = resting_index(triad, previous, final=bar.final)
            elif is_strong or value >= 1.5:
                index = _chord_tone_near(index, previous, triad)
            start = bar.measure * per + offset
            pitch = key.pitch(index, leading_tone=triad.leading_tone)
            notes.append(BeatNote(start, start + value, pitch, min(127, velocity + (8 if is_strong else 0))))
            previous = index
            offset += value
    return notes


def _chord_tone_near(index: int, previous: int, triad: Triad) -> int:
    """The chord tone nearest `index` that keeps the contour's direction from the previous note."""
    direction = sign(index - previous)
    near = range(max(LOW_INDEX, index - 2), min(HIGH_INDEX, index + 2) + 1)
    options = [c for c in near if triad.contains(c)]
    if not options:
        return index
    return min(options, key=lambda c: (sign(c - previous) != direction, abs(c - index), c))


def resting_index(triad: Triad, previous: int, *, final: bool) -> int:
    """A phrase comes to rest on a stable chord tone near the previous note; the theme ends on the tonic."""
    wanted = [c for c in range(LOW_INDEX, HIGH_INDEX + 1)
              if (c % 7 == 0 if final else stable(c) and triad.contains(c))]
    wanted = wanted or [c for c in range(LOW_INDEX, HIGH_INDEX + 1) if triad.contains(c)]
    return min(wanted, key=lambda c: (abs(c - previous), c))


def sign(value: int) -> int:
    return (value > 0) - (value < 0)


def fold(index: int) -> int:
    """Bring a scale index back into the melody range by octaves."""
    while index < LOW_INDEX:
        index += 7
    while index > HIGH_INDEX:
        index -= 7
    return index
