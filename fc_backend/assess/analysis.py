"""What the reviewers measure from: the melody in beats and measures, its key, and its harmony.

The melody is read as a monophonic line in beats through its own tempo map; its harmony is the one
diatonic triad per measure that its notes imply (chords it carries are not read: the same notes
from .json, .mid or .abc get one verdict).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..model import Melody, Spotting
from ..theory import Key, chord_pitch_classes, estimate_chords, key_correlation, rank_keys

#: beats a note may start after a beat and still be the note heard on it (a 32nd note)
ONSET_SLACK = 0.125
#: positions are read to 1/GRAIN of a beat
GRAIN = 48
#: a declared key whose profile correlates this much worse than the best key is not the key heard
#: (hand-typed folk tunes label modal tunes by their signature: K:G for a tune in D mixolydian)
MISLABELLED = 0.25


@dataclass
class HeldChord:
    start: float  # beats
    end: float
    root: int  # pitch class
    quality: str

    @property
    def tones(self) -> set[int]:
        return set(chord_pitch_classes(self.root, self.quality))


@dataclass
class Analysis:
    melody: Melody
    spotting: Spotting | None
    starts: np.ndarray  # beats
    ends: np.ndarray
    pitches: np.ndarray
    per: float  # beats per measure
    pulse: float  # beats per felt pulse
    key: Key
    key_declared: bool
    measures: int
    chords: list[HeldChord] = field(default_factory=list)

    @property
    def key_name(self) -> str:
        return self.key.name

    @property
    def tonic(self) -> int:
        return self.key.tonic

    @property
    def mode(self) -> str:
        return self.key.mode

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

    def metric_weight(self, beat: float) -> int:
        """How strong a position of the bar is: 4 downbeat, 3 mid-bar (an even number of pulses),
        2 another pulse, 1 half a pulse, 0 anything finer (the metric grid a listener infers)."""
        pos = beat % self.per
        pulses = round(self.per / self.pulse)

        def on(step: float, at: float = 0.0) -> bool:
            phase = (pos - at) / step
            return abs(phase - round(phase)) * step <= 1e-3

        if on(self.per):
            return 4
        if pulses % 2 == 0 and on(self.per, self.per / 2):
            return 3
        return 2 if on(self.pulse) else 1 if on(self.pulse / 2) else 0

    def strong_beats(self) -> list[float]:
        """Downbeats, and the middle of measures with an even number of pulses."""
        pulses = round(self.per / self.pulse)
        offsets = (0.0, self.per / 2) if pulses % 2 == 0 else (0.0,)
        return [m * self.per + o for m in range(self.measures) for o in offsets]


def analyse(melody: Melody, spotting: Spotting | None) -> Analysis:
    tm = melody.tempo_map
    notes = sorted(melody.notes, key=lambda n: (n.start, -n.pitch))
    # to a 48th of a beat: a file's tick rounding (.mid) or notation (.abc) must not change a verdict
    starts = np.round(np.array([tm.beat_at(n.start) for n in notes], dtype=float) * GRAIN) / GRAIN
    ends = np.round(np.array([tm.beat_at(n.end) for n in notes], dtype=float) * GRAIN) / GRAIN
    pitches = np.array([n.pitch for n in notes], dtype=int)
    if len(notes) > 1:  # a line: a note ends where the next begins (reviewers read a melody, not chords)
        ends[:-1] = np.minimum(ends[:-1], np.maximum(starts[1:], starts[:-1] + 1e-3))
    per = tm.beats_per_measure
    num, den = tm.meter
    pulse = 1.5 if den == 8 and num % 3 == 0 and num > 3 else (0.5 if den == 8 else 1.0)
    end = float(ends.max()) if len(ends) else 0.0
    measures = max(1, math.ceil(end / per - 1e-6))
    analysis = Analysis(melody, spotting, starts, ends, pitches, per, pulse, melody.key or Key(0),
                        melody.key is not None, measures)
    ranked = rank_keys(analysis.histogram())
    if melody.key is None:  # the line as the reviewers hear it, in beats
        analysis.key = ranked[0][1]
    elif ranked[0][0] - key_correlation(analysis.histogram(), melody.key) > MISLABELLED:
        analysis.key, analysis.key_declared = ranked[0][1], False  # the notes say another key
    # the harmony the line implies, not the chords it was written over: the same notes read from
    # .mid or .abc (which carry no chords) must get the same verdict, and a tune earns its harmony
    analysis.chords = estimate_held_chords(analysis)
    return analysis


def estimate_held_chords(a: Analysis) -> list[HeldChord]:
    """One diatonic triad per measure of the line (`theory.estimate_chords`), in beats."""
    spans = [(m * a.per, (m + 1) * a.per) for m in range(a.measures)]
    notes = [(int(p), float(s), float(e)) for p, s, e in zip(a.pitches, a.starts, a.ends, strict=True)]
    found = estimate_chords(notes, a.key, spans)
    return [HeldChord(lo, hi, root, quality) for (lo, hi), (root, quality) in zip(spans, found, strict=True)]
