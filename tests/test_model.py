"""The shared types: JSON round-trips and the one seconds<->beats converter."""

from __future__ import annotations

import pytest

from fc_backend.model import (
    Assessment,
    Chord,
    Criterion,
    EnvelopePoint,
    Marker,
    MeasureLevels,
    Melody,
    MotionCurve,
    Note,
    Plan,
    PlanTrack,
    RhythmSpot,
    Scheme,
    SchemeTempo,
    SchemeTrack,
    Section,
    Shot,
    Spotting,
    TempoChange,
    TempoMap,
    VisualAttributes,
    measure_number,
)
from fc_backend.theory import Key


def tempo_map() -> TempoMap:
    return TempoMap([TempoChange(0.0, 120.0), TempoChange(4.0, 90.0)], (3, 4))


def test_tempo_map_converts_both_ways_across_a_change() -> None:
    tm = tempo_map()
    assert tm.beat_at(4.0) == pytest.approx(8.0)
    assert tm.beat_at(6.0) == pytest.approx(11.0)  # 2 s at 90 bpm = 3 beats
    for t in (0.0, 0.37, 3.99, 4.0, 5.5, 20.0):
        assert tm.time_at(tm.beat_at(t)) == pytest.approx(t)
    assert tm.beats_per_measure == 3
    assert tm.measure_at(0.0) == 1 and tm.measure_at(1.49) == 1 and tm.measure_at(1.5) == 2
    assert tm.measure_start(4) == pytest.approx(4.0 + 60 / 90)  # beat 9: one 90-bpm beat after 4 s
    assert tm.downbeat_times(4.0) == pytest.approx([0.0, 1.5, 3.0])


def test_tempo_map_rejects_a_map_not_starting_at_zero() -> None:
    with pytest.raises(ValueError):
        TempoMap([TempoChange(1.0, 100.0)])


def test_every_type_round_trips_through_json() -> None:
    tm = tempo_map()
    spotting = Spotting(
        video="clip.mp4", duration=10.0, fps=24.0, frame_count=240, width=320, height=180,
        shots=[Shot(0.0, 4.0, 0.1, 0.02, VisualAttributes(brightness="dark", emotion="tense")),
               Shot(4.0, 10.0)],
        rhythm_spots=[RhythmSpot(4.0, 1.0, "cut"), RhythmSpot(6.2, 0.5, "motion")],
        tempo_map=tm, emotion="tense", motion_curve=MotionCurve([0.0, 0.5], [0.1, 0.3]), cut_errors=[0.0],
    )
    melody = Melody([Note(62, 0.0, 0.5, 90)], "D minor", tm, [Chord(0.0, 1.5, 2, "min")], seed=4)
    assessment = Assessment([Criterion("key_clarity", "mode", 0.8, "clear")], threshold=11.0)
    scheme = Scheme(
        tempo=SchemeTempo(96.0, (4, 4), [(1.0, 96.0)]), key="D minor", measures=8,
        sections=[Section("A", (1, 8), 0.3)],
        tracks=[SchemeTrack(1, "Violins I", "melody", "violins_1", "melody", panning=-0.4,
                            volume_envelope={"measure1": 0.3}, softened_measures=[5])],
    )
    plan = Plan(10.0, tm, "D minor",
                [PlanTrack("Violins I", "melody", "violins_1", 40, ["ReaSynth"], [Note(62, 0.0, 0.5)],
                           volume_envelope=[EnvelopePoint(0.0, 0.5)])],
                [Marker(4.0, "cut 1")], video="clip.mp4")
    for obj in (spotting, melody, assessment, scheme, plan):
        again = type(obj).from_json(obj.to_json())
        assert again == obj
        assert again.to_json() == obj.to_json()
    assert spotting.cuts == [4.0]
    assert melody.chords[0].name == "Dm"


def test_scheme_serialises_with_the_keys_of_the_design() -> None:
    scheme = Scheme(SchemeTempo(96.0), "D minor", 4, [Section("A", (1, 4))],
                    [SchemeTrack(1, "Cellos", "bass", "cellos", "bass")])
    data = scheme.to_dict()
    assert set(data) == {"version", "tempo", "key", "measures", "sections", "tracks"}
    assert data["tempo"]["meter"] == [4, 4]
    assert set(data["tracks"][0]) >= {"track_index", "name", "role", "instrument", "source", "transpose",
                                      "panning", "reverb_space", "volume_envelope", "softened_measures",
                                      "articulation"}


def test_assessment_reports_total_reviewers_and_verdict() -> None:
    criteria = [Criterion("key_clarity", "mode", 0.5, "a"), Criterion("contour", "melody", 0.75, "b")]
    a = Assessment(criteria, 1.0)
    data = a.to_dict()
    assert data["total"] == 1.25 and data["passed"] is True
    assert data["reviewers"]["melody"] == 0.75


@pytest.mark.parametrize("bad", [
    lambda: Note(60, 1.0, 0.5),
    lambda: Note(128, 0.0, 1.0),
    lambda: RhythmSpot(1.0, 1.5),
    lambda: RhythmSpot(1.0, 0.5, "explosion"),
    lambda: VisualAttributes(emotion="hangry"),
    lambda: Criterion("x", "producer", 0.5, ""),
])
def test_invalid_values_are_refused(bad) -> None:
    with pytest.raises(ValueError):
        bad()


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown key"):
        Note.from_dict({"pitch": 60, "start": 0.0, "end": 1.0, "pich": 3})


def test_midi_file_keeps_video_time_across_tempo_changes(tmp_path) -> None:
    from fc_backend.formats.midi import MidiPart, read_midi, write_midi

    tm = TempoMap([TempoChange(0.0, 100.0), TempoChange(3.0, 75.0), TempoChange(7.1, 131.0)], (3, 4))
    notes = [Note(60 + i % 12, i * 0.61, i * 0.61 + 0.4, 90) for i in range(20)]
    write_midi(tmp_path / "t.mid", tm, [MidiPart("Clarinet in B♭", notes, 71)], key=Key.parse("E dorian"))
    parts, tm2 = read_midi(tmp_path / "t.mid")
    assert parts[0].name == "Clarinet in B♭" and parts[0].program == 71 and tm2.meter == (3, 4)
    assert [n.pitch for n in parts[0].notes] == [n.pitch for n in notes]
    assert max(abs(a.start - b.start) for a, b in zip(notes, parts[0].notes, strict=True)) < 0.001
    assert [c.bpm for c in tm2.changes] == pytest.approx([100.0, 75.0, 131.0], abs=0.01)


def test_scheme_envelopes_are_levels_by_measure_number_written_as_measure_keys() -> None:
    levels = MeasureLevels.of({"measure3": 0.6, "measure1": 0.3})
    assert levels == {1: 0.3, 3: 0.6} and levels.held(4) == [0.3, 0.3, 0.6, 0.6]
    assert levels.to_plain() == {"measure1": 0.3, "measure3": 0.6}
    track = SchemeTrack.from_dict({"track_index": 1, "name": "Oboe", "role": "melody", "instrument": "oboe",
                                   "source": "melody", "volume_envelope": {"measure2": 0.5}})
    assert track.volume_envelope == {2: 0.5} and track.to_dict()["volume_envelope"] == {"measure2": 0.5}
    assert measure_number("measure12") == 12
    for bad in ("bar3", "measure", "measure-1", "Measure3"):
        with pytest.raises(ValueError, match="not a measure key"):
            measure_number(bad)
