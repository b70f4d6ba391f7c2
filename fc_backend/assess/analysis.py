"""What the reviewers measure from: the melody in beats and measures, its key, and its harmony.

The melody is read as a monophonic line in beats through its own tempo map; chords come from the
melody when it has them, else one diatonic triad is estimated per measure from the notes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..model import Melody, Spotting
from ..theory import chord_intervals
from .keys import SCALES, key_name, parse_key, ranked_keys

#: beats a note may start after a beat and still be the note heard on it (a 32nd note)
ONSET_SLACK = 0.125


@dataclass
class HeldChord:
    start: float  # beats
    end: float
    root: int  # pitch class
    quality: str

    @property
    def tones(self) -> set[int]:
        return {(self.root + i) % 12 for i in chord_intervals(self.quality)}


@dataclass
class Analysis:
    melody: Melody
    spotting: Spotting | None
    starts: np.ndarray  # beats
    ends: np.ndarray
    pitches: np.ndarray
    per: float  # beats per measure
    pulse: float  # beats per felt pulse
    tonic: int
    mode: str
    key_declared: bool
    measures: int
    chords: list[HeldChord] = field(default_factory=list)
    chords_given: bool = True

    @property
    def key_name(self) -> str:
        return key_name(self.tonic, self.mode)

    @property
    def durations(self) -> np.ndarray:
        return self.ends - self.starts

    def histogram(self, lo: float = -math.inf, hi: float = math.inf) -> np.ndarray:
        """Duration-weighted pitch-class histogram of the notes sounding in [lo, hi) beats."""
        overlap = np.clip(np.minimum(self.ends, hi) - np.maximum(self.starts, lo), 0, None)
        hist = np.zeros(12)
        np.add.at(hist, self.pitches % 12, overlap)
        return hist

    def measure_notes(self, m: int) -> np.ndarray:
        """Indices of notes starting in 0-based measure `m`."""
        lo, hi = m * self.per, (m + 1) * self.per
        return np.flatnonzero((self.starts >= lo - 1e-6) & (self.starts < hi - 1e-6))

    def sounding(self, beat: float) -> int | None:
        """Index of the note sounding at `beat` (the latest started), or None in a rest.

        A note that starts up to `ONSET_SLACK` late still counts: performed and abc2midi-rendered MIDI
        place notes a tick or two after the beat.
        """
        hits = np.flatnonzero((self.starts <= beat + ONSET_SLACK) & (self.ends > beat + ONSET_SLACK))
        return int(hits[-1]) if len(hits) else None

    def chord_at(self, beat: float) -> HeldChord | None:
        for chord in self.chords:
            if chord.start - 1e-6 <= beat < chord.end - 1e-6:
                return chord
        return None

    def strong_beats(self) -> list[float]:
        """Downbeats, and the middle of measures with an even number of pulses."""
        pulses = round(self.per / self.pulse)
        offsets = (0.0, self.per / 2) if pulses % 2 == 0 else (0.0,)
        return [m * self.per + o for m in range(self.measures) for o in offsets]


def analyse(melody: Melody, spotting: Spotting | None) -> Analysis:
    tm = melody.tempo_map
    notes = sorted(melody.notes, key=lambda n: (n.start, -n.pitch))
    starts = np.array([tm.beat_at(n.start) for n in notes], dtype=float)
    ends = np.array([tm.beat_at(n.end) for n in notes], dtype=float)
    pitches = np.array([n.pitch for n in notes], dtype=int)
    if len(notes) > 1:  # a line: a note ends where the next begins (reviewers read a melody, not chords)
        ends[:-1] = np.minimum(ends[:-1], np.maximum(starts[1:], starts[:-1] + 1e-3))
    per = tm.beats_per_measure
    num, den = tm.meter
    pulse = 1.5 if den == 8 and num % 3 == 0 and num > 3 else (0.5 if den == 8 else 1.0)
    end = float(ends.max()) if len(ends) else 0.0
    measures = max(1, math.ceil(end / per - 1e-6))
    parsed = parse_key(melody.key)
    analysis = Analysis(melody, spotting, starts, ends, pitches, per, pulse, 0, "major", parsed is not None,
                        measures)
    if parsed is None:
        _, tonic, mode = ranked_keys(analysis.histogram())[0]
        parsed = (tonic, mode)
    analysis.tonic, analysis.mode = parsed
    if melody.chords:
        analysis.chords = [HeldChord(tm.beat_at(c.start), tm.beat_at(c.end), c.root % 12, c.quality)
                           for c in sorted(melody.chords, key=lambda c: c.start)]
    else:
        analysis.chords = estimate_chords(analysis)
        analysis.chords_given = False
    return analysis


def diatonic_triads(tonic: int, mode: str) -> list[HeldChord]:
    """The key's triads, tonic first then dominant and subdominant (preferred on ties)."""
    scale = SCALES[mode]
    order = [0, 4, 3, 5, 1, 6, 2]
    triads = []
    for degree in order:
        pcs = [scale[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4)]
        if mode == "minor" and degree == 4:
            pcs[1] += 1  # harmonic minor's major V
        third, fifth = pcs[1] - pcs[0], pcs[2] - pcs[0]
        quality = {(4, 7): "maj", (3, 7): "min", (3, 6): "dim", (4, 8): "aug"}.get((third, fifth), "maj")
        triads.append(HeldChord(0.0, 0.0, (tonic + pcs[0]) % 12, quality))
    return triads


def estimate_chords(a: Analysis) -> list[HeldChord]:
    """One diatonic triad per measure: the one covering most of its notes (strong beats weigh more)."""
    triads = diatonic_triads(a.tonic, a.mode)
    chords: list[HeldChord] = []
    for m in range(a.measures):
        lo, hi = m * a.per, (m + 1) * a.per
        weights = a.histogram(lo, hi)
        for beat in (lo, lo + a.per / 2):
            i = a.sounding(beat)
            if i is not None:
                weights[a.pitches[i] % 12] += a.per / 2
        if weights.sum() == 0 and chords:
            best = chords[-1]
        else:
            best = max(triads, key=lambda t: sum(weights[p] for p in t.tones))
        chords.append(HeldChord(lo, hi, best.root, best.quality))
    return chords
