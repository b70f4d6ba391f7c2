"""Melody <-> ABC notation through abcmidi: midi2abc writes the text, abc2midi reads it back.

ABC counts in note lengths, not seconds: the text keeps pitches, rhythm, meter and key, and one
tempo (the first); the melody's own tempo map stays the way back to video time. The way back
(abc2midi) is `fc_backend.formats.abc.read_abc`, since reading a file a person edited is a format edge.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from ..formats.midi import PPQ, MidiPart, key_signature, write_midi
from ..model import Melody
from ..theory import Key
from ..tools import require

#: sharps (+) or flats (-) of each key signature, by mido's key name
_SHARPS = {"C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5, "F#": 6, "C#": 7, "F": -1, "Bb": -2, "Eb": -3,
           "Ab": -4, "Db": -5, "Gb": -6, "Cb": -7}
_RELATIVE_MAJOR = {"Am": "C", "Em": "G", "Bm": "D", "F#m": "A", "C#m": "E", "G#m": "B", "D#m": "F#",
                   "A#m": "C#", "Dm": "F", "Gm": "Bb", "Cm": "Eb", "Fm": "Ab", "Bbm": "Db", "Ebm": "Gb",
                   "Abm": "Cb"}
#: ABC's spelling of a mode after the tonic (K:Dm, K:Edor)
_ABC_MODE = {"major": "", "ionian": "", "minor": "m", "aeolian": "m", "dorian": "dor", "phrygian": "phr",
             "lydian": "lyd", "mixolydian": "mix", "locrian": "loc"}
#: the ABC unit is an eighth note: midi2abc counts it in MIDI pulses
UNIT_PULSES = PPQ // 2


def notate(melody: Melody) -> str:
    """ABC text of `melody` (one voice), with its title, meter and key.

    Example: ``notate(melody).splitlines()[:5]`` -> ``['X: 1', 'T:FilmComposer theme', 'M: 4/4', ...]``.
    """
    midi2abc = require("midi2abc")
    num, den = melody.tempo_map.meter
    sharps, abc_key = key_fields(melody.key)
    with tempfile.TemporaryDirectory(prefix="fc-notate-") as tmp:
        path = Path(tmp) / "melody.mid"
        write_midi(path, melody.tempo_map, [MidiPart("Melody", melody.notes, 0)],
                   key=melody.key if abc_key else None)
        cmd = [midi2abc, "-f", str(path), "-m", f"{num}/{den}", "-u", str(UNIT_PULSES)]
        cmd += ["-k", str(sharps)] if abc_key else ["-gk"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0 or "K:" not in done.stdout:
        why = done.stderr.strip() or done.stdout[-200:]
        raise RuntimeError(f"midi2abc failed ({done.returncode}): {why}")
    return _fields(done.stdout, _title(melody), abc_key)


def key_fields(key: Key | None) -> tuple[int, str | None]:
    """(sharps or -flats of the signature, ABC K: value) of D minor; (0, None) for an unknown key."""
    if key is None:
        return 0, None
    name = key_signature(key)
    sharps = _SHARPS[_RELATIVE_MAJOR.get(name, name)]
    tonic, _, mode = key.name.partition(" ")
    return max(-6, min(6, sharps)), tonic + _ABC_MODE.get(mode, "")


def _title(melody: Melody) -> str:
    text = " ".join(melody.description.split()) or "FilmComposer theme"
    return f"{text} ({melody.key}, seed {melody.seed})"


def _fields(abc: str, title: str, key: str | None) -> str:
    """Replace midi2abc's T: (the temp file's name) and K: (a bare signature) with ours."""
    lines = [line for line in abc.splitlines() if not line.startswith("T:")]
    out = []
    for line in lines:
        out.append(line)
        if line.startswith("X:"):
            out.append(f"T:{title}")
    if key:
        out = [re.sub(r"^K:.*$", f"K:{key}", line) for line in out]
    return "\n".join(out).rstrip() + "\n"
