"""A melody a person wrote or edited, from an ABC tune or a MIDI file, on the file's own clock."""

from __future__ import annotations

from pathlib import Path

import pretty_midi

from ..errors import InputError
from ..model import Chord, Melody, Note, TempoMap
from ..theory import Key, parse_key
from .abc import read_abc
from .chord_symbols import chords_from_marks
from .midi import CHORD_TEXT, MODE_TEXT, MidiPart, read_midi

MELODY_SUFFIXES = (".abc", ".mid", ".midi")


def read_melody(path: str | Path) -> Melody:
    """The melody in an .abc, .mid or .midi file; InputError (one line) when it holds none.

    From a multi-track MIDI file the track named "Melody" is taken, else the first with notes; from an
    ABC songbook, its first tune. Chord symbols in the file (ABC "Am", MIDI "chord: Am" text events, as
    we write them) become the melody's chords, the harmony the arrangement plays under it; a file
    without them gets chords estimated from its notes when it is adopted.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file" if not path.exists() else "is not a file")
    suffix = path.suffix.lower()
    if suffix not in MELODY_SUFFIXES:
        raise InputError(path, "not a MIDI (.mid) or ABC (.abc) file: melodies come as ABC or MIDI")
    if suffix == ".abc":
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            text = path.read_text(encoding="latin-1")
        melody = read_abc(text, source=path)
    else:
        notes, tempo_map, key, chords = _read_midi_melody(path)
        melody = Melody(notes=notes, key=key, tempo_map=tempo_map, chords=chords, description=path.stem)
    if not melody.notes:
        raise InputError(path, "holds no notes")
    return melody


def _read_midi_melody(path: Path) -> tuple[list[Note], TempoMap, Key | None, list[Chord]]:
    try:
        parts, tempo_map = read_midi(path)
        pm = pretty_midi.PrettyMIDI(str(path))
        signatures, texts = pm.key_signature_changes, [t.text for t in pm.text_events if t.time < 1e-6]
        marks = [(float(t.time), t.text[len(CHORD_TEXT):]) for t in pm.text_events
                 if t.text.startswith(CHORD_TEXT)]
    except Exception as err:  # noqa: BLE001 - any parser failure means the file is not usable MIDI
        raise InputError(path, f"not a readable MIDI file ({type(err).__name__}: {err})") from None
    melodic = [p for p in parts if not p.is_drum and p.notes]
    chosen: MidiPart | None = next((p for p in melodic if p.name.strip().lower() == "melody"), None)
    chosen = chosen or (melodic[0] if melodic else None)
    key = None
    if signatures:
        tonic, mode = pretty_midi.key_number_to_key_name(signatures[0].key_number).split()
        key = parse_key(f"{tonic} {mode.lower()}")
        named = _named_mode(texts, key)
        key = named or key
    notes = chosen.notes if chosen else []
    chords = chords_from_marks(marks, max(n.end for n in notes)) if marks and notes else []
    return notes, tempo_map, key, chords


def _named_mode(texts: list[str], signature: Key) -> Key | None:
    """The mode a text event names ("key: E dorian", as write_midi writes it), when it agrees with
    the key signature (a later edit that changed the signature wins)."""
    for text in texts:
        if text.startswith(MODE_TEXT):
            try:
                key = parse_key(text[len(MODE_TEXT):])
            except ValueError:
                continue
            if key.scale_pitch_classes() == signature.scale_pitch_classes():
                return key
    return None
