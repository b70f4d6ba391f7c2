"""The whole default pipeline on a generated clip with known cuts: every artifact, in video time."""

from __future__ import annotations

import pretty_midi
import pytest
import rpp
import soundfile as sf

from fc_backend.model import Assessment, Plan, Scheme, Spotting
from fc_backend.pipeline import ARTIFACTS
from fc_backend.schemes import validate_scheme
from fc_backend.scorefolder import MANIFEST
from tests.conftest import CLIP_FPS, CLIP_SHOT_FRAMES


def test_writes_all_nine_artifacts_and_no_staging_left(scored) -> None:
    out = scored.out_dir
    assert sorted(p.name for p in out.iterdir() if p.is_file() and p.name != MANIFEST) == sorted(ARTIFACTS)
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".partial")]


def test_spotting_finds_the_known_cuts(scored, clip) -> None:
    spotting = Spotting.load(scored.out_dir / "spotting.json")
    true_cuts = clip[1]
    assert len(spotting.shots) == len(CLIP_SHOT_FRAMES)
    for found, true in zip(spotting.cuts, true_cuts, strict=True):
        assert abs(found - true) <= 1.0 / CLIP_FPS + 1e-6
    assert spotting.duration == pytest.approx(sum(CLIP_SHOT_FRAMES) / CLIP_FPS, abs=1e-6)


def test_midi_files_are_in_video_time(scored) -> None:
    """Second t of each MIDI file is second t of the clip: a melody onset sits on every cut the tempo
    map puts on the grid (as near as the map could put it: `cut_errors`)."""
    spotting = scored.spotting
    melody = pretty_midi.PrettyMIDI(str(scored.out_dir / "melody.mid"))
    onsets = sorted(n.start for inst in melody.instruments for n in inst.notes)
    for cut, error in zip(spotting.cuts, spotting.cut_errors, strict=True):
        assert min(abs(o - cut) for o in onsets) < abs(error) + 0.005, f"no melody onset at {cut:.3f} s"

    arrangement = pretty_midi.PrettyMIDI(str(scored.out_dir / "arrangement.mid"))
    plan = Plan.load(scored.out_dir / "plan.json")
    assert len(arrangement.instruments) == len(plan.tracks)
    for inst, track in zip(arrangement.instruments, plan.tracks, strict=True):
        starts = sorted(n.start for n in inst.notes)
        expected = sorted(n.start for n in track.notes)
        assert len(starts) == len(expected)
        assert max(abs(a - b) for a, b in zip(starts, expected, strict=True)) < 0.002


def test_abc_assessment_and_scheme_are_real(scored) -> None:
    abc = (scored.out_dir / "melody.abc").read_text()
    assert abc.lstrip().startswith("X:") and "\nK:" in abc and "\nM:" in abc
    assessment = Assessment.load(scored.out_dir / "assessment.json")
    assert len(assessment.criteria) == 19
    assert {c.reviewer for c in assessment.criteria} == {"mode", "melody", "harmony", "rhythm", "emotion"}
    import json

    scheme = validate_scheme(json.loads((scored.out_dir / "scheme.json").read_text()), "scheme.json")
    assert isinstance(scheme, Scheme) and len(scheme.tracks) >= 3


def test_master_is_48k_24bit_stereo_at_delivery_loudness(scored) -> None:
    import pyloudnorm

    info = sf.info(str(scored.out_dir / "master.wav"))
    assert (info.samplerate, info.subtype, info.channels) == (48000, "PCM_24", 2)
    assert info.duration >= scored.spotting.duration
    audio, rate = sf.read(str(scored.out_dir / "master.wav"))
    loudness = pyloudnorm.Meter(rate).integrated_loudness(audio)
    assert loudness == pytest.approx(-23.0, abs=1.0)


def test_project_rpp_has_a_track_per_plan_track(scored) -> None:
    project = rpp.loads((scored.out_dir / "project.rpp").read_text())
    names = [t.find("NAME")[1] for t in project.findall("TRACK")]
    for track in scored.plan.tracks:
        assert track.name in names
    assert project.find("SAMPLERATE")[1] == "48000"


def test_render_honours_an_edited_scheme_tempo_and_key(scored, tmp_path) -> None:
    """scheme.json is what a person edits: a new tempo re-times plan.json, a new key transposes it."""
    import json
    import shutil

    from fc_backend.pipeline import render
    from fc_backend.theory import Key

    out = tmp_path / "out"
    shutil.copytree(scored.out_dir, out)
    scheme = json.loads((out / "scheme.json").read_text())
    bpm = scheme["tempo"]["bpm"]
    scheme["tempo"].update(bpm=bpm / 2, map=[[1, bpm / 2]])
    old_key = Key.parse(scheme["key"])
    scheme["key"] = old_key.transposed(5).name
    (out / "scheme.json").write_text(json.dumps(scheme))
    new = render(out, show_progress=False)
    assert Plan.load(out / "plan.json") == new
    old = scored.plan
    assert str(new.key) == old_key.transposed(5).name and new.tempo_map.bpm_at(0.0) == bpm / 2
    lead_old = next(t for t in old.tracks if t.role == "melody").notes
    lead_new = next(t for t in new.tracks if t.role == "melody").notes
    first = [n for n in lead_old if n.start < old.duration / 3]  # still inside the clip at half speed
    assert [(n.pitch + 5) % 12 for n in first] == [n.pitch % 12 for n in lead_new[:len(first)]]
    assert [n.start for n in lead_new[:len(first)]] == pytest.approx(
        [new.tempo_map.time_at(old.tempo_map.beat_at(n.start)) for n in first], abs=1e-6)
    assert lead_new[1].start > lead_old[1].start


def test_assess_on_the_written_melody_files_gives_the_score_s_total(scored, capsys) -> None:
    """`filmcomposer assess OUT/melody.mid|abc` judges it as `score` did (against OUT's spotting.json):
    the total in assessment.json, the one the report shows."""
    import json

    from fc_backend.cli import main
    from fc_backend.formats.melody_file import read_melody
    from fc_backend.model import Melody

    expected = Assessment.load(scored.out_dir / "assessment.json")
    composed = Melody.load(scored.out_dir / "melody.json")
    for name in ("melody.mid", "melody.abc"):
        assert main(["assess", str(scored.out_dir / name), "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["total"] == pytest.approx(expected.total, abs=0.01), name
        assert result["threshold"] == expected.threshold
        chords = read_melody(scored.out_dir / name).chords
        assert [c.name for c in chords] == [c.name for c in composed.chords]
