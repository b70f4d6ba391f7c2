"""Hit the picture: make a note start exactly on every cut and strong rhythm spot."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

#: pieces shorter than this (beats) are not split off; the neighbouring onset moves instead
MIN_PIECE = 0.25


@dataclass
class BeatNote:
    """A melody note while composing: position in beats, MIDI pitch."""

    start: float
    end: float
    pitch: int
    velocity: int = 80


def onset_at(notes: list[BeatNote], beat: float, pick_pitch: Callable[[float, int], int],
             *, end: float, keep: frozenset[float] = frozenset(), tolerance: float = 1e-6) -> None:
    """Ensure a note of the (sorted, monophonic) line starts at `beat`, splitting or moving notes.

    `pick_pitch(beat, previous_pitch)` gives the pitch of a note that has to be added; onsets in
    `keep` (other spots) are never moved.
    """

    def movable(onset: float) -> bool:
        return all(abs(onset - k) > tolerance for k in keep)

    if any(abs(n.start - beat) <= tolerance for n in notes):
        return
    i = next((k for k, n in enumerate(notes) if n.start < beat < n.end), None)
    if i is None:  # in a rest (or after the line): a new note until the next onset
        after = [n.start for n in notes if n.start > beat]
        before = [n for n in notes if n.end <= beat]
        stop = min([*after, beat + 1.0, max(end, beat + MIN_PIECE)])
        pitch = pick_pitch(beat, before[-1].pitch if before else notes[0].pitch if notes else 60)
        notes.append(BeatNote(beat, stop, pitch, before[-1].velocity if before else 80))
        notes.sort(key=lambda n: n.start)
        return
    note = notes[i]
    prev = notes[i - 1] if i > 0 and notes[i - 1].end >= note.start - tolerance else None
    nxt = notes[i + 1] if i + 1 < len(notes) and notes[i + 1].start <= note.end + tolerance else None
    head, tail = beat - note.start, note.end - beat
    late = prev is not None and movable(note.start)  # the note may start late, the one before holds on
    early = nxt is not None and movable(nxt.start)  # or the next note may come early
    if head < MIN_PIECE and late and (tail >= MIN_PIECE or not early):
        prev.end = beat
        note.start = beat
    elif tail < MIN_PIECE and early:
        note.end = beat
        nxt.start = beat
    else:  # split: the second half is an accent on a new pitch
        accent = BeatNote(beat, note.end, pick_pitch(beat, note.pitch), min(127, note.velocity + 12))
        if i == len(notes) - 1:  # the final note keeps its pitch; the new pitch leads into it
            accent.pitch, note.pitch = note.pitch, pick_pitch(note.start, note.pitch)
        note.end = beat
        notes.insert(i + 1, accent)


#: the grid (beats) a cut's onset is placed on: the theme keeps to the beat grid
HIT_GRID = 0.5


def restrike_on_cuts(notes: list[BeatNote], beats: list[float], *, pulse: float = 1.0,
                     neighbour: Callable[[int], int] | None = None) -> None:
    """A note onset on the grid position nearest each cut: a note held across it is struck again there.

    The tune keeps its rhythm and pitches (only a held note is re-articulated, on the grid); the
    orchestra's re-strikes and hits mark the cut itself (plan/part_writers.py). A cut between pulses
    whose re-strike would hold on past the next pulse becomes a pickup: the `neighbour` of the held
    pitch up to that pulse, where the held pitch comes back, so long notes stay on the beats.
    """
    for beat in beats:
        at = round(beat / HIT_GRID) * HIT_GRID
        if any(abs(n.start - at) < 1e-6 for n in notes):
            continue
        held = next((n for n in notes if n.start + MIN_PIECE - 1e-6 <= at <= n.end - MIN_PIECE + 1e-6), None)
        if held is None:
            continue
        i = notes.index(held)
        velocity = min(127, held.velocity + 12)
        on = math.ceil(at / pulse - 1e-6) * pulse  # the next pulse
        if neighbour is not None and on - at > 1e-6 and held.end - on >= pulse - 1e-6:
            notes[i + 1:i + 1] = [BeatNote(at, on, neighbour(held.pitch), velocity),
                                  BeatNote(on, held.end, held.pitch, held.velocity)]
        else:
            notes.insert(i + 1, BeatNote(at, held.end, held.pitch, velocity))
        held.end = at
