"""How every stage reads a key name ("D minor", "Dm", "E dorian"), its scale and chord tones.

`Melody.key` and `Chord.quality` are strings in the shared types; this module is their one reader,
so the composer, the reviewers, the part writer and the MIDI writer agree on what they mean.
"""

from __future__ import annotations

PITCH_CLASSES = {"C": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "F": 5, "F#": 6, "Gb": 6,
                 "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11, "Cb": 11}
#: one spelling per pitch class, for messages and chord names
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

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

CHORD_INTERVALS: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8), "sus4": (0, 5, 7),
    "dom7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11), "min7": (0, 3, 7, 10),
}


def parse_key(text: str) -> tuple[int, str]:
    """(tonic pitch class, mode) of "D minor", "Dm", "E dorian", "F#"; ValueError when unreadable."""
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
    return PITCH_CLASSES[tonic], mode


def scale_pitch_classes(tonic: int, mode: str) -> set[int]:
    return {(tonic + step) % 12 for step in SCALES[mode]}


def chord_intervals(quality: str) -> tuple[int, ...]:
    """Semitones above the root of a chord quality; an unknown quality reads as a major triad."""
    return CHORD_INTERVALS.get(quality, CHORD_INTERVALS["maj"])
