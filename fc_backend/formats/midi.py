"""MIDI files in video time: second t of the file is second t of the clip.

Ticks exist only here: notes are placed through the `TempoMap`, and the same map is written as the
file's tempo track, so any reader that honours tempo changes gets the original seconds back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import mido
import pretty_midi

from ..model import Chord, Note, TempoChange, TempoMap
from ..theory import Key
from .chord_symbols import chord_marks

PPQ = 960
#: semitones from a mode's tonic up to the tonic of the major scale that shares its signature
_MODE_TO_MAJOR = {"major": 0, "ionian": 0, "dorian": 10, "phrygian": 8, "lydian": 7, "mixolydian": 5,
                  "minor": 3, "aeolian": 3, "locrian": 1, "harmonic minor": 3, "melodic minor": 3}
_MAJOR_NAMES = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
_MINOR_NAMES = ["Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm"]


@dataclass
class MidiPart:
    """One MIDI track: a name, a General MIDI program (0-based) and its notes."""

    name: str
    notes: list[Note] = field(default_factory=list)
    program: int = 0
    is_drum: bool = False


def key_signature(key: Key) -> str:
    """mido's key-signature name for a key such as D minor or E dorian ("Dm", "D")."""
    tonic, mode = key.tonic, key.mode
    if mode in ("minor", "harmonic minor", "melodic minor"):
        return _MINOR_NAMES[tonic]
    return _MAJOR_NAMES[(tonic + _MODE_TO_MAJOR[mode]) % 12]


#: a text event that names a mode a key signature cannot ("key: E dorian"), read back by melody_file
MODE_TEXT = "key: "
#: a text event at the time a chord starts ("chord: Am", "chord: N.C."), read back by melody_file
CHORD_TEXT = "chord: "


def _plain_signature(key: Key) -> str:
    return (_MINOR_NAMES if key.minor_third else _MAJOR_NAMES)[key.tonic]


def write_midi(path: str | Path, tempo_map: TempoMap, parts: list[MidiPart], *, key: Key | None = None,
               chords: list[Chord] | None = None, ppq: int = PPQ) -> None:
    """Write a type-1 MIDI file: a tempo track, then one track per part (channel 10 for drums).

    `chords` (the harmony a melody was composed over) go on the tempo track as "chord: Am" text events
    where each starts, so a reader gets the same harmony back instead of guessing it from the notes.
    """
    mid = mido.MidiFile(type=1, ticks_per_beat=ppq, charset="utf-8")  # names like "B♭ Clarinet"
    conductor = mido.MidiTrack()
    num, den = tempo_map.meter
    meta: list[tuple[int, mido.MetaMessage]] = [
        (0, mido.MetaMessage("time_signature", numerator=num, denominator=den)),
    ]
    if key:
        meta.append((0, mido.MetaMessage("key_signature", key=key_signature(key))))
        if key_signature(key) != _plain_signature(key):  # a mode the signature cannot name: say it
            meta.append((0, mido.MetaMessage("text", text=f"{MODE_TEXT}{key.name}")))
    for change in tempo_map.changes:
        tick = round(tempo_map.beat_at(change.time) * ppq)
        meta.append((tick, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(change.bpm))))
    if chords:
        end = max((n.end for part in parts for n in part.notes), default=max(c.end for c in chords))
        for time, symbol in chord_marks(chords, end):
            tick = round(tempo_map.beat_at(time) * ppq)
            meta.append((tick, mido.MetaMessage("text", text=CHORD_TEXT + symbol)))
    conductor.extend(_delta(meta))
    mid.tracks.append(conductor)

    melodic_channels = [c for c in range(16) if c != 9]
    for index, part in enumerate(parts):
        channel = 9 if part.is_drum else melodic_channels[index % len(melodic_channels)]
        events: list[tuple[int, mido.Message]] = [(0, mido.MetaMessage("track_name", name=part.name))]
        if not part.is_drum:
            events.append((0, mido.Message("program_change", channel=channel, program=part.program)))
        for note in part.notes:
            on = round(tempo_map.beat_at(note.start) * ppq)
            off = max(on + 1, round(tempo_map.beat_at(note.end) * ppq))
            events.append((on, mido.Message("note_on", channel=channel, note=note.pitch,
                                            velocity=note.velocity)))
            events.append((off, mido.Message("note_off", channel=channel, note=note.pitch, velocity=0)))
        # offs before ons at the same tick, so repeated pitches do not swallow each other
        events.sort(key=lambda e: (e[0], 0 if e[1].type in ("note_off", "track_name") else 1))
        track = mido.MidiTrack(_delta(events))
        mid.tracks.append(track)
    mid.save(str(path))


def _delta(events: list[tuple[int, mido.Message]]) -> list[mido.Message]:
    out, now = [], 0
    for tick, msg in sorted(events, key=lambda e: e[0]):
        out.append(msg.copy(time=tick - now))
        now = tick
    return out


def _utf8(name: str) -> str:
    """pretty_midi decodes names as Latin-1; ours are UTF-8 (a foreign Latin-1 name stays as read)."""
    try:
        return name.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return name


def read_midi(path: str | Path) -> tuple[list[MidiPart], TempoMap]:
    """Parts with notes in seconds, and the file's tempo map (first time signature only)."""
    pm = pretty_midi.PrettyMIDI(str(path))
    times, tempi = pm.get_tempo_changes()
    changes = [TempoChange(float(t), float(b)) for t, b in zip(times, tempi, strict=True)]
    if not changes or changes[0].time > 0.0:
        changes.insert(0, TempoChange(0.0, 120.0))
    meter = (4, 4)
    if pm.time_signature_changes:
        ts = pm.time_signature_changes[0]
        meter = (ts.numerator, ts.denominator)
    parts = [
        MidiPart(
            name=_utf8(inst.name),
            program=inst.program,
            is_drum=inst.is_drum,
            notes=sorted((Note(n.pitch, float(n.start), float(n.end), max(1, n.velocity))
                          for n in inst.notes), key=lambda n: (n.start, n.pitch)),
        )
        for inst in pm.instruments
    ]
    return parts, TempoMap(changes, meter)
