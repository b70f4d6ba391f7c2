"""A melody's chords travel with it: chord symbols in melody.abc, "chord:" text events in melody.mid."""

from __future__ import annotations

import subprocess
from pathlib import Path

import mido
import music21
import pretty_midi
import pytest

from fc_backend.formats.abc import notate, read_abc
from fc_backend.formats.chord_symbols import parse_chord_symbol
from fc_backend.formats.melody_file import read_melody
from fc_backend.formats.midi import CHORD_TEXT, MidiPart, write_midi
from fc_backend.model import Chord, Melody, Note, TempoMap
from fc_backend.theory import Key
from fc_backend.tools import require


@pytest.mark.parametrize("symbol,expected", [
    ("Am", (9, "min")), ("Bb", (10, "maj")), ("F#m7", (6, "min7")), ("G7", (7, "dom7")),
    ("Ebmaj7", (3, "maj7")), ("Dsus4", (2, "sus4")), ("Bdim", (11, "dim")), ("Caug", (0, "aug")),
    ("C/E", (0, "maj")), ("Cm9", (0, "min")), ("B-", (10, "maj")), ("N.C.", None), ("fine", None),
])
def test_chord_symbols_as_lead_sheets_write_them(symbol: str, expected: tuple[int, str] | None) -> None:
    assert parse_chord_symbol(symbol) == expected


def test_a_tunes_own_chord_symbols_are_read_at_their_beats() -> None:
    # an upbeat, a triplet and a broken rhythm before the chords: positions must still be right
    tune = ('X:1\nT:lead sheet\nM:3/4\nL:1/8\nQ:1/4=90\nK:G\n'
            'D2|"G"G2 (3ABc "Em"B>A|"C"c2 "D7"A4|"G"G6|]\n')
    melody = read_abc(tune)
    tm = melody.tempo_map
    found = [(round(tm.beat_at(c.start), 6), round(tm.beat_at(c.end), 6), c.name) for c in melody.chords]
    # bar 1 is the upbeat's bar: the first full bar starts at beat 3
    assert found == [(3.0, 5.0, "G"), (5.0, 6.0, "Em"), (6.0, 7.0, "C"), (7.0, 9.0, "D7"), (9.0, 12.0, "G")]
    assert read_abc(tune, chords=False).chords == []
    plain = read_abc(tune.replace('"G"', "").replace('"Em"', "").replace('"C"', "").replace('"D7"', ""))
    assert plain.chords == []  # a tune without chord symbols is judged on chords estimated from its notes


def _held_melody() -> Melody:
    """A C major line whose chord changes in the middle of a held note, with a gap in the harmony."""
    tm = TempoMap.constant(100.0, (4, 4))
    beats = [(60, 0, 1), (64, 1, 2), (67, 2, 6), (65, 6, 7), (62, 7, 8), (60, 8, 12)]
    notes = [Note(p, tm.time_at(a), tm.time_at(b)) for p, a, b in beats]
    chords = [Chord(tm.time_at(0), tm.time_at(3), 0), Chord(tm.time_at(3), tm.time_at(6), 7, "dom7"),
              Chord(tm.time_at(6), tm.time_at(7), 2, "min"), Chord(tm.time_at(8), tm.time_at(12), 0)]
    return Melody(notes, Key.parse("C major"), tm, chords)


def _same_chords(a: Melody, b: Melody) -> None:
    def beats(m: Melody) -> list[tuple[float, float, str]]:
        tm = m.tempo_map
        return [(round(tm.beat_at(c.start), 6), round(tm.beat_at(c.end), 6), c.name) for c in m.chords]

    assert beats(a) == beats(b)


def test_a_chord_change_inside_a_held_note_and_a_gap_survive_abc(tmp_path: Path) -> None:
    melody = _held_melody()
    abc = notate(melody)
    assert '"C"' in abc and '"G7"' in abc and '"Dm"' in abc and '"^N.C."' in abc  # "no chord" above the staff
    assert '-"G7"' in abc  # the held G is split in two tied notes where G7 starts
    back = read_abc(abc)
    _same_chords(back, melody)
    tm = back.tempo_map
    assert [(n.pitch, round(tm.beat_at(n.start), 3), round(tm.beat_at(n.end), 3)) for n in back.notes] == [
        (n.pitch, round(melody.tempo_map.beat_at(n.start), 3), round(melody.tempo_map.beat_at(n.end), 3))
        for n in melody.notes]  # the tie is heard as one note
    # abc2midi renders the written tune without complaint, chords and all
    (tmp_path / "melody.abc").write_text(abc, encoding="utf-8")
    cmd = [require("abc2midi"), str(tmp_path / "melody.abc"), "-o", str(tmp_path / "out.mid")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "Error" not in done.stdout + done.stderr, done.stdout + done.stderr
    assert (tmp_path / "out.mid").stat().st_size > 0
    # music21 reads the same chord symbols at the same offsets
    score = music21.converter.parse(abc, format="abc")
    found = score.flatten().getElementsByClass(music21.harmony.ChordSymbol)
    expected = [(0.0, "C"), (3.0, "G7"), (6.0, "Dm"), (8.0, "C")]
    assert [(float(cs.offset), cs.figure) for cs in found] == expected


def test_chords_travel_in_midi_text_events_every_reader_opens(tmp_path: Path) -> None:
    melody = _held_melody()
    path = tmp_path / "melody.mid"
    parts = [MidiPart("Melody", melody.notes, 0)]
    write_midi(path, melody.tempo_map, parts, key=melody.key, chords=melody.chords)
    _same_chords(read_melody(path), melody)
    texts = [m.text for track in mido.MidiFile(str(path)).tracks for m in track if m.type == "text"]
    assert texts == [f"{CHORD_TEXT}{s}" for s in ("C", "G7", "Dm", "N.C.", "C")]
    assert len(pretty_midi.PrettyMIDI(str(path)).instruments[0].notes) == len(melody.notes)
    assert len(music21.converter.parse(str(path)).stripTies().flatten().notes) == len(melody.notes)
    # a MIDI file without chord events (a user's own) gets none: the reviewers estimate them
    write_midi(path, melody.tempo_map, parts, key=melody.key)
    assert read_melody(path).chords == []
