"""The part writer: every track's notes, gains and markers resolved, and always playable."""

from __future__ import annotations

import json

import pytest

from fc_backend.arrange import arrange
from fc_backend.errors import InputError
from fc_backend.model import (
    Chord,
    MeasureLevels,
    Melody,
    MotionCurve,
    Note,
    Plan,
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
)
from fc_backend.plan import plan
from fc_backend.schemes import EXAMPLES_DIR, load_instruments, validate_scheme
from fc_backend.theory import Key

LIBRARY = load_instruments()
TM = TempoMap.constant(120.0)  # 2 s a measure
MEASURES = 8
DURATION = 16.0
PROGRESSION = [(2, "min"), (10, "maj"), (5, "maj"), (0, "maj")]  # Dm Bb F C
SOURCES = ("melody", "counter", "chords", "bass", "ostinato")
ROLE_OF = {"melody": "melody", "counter": "counter", "chords": "harmony", "bass": "bass",
           "ostinato": "ostinato"}


def make_melody(pitches: list[int], *, chords: bool = True, tm: TempoMap = TM) -> Melody:
    """One note a beat cycling through `pitches`, over the whole clip."""
    beats = int(tm.beat_at(DURATION))
    notes = [Note(pitches[b % len(pitches)], tm.time_at(b), tm.time_at(b + 1), 90) for b in range(beats)]
    chord_list = [Chord(tm.measure_start(m), tm.measure_start(m + 1), *PROGRESSION[(m - 1) % 4])
                  for m in range(1, MEASURES + 1)] if chords else []
    return Melody(notes, "D minor", tm, chord_list)


def make_spotting(tm: TempoMap = TM) -> Spotting:
    shots = [Shot(0.0, 6.0, 0.1, 0.05, VisualAttributes(emotion="tense")),
             Shot(6.0, 10.0, 0.4, 0.2), Shot(10.0, DURATION, 0.05, 0.02)]
    spots = [RhythmSpot(6.0, 0.9, "cut"), RhythmSpot(7.3, 0.6, "motion"), RhythmSpot(10.0, 0.8, "cut"),
             RhythmSpot(13.25, 0.4, "accent")]
    return Spotting("clip.mp4", DURATION, 24.0, int(DURATION * 24), 320, 180, shots, spots, tm, "tense",
                    MotionCurve([3.0, 8.0, 13.0], [0.1, 0.4, 0.05]))


def make_scheme(tracks: list[SchemeTrack], measures: int = MEASURES, key: str = "D minor") -> Scheme:
    sections = [Section("A", (1, 4), 0.4), Section("B", (5, measures), 0.8)]
    return Scheme(SchemeTempo(120.0, (4, 4), [(1.0, 120.0)]), key, measures, sections, tracks)


def track(i: int, instrument: str, source: str, **kw) -> SchemeTrack:
    role = kw.pop("role", ROLE_OF[source])
    kw.setdefault("volume_envelope", {"measure1": 0.8})
    return SchemeTrack(i, f"{instrument} {source}", role, instrument, source, **kw)


def in_measure(notes: list[Note], m: int, tm: TempoMap = TM) -> list[Note]:
    return [n for n in notes if tm.measure_at(n.start) == m]


def gain_at(points, time: float) -> float:
    return [p.gain for p in points if p.time <= time + 1e-9][-1]


EXTREME = [20, 110, 33, 97, 45, 20, 88, 61, 110, 24]


@pytest.mark.slow
@pytest.mark.parametrize("chords", [True, False])
def test_every_note_is_playable_on_every_instrument(chords: bool) -> None:
    """An absurd melody (20..110) on every library instrument, through every part writer."""
    melody, spotting = make_melody(EXTREME, chords=chords), make_spotting()
    checked = 0
    for key, inst in LIBRARY.items():
        if inst.is_drum:
            tracks = [track(1, key, "bass", role="percussion"), track(2, key, "ostinato", role="percussion")]
        else:
            tracks = [track(i, key, source, transpose=t)
                      for i, (source, t) in enumerate(zip(SOURCES * 2, [0] * 5 + [24, -24, 24, -24, 24],
                                                          strict=True), start=1)]
        result = plan(make_scheme(tracks), melody, spotting)
        for part in result.tracks:
            assert part.notes, (key, part.name)
            outside = [n.pitch for n in part.notes if not inst.low <= n.pitch <= inst.high]
            assert not outside, (key, part.name, outside)
            checked += len(part.notes)
    assert checked > 10_000


def test_melody_keeps_its_shape_when_shifted_into_range() -> None:
    # a line from 40 to 52 on the flute (60..96) moves up whole octaves, contour intact
    line = [40, 43, 47, 52, 47, 43]
    result = plan(make_scheme([track(1, "flutes", "melody"), track(2, "cellos", "bass")]),
                  make_melody(line), make_spotting())
    notes = result.tracks[0].notes
    shift = notes[0].pitch - 40
    assert shift % 12 == 0 and shift > 0
    assert [n.pitch - shift for n in notes[:6]] == line
    assert [round(n.start, 6) for n in notes] == [round(TM.time_at(b), 6) for b in range(len(notes))]


def test_chords_are_close_voiced_chord_tones_led_smoothly() -> None:
    result = plan(make_scheme([track(1, "strings1_ensemble", "chords")]), make_melody([62, 65, 69]),
                  make_spotting())
    notes = result.tracks[0].notes
    voicings = []
    for m in range(1, MEASURES + 1):
        strokes = {}  # the moving picture strikes the chord again inside the measure (plan/texture.py)
        for n in in_measure(notes, m):
            strokes.setdefault(n.start, []).append(n.pitch)
        assert len({tuple(sorted(p)) for p in strokes.values()}) == 1, (m, strokes)
        chord = sorted(strokes[min(strokes)])
        root, quality = PROGRESSION[(m - 1) % 4]
        tones = {(root + i) % 12 for i in ((0, 3, 7) if quality == "min" else (0, 4, 7))}
        assert len(chord) == 3 and {p % 12 for p in chord} == tones, (m, chord)
        assert chord[-1] - chord[0] < 12  # close position
        voicings.append(chord)
    moves = [sum(abs(a - b) for a, b in zip(x, y, strict=True))
             for x, y in zip(voicings, voicings[1:], strict=False)]
    assert max(moves) <= 6, moves  # voice-led: no voice jumps around between neighbouring chords


def test_bass_plays_roots_and_fifths_low() -> None:
    result = plan(make_scheme([track(1, "basses", "bass")]), make_melody([62, 65, 69]), make_spotting())
    notes = result.tracks[0].notes
    for m in range(1, MEASURES + 1):
        root = PROGRESSION[(m - 1) % 4][0]
        bar = in_measure(notes, m)
        assert bar[0].pitch % 12 == root and abs(bar[0].start - TM.measure_start(m)) < 1e-9
        assert {n.pitch % 12 for n in bar} <= {root, (root + 7) % 12}
        # section B (intensity 0.8) drives: root and fifth on the half measure
        assert len(bar) == (2 if m >= 5 else 1)
    assert max(n.pitch for n in notes) <= LIBRARY["basses"].low + 24


def test_counter_line_moves_in_thirds_and_sixths_below() -> None:
    melody = make_melody([74, 77, 81, 79])
    result = plan(make_scheme([track(1, "violas", "counter")]), melody, make_spotting())
    sweet = 0
    for note in result.tracks[0].notes:
        over = [m for m in melody.notes if m.start <= note.start < m.end][0]
        root, quality = PROGRESSION[(TM.measure_at(note.start) - 1) % 4]
        tones = {(root + i) % 12 for i in ((0, 3, 7) if quality == "min" else (0, 4, 7))}
        assert note.pitch % 12 in tones
        assert 0 < over.pitch - note.pitch < 12, (over.pitch, note.pitch)
        if over.pitch % 12 in tones:  # under a chord tone, always a third or a sixth
            assert over.pitch - note.pitch in (3, 4, 8, 9), (note, over)
            sweet += 1
    assert sweet >= len(result.tracks[0].notes) // 2


def test_chords_are_estimated_when_the_melody_has_none() -> None:
    # measure 1 outlines C major, measure 2 F major, then G major, then A minor
    outlines = [[60, 64, 67, 64], [65, 69, 72, 69], [67, 71, 74, 71], [69, 72, 76, 72]]
    notes = [Note(p, TM.time_at(4 * m + b), TM.time_at(4 * m + b + 1)) for m in range(4)
             for b, p in enumerate(outlines[m])]
    melody = Melody(notes, "C major", TM)
    scheme = make_scheme([track(1, "cellos", "bass"), track(2, "piano", "chords")], measures=4, key="C major")
    scheme.sections = [Section("A", (1, 4), 0.3)]
    spotting = make_spotting()
    spotting.duration = 8.0
    result = plan(scheme, melody, spotting)
    roots = [in_measure(result.tracks[0].notes, m)[0].pitch % 12 for m in range(1, 5)]
    assert roots == [0, 5, 7, 9]
    assert {n.pitch % 12 for n in in_measure(result.tracks[1].notes, 4)} == {9, 0, 4}


#: ostinato beats per note in each measure of make_spotting(): the 6-10 s shot and the 8.0 s curve sample
#: move at 0.4 (4x Config.motion_reference: sixteenths); everything else at 0.05-0.1 (eighths)
OSTINATO_STEP = {m: 0.25 if m in (4, 5) else 0.5 for m in range(1, MEASURES + 1)}


def test_texture_changes_with_the_shot_scale_light_and_motion() -> None:
    """A still, dark wide shot holds its chords and sweeps its arpeggio upward; the close-up after the
    cut strikes the chord on every beat and turns its arpeggio (figure and density follow the picture)."""
    spotting = make_spotting()
    spotting.motion_curve = MotionCurve()
    looks = [("extreme long shot", "dark", 0.0), ("close-up", "normal", 0.05), ("close-up", "normal", 0.05)]
    for shot, (scale, light, speed) in zip(spotting.shots, looks, strict=True):
        shot.attributes = VisualAttributes(view_scale=scale, brightness=light)
        shot.motion_speed = speed
    scheme = make_scheme([track(1, "strings1_ensemble", "chords"), track(2, "harp", "ostinato")])
    chords, ostinato = plan(scheme, make_melody([62]), spotting).tracks
    wide, close = 2, 5  # measures under the wide shot (0-6 s) and the close-up (6-10 s)
    assert len({n.start for n in in_measure(chords.notes, wide)}) == 1
    assert len({n.start for n in in_measure(chords.notes, close)}) == 4
    bars = {m: in_measure(ostinato.notes, m) for m in (wide, close)}
    steps = {m: [b.pitch - a.pitch for a, b in zip(bar, bar[1:], strict=False)][:3]
             for m, bar in bars.items()}
    assert all(d > 0 for d in steps[wide]), steps  # a rise
    assert steps[close][0] > 0 > steps[close][1] and steps[close][2] > 0, steps  # a turn


def test_ostinato_is_chord_tones_as_busy_as_the_picture_moves() -> None:
    result = plan(make_scheme([track(1, "harp", "ostinato")]), make_melody([62]), make_spotting())
    notes = result.tracks[0].notes
    assert len(notes) == sum(4 / step for step in OSTINATO_STEP.values())
    for m in range(1, MEASURES + 1):
        bar, step = in_measure(notes, m), OSTINATO_STEP[m] * 0.5  # seconds at 120 bpm
        grid = [TM.measure_start(m) + i * step for i in range(len(bar))]
        assert [n.start for n in bar] == pytest.approx(grid)
        assert all(n.end - n.start == pytest.approx(step) for n in bar)
    for note in notes:
        root, quality = PROGRESSION[(TM.measure_at(note.start) - 1) % 4]
        assert (note.pitch - root) % 12 in ((0, 3, 7) if quality == "min" else (0, 4, 7))
    still = make_spotting()
    still.motion_curve = MotionCurve()
    for shot in still.shots:
        shot.motion_speed = 0.0
    quiet = plan(make_scheme([track(1, "harp", "ostinato")]), make_melody([62]), still).tracks[0].notes
    assert len(quiet) == MEASURES * 4 and all(n.end - n.start == pytest.approx(0.5) for n in quiet)


def test_doubling_plays_the_melody_an_octave_from_the_melody_track() -> None:
    line = [62, 65, 69, 67, 64]
    tracks = [track(1, "violins_1", "melody"), track(2, "flutes", "melody", role="doubling"),
              track(3, "cellos", "melody", role="doubling", transpose=-12), track(4, "basses", "bass")]
    result = plan(make_scheme(tracks), make_melody(line), make_spotting())
    lead, above, below = (result.tracks[i].notes for i in range(3))
    assert [n.pitch for n in lead[:5]] == line  # the theme fits the violins as written
    assert [b.pitch - a.pitch for a, b in zip(lead, above, strict=True)] == [12] * len(lead)
    assert [b.pitch - a.pitch for a, b in zip(lead, below, strict=True)] == [-12] * len(lead)
    assert [(n.start, n.end) for n in above] == [(n.start, n.end) for n in lead]
    # a melody track transposed up an octave: its doubling moves with it
    tracks[0].transpose = 12
    shifted = plan(make_scheme(tracks), make_melody(line), make_spotting())
    assert [n.pitch for n in shifted.tracks[1].notes[:5]] == [p + 24 for p in line]


def test_a_top_octave_doubling_is_on_top_or_left_out() -> None:
    """A tune the flutes cannot play an octave above the violins is not doubled an octave below it."""
    line = [74, 79, 84, 86, 83]  # violins sing D5-D6: an octave up is past the flute's range at the top
    tracks = [track(1, "violins_1", "melody"), track(2, "flutes", "melody", role="doubling"),
              track(3, "basses", "bass")]
    result = plan(make_scheme(tracks), make_melody(line), make_spotting())
    lead, flute = result.tracks[0].notes, result.tracks[1].notes
    flutes = LIBRARY["flutes"]
    assert flute and len(flute) < len(lead)  # the notes the flute reaches an octave up, no others
    for n in flute:
        under = next(x for x in lead if x.start == n.start)
        assert n.pitch == under.pitch + 12 and n.pitch <= flutes.high


def test_softened_measures_are_quieter_than_their_neighbours() -> None:
    soft = [4, 5]
    tracks = [track(i, key, source, softened_measures=soft, volume_envelope={"measure1": 0.9})
              for i, (key, source) in enumerate([("flutes", "melody"), ("strings1_ensemble", "chords"),
                                                 ("cellos", "bass"), ("harp", "ostinato")], start=1)]
    tracks[2].volume_envelope = MeasureLevels({1: 0.9, 6: 1.0})
    result = plan(make_scheme(tracks), make_melody([62, 65, 69, 67]), make_spotting())
    for part in result.tracks:
        def loudest(m: int, notes=part.notes) -> int:
            return max(n.velocity for n in in_measure(notes, m))
        for m in soft:
            assert loudest(m) < loudest(3) and loudest(m) < loudest(6), part.name
            gain = gain_at(part.volume_envelope, TM.measure_start(m))
            assert gain < gain_at(part.volume_envelope, TM.measure_start(3))
            assert gain < gain_at(part.volume_envelope, TM.measure_start(6))
            assert gain == pytest.approx(0.9 * 0.6)


def test_envelope_follows_the_scheme_levels_measure_by_measure() -> None:
    t = track(1, "oboe", "melody", volume_envelope={"measure1": 0.4, "measure3": 1.2, "measure6": 0.7})
    result = plan(make_scheme([t]), make_melody([70, 72]), make_spotting())
    points = result.tracks[0].volume_envelope
    expected = [0.4, 0.4, 1.2, 1.2, 1.2, 0.7, 0.7, 0.7]
    assert [gain_at(points, TM.measure_start(m)) for m in range(1, 9)] == expected
    starts = {round(TM.measure_start(m), 6) for m in range(1, 9)}
    assert starts <= {p.time for p in points}
    # a change is a short step just before its barline, not a ramp across the previous measure
    assert gain_at(points, TM.measure_start(3) - 0.1) == 0.4
    assert [p.time for p in points] == sorted(p.time for p in points)


def test_markers_cover_every_spot_and_section() -> None:
    spotting = make_spotting()
    result = plan(make_scheme([track(1, "flutes", "melody")]), make_melody([62]), spotting)
    for spot in spotting.rhythm_spots:
        assert any(abs(m.time - spot.time) < 1e-9 and m.kind == spot.kind for m in result.markers), spot
    names = [m.name for m in result.markers]
    assert names == ["A", "cut 1", "hit 7.30s", "B", "cut 2", "accent 13.25s"]
    sections = [m for m in result.markers if m.kind == "section"]
    assert [(m.name, m.time) for m in sections] == [("A", 0.0), ("B", TM.measure_start(5))]


def test_plan_carries_the_mix_and_round_trips_through_json(tmp_path) -> None:
    scheme = validate_scheme(json.loads((EXAMPLES_DIR / "action_brass.json").read_text()))
    melody, spotting = make_melody([60, 63, 67, 70, 72]), make_spotting()
    scheme.tempo, scheme.key = SchemeTempo.of(melody.tempo_map), melody.key  # the example's mix on our melody
    result = plan(scheme, melody, spotting)
    assert (result.duration, str(result.key), result.video) == (DURATION, "D minor", "clip.mp4")
    assert result.tempo_map == melody.tempo_map
    for part, st in zip(result.tracks, scheme.tracks, strict=True):
        inst = LIBRARY[st.instrument]
        assert (part.name, part.role, part.instrument) == (st.name, st.role, st.instrument)
        assert (part.gm_program, part.fx, part.is_drum) == (inst.gm_program, [inst.reaper_fx], inst.is_drum)
        assert (part.pan, part.reverb_send) == (st.panning, st.reverb_space)
        assert 0 < part.volume <= 1
        assert all(0 <= n.start < n.end <= DURATION for n in part.notes)
    staccato = result.tracks[3].notes  # cellos ostinato, staccato: half of each measure's step
    assert all(n.end - n.start == pytest.approx(0.25 * OSTINATO_STEP[TM.measure_at(n.start)])
               for n in staccato)
    mean_send = sum(t.reverb_space for t in scheme.tracks) / len(scheme.tracks)
    assert 0 < result.reverb.room_size <= 1 and result.reverb.room_size > mean_send
    path = tmp_path / "plan.json"
    result.save(path)
    again = Plan.load(path)
    assert again.to_dict() == result.to_dict()
    assert again == result


def test_unpitched_kit_hits_downbeats_and_strong_spots() -> None:
    result = plan(make_scheme([track(1, "orchestral_percussion", "bass", role="percussion")]),
                  make_melody([62]), make_spotting())
    part = result.tracks[0]
    assert part.is_drum and part.gm_program == LIBRARY["orchestral_percussion"].gm_program
    kicks = [n.start for n in part.notes if n.pitch == 36]
    assert kicks == pytest.approx([TM.measure_start(m) for m in range(1, MEASURES + 1)])
    crashes = [n.start for n in part.notes if n.pitch == 49]
    assert crashes == [6.0, 7.3, 10.0]  # the 0.4 accent is too weak for a cymbal


def test_plan_of_an_arranged_clip_in_three_four_with_a_tempo_change() -> None:
    tm = TempoMap([TempoChange(0.0, 90.0), TempoChange(8.0, 126.0)], (3, 4))
    melody = make_melody([57, 60, 62, 65, 69, 72, 74], chords=False, tm=tm)
    spotting = make_spotting(tm)
    progress: list[float] = []
    scheme = arrange(melody, spotting)
    result = plan(scheme, melody, spotting, progress=progress.append)
    assert progress == sorted(progress) and len(progress) == len(scheme.tracks)
    for part in result.tracks:
        inst = LIBRARY[part.instrument]
        assert part.notes and all(inst.low <= n.pitch <= inst.high for n in part.notes)
    downbeats = {round(tm.measure_start(m), 6) for m in range(1, scheme.measures + 1)}
    beats = {round(tm.time_at(b), 6) for b in range(3 * scheme.measures)}
    harmony = next(p for p in result.tracks if p.role == "harmony")
    cuts = {round(c, 6) for c in spotting.cuts}
    onsets = {round(n.start, 6) for n in harmony.notes}
    # each measure (and, where the picture moves, each beat of it), and again on each cut
    assert downbeats | cuts <= onsets <= beats | cuts
    assert 10.0 not in downbeats  # this cut falls inside a measure


def test_sustained_parts_are_struck_again_on_a_cut_inside_a_measure() -> None:
    """A cut on beat 2: chords and bass re-attack there, a little harder; nothing else changes."""

    def still() -> Spotting:  # held chords: a moving picture would strike them on the beat anyway
        spotting = make_spotting()
        spotting.motion_curve = MotionCurve()
        for shot in spotting.shots:
            shot.motion_speed = 0.0
        return spotting

    spotting = still()
    spotting.rhythm_spots.append(RhythmSpot(TM.time_at(13.0), 1.0, "cut"))  # measure 4, beat 2
    cut = TM.time_at(13.0)
    scheme = make_scheme([track(1, "strings1_ensemble", "chords"), track(2, "basses", "bass")])
    plain = plan(scheme, make_melody([62, 65, 69]), still())
    struck = plan(scheme, make_melody([62, 65, 69]), spotting)
    for before, after in zip(plain.tracks, struck.tracks, strict=True):
        at_cut = [n for n in after.notes if abs(n.start - cut) < 1e-9]
        held = [n for n in before.notes if n.start < cut < n.end]
        assert held and sorted(n.pitch for n in at_cut) == sorted(n.pitch for n in held), after.name
        for n in at_cut:
            ended = next(m for m in after.notes if m.pitch == n.pitch and abs(m.end - cut) < 1e-9)
            assert n.velocity > ended.velocity
        untouched = [n for n in after.notes if abs(n.start - cut) > 1e-9 and abs(n.end - cut) > 1e-9]
        assert len(untouched) == len(before.notes) - len(held)


def test_unknown_instrument_is_an_input_error() -> None:
    scheme = make_scheme([track(1, "flutes", "melody")])
    scheme.tracks[0].instrument = "theremin"
    with pytest.raises(InputError, match=r"tracks\[0\]\.instrument: unknown instrument 'theremin'"):
        plan(scheme, make_melody([62]), make_spotting())


def _melody_notes(result: Plan) -> list[Note]:
    return next(t for t in result.tracks if t.role == "melody").notes


def test_an_edited_scheme_tempo_re_times_every_part_beat_for_beat() -> None:
    melody, spotting = make_melody([62, 65, 69, 67, 65, 64]), make_spotting()
    tracks = [track(1, "flutes", "melody"), track(2, "cellos", "bass")]
    before = plan(make_scheme(tracks), melody, spotting)
    edited = make_scheme(tracks)
    edited.tempo = SchemeTempo(60.0, (4, 4), [(1.0, 60.0), (3.0, 90.0)])  # half speed, then 90 from m. 3
    after = plan(edited, melody, spotting)
    assert after.tempo_map == edited.tempo.tempo_map() and after.tempo_map != before.tempo_map
    assert after.tempo_map.time_at(8.0) == pytest.approx(8.0) and after.tempo_map.bpm_at(8.5) == 90.0
    old, new = _melody_notes(before), _melody_notes(after)
    kept = [n for n in old if TM.beat_at(n.start) < 8.0]  # the first two measures: at half speed
    assert [n.start for n in new[:len(kept)]] == pytest.approx([2 * n.start for n in kept])
    assert [n.pitch for n in new[:len(kept)]] == [n.pitch for n in kept]


def test_an_edited_scheme_key_moves_the_melody_and_its_harmony() -> None:
    melody, spotting = make_melody([62, 65, 69, 67, 65, 64]), make_spotting()
    tracks = [track(1, "flutes", "melody"), track(2, "cellos", "bass")]
    before = plan(make_scheme(tracks), melody, spotting)
    up = plan(make_scheme(tracks, key="E minor"), melody, spotting)
    assert str(up.key) == "E minor" and up.tempo_map == before.tempo_map
    for old_part, new_part in zip(before.tracks, up.tracks, strict=True):
        assert [n.start for n in new_part.notes] == [n.start for n in old_part.notes]
        assert [(n.pitch - o.pitch) % 12 for n, o in zip(new_part.notes, old_part.notes, strict=True)] == \
            [2] * len(old_part.notes)
    major = plan(make_scheme(tracks, key="D major"), melody, spotting)
    old = {n.pitch % 12 for n in _melody_notes(before)}
    new = {n.pitch % 12 for n in _melody_notes(major)}
    assert 5 in old and 5 not in new and 6 in new  # D minor's F is D major's F#
    assert new <= Key.parse("D major").scale_pitch_classes()


def test_the_tune_sounds_on_top_with_horns_in_their_singing_register() -> None:
    # a high theme given to horns (-12): the horns sing it around F3-F5, and the trombone counter-line,
    # the string chords and the bass all sound under it, as heard after transposition
    from fc_backend.eval.music import melody_on_top

    tracks = [track(1, "french_horns", "melody", transpose=-12), track(2, "trombones", "counter"),
              track(3, "strings1_ensemble", "chords"), track(4, "basses", "bass")]
    result = plan(make_scheme(tracks), make_melody([74, 77, 81, 79, 76]), make_spotting())
    horns = result.tracks[0].notes
    assert all(53 <= n.pitch <= 77 for n in horns), sorted({n.pitch for n in horns})
    assert melody_on_top(result) >= 0.95
    for part in result.tracks[1:]:
        for note in part.notes:
            over = [h.pitch for h in horns if h.start < note.end - 1e-6 and h.end > note.start + 1e-6]
            assert not over or note.pitch <= min(over), (part.name, note)
