"""The chords the part writer voices: the melody's own, held without gaps, or estimated per measure."""

from __future__ import annotations

from ..model import Chord, Melody


def harmony(melody: Melody, measures: int, end: float) -> list[Chord]:
    """A gapless chord list from 0 to `end`: the melody's chords (each held until the next), or estimated."""
    chords = sorted((c for c in melody.chords if c.start < end), key=lambda c: c.start)
    if not chords:
        chords = melody.estimated_chords(measures)
    out = []
    for i, c in enumerate(chords):
        start = 0.0 if i == 0 else c.start
        stop = chords[i + 1].start if i + 1 < len(chords) else max(end, c.end)
        if stop > start:
            out.append(Chord(start, stop, c.root, c.quality))
    return out


def chord_at(chords: list[Chord], time: float) -> Chord:
    """The chord sounding at `time` (the nearest one outside the list's span)."""
    for chord in chords:
        if chord.start <= time < chord.end:
            return chord
    return chords[-1] if time >= chords[-1].start else chords[0]
