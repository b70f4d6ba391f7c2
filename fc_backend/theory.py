"""The one home of music theory: keys, scales, triads, chords, key finding and chord estimation.

Every stage (composer, reviewers, part writer, MIDI and ABC writers) reads keys and chords here, so
one melody gets one key and one chord per measure wherever it is looked at. The module depends on
nothing else in the package (model.py types `Melody.key` with `Key`), so notes come in as plain
(pitch, start, end) tuples in whatever clock the caller counts in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

PITCH_CLASSES = {"C": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "F": 5, "F#": 6, "Gb": 6,
                 "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11, "Cb": 11}
#: one spelling per pitch class, for messages and chord names
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
#: tonic spellings of major-third and minor-third keys: the MIDI key signatures' (fewest accidentals)
_FLAT_SPELLING = {1: "Db", 3: "Eb", 6: "F#", 8: "Ab", 10: "Bb"}
_SHARP_SPELLING = {1: "C#", 3: "Eb", 6: "F#", 8: "G#", 10: "Bb"}

#: semitones of each scale degree above the tonic
SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
    "harmonic minor": (0, 2, 3, 5, 7, 8, 11),
    "melodic minor": (0, 2, 3, 5, 7, 9, 11),
}
_ALIASES = {"ionian": "major", "aeolian": "minor", "maj": "major", "min": "minor", "m": "minor"}
#: modes heard as major (major third) or minor (minor third)
MAJOR_FAMILY = ("major", "lydian", "mixolydian")

CHORD_INTERVALS: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8), "sus4": (0, 5, 7),
    "dom7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11), "min7": (0, 3, 7, 10),
}
#: chord-name suffix of each quality ("Dm", "G7")
CHORD_SUFFIX = {"maj": "", "min": "m", "dim": "dim", "aug": "aug", "sus4": "sus4", "dom7": "7",
                "maj7": "maj7", "min7": "m7"}
#: the triad table: (third, fifth) in semitones above the root -> quality
TRIAD_QUALITIES = {(4, 7): "maj", (3, 7): "min", (3, 6): "dim", (4, 8): "aug"}


@dataclass(frozen=True)
class Key:
    """A tonic pitch class (0 = C) and a mode of `SCALES`; written and read as "D minor"."""

    tonic: int
    mode: str = "major"

    def __post_init__(self) -> None:
        if self.mode not in SCALES:
            raise ValueError(f"unknown mode {self.mode!r}")
        object.__setattr__(self, "tonic", self.tonic % 12)

    @classmethod
    def parse(cls, text: str) -> Key:
        """Key of "D minor", "Dm", "E dorian", "F#", "Bb major"; ValueError when unreadable."""
        text = (text or "").strip()
        if " " in text:
            tonic, mode = text.split(None, 1)
        elif len(text) > 1 and text[1] in "#b":
            tonic, mode = text[:2], text[2:]
        else:
            tonic, mode = text[:1], text[1:]
        mode = mode.strip().lower() or "major"
        mode = _ALIASES.get(mode, mode)
        tonic = tonic[:1].upper() + tonic[1:]
        if tonic not in PITCH_CLASSES or mode not in SCALES:
            raise ValueError(f"unknown key {text!r}")
        return cls(PITCH_CLASSES[tonic], mode)

    @property
    def scale(self) -> tuple[int, ...]:
        return SCALES[self.mode]

    @property
    def minor_third(self) -> bool:
        return self.scale[2] == 3

    @property
    def name(self) -> str:
        """"D minor", "E dorian"; sharps or flats chosen as a composer would write them."""
        accidentals = _SHARP_SPELLING if self.minor_third else _FLAT_SPELLING
        spelling = accidentals.get(self.tonic, NAMES[self.tonic])
        return f"{spelling} {self.mode}"

    def __str__(self) -> str:
        return self.name

    @property
    def tonic_midi(self) -> int:
        """The tonic a melody centres on: C4..A4, or Bb3 / B3, so the range sits around C4..A5."""
        return 60 + self.tonic if self.tonic <= 9 else 48 + self.tonic

    def pitch(self, index: int, *, leading_tone: bool = False) -> int:
        """MIDI pitch of diatonic `index` (0 = tonic_midi); raises the 7th when `leading_tone`."""
        octave, degree = divmod(index, 7)
        semis = self.scale[degree]
        if leading_tone and degree == 6 and semis == 10:
            semis = 11
        return self.tonic_midi + 12 * octave + semis

    def scale_pitch_classes(self) -> set[int]:
        """The pitch classes of the key's scale."""
        return {(self.tonic + s) % 12 for s in self.scale}

    def idiomatic_pitch_classes(self) -> set[int]:
        """The scale, and in minor also the raised 6th and 7th a minor melody uses freely."""
        extra = {(self.tonic + 9) % 12, (self.tonic + 11) % 12} if self.mode == "minor" else set()
        return self.scale_pitch_classes() | extra

    def stable_pitch_classes(self) -> set[int]:
        """Degrees 1, 3 and 5: where a phrase can come to rest."""
        return {(self.tonic + self.scale[d]) % 12 for d in (0, 2, 4)}

    def transposed(self, semitones: int) -> Key:
        return Key(self.tonic + semitones, self.mode)


def move_pitch(pitch: int, source: Key, target: Key) -> int:
    """`pitch` of `source` sung in `target`: moved by the nearer way between the tonics, and each scale
    degree onto the target scale's degree (D minor's F becomes D major's F#); chromatic notes keep
    their distance from the tonic."""
    shift = (target.tonic - source.tonic) % 12
    shift -= 12 if shift > 6 else 0
    step = (pitch - source.tonic) % 12
    if step in source.scale:
        degree = source.scale.index(step)
        shift += target.scale[degree] - step
    return pitch + shift


def move_chord(root: int, quality: str, source: Key, target: Key) -> tuple[int, str]:
    """A chord of `source` in `target`: the root moved as `move_pitch`, a diatonic triad (or minor's
    major V) taking the target's triad on that degree; other qualities kept."""
    new_root = move_pitch(root, source, target) % 12
    step = (root - source.tonic) % 12
    if step not in source.scale:
        return new_root, quality
    degree = source.scale.index(step)
    for leading in (False, True):
        if Triad(degree, leading).quality(source) == quality:
            return new_root, Triad(degree, leading and target.mode == "minor").quality(target)
    return new_root, quality


def parse_key(text: str) -> Key | None:
    """`Key.parse`, or None for an empty or unreadable name (a melody that arrives without a key)."""
    try:
        return Key.parse(text)
    except ValueError:
        return None


def stable(index: int) -> bool:
    """Diatonic indices on degrees 1, 3 and 5: where a phrase can come to rest."""
    return index % 7 in (0, 2, 4)


@dataclass(frozen=True)
class Triad:
    """A diatonic triad on scale `degree` (0-based); `leading_tone` makes minor's v a major V."""

    degree: int
    leading_tone: bool = False

    def tones(self) -> tuple[int, int, int]:
        """Chord-tone degrees (mod 7): root, third, fifth."""
        return self.degree % 7, (self.degree + 2) % 7, (self.degree + 4) % 7

    def contains(self, index: int) -> bool:
        return index % 7 in self.tones()

    def root_pc(self, key: Key) -> int:
        return (key.tonic + key.scale[self.degree % 7]) % 12

    def quality(self, key: Key) -> str:
        pcs = [key.pitch(self.degree + k, leading_tone=self.leading_tone) for k in (0, 2, 4)]
        return TRIAD_QUALITIES.get((pcs[1] - pcs[0], pcs[2] - pcs[0]), "maj")

    def pitch_classes(self, key: Key) -> set[int]:
        return {key.pitch(self.degree + k, leading_tone=self.leading_tone) % 12 for k in (0, 2, 4)}


def chord_intervals(quality: str) -> tuple[int, ...]:
    """Semitones above the root of a chord quality; an unknown quality reads as a major triad."""
    return CHORD_INTERVALS.get(quality, CHORD_INTERVALS["maj"])


def chord_pitch_classes(root: int, quality: str) -> list[int]:
    """Pitch classes of a chord, root first."""
    return [(root + i) % 12 for i in chord_intervals(quality)]


def chord_name(root: int, quality: str) -> str:
    return NAMES[root % 12] + CHORD_SUFFIX.get(quality, "")


# ------------------------------------------------------------------------------------ key finding

#: Krumhansl-Kessler probe-tone profiles
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
_MODE_SWAPS = {"dorian": (8, 9), "phrygian": (1, 2), "lydian": (5, 6), "mixolydian": (10, 11)}


def key_profile(key: Key) -> np.ndarray:
    """The KK profile of a key; church modes alter the major/minor profile where their scale differs."""
    base = (KK_MAJOR if key.mode in MAJOR_FAMILY else KK_MINOR).copy()
    if key.mode in _MODE_SWAPS:
        a, b = _MODE_SWAPS[key.mode]
        base[[a, b]] = base[[b, a]]
    return np.roll(base, key.tonic)


def key_correlation(histogram: np.ndarray, key: Key) -> float:
    """Pearson correlation of a 12-bin pitch-class histogram with the key's profile (0 when flat)."""
    if histogram.sum() <= 0 or np.ptp(histogram) == 0:
        return 0.0
    return float(np.corrcoef(histogram, key_profile(key))[0, 1])


def rank_keys(histogram: np.ndarray, extra: Key | None = None) -> list[tuple[float, Key]]:
    """All 24 major and minor keys (plus `extra`), best-correlated first; ties keep C-major-first order."""
    keys = [Key(t, m) for m in ("major", "minor") for t in range(12)]
    if extra is not None and extra not in keys:
        keys.append(extra)
    scored = [(key_correlation(histogram, k), k) for k in keys]
    return sorted(scored, key=lambda s: -s[0])


def pitch_class_histogram(notes: Iterable[tuple[int, float, float]], lo: float = -np.inf,
                          hi: float = np.inf) -> np.ndarray:
    """Sounding time of each pitch class inside [lo, hi) from (pitch, start, end) notes."""
    hist = np.zeros(12)
    for pitch, start, end in notes:
        overlap = min(hi, end) - max(lo, start)
        if overlap > 0:
            hist[pitch % 12] += overlap
    return hist


def estimate_key(notes: Iterable[tuple[int, float, float]]) -> Key:
    """The major or minor key whose profile best fits the notes' duration-weighted pitch classes."""
    return rank_keys(pitch_class_histogram(notes))[0][1]


# ------------------------------------------------------------------------------- chord estimation

#: how much a composer prefers a degree when the melody fits several triads: I, then V, IV, vi
DEGREE_PREFERENCE = {0: 0.3, 4: 0.2, 3: 0.15, 5: 0.1}
#: weight of a note that starts on the downbeat, relative to one that only sounds in the measure
DOWNBEAT_WEIGHT = 1.5


def candidate_triads(key: Key) -> list[Triad]:
    """The key's diatonic triads (minor's V major), plus minor's natural v for a lowered 7th."""
    options = [Triad(d, leading_tone=key.mode == "minor" and d == 4) for d in range(7)]
    if key.mode == "minor":
        options.append(Triad(4))
    return options


def estimate_chords(notes: Sequence[tuple[int, float, float]], key: Key | None,
                    spans: Sequence[tuple[float, float]]) -> list[tuple[int, str]]:
    """(root, quality) of one diatonic triad per span (a measure): the one whose tones cover most of it.

    Notes are (pitch, start, end) in the spans' clock; a note starting on the span's first instant
    weighs `DOWNBEAT_WEIGHT` times more, and ties go to the tonic, then dominant, subdominant and
    submediant, as a composer would. An empty span keeps the chord before it (the first: the tonic).
    Without a key, the key is estimated from the notes first.
    """
    key = key if key is not None else estimate_key(notes)
    options = candidate_triads(key)
    chords: list[tuple[int, str]] = []
    for t0, t1 in spans:
        weight = [0.0] * 12
        for pitch, start, end in notes:
            overlap = min(t1, end) - max(t0, start)
            if overlap > 0:
                weight[pitch % 12] += overlap * (DOWNBEAT_WEIGHT if abs(start - t0) < 1e-3 else 1.0)
        if not any(weight):
            chords.append(chords[-1] if chords else (key.tonic, Triad(0).quality(key)))
            continue
        duration = max(t1 - t0, 1e-9)

        def fit(triad: Triad, weight: list[float] = weight, duration: float = duration) -> float:
            covered = sum(weight[p] for p in triad.pitch_classes(key))
            return covered / duration + DEGREE_PREFERENCE.get(triad.degree, 0.0)

        best = max(options, key=fit)
        chords.append((best.root_pc(key), best.quality(key)))
    return chords
