"""The theme's pitches: each developed bar placed over its chord, in a singable register.

Input: the `Bar` plan (rhythm and contour per measure), the key and one triad per measure; output:
the line in beats. A bar starts on a chord tone near the theme's home note plus the bar's lift (a
sequence moves, the climax rises) and keeps its contour, so the motif's intervals come back wherever
it does (a short strong-beat note off the chord is heard as an appoggiatura); only a held note moves
to the nearest chord tone; a closing bar comes to rest on a stable chord tone and the theme ends on
the tonic.
"""

from __future__ import annotations

from ..theory import Key, Triad, stable
from .align import BeatNote
from .development import Bar
from .tonality import HIGH_INDEX, LOW_INDEX

#: a note at least this long (beats) is heard against its chord, so it is one of the chord's tones
HELD = 1.5


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
            elif value >= HELD:
                index = _chord_tone_near(index, previous, triad)
            start = bar.measure * per + offset
            pitch = key.pitch(index, leading_tone=triad.leading_tone)
            notes.append(BeatNote(start, start + value, pitch, min(127, velocity + (8 if is_strong else 0))))
            previous = index
            offset += value
    return notes


#: the shortest breath (beats) a listener hears as the end of a phrase
BREATH = 0.5


def breathe(notes: list[BeatNote], bars: list[Bar], per: float, marks: list[float]) -> None:
    """A singer's breath after each inner phrase: the note a closing bar rests on is cut short by
    half a beat (or a beat), keeping a value the theme has, so the phrase is heard to end.
    A breath that would swallow an onset the picture needs (a grid position in `marks`) is not taken.
    In place."""
    values = {round(n.end - n.start, 6) for n in notes}
    for bar in bars:
        if not bar.closes or bar.final:
            continue
        lo, hi = bar.measure * per, (bar.measure + 1) * per
        inside = [n for n in notes if lo - 1e-6 <= n.start < hi - 1e-6]
        if not inside:
            continue
        last = inside[-1]
        value = round(last.end - last.start, 6)
        kept = next((k for k in (value - BREATH, value - 2 * BREATH) if k >= BREATH and _has(values, k)),
                    None)
        if kept is None or any(last.start + kept - 1e-6 <= m < last.end - 1e-6 for m in marks):
            continue
        last.end = last.start + kept


def _has(values: set[float], value: float) -> bool:
    return any(abs(v - value) < 1e-6 for v in values)


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
