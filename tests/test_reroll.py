"""Re-roll and --melody: only the asked measures change, the rest stays bit-identical, and every later
artifact is rewritten; a user's melody (MIDI or ABC) replaces the composed one on the clip's clock."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fc_backend.cli import main
from fc_backend.compose import compose
from fc_backend.compose.reroll import region_measures
from fc_backend.config import Config
from fc_backend.errors import InputError
from fc_backend.formats.melody_file import read_melody
from fc_backend.formats.midi import MidiPart, write_midi
from fc_backend.model import Melody, Note, TempoChange, TempoMap
from fc_backend.pipeline import reroll, score
from fc_backend.theory import Key
from tests.test_compose import grid_onset, make_spotting, required_spots

VARIANTS = [
    pytest.param({}, id="4/4"),
    pytest.param({"tempo_map": TempoMap.constant(84.0, (3, 4)), "emotion": "sad"}, id="3/4"),
    pytest.param({"tempo_map": TempoMap([TempoChange(0.0, 90.0), TempoChange(11.0, 132.0)]),
                  "emotion": "fear"}, id="tempo-change"),
]


def _split(melody: Melody, first: int, last: int) -> tuple[list[dict], list[dict]]:
    """(notes starting outside measures first..last, notes starting inside), as plain dicts."""
    tm = melody.tempo_map
    inside = [n.to_dict() for n in melody.notes if first <= tm.measure_at(n.start + 1e-9) <= last]
    outside = [n.to_dict() for n in melody.notes if not first <= tm.measure_at(n.start + 1e-9) <= last]
    return outside, inside


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("t0", "t1"), [(6.0, 9.5), (0.0, 3.0), (14.0, 17.0), (21.0, 26.0)])
def test_reroll_changes_only_the_measures_over_the_span(variant: dict, t0: float, t1: float) -> None:
    spotting = make_spotting(**variant)
    melody = compose(spotting, seed=2)
    first, last = region_measures(melody, t0, t1)
    tm = melody.tempo_map
    assert tm.measure_start(first) <= t0 + 1e-9
    assert tm.measure_start(last + 1) >= min(t1, melody.notes[-1].start)
    new = compose(spotting, seed=9, melody=melody, region=(t0, t1))

    kept_old, inside_old = _split(melody, first, last)
    kept_new, inside_new = _split(new, first, last)
    assert kept_new == kept_old, "notes outside the re-rolled measures are bit-identical"
    assert inside_new and inside_new != inside_old
    assert new.chords == melody.chords and new.key == melody.key and new.seed == 9

    notes = new.notes
    for a, b in zip(notes[:-1], notes[1:], strict=True):
        assert a.end <= b.start, "one line, no overlaps, also across the borders"
        if b.start > a.end:  # the only holes are the theme's breaths, before a bar line
            assert 0.5 - 1e-6 <= tm.beat_at(b.start) - tm.beat_at(a.end) <= 1.0 + 1e-6
            bar = tm.beat_at(b.start) / tm.beats_per_measure
            assert abs(bar - round(bar)) < 1e-6
    onsets = np.array([n.start for n in notes])
    for t in required_spots(spotting):  # exactly, or (the composer's grid rule) on its nearest eighth
        assert min(np.min(np.abs(onsets - t)), np.min(np.abs(onsets - grid_onset(tm, t)))) <= 1e-3, t
    # smooth joins: a step (or common tone) into the first kept note, no leap past a fifth out of the last
    index = {id(n): i for i, n in enumerate(notes)}
    region = [n for n in notes if first <= tm.measure_at(n.start + 1e-9) <= last]
    i0, i1 = index[id(region[0])], index[id(region[-1])]
    if i1 + 1 < len(notes):
        assert abs(notes[i1].pitch - notes[i1 + 1].pitch) <= 2
    if i0 > 0:
        assert abs(notes[i0].pitch - notes[i0 - 1].pitch) <= 7


def test_reroll_is_seeded() -> None:
    spotting = make_spotting()
    melody = compose(spotting, seed=1)
    a = compose(spotting, seed=5, melody=melody, region=(5.0, 10.0))
    b = compose(spotting, seed=5, melody=melody, region=(5.0, 10.0))
    c = compose(spotting, seed=6, melody=melody, region=(5.0, 10.0))
    assert a.to_dict() == b.to_dict()
    assert a.to_dict() != c.to_dict()


@pytest.fixture()
def out(scored, tmp_path: Path) -> Path:
    """A copy of the session's scored folder, for commands that rewrite it."""
    target = tmp_path / "out"
    shutil.copytree(scored.out_dir, target)
    return target


def test_reroll_rewrites_the_artifacts_after_composition(out: Path) -> None:
    before = {name: (out / name).read_bytes() for name in ("melody.json", "melody.mid", "melody.abc",
                                                          "plan.json", "arrangement.mid", "master.wav")}
    spotting_before = (out / "spotting.json").read_bytes()
    scheme_before = (out / "scheme.json").read_text()
    old = Melody.load(out / "melody.json")
    t0, t1 = 3.0, 5.0
    first, last = region_measures(old, t0, t1)
    result = reroll(out, t0, t1, Config(seed=3), seed=21, show_progress=False)

    new = Melody.load(out / "melody.json")
    assert _split(new, first, last)[0] == _split(old, first, last)[0]
    assert _split(new, first, last)[1] != _split(old, first, last)[1]
    for name, data in before.items():
        assert (out / name).read_bytes() != data, f"{name} was not rewritten"
    assert (out / "spotting.json").read_bytes() == spotting_before
    assert (out / "scheme.json").read_text() == scheme_before, "the same players play the new notes"
    plan = json.loads((out / "plan.json").read_text())
    lead = next(t for t in plan["tracks"] if t["role"] == "melody")
    assert any(abs(n["start"] - m.start) < 1e-6 for n in lead["notes"] for m in new.notes
               if first <= new.tempo_map.measure_at(m.start + 1e-9) <= last)
    assert result.melody.seed == 21 and result.assessment.criteria
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".partial")]


def test_reroll_command_and_its_errors(out: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["reroll", str(out), "--from", "2", "--to", "4", "--seed", "4", "-q"]) == 0
    assert "re-rolled measure" in capsys.readouterr().out
    assert main(["reroll", str(out), "--from", "500", "--to", "600", "-q"]) == 2
    assert "not inside the clip" in capsys.readouterr().err
    assert main(["reroll", str(out.parent / "nowhere"), "--from", "1", "--to", "2", "-q"]) == 2


# ------------------------------------------------------------------------------------------ --melody


def test_our_own_melody_mid_comes_back_in_video_time(scored) -> None:
    """melody.mid carries the clip's tempo map: adopting it keeps every note where it was."""
    original = scored.melody
    user = read_melody(scored.out_dir / "melody.mid")
    adopted = compose(scored.spotting, melody=user)
    in_clip = [n for n in original.notes if n.start < scored.spotting.duration]
    assert [n.pitch for n in adopted.notes] == [n.pitch for n in in_clip]
    for a, b in zip(adopted.notes, original.notes, strict=False):
        # exactly: through its beats, not as the file's tick-rounded tempo changes place it
        assert abs(a.start - b.start) < 1e-6 and abs(a.end - b.end) < 1e-6
    assert adopted.tempo_map is scored.spotting.tempo_map
    assert adopted.chords and adopted.chords[0].start == 0.0
    assert [(c.name, round(c.start, 6)) for c in adopted.chords] == [
        (c.name, round(c.start, 6)) for c in original.chords if c.start < scored.spotting.duration]


def test_an_abc_tune_is_laid_on_the_clips_beats(scored, tmp_path: Path) -> None:
    """A tune with its own tempo: beat b of the tune is beat b of the clip, key from K:."""
    tune = tmp_path / "tune.abc"
    tune.write_text("X:1\nT:Edited\nM:4/4\nL:1/8\nQ:1/4=150\nK:Gm\nG2 B2 d2 c2|B4 A4|G8|]\n")
    spotting = scored.spotting
    adopted = compose(spotting, melody=read_melody(tune), description="edited")
    tm = spotting.tempo_map
    assert [n.pitch for n in adopted.notes] == [67, 70, 74, 72, 70, 69, 67]
    assert [round(tm.beat_at(n.start), 3) for n in adopted.notes] == [0, 1, 2, 3, 4, 6, 8]
    assert str(adopted.key) == "G minor" and adopted.description == "edited"
    assert adopted.chords[2].root == 7 and adopted.chords[2].quality == "min"  # the held G is heard as i


def test_score_with_a_user_melody(clip, tmp_path: Path) -> None:
    tune = tmp_path / "tune.mid"
    tm = TempoMap.constant(100.0, (3, 4))  # not the clip's map: its beats are laid on the clip's
    pitches = [62, 65, 69, 67, 65, 64, 62, 61, 62]
    notes = [Note(p, tm.time_at(i), tm.time_at(i + 1)) for i, p in enumerate(pitches)]
    parts = [MidiPart("Pad", [Note(50, 0.0, 4.0)], 48), MidiPart("Melody", notes, 0)]  # by name, not order
    write_midi(tune, tm, parts, key=Key.parse("D minor"))
    result = score(clip[0], tmp_path / "out", Config(seed=1), show_progress=False, melody=tune)
    ctm = result.spotting.tempo_map
    assert [n.pitch for n in result.melody.notes] == pitches
    assert [round(ctm.beat_at(n.start), 3) for n in result.melody.notes] == list(range(9))
    assert Melody.load(tmp_path / "out" / "melody.json").notes == result.melody.notes
    assert str(result.melody.key) == "D minor" and result.assessment.attempts == 1
    assert (tmp_path / "out" / "master.wav").is_file()


@pytest.mark.parametrize(("name", "content", "problem"), [
    ("empty.abc", "X:1\nK:C\n", "no notes"),
    ("broken.abc", "X:1\nK:C\nC D ^^^ E|\n", "abc2midi"),
    ("song.txt", "C D E", "ABC or MIDI"),
    ("noise.mid", "not midi at all", "not a readable MIDI"),
])
def test_a_bad_melody_file_is_the_users_problem(tmp_path: Path, name: str, content: str,
                                                problem: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError, match=problem):
        read_melody(path)


def test_score_rejects_a_bad_melody_before_any_work(clip, tmp_path: Path) -> None:
    bad = tmp_path / "bad.abc"
    bad.write_text("X:1\nK:C\n")
    done = subprocess.run([sys.executable, "-m", "fc_backend.cli", "score", str(clip[0]), "-o",
                           str(tmp_path / "out"), "--melody", str(bad), "-q"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 2 and "no notes" in done.stderr and len(done.stderr.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_reroll_starts_nothing_past_the_region_when_a_note_is_held_over_its_bar_line() -> None:
    """A replaced note held over the closing bar line leaves a gap after the region; new notes may fill
    it by sustaining, never by starting a note in the measure after the region."""
    spotting = make_spotting()
    melody = compose(spotting, seed=2)
    tm = melody.tempo_map
    per = tm.beats_per_measure
    first, last = 2, 3
    bar = tm.measure_start(last + 1)
    # hold the last note of measure 3 over the bar line, two beats into measure 4
    held_until = tm.time_at((last * per) + 2)
    notes = [n for n in melody.notes if not bar - 1e-9 <= n.start < held_until - 1e-9]
    tail = max((n for n in notes if n.start < bar - 1e-9), key=lambda n: n.start)
    notes[notes.index(tail)] = Note(tail.pitch, tail.start, held_until, tail.velocity)
    held = Melody(notes=notes, key=melody.key, tempo_map=tm, chords=melody.chords, seed=2)

    t0, t1 = tm.measure_start(first) + 0.01, bar - 0.01
    assert region_measures(held, t0, t1) == (first, last)
    new = compose(spotting, seed=11, melody=held, region=(t0, t1))
    kept_old, _ = _split(held, first, last)
    kept_new, inside_new = _split(new, first, last)
    assert kept_new == kept_old, "no new note starts outside the re-rolled measures"
    assert inside_new


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rerolling_the_last_measure_gives_a_new_ending_on_the_tonic(variant: dict, seed: int) -> None:
    """The closing measure alone used to come back as it was (one held tonic, nothing to vary): a
    re-roll there now approaches the tonic anew, and the piece still ends on it, as long as before."""

    spotting = make_spotting(**variant)
    melody = compose(spotting, seed=seed)
    tm = melody.tempo_map
    last = tm.measure_at(melody.notes[-1].start)
    new = compose(spotting, seed=50 + seed, melody=melody, region=(tm.measure_start(last), spotting.duration))
    kept_old, inside_old = _split(melody, last, last)
    kept_new, inside_new = _split(new, last, last)
    assert kept_new == kept_old and inside_new != inside_old
    assert new.notes[-1].pitch % 12 == melody.key.pitch(0) % 12
    assert new.notes[-1].end == pytest.approx(melody.notes[-1].end)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_rerolled_region_keeps_the_grid_and_the_themes_cells(variant: dict, seed: int) -> None:
    """The region is written the way the theme is: every onset on the grid, bars from the theme's own
    rhythmic cells (so no new note values, bars that recur), not at the spots' exact times."""
    from fc_backend.compose.reroll import bar_values, theme_cells
    from fc_backend.eval.music import bar_recurrence, distinct_values
    from tests.test_compose import on_grid

    spotting = make_spotting(**variant)
    melody = compose(spotting, seed=seed)
    new = compose(spotting, seed=40 + seed, melody=melody, region=(6.0, 14.0))
    tm = melody.tempo_map
    assert all(on_grid(tm.beat_at(n.start)) for n in new.notes)
    assert distinct_values(new) <= max(4, distinct_values(melody))
    assert bar_recurrence(new) >= 0.4
    cells = theme_cells(melody)
    assert cells is not None and cells.a.values in bar_values(new)
