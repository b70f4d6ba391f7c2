"""The harmony of a melody as chord symbols ("Am", "G7", "N.C."), the way lead sheets carry it.

A .mid or .abc file has no place for chords, so a melody read back without them would be
re-harmonized from its own notes, not played over the harmony it was composed on. Chord symbols at
the times the chords start (MIDI text events, ABC "Am" symbols) bring that harmony back on reading.
"""

from __future__ import annotations

import re

from ..model import Chord
from ..theory import CHORD_SUFFIX, NAMES, chord_name

#: the symbol for "no chord here" (a gap in the harmony, or the harmony ending before the notes)
NO_CHORD = "N.C."
#: suffixes other writers use for our qualities ("Cmin", "C-7", "CM7", "C+")
_ALIASES = {"min": "min", "-": "min", "mi": "min", "maj": "maj", "M": "maj", "o": "dim", "°": "dim",
            "+": "aug", "sus": "sus4", "dom7": "dom7", "M7": "maj7", "Δ": "maj7", "Δ7": "maj7",
            "min7": "min7", "-7": "min7", "mi7": "min7"}
_SUFFIX_QUALITY = {suffix: quality for quality, suffix in CHORD_SUFFIX.items()} | _ALIASES
_SYMBOL = re.compile(r"^\s*([A-G])([#b♯♭-]?)([^/\s]*)")


def chord_symbol(chord: Chord) -> str:
    """"Am" for A minor, "G7" for G dominant seventh."""
    return chord_name(chord.root, chord.quality)


def parse_chord_symbol(text: str) -> tuple[int, str] | None:
    """(root pitch class, quality) of a chord symbol ("F#m7", "Bb", "Dsus4", "C/E"); None for "N.C." or
    text that names no chord. Extensions we do not model keep their triad ("Cm9" -> C minor)."""
    found = _SYMBOL.match(text)
    if not found:
        return None
    root = NAMES.index(found[1]) + {"#": 1, "♯": 1, "b": -1, "♭": -1, "-": -1}.get(found[2], 0)
    suffix = found[3]
    quality = _SUFFIX_QUALITY.get(suffix)
    if quality is None:  # longest known prefix: "m9" -> m, "maj9" -> maj7 is too much: maj
        known = sorted((s for s in _SUFFIX_QUALITY if s and suffix.startswith(s)), key=len, reverse=True)
        quality = _SUFFIX_QUALITY[known[0]] if known else "maj"
    return root % 12, quality


def chord_marks(chords: list[Chord], end: float) -> list[tuple[float, str]]:
    """(start, symbol) of each chord, and "N.C." where the harmony stops before the next chord or
    before `end` (when the notes end): the marks `chords_from_marks` reads back as the same chords."""
    marks: list[tuple[float, str]] = []
    ordered = sorted(chords, key=lambda c: c.start)
    for i, chord in enumerate(ordered):
        marks.append((chord.start, chord_symbol(chord)))
        following = ordered[i + 1].start if i + 1 < len(ordered) else end
        if chord.end < following - 1e-6:
            marks.append((chord.end, NO_CHORD))
    return marks


def chords_from_marks(marks: list[tuple[float, str]], end: float) -> list[Chord]:
    """The chords of (start, symbol) marks: each holds until the next mark, the last until `end`."""
    marks = sorted(marks, key=lambda m: m[0])
    chords = []
    for i, (start, symbol) in enumerate(marks):
        parsed = parse_chord_symbol(symbol)
        stop = marks[i + 1][0] if i + 1 < len(marks) else end
        if parsed is not None and stop > start:
            chords.append(Chord(start, stop, *parsed))
    return chords
