"""The one theory home: one Key, one triad table, one chord estimator every stage shares."""

from __future__ import annotations

import numpy as np
import pytest

from fc_backend.assess.analysis import analyse
from fc_backend.model import Melody, Note, TempoMap
from fc_backend.plan.harmony import harmony
from fc_backend.theory import (
    Key,
    Triad,
    chord_pitch_classes,
    estimate_chords,
    estimate_key,
    move_chord,
    move_pitch,
    parse_key,
    rank_keys,
)


@pytest.mark.parametrize(("text", "tonic", "mode", "name"), [
    ("D minor", 2, "minor", "D minor"), ("Dm", 2, "minor", "D minor"), ("E dorian", 4, "dorian", "E dorian"),
    ("F#", 6, "major", "F# major"), ("Bb major", 10, "major", "Bb major"),
    ("C# aeolian", 1, "minor", "C# minor"),
    ("Gb major", 6, "major", "F# major"), ("Ab minor", 8, "minor", "G# minor"),
])
def test_one_key_type_reads_every_spelling_and_writes_one(text: str, tonic: int, mode: str,
                                                          name: str) -> None:
    key = Key.parse(text)
    assert (key.tonic, key.mode, key.name) == (tonic, mode, name)
    assert Key.parse(key.name) == key


def test_unreadable_keys() -> None:
    with pytest.raises(ValueError, match="unknown key"):
        Key.parse("H minor")
    assert parse_key("") is None and parse_key("nonsense") is None


def test_scale_and_idiomatic_pitch_classes_differ_only_by_minors_raised_steps() -> None:
    a_minor = Key.parse("A minor")
    assert a_minor.scale_pitch_classes() == {9, 11, 0, 2, 4, 5, 7}
    assert a_minor.idiomatic_pitch_classes() == a_minor.scale_pitch_classes() | {6, 8}
    c_major = Key.parse("C major")
    assert c_major.idiomatic_pitch_classes() == c_major.scale_pitch_classes()
    assert c_major.stable_pitch_classes() == {0, 4, 7}


def test_triad_table_names_qualities() -> None:
    a_minor = Key.parse("A minor")
    assert Triad(4, leading_tone=True).quality(a_minor) == "maj"  # harmonic minor's V: E major
    assert Triad(4).quality(a_minor) == "min"
    assert Triad(1).quality(a_minor) == "dim"
    assert chord_pitch_classes(2, "min") == [2, 5, 9]


def test_key_finding_hears_a_scale() -> None:
    notes = [(p, float(i), float(i + 1)) for i, p in enumerate([62, 64, 66, 67, 69, 71, 73, 74, 69, 62])]
    assert estimate_key(notes) == Key.parse("D major")
    hist = np.zeros(12)
    hist[[2, 6, 9]] = 1.0
    assert rank_keys(hist)[0][1] == Key.parse("D major")


def test_estimator_prefers_tonic_on_ties_and_holds_through_rests() -> None:
    """C and G fit both I and vi's neighbours; the tonic wins the tie, and a rest keeps the last chord."""
    c = Key.parse("C major")
    notes = [(60, 0.0, 2.0), (67, 2.0, 4.0), (62, 4.0, 6.0), (71, 6.0, 8.0)]
    spans = [(0.0, 4.0), (4.0, 8.0), (8.0, 12.0)]
    assert estimate_chords(notes, c, spans) == [(0, "maj"), (7, "maj"), (7, "maj")]
    # the key is found from the notes when none is given
    assert estimate_chords(notes, None, spans) == estimate_chords(notes, c, spans)


def test_minor_melody_singing_the_lowered_seventh_gets_the_natural_v() -> None:
    a_minor = Key.parse("A minor")
    notes = [(64, 0.0, 1.0), (67, 1.0, 2.0), (71, 2.0, 4.0)]  # E G B: v, not V
    assert estimate_chords(notes, a_minor, [(0.0, 4.0)]) == [(4, "min")]
    notes = [(64, 0.0, 1.0), (68, 1.0, 2.0), (71, 2.0, 4.0)]  # E G# B: V
    assert estimate_chords(notes, a_minor, [(0.0, 4.0)]) == [(4, "maj")]


def test_every_stage_hears_the_same_chords_under_a_chordless_melody() -> None:
    """plan's harmony, the reviewers' analysis and the model agree: one estimator."""
    tm = TempoMap.constant(120.0)
    pitches = [[62, 65, 69, 65], [67, 70, 74, 70], [69, 73, 76, 73], [62, 65, 69, 62]]
    notes = [Note(p, tm.time_at(4 * m + i), tm.time_at(4 * m + i + 1))
             for m, bar in enumerate(pitches) for i, p in enumerate(bar)]
    melody = Melody(notes, "D minor", tm)
    by_model = [(c.root, c.quality) for c in melody.estimated_chords(4)]
    assert by_model == [(2, "min"), (7, "min"), (9, "maj"), (2, "min")]
    by_plan = [(c.root, c.quality) for c in harmony(melody, 4, tm.time_at(16))]
    by_assess = [(c.root, c.quality) for c in analyse(melody, None).chords]
    assert by_plan == by_model == by_assess


def test_melody_key_round_trips_as_its_name() -> None:
    tm = TempoMap.constant(100.0)
    melody = Melody([Note(62, 0.0, 1.0)], Key.parse("D minor"), tm)
    data = melody.to_dict()
    assert data["key"] == "D minor"
    assert Melody.from_dict(data).key == Key(2, "minor")
    data["key"] = ""  # an older file's "no key"
    assert Melody.from_dict(data).key is None


def test_moving_into_another_key_keeps_scale_degrees() -> None:
    d_minor, e_minor, d_major = Key.parse("D minor"), Key.parse("E minor"), Key.parse("D major")
    assert [move_pitch(p, d_minor, e_minor) for p in (62, 65, 69, 61)] == [64, 67, 71, 63]
    assert [move_pitch(p, d_minor, d_major) for p in (62, 65, 70, 72)] == [62, 66, 71, 73]
    assert move_pitch(62, d_minor, Key.parse("A minor")) == 57  # the nearer way: down a fourth
    assert move_chord(9, "maj", d_minor, e_minor) == (11, "maj")  # minor's major V stays major
    assert move_chord(5, "maj", d_minor, d_major) == (6, "min")  # III becomes iii
    assert move_chord(4, "dom7", d_minor, e_minor) == (6, "dom7")
