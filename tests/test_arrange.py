"""The rule-based arranger: the six roles turn a melody and a clip into a valid, fitting scheme."""

from __future__ import annotations

import pytest

from fc_backend.arrange import arrange
from fc_backend.model import (
    Chord,
    Melody,
    MotionCurve,
    Note,
    RhythmSpot,
    Scheme,
    Shot,
    Spotting,
    TempoChange,
    TempoMap,
    VisualAttributes,
)
from fc_backend.schemes import load_instruments, validate_scheme

LIBRARY = load_instruments()


def make_melody(bpm: float = 96.0, measures: int = 14, low: int = 62, high: int = 74) -> Melody:
    """A D-minor arpeggio line, one note a beat, swinging between `low` and `high`, i-VI-III-VII chords."""
    tm = TempoMap.constant(bpm)
    pool = [p for p in range(low, high + 1) if p % 12 in (2, 5, 9, 10, 0)]
    cycle = pool + pool[-2:0:-1]
    notes = [Note(cycle[b % len(cycle)], tm.time_at(b), tm.time_at(b + 1), 84) for b in range(measures * 4)]
    progression = [(2, "min"), (10, "maj"), (5, "maj"), (0, "maj")]
    chords = [Chord(tm.measure_start(m), tm.measure_start(m + 1), *progression[(m - 1) % 4])
              for m in range(1, measures + 1)]
    return Melody(notes, "D minor", tm, chords)


def make_spotting(emotion: str, shot_seconds: list[float], speeds: list[float], *, brightness: str = "normal",
                  view_scale: str = "medium shot") -> Spotting:
    shots, t = [], 0.0
    for length, speed in zip(shot_seconds, speeds, strict=True):
        attrs = VisualAttributes(brightness=brightness, view_scale=view_scale, emotion=emotion)
        shots.append(Shot(t, t + length, speed, 0.5, attrs))
        t += length
    duration = t
    times = [i * 0.25 for i in range(int(duration * 4))]
    values = [next(s.motion_speed for s in shots if s.start <= x < s.end) for x in times]
    spots = [RhythmSpot(s.start, 0.9, "cut") for s in shots[1:]]
    spots += [RhythmSpot(s.start + s.duration / 2, 0.7, "motion") for s in shots if s.motion_speed > 0.2]
    spots.sort(key=lambda s: s.time)
    return Spotting("clip.mp4", duration, 24.0, int(duration * 24), 320, 180, shots, spots,
                    TempoMap.constant(96.0), emotion, MotionCurve(times, values))


def calm_clip() -> Spotting:
    """Three long, slow shots; the middle one is still."""
    return make_spotting("calm", [12.5, 10.0, 12.5], [0.03, 0.0, 0.02], brightness="dark",
                         view_scale="long shot")


def action_clip() -> Spotting:
    """Many short, fast shots (flow speed in frame widths per second, as spot measures it)."""
    return make_spotting("heroic", [2.5] * 14, [0.35, 0.5, 0.3, 0.45] * 3 + [0.4, 0.3],
                         brightness="bright", view_scale="close-up")


def held_levels(envelope: dict[int, float], measures: int) -> list[float]:
    """The level of every measure, each key holding until the next."""
    out, level = [], None
    for m in range(1, measures + 1):
        level = envelope.get(m, level)
        assert level is not None, "an envelope starts at measure 1"
        out.append(level)
    return out


def mean_level(scheme: Scheme) -> float:
    """Mean envelope level over every measure of every track."""
    levels = [v for t in scheme.tracks for v in held_levels(t.volume_envelope, scheme.measures)]
    return sum(levels) / len(levels)


def test_calm_and_action_schemes_are_valid_and_meaningfully_different() -> None:
    melody = make_melody()
    calm, action = arrange(melody, calm_clip()), arrange(melody, action_clip())
    for scheme in (calm, action):
        assert validate_scheme(scheme.to_dict()) == scheme
        assert 3 <= len(scheme.tracks) <= 6
        roles = [t.role for t in scheme.tracks]
        assert {"melody", "harmony", "bass"} <= set(roles) and roles[0] == "melody"
        assert [t.track_index for t in scheme.tracks] == list(range(1, len(roles) + 1))
        assert len({t.instrument for t in scheme.tracks}) == len(roles)
    calm_set = {t.instrument for t in calm.tracks}
    action_set = {t.instrument for t in action.tracks}
    assert len(calm_set & action_set) <= 1, (calm_set, action_set)
    assert len(action.tracks) > len(calm.tracks)
    assert "percussion" in {t.role for t in action.tracks}
    assert "percussion" not in {t.role for t in calm.tracks}
    assert {LIBRARY[k].family for k in action_set} >= {"brass"}
    assert LIBRARY[calm.tracks[0].instrument].family in ("woodwinds", "strings")
    assert mean_level(action) > 1.4 * mean_level(calm)
    assert min(s.intensity for s in action.sections) > max(s.intensity for s in calm.sections) + 0.3
    # a dark long shot sounds like a hall, a bright close-up like a room
    assert min(t.reverb_space for t in calm.tracks) > max(t.reverb_space for t in action.tracks)


def test_measures_sections_and_tempo_follow_the_clip() -> None:
    melody, spotting = make_melody(), action_clip()
    scheme = arrange(melody, spotting)
    assert scheme.measures == melody.tempo_map.measure_count(spotting.duration) == 14
    assert str(scheme.key) == "D minor" and scheme.tempo.bpm == 96.0 and scheme.tempo.map == [(1.0, 96.0)]
    covered = [m for s in scheme.sections for m in range(s.measures[0], s.measures[1] + 1)]
    assert covered == list(range(1, scheme.measures + 1))
    assert all(2 <= s.measures[1] - s.measures[0] + 1 <= 8 for s in scheme.sections)
    assert scheme.sections[0].name == "A" and len(scheme.sections) >= 2


def test_sections_start_at_cuts_and_contrasting_ones_get_new_letters() -> None:
    # 96 bpm 4/4: 2.5 s a measure; a still shot of 4 measures between two busy ones of 4 and 6
    melody = make_melody(measures=14)
    spotting = make_spotting("joyous", [10.0, 10.0, 15.0], [0.4, 0.0, 0.4])
    scheme = arrange(melody, spotting)
    assert [s.measures for s in scheme.sections] == [(1, 4), (5, 8), (9, 14)]
    assert [s.name for s in scheme.sections] == ["A", "B", "A'"]
    assert scheme.sections[1].intensity < scheme.sections[0].intensity - 0.1


def test_accompaniment_softens_where_the_picture_is_calm() -> None:
    spotting = calm_clip()  # the still shot covers 12.5 s .. 22.5 s: measures 6..9
    scheme = arrange(make_melody(), spotting)
    melody_track = scheme.tracks[0]
    assert melody_track.softened_measures == []
    for track in scheme.tracks[1:]:
        assert set(track.softened_measures) >= {7, 8}, track
        assert not set(track.softened_measures) & {1, 2, 13, 14}
        levels = held_levels(track.volume_envelope, scheme.measures)
        assert levels[7] < levels[0] and levels[7] < levels[13]


def test_melody_instrument_holds_the_melody_after_transpose() -> None:
    for low, high in ((40, 60), (62, 74), (80, 95), (36, 96)):
        melody = make_melody(low=low, high=high)
        for spotting in (calm_clip(), action_clip()):
            track = arrange(melody, spotting).tracks[0]
            inst = LIBRARY[track.instrument]
            pitches = [n.pitch + track.transpose for n in melody.notes]
            assert inst.low <= min(pitches) and max(pitches) <= inst.high, (low, high, track)
            assert track.transpose % 12 == 0


def test_reviewer_replaces_an_instrument_too_narrow_for_a_wide_melody() -> None:
    # five octaves: no flute, violin or trumpet can hold it; the arranger must pick a wide instrument
    melody = make_melody(low=30, high=95)
    track = arrange(melody, action_clip()).tracks[0]
    inst = LIBRARY[track.instrument]
    assert inst.high - inst.low >= 65 and inst.low <= 30 + track.transpose


def test_pans_follow_orchestral_seating() -> None:
    scheme = arrange(make_melody(), action_clip())
    pans = {t.instrument: t.panning for t in scheme.tracks}
    assert len(set(pans.values())) == len(pans)
    for key, pan in pans.items():
        seat = LIBRARY[key].pan
        assert abs(pan - seat) <= 0.25 and (seat == 0 or pan * seat >= 0), (key, pan)


def test_arrange_is_deterministic_and_reports_progress() -> None:
    seen: list[float] = []
    melody, spotting = make_melody(), calm_clip()
    first = arrange(melody, spotting, progress=seen.append)
    assert first.to_dict() == arrange(melody, spotting).to_dict()
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_meter_and_tempo_changes_reach_the_scheme() -> None:
    tm = TempoMap([TempoChange(0.0, 120.0), TempoChange(6.0, 90.0)], (3, 4))
    notes = [Note(60 + (b % 5), tm.time_at(b), tm.time_at(b + 1)) for b in range(30)]
    melody = Melody(notes, "F major", tm)
    spotting = make_spotting("graceful", [6.0, 8.0], [0.05, 0.1])
    scheme = arrange(melody, spotting)
    assert scheme.tempo.meter == (3, 4)
    assert scheme.tempo.map == [(1.0, 120.0), (5.0, 90.0)]  # 6 s at 120 bpm = 12 beats = 4 bars of 3/4
    assert scheme.measures == tm.measure_count(14.0)


EXTREME_MELODIES = {"very low": (24, 40), "very high": (96, 108), "five octaves": (30, 95),
                    "all of MIDI": (21, 108)}
OCTAVES = (-24, -12, 0, 12, 24)


@pytest.mark.slow
def test_no_part_leaves_its_instruments_range_for_any_mood_on_extreme_melodies() -> None:
    """Every emotion's palette, on melodies no single instrument holds, arranged then planned note by note."""
    from fc_backend.arrange.analyze import EMOTION_INTENSITY
    from fc_backend.plan import plan

    checked, instruments = 0, set()
    for emotion in EMOTION_INTENSITY:
        spotting = make_spotting(emotion, [5.0, 10.0, 5.0], [0.05, 0.4, 0.1])
        for low, high in EXTREME_MELODIES.values():
            melody = make_melody(measures=8, low=low, high=high)
            scheme = arrange(melody, spotting)
            assert validate_scheme(scheme.to_dict()) == scheme
            lead = scheme.tracks[0]
            inst = LIBRARY[lead.instrument]
            shifted = [n.pitch + lead.transpose for n in melody.notes]
            if any(i.low <= low + t and high + t <= i.high for i in LIBRARY.values() for t in OCTAVES):
                assert inst.low <= min(shifted) and max(shifted) <= inst.high, (emotion, low, high, lead)
            for part in plan(scheme, melody, spotting).tracks:
                holder = LIBRARY[part.instrument]
                assert part.notes, (emotion, low, high, part.name)
                outside = [n.pitch for n in part.notes if not holder.holds(n.pitch)]
                assert not outside, (emotion, low, high, part.name, outside)
                checked += len(part.notes)
                instruments.add(part.instrument)
    assert checked > 5000 and len(instruments) >= 20


def test_percussion_strikes_every_cut_of_a_driven_clip() -> None:
    """Sustained strings and brass cannot make a cut audible; a pitched percussion stroke does."""
    from fc_backend.plan import plan

    spotting = make_spotting("tense", [3.5, 2.0, 4.0, 1.5, 5.0], [0.05, 0.08, 0.04, 0.1, 0.06])
    melody = make_melody(measures=7)
    scheme = arrange(melody, spotting)
    hits = [t for t in plan(scheme, melody, spotting).tracks if t.role == "percussion"]
    assert hits, "a tense clip with cuts gets a percussion part"
    onsets = [n.start for t in hits for n in t.notes]
    for cut in spotting.cuts:
        assert min(abs(o - cut) for o in onsets) < 0.001, f"no percussion stroke on the cut at {cut:.3f} s"
    for track in hits:
        inst = LIBRARY[track.instrument]
        assert all(inst.low <= n.pitch <= inst.high for n in track.notes)


def test_other_seeds_get_other_orchestrations_from_the_same_palette() -> None:
    """Re-rolls of one clip are not all the same colour: ten seeds give at least three ensembles."""
    from fc_backend.arrange.instrument import PALETTES
    from fc_backend.compose import compose
    from tests.test_compose import make_spotting

    spotting = make_spotting(emotion="dignified")
    ensembles = set()
    for seed in range(10):
        melody = compose(spotting, seed=seed)
        scheme = arrange(melody, spotting)
        ensembles.add(tuple(t.instrument for t in scheme.tracks))
        lead = next(t for t in scheme.tracks if t.role == "melody")
        assert lead.instrument in PALETTES["dignified"]["melody"]
    assert len(ensembles) >= 3, ensembles


def test_a_bright_cue_doubles_the_tune_an_octave_up() -> None:
    """Joyous or bright pictures get a top octave: flute or violins on the tune, an octave higher."""
    from fc_backend.compose import compose
    from fc_backend.plan import plan
    from tests.test_compose import make_spotting

    spotting = make_spotting(emotion="joyous")
    melody = compose(spotting, seed=1)
    scheme = arrange(melody, spotting)
    doubling = [t for t in scheme.tracks if t.role == "doubling"]
    assert len(doubling) == 1 and doubling[0].instrument in ("flutes", "violins_1", "piccolo", "celesta")
    result = plan(scheme, melody, spotting)
    lead = next(t for t in result.tracks if t.role == "melody")
    above = next(t for t in result.tracks if t.role == "doubling")
    assert [n.pitch - 12 for n in above.notes] == [n.pitch for n in lead.notes]
