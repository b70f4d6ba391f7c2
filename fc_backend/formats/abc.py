"""Reading a melody a person edited: ABC text (through abcmidi's abc2midi) or a MIDI file.

A format edge like `midi.py`: the result is a `Melody` on the file's own clock (its tempo map, its
key or "" when it names none); laying it onto a clip's tempo map is the compose stage's job.
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

    From a multi-track MIDI file the track named "Melody" is taken, else the first with notes.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file" if not path.exists() else "is not a file")
    suffix = path.suffix.lower()
    if suffix not in MELODY_SUFFIXES:
        raise InputError(path, f"a melody must be an ABC or MIDI file ({', '.join(MELODY_SUFFIXES)})")
    if suffix == ".abc":
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            text = path.read_text(encoding="latin-1")
        notes, tempo_map, key = read_abc(text, source=path)
    else:
        notes, tempo_map, key = _read_midi_melody(path)
    if not notes:
        raise InputError(path, "holds no notes")
    return Melody(notes=notes, key=key or "", tempo_map=tempo_map)


def read_abc(text: str, *, source: str | Path = "ABC") -> tuple[list[Note], TempoMap, str | None]:
    """Notes (in the ABC's own seconds), its tempo map and key of the first tune in `text`.

    ABC keeps beats, not seconds: compare positions through the returned tempo map (`beat_at`).
    abc2midi's errors (a malformed note, no tune) are the file's problem and raise InputError.
    """
    abc2midi = require("abc2midi")
    with tempfile.TemporaryDirectory(prefix="fc-abc-") as tmp:
        src, out = Path(tmp) / "melody.abc", Path(tmp) / "melody.mid"
        src.write_text(text, encoding="utf-8")
        done = subprocess.run([abc2midi, str(src), "-o", str(out), "-silent"], capture_output=True,
                              text=True, check=False)
        errors = [line.strip() for line in (done.stdout + done.stderr).splitlines() if "Error" in line]
        if errors or not out.is_file():
            raise InputError(source, f"abc2midi: {errors[0] if errors else 'no tune (X: field) found'}")
        parts, tempo_map = read_midi(out)
        late = 1.0 / mido.MidiFile(str(out)).ticks_per_beat  # abc2midi starts every note one tick late
    notes = sorted((n for part in parts if not part.is_drum for n in part.notes), key=lambda n: n.start)
    notes = [Note(n.pitch, tempo_map.time_at(max(0.0, tempo_map.beat_at(n.start) - late)), n.end, n.velocity)
             for n in notes]
    return notes, tempo_map, abc_key(text)


def abc_key(text: str) -> str | None:
    """Our key name ("D minor", "E dorian") of the first K: field, or None (no key, K:none, unreadable)."""
    found = re.search(r"^K:\s*([A-Ga-g])([#b]?)(.*)$", text, re.MULTILINE)
    if not found:
        return None
    words = found[3].split()
    word = words[0].lower() if words and "=" not in words[0] else ""  # K:C clef=bass is C major
    mode = _ABC_MODES.get(word) or _ABC_MODES.get(word[:3])
    return f"{found[1].upper()}{found[2]} {mode}" if mode else None


def _read_midi_melody(path: Path) -> tuple[list[Note], TempoMap, str | None]:
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
        key = f"{tonic} {mode.lower()}"
    return (chosen.notes if chosen else []), tempo_map, key
