"""ABC notation through abcmidi: the fields say the melody's meter and key, and abc2midi plays it back."""

from __future__ import annotations

import re

import pytest

from fc_backend.compose import compose
from fc_backend.errors import ToolMissing
from fc_backend.formats.abc import key_fields, read_abc
from fc_backend.model import Melody, Note, RhythmSpot, Shot, Spotting, TempoChange, TempoMap
from fc_backend.notate import notate
from fc_backend.theory import Key


def _field(abc: str, name: str) -> str:
    found = re.search(rf"^{name}:\s*(.*)$", abc, re.MULTILINE)
    assert found, f"no {name}: field in\n{abc}"
    return found[1].strip()


def _spotting(tm: TempoMap, emotion: str, duration: float = 18.0) -> Spotting:
    cuts = [5.0, 11.3]
    bounds = [0.0, *cuts, duration]
    speeds = [1.0, 4.0, 2.0]
    shots = [Shot(a, b, motion_speed=s) for a, b, s in zip(bounds[:-1], bounds[1:], speeds, strict=True)]
    spots = [RhythmSpot(c, 1.0) for c in cuts] + [RhythmSpot(8.1, 0.9, "motion")]
    return Spotting("synthetic.mp4", duration, 24.0, round(duration * 24), 320, 180, shots, spots, tm,
                    emotion)


def test_a_known_scale_is_written_as_abc() -> None:
    tm = TempoMap.constant(120.0)
    pitches = [60, 62, 64, 65, 67, 69, 71, 72]
    notes = [Note(p, tm.time_at(i), tm.time_at(i + 1)) for i, p in enumerate(pitches)]
    abc = notate(Melody(notes, "C major", tm, description="Scale"))
    assert _field(abc, "X") == "1"
    assert _field(abc, "T").startswith("Scale")
    assert _field(abc, "M") == "4/4"
    assert _field(abc, "L") == "1/8"
    assert _field(abc, "K") == "C"
    body = "".join(line for line in abc.splitlines() if not re.match(r"^[A-Za-z]:|^%", line))
    assert re.sub(r"[\s|\\\]]", "", body) == "C2D2E2F2G2A2B2c2"
    assert abc.rstrip().endswith("|]")  # two full bars, then the final barline


@pytest.mark.parametrize(("key", "sharps", "field"), [
    ("C major", 0, "C"), ("D minor", -1, "Dm"), ("E dorian", 2, "Edor"), ("D phrygian", -2, "Dphr"),
    ("F# major", 6, "F#"), ("Bb major", -2, "Bb"), ("F minor", -4, "Fm"), ("C# minor", 4, "C#m"),
])
def test_key_signature_fields(key: str, sharps: int, field: str) -> None:
    assert key_fields(Key.parse(key)) == (sharps, field)


def test_an_unknown_key_is_guessed_by_midi2abc() -> None:
    tm = TempoMap.constant(100.0)
    d_major = [62, 64, 66, 67, 69, 71, 73, 74]
    notes = [Note(p, tm.time_at(i), tm.time_at(i + 1)) for i, p in enumerate(d_major)]
    assert key_fields(None) == (0, None)
    abc = notate(Melody(notes, None, tm))
    assert _field(abc, "K").startswith("D")  # two sharps: midi2abc's guess from the notes


CASES = [
    pytest.param(TempoMap.constant(96.0), "sad", id="4/4"),
    pytest.param(TempoMap.constant(84.0, (3, 4)), "joyous", id="3/4"),
    pytest.param(TempoMap.constant(120.0, (6, 8)), "dreamy", id="6/8"),
    pytest.param(TempoMap([TempoChange(0.0, 90.0), TempoChange(9.0, 128.0)]), "fear", id="tempo-change"),
]


@pytest.mark.parametrize(("tm", "emotion"), CASES)
@pytest.mark.parametrize("seed", [0, 5])
def test_fields_match_and_abc2midi_round_trip_keeps_pitches_and_onsets(tm: TempoMap, emotion: str,
                                                                       seed: int) -> None:
    melody = compose(_spotting(tm, emotion), seed=seed, description="Rooftop chase")
    abc = notate(melody)
    num, den = tm.meter
    assert _field(abc, "M") == f"{num}/{den}"
    tonic, _, mode = str(melody.key).partition(" ")
    assert _field(abc, "K") == key_fields(melody.key)[1]
    assert _field(abc, "K") == tonic + {"major": "", "minor": "m", "dorian": "dor", "phrygian": "phr",
                                        "lydian": "lyd", "mixolydian": "mix"}[mode]
    assert "Rooftop chase" in _field(abc, "T") and melody.key.name in _field(abc, "T")

    read_back = read_abc(abc)
    back, back_tm = read_back.notes, read_back.tempo_map
    assert [n.pitch for n in back] == [n.pitch for n in melody.notes]
    for ours, theirs in zip(melody.notes, back, strict=True):
        beat, beat_back = tm.beat_at(ours.start), back_tm.beat_at(theirs.start)
        assert abs(beat - beat_back) <= 0.25 + 1e-6, (beat, beat_back)


def test_missing_midi2abc_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    tm = TempoMap.constant(100.0)
    with pytest.raises(ToolMissing, match="midi2abc"):
        notate(Melody([Note(60, 0.0, 0.6)], "C major", tm))


@pytest.mark.parametrize("name", ["E dorian", "F lydian", "A phrygian", "G mixolydian", "D minor"])
def test_a_modal_key_survives_melody_mid_and_abc_and_is_assessed(tmp_path, name: str) -> None:
    """A MIDI key signature names only major or minor: the mode travels in a text event beside it, so
    melody.mid reads back in its own mode; a lydian tune (its chord on the raised fourth) is assessed."""
    from fc_backend.assess import assess
    from fc_backend.formats.melody_file import read_melody
    from fc_backend.formats.midi import MidiPart, write_midi

    key = Key.parse(name)
    tm = TempoMap.constant(100.0)
    pitches = [key.pitch(i) for i in (0, 1, 2, 3, 4, 3, 2, 1, 0, 2, 4, 6, 5, 3, 1, 0)]
    notes = [Note(p, tm.time_at(i), tm.time_at(i + 1)) for i, p in enumerate(pitches)]
    write_midi(tmp_path / "melody.mid", tm, [MidiPart("Melody", notes, 0)], key=key)
    back = read_melody(tmp_path / "melody.mid")
    assert back.key == key
    (tmp_path / "melody.abc").write_text(notate(Melody(notes, key, tm)), encoding="utf-8")
    assert read_melody(tmp_path / "melody.abc").key == key
    assert assess(back).total == pytest.approx(assess(read_melody(tmp_path / "melody.abc")).total)
