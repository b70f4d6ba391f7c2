"""Reading a melody a person edited: ABC text (through abcmidi's abc2midi) or a MIDI file.

A format edge like `midi.py`: the result is a `Melody` on the file's own clock (its tempo map, its
key or None when it names none); laying it onto a clip's tempo map is the compose stage's job.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import mido
import pretty_midi

from ..errors import InputError
from ..model import Melody, Note, TempoMap
from ..theory import Key, parse_key
from ..tools import require
from .midi import MidiPart, read_midi

#: ABC's mode words (K:Dm, K:Edor, K:D minor) -> our mode names
_ABC_MODES = {"": "major", "maj": "major", "major": "major", "ion": "major", "ionian": "major",
              "m": "minor", "min": "minor", "minor": "minor", "aeo": "minor", "aeolian": "minor",
              "dor": "dorian", "dorian": "dorian", "phr": "phrygian", "phrygian": "phrygian",
              "lyd": "lydian", "lydian": "lydian", "mix": "mixolydian", "mixolydian": "mixolydian",
              "loc": "locrian", "locrian": "locrian"}
MELODY_SUFFIXES = (".abc", ".mid", ".midi")


def read_melody(path: str | Path) -> Melody:
    """The melody in an .abc, .mid or .midi file; InputError (one line) when it holds none.

    From a multi-track MIDI file the track named "Melody" is taken, else the first with notes; from an
    ABC songbook, its first tune.
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
        notes, tempo_map, key = _read_midi_melody(path)
        melody = Melody(notes=notes, key=key, tempo_map=tempo_map, description=path.stem)
    if not melody.notes:
        raise InputError(path, "holds no notes")
    return melody


def read_abc(text: str, *, source: str | Path = "ABC", strict: bool = True) -> Melody:
    """The first tune of `text` as abc2midi plays it, without accompaniment chords or drones.

    Notes are in the ABC's own seconds (its Q: tempo): compare positions through the melody's tempo
    map (`beat_at`). abc2midi's errors (a malformed note, no tune) are the file's problem: InputError.
    With `strict=False` the errors abc2midi recovers from (it skips the note) are let pass, as a
    corpus of hand-typed tunes needs: about one tune in twelve of music21's has one.
    """
    number = re.search(r"^X:\s*(\d+)", text, flags=re.MULTILINE)
    key_field = re.search(r"^K:(.*)$", text, flags=re.MULTILINE)
    if key_field is None:
        raise InputError(source, "no ABC tune here (no K: field)")
    tune = text if number else "X:1\n" + text
    # directives right after the K: line silence guitar chords and drones: the melody is the tune
    tune = re.sub(r"^(K:.*)$", r"\1\n%%MIDI gchordoff\n%%MIDI droneoff", tune, count=1, flags=re.MULTILINE)
    abc2midi = require("abc2midi")
    with tempfile.TemporaryDirectory(prefix="fc-abc-") as tmp:
        src, out = Path(tmp) / "melody.abc", Path(tmp) / "melody.mid"
        src.write_text(tune, encoding="utf-8")
        done = subprocess.run([abc2midi, str(src), number[1] if number else "1", "-o", str(out), "-silent"],
                              capture_output=True, text=True, check=False, timeout=60)
        errors = [line.strip() for line in (done.stdout + done.stderr).splitlines() if "Error" in line]
        if (errors and strict) or not out.is_file():
            raise InputError(source, f"abc2midi: {errors[0] if errors else 'no tune (X: field) found'}")
        parts, tempo_map = read_midi(out)
        late = 1.0 / mido.MidiFile(str(out)).ticks_per_beat  # abc2midi starts every note one tick late
    notes = sorted((n for part in parts if not part.is_drum for n in part.notes),
                   key=lambda n: (n.start, -n.pitch))
    notes = [Note(n.pitch, tempo_map.time_at(max(0.0, tempo_map.beat_at(n.start) - late)), n.end, n.velocity)
             for n in notes]
    title = re.search(r"^T:\s*(.*)$", text, flags=re.MULTILINE)
    return Melody(notes, abc_key(key_field[1]), tempo_map, description=title[1].strip() if title else "")


def abc_key(field: str) -> Key | None:
    """The key of an ABC K: field ("Ador" -> A dorian, "Bbm" -> Bb minor); None when it names none."""
    found = re.match(r"\s*([A-Ga-g])([#b]?)\s*(\S*)", field)
    if not found:
        return None
    word = found[3].lower()
    word = "" if "=" in word else word  # K:C clef=bass is C major
    mode = _ABC_MODES.get(word) or _ABC_MODES.get(word[:3])
    return parse_key(f"{found[1].upper()}{found[2]} {mode}") if mode else None


def _read_midi_melody(path: Path) -> tuple[list[Note], TempoMap, Key | None]:
    try:
        parts, tempo_map = read_midi(path)
        signatures = pretty_midi.PrettyMIDI(str(path)).key_signature_changes
    except Exception as err:  # noqa: BLE001 - any parser failure means the file is not usable MIDI
        raise InputError(path, f"not a readable MIDI file ({type(err).__name__}: {err})") from None
    melodic = [p for p in parts if not p.is_drum and p.notes]
    chosen: MidiPart | None = next((p for p in melodic if p.name.strip().lower() == "melody"), None)
    chosen = chosen or (melodic[0] if melodic else None)
    key = None
    if signatures:
        tonic, mode = pretty_midi.key_number_to_key_name(signatures[0].key_number).split()
        key = parse_key(f"{tonic} {mode.lower()}")
    return (chosen.notes if chosen else []), tempo_map, key
