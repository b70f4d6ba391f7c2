"""Melodies to assess from files: MIDI as it is, ABC through abcmidi's abc2midi.

The reviewers read one line: every pitched note of the file, in time order (drum tracks and ABC's
accompaniment chords are left out). The key is the file's own (a MIDI key signature, an ABC `K:`
field); without one it is left empty and the mode reviewer finds it from the notes.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import mido

from ..errors import InputError
from ..formats.midi import read_midi
from ..model import Melody, Note
from ..theory import PITCH_CLASSES
from ..tools import require

#: ABC mode abbreviations (the first three letters count) -> our mode names
_ABC_MODES = {
    "": "major",
    "maj": "major",
    "ion": "major",
    "m": "minor",
    "min": "minor",
    "aeo": "minor",
    "dor": "dorian",
    "phr": "phrygian",
    "lyd": "lydian",
    "mix": "mixolydian",
    "loc": "locrian",
}


def load_melody(path: str | Path) -> Melody:
    """The melody of a .mid/.midi or .abc file (the first tune of an ABC songbook)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    suffix = path.suffix.lower()
    if suffix in (".mid", ".midi"):
        return melody_from_midi(path)
    if suffix == ".abc":
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise InputError(path, f"cannot read the file: {exc.strerror}") from None
        return melody_from_abc(text, source=path)
    raise InputError(path, "not a MIDI (.mid) or ABC (.abc) file")


def melody_from_midi(path: str | Path) -> Melody:
    """Every pitched note of a MIDI file, with its tempo map and key signature."""
    try:
        parts, tempo_map = read_midi(path)
        signatures = [m.key for t in mido.MidiFile(str(path)).tracks for m in t if m.type == "key_signature"]
    except Exception as exc:  # pretty_midi/mido raise anything from ValueError to IndexError on bad bytes
        raise InputError(path, f"not a readable MIDI file ({type(exc).__name__})") from None
    notes = sorted((n for p in parts if not p.is_drum for n in p.notes), key=lambda n: (n.start, -n.pitch))
    if not notes:
        raise InputError(path, "the file has no pitched notes")
    key = _midi_key(signatures[0]) if signatures else ""
    return Melody(notes, key, tempo_map, description=Path(path).stem)


def _midi_key(signature: str) -> str:
    """mido's "Bbm" / "F#" -> "Bb minor" / "F# major"."""
    return f"{signature[:-1]} minor" if signature.endswith("m") else f"{signature} major"


def abc_key(field: str) -> str:
    """An ABC `K:` field ("G", "Ador", "Em", "D mix", "Bb Minor") as a key name; "" when it names none."""
    m = re.match(r"\s*([A-Ga-g])([#b]?)\s*([A-Za-z]*)", field)
    if not m:
        return ""
    tonic = m[1].upper() + m[2]
    word = m[3].lower()
    mode = _ABC_MODES.get(word if word == "m" else word[:3])
    if tonic not in PITCH_CLASSES or mode is None:
        return ""
    return f"{tonic} {mode}"


def melody_from_abc(text: str, *, source: str | Path = "<abc>") -> Melody:
    """The first tune of `text`, rendered by abc2midi without its accompaniment chords or drones."""
    first = re.search(r"^X:\s*(\d+)", text, flags=re.MULTILINE)
    key = re.search(r"^K:(.*)$", text, flags=re.MULTILINE)
    if key is None:
        raise InputError(source, "no ABC tune here (no K: field)")
    abc2midi = require("abc2midi")
    with tempfile.TemporaryDirectory(prefix="fc-assess-") as tmp:
        src, out = Path(tmp) / "tune.abc", Path(tmp) / "tune.mid"
        # the directives after the K: line silence guitar chords and drones: we assess the tune
        tune = text if first else "X:1\n" + text
        tune = re.sub(
            r"^(K:.*)$", r"\1\n%%MIDI gchordoff\n%%MIDI droneoff", tune, count=1, flags=re.MULTILINE
        )
        src.write_text(tune, encoding="utf-8")
        args = [abc2midi, str(src), first[1] if first else "1", "-o", str(out), "-silent"]
        done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=60)
        if not out.is_file():
            problem = (done.stderr or done.stdout).strip().splitlines()
            raise InputError(
                source, f"abc2midi could not read the tune ({problem[-1] if problem else 'no output'})"
            )
        parts, tempo_map = read_midi(out)
    notes = sorted((n for p in parts if not p.is_drum for n in p.notes), key=lambda n: (n.start, -n.pitch))
    if not notes:
        raise InputError(source, "the tune has no notes")
    title = re.search(r"^T:\s*(.*)$", text, flags=re.MULTILINE)
    return Melody(
        [Note(n.pitch, n.start, n.end, n.velocity) for n in notes],
        abc_key(key[1]),
        tempo_map,
        description=title[1].strip() if title else "",
    )
