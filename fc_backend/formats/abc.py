"""ABC notation, both ways, through abcmidi: midi2abc writes a melody's text, abc2midi reads one back.

ABC counts in note lengths, not seconds: the text keeps pitches, rhythm, meter and key, and one
tempo (the first); the melody's own tempo map stays the way back to video time. A tune read back is
a `Melody` on the tune's own clock (its key or None when it names none); laying it onto a clip's
tempo map is the compose stage's job.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path

import mido

from ..errors import InputError
from ..model import Melody, Note, TempoMap
from ..theory import Key, parse_key
from ..tools import require
from .abc_chords import GRAIN, chord_symbols, has_chord_symbols, place_chords
from .chord_symbols import chord_marks, chords_from_marks
from .midi import PPQ, MidiPart, key_signature, read_midi, write_midi

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
    """ABC text of `melody` (one voice), with its title, meter, key and its chords as chord symbols.

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
    return _finish(_fields(done.stdout, _title(melody), abc_key), melody)


def _finish(abc: str, melody: Melody) -> str:
    """midi2abc stops at the last note, mid-bar, and keeps one Q: tempo: fill the last bar with a rest,
    end on a final barline, and mark every later tempo of the map at the bar where it starts."""
    tm = melody.tempo_map
    per = tm.beats_per_measure
    end = tm.beat_at(max((n.end for n in melody.notes), default=0.0))
    eighths = round(((-end) % per) * 2)  # eighth notes (the ABC unit) missing from the last bar
    text = abc.rstrip()
    if 0 < eighths < round(per * 2):
        text += f" z{eighths}" if eighths != 1 else " z"
    text = text.rstrip("|") + "|]"
    if melody.chords:
        end = max(n.end for n in melody.notes)
        text = place_chords(text, [(Fraction(tm.beat_at(t)).limit_denominator(GRAIN), symbol)
                                    for t, symbol in chord_marks(melody.chords, end)])
    return _tempo_marks(text, melody) + "\n"


def _tempo_marks(abc: str, melody: Melody) -> str:
    """[Q:1/4=72] inline at the start of each bar in which the tempo map changes (after its first)."""
    tm = melody.tempo_map
    marks: dict[int, float] = {}
    for change in tm.changes[1:]:
        marks.setdefault(tm.measure_at(change.time), change.bpm)  # the bar's first change is the one shown
    if not marks:
        return abc
    start = abc.find("\n", abc.find("\nK:") + 1)
    head, body = abc[:start], abc[start:]
    out, bar = [], 1
    for i, char in enumerate(body):
        out.append(char)
        if char == "|" and body[i + 1:i + 2] != "]":
            bar += 1
            if bar in marks:
                out.append(f"[Q:1/4={marks[bar]:.0f}]")
    return head + "".join(out)


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


#: ABC's mode words (K:Dm, K:Edor, K:D minor) -> our mode names
_ABC_MODES = {"": "major", "maj": "major", "major": "major", "ion": "major", "ionian": "major",
              "m": "minor", "min": "minor", "minor": "minor", "aeo": "minor", "aeolian": "minor",
              "dor": "dorian", "dorian": "dorian", "phr": "phrygian", "phrygian": "phrygian",
              "lyd": "lydian", "lydian": "lydian", "mix": "mixolydian", "mixolydian": "mixolydian",
              "loc": "locrian", "locrian": "locrian"}


def read_abc(text: str, *, source: str | Path = "ABC", strict: bool = True, chords: bool = True) -> Melody:
    """The first tune of `text` as abc2midi plays it, without accompaniment chords or drones.

    Its chord symbols ("Am" above the notes, as `notate` writes them) become the melody's chords, read
    through music21 (abc2midi plays them but does not say where they are); `chords=False` ignores them.

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
    with tempfile.TemporaryDirectory(prefix="fc-abc-") as tmp:
        notes, tempo_map, errors = _abc2midi(tune, number[1] if number else "1", Path(tmp))
        if (errors and strict) or notes is None:
            raise InputError(source, f"abc2midi: {errors[0] if errors else 'no tune (X: field) found'}")
        first_bar = _first_bar(tune)
        heard = _abc2midi(first_bar, number[1] if number else "1", Path(tmp))[0] if first_bar else None
    marks = chord_symbols(tune, source) if chords and has_chord_symbols(tune) else []
    if heard and len(heard) < len(notes):  # an upbeat: the first bar line falls after it
        upbeat = tempo_map.beat_at(notes[len(heard)].start)
        per = tempo_map.beats_per_measure
        if 1e-3 < upbeat < per - 1e-3:  # abc2midi starts the tune on the upbeat: put it before bar 2
            marks = [(beat + per - upbeat, symbol) for beat, symbol in marks]
            notes = [Note(n.pitch, tempo_map.time_at(tempo_map.beat_at(n.start) + per - upbeat),
                          tempo_map.time_at(tempo_map.beat_at(n.end) + per - upbeat), n.velocity)
                     for n in notes]
    title = re.search(r"^T:\s*(.*)$", text, flags=re.MULTILINE)
    timed = [(tempo_map.time_at(beat), symbol) for beat, symbol in marks]
    harmony = chords_from_marks(timed, max(n.end for n in notes)) if marks and notes else []
    return Melody(notes, abc_key(key_field[1]), tempo_map, chords=harmony,
                  description=title[1].strip() if title else "")


def _abc2midi(tune: str, number: str, tmp: Path) -> tuple[list[Note] | None, TempoMap, list[str]]:
    """abc2midi's notes of `tune` (None when it wrote nothing), its tempo map and its error lines."""
    src, out = tmp / "melody.abc", tmp / "melody.mid"
    out.unlink(missing_ok=True)
    src.write_text(tune, encoding="utf-8")
    done = subprocess.run([require("abc2midi"), str(src), number, "-o", str(out), "-silent"],
                          capture_output=True, text=True, check=False, timeout=60)
    errors = [line.strip() for line in (done.stdout + done.stderr).splitlines() if "Error" in line]
    if not out.is_file():
        return None, TempoMap.constant(120), errors
    parts, tempo_map = read_midi(out)
    late = 1.0 / mido.MidiFile(str(out)).ticks_per_beat  # abc2midi starts every note one tick late
    notes = sorted((n for part in parts if not part.is_drum for n in part.notes),
                   key=lambda n: (n.start, -n.pitch))
    return ([Note(n.pitch, tempo_map.time_at(max(0.0, tempo_map.beat_at(n.start) - late)), n.end, n.velocity)
             for n in notes], tempo_map, errors)


def _first_bar(tune: str) -> str | None:
    """The tune cut after its first bar line (its header kept), to hear how long an upbeat is; None
    when the body has no bar line."""
    head, found, body = tune.partition("\n%%MIDI droneoff\n")
    if not found:
        return None
    lines = [line.split("%", 1)[0] for line in body.splitlines()
             if line.strip() and not re.match(r"^[A-Za-z]:", line)]
    music = " ".join(lines).lstrip(" |:[]")
    cut = re.search(r"\||::", music)
    if cut is None or not music[:cut.start()].strip():
        return None
    return f"{head}{found}{music[:cut.start()]}|]\n"


def abc_key(field: str) -> Key | None:
    """The key of an ABC K: field ("Ador" -> A dorian, "Bbm" -> Bb minor); None when it names none."""
    found = re.match(r"\s*([A-Ga-g])([#b]?)\s*(\S*)", field)
    if not found:
        return None
    word = found[3].lower()
    word = "" if "=" in word else word  # K:C clef=bass is C major
    mode = _ABC_MODES.get(word) or _ABC_MODES.get(word[:3])
    return parse_key(f"{found[1].upper()}{found[2]} {mode}") if mode else None
