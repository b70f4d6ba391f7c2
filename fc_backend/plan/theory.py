"""The little harmony a part writer needs: keys, chord tones, and chords guessed from a melody."""

from __future__ import annotations

from .. import theory
from ..model import Chord, Melody, TempoMap
from ..theory import SCALES, chord_intervals

_TRIADS = {(4, 7): "maj", (3, 7): "min", (3, 6): "dim", (4, 8): "aug"}
#: diatonic degrees in the order ties are broken: I, V, IV, vi, ii, iii, vii
_DEGREE_PREFERENCE = (0, 4, 3, 5, 1, 2, 6)


def parse_key(key: str) -> tuple[int, tuple[int, ...]] | None:
    """"D minor" -> (2, minor scale intervals); None when the key is not understood."""
    try:
        tonic, mode = theory.parse_key(key)
    except ValueError:
        return None
    return tonic, SCALES[mode]


def chord_pitch_classes(chord: Chord) -> list[int]:
    """Pitch classes of `chord`, root first."""
    return [(chord.root + i) % 12 for i in chord_intervals(chord.quality)]


def candidate_triads(key: str) -> list[tuple[int, str]]:
    """(root, quality) of the key's diatonic triads, or all 24 major and minor triads if unknown."""
    parsed = parse_key(key)
    if parsed is None:
        return [(root, q) for root in range(12) for q in ("maj", "min")]
    tonic, scale = parsed
    out = []
    for degree in _DEGREE_PREFERENCE:
        root, third, fifth = (scale[(degree + k) % 7] for k in (0, 2, 4))
        quality = _TRIADS.get(((third - root) % 12, (fifth - root) % 12))
        if quality:
            out.append(((tonic + root) % 12, quality))
    return out


def estimate_chords(melody: Melody, measures: int) -> list[Chord]:
    """One triad per measure: the diatonic triad that covers most of the measure's melody."""
    tm: TempoMap = melody.tempo_map
    candidates = candidate_triads(melody.key)
    chords: list[Chord] = []
    for m in range(1, measures + 1):
        t0, t1 = tm.measure_start(m), tm.measure_start(m + 1)
        weight = [0.0] * 12
        for note in melody.notes:
            overlap = min(t1, note.end) - max(t0, note.start)
            if overlap > 0:
                weight[note.pitch % 12] += overlap * (1.5 if abs(note.start - t0) < 1e-3 else 1.0)
        if not any(weight):
            root, quality = (chords[-1].root, chords[-1].quality) if chords else candidates[0]
        else:
            root, quality = max(candidates, key=lambda c, w=weight: _fit_score(c, w))  # first wins ties
        chords.append(Chord(t0, t1, root, quality))
    return chords


def _fit_score(chord: tuple[int, str], weight: list[float]) -> float:
    """How much of the measure's melody the chord's tones cover, its root counting extra."""
    tones = [(chord[0] + i) % 12 for i in chord_intervals(chord[1])]
    return sum(weight[p] for p in tones) + 0.5 * weight[chord[0]]


def harmony(melody: Melody, measures: int, end: float) -> list[Chord]:
    """A gapless chord list from 0 to `end`: the melody's chords (each held until the next), or estimated."""
    chords = sorted((c for c in melody.chords if c.start < end), key=lambda c: c.start)
    if not chords:
        chords = estimate_chords(melody, measures)
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
