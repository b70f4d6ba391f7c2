"""The command line: the newcomer's demo, and bad input refused in one line with nothing left behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pretty_midi
import pytest

from fc_backend.demo import make_clip
from fc_backend.scorefolder import MANIFEST


def run_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fc_backend.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=600)


def make_bad_input(kind: str, folder: Path, clip: Path) -> Path:
    if kind == "empty":
        path = folder / "empty.mp4"
        path.write_bytes(b"")
    elif kind == "text":
        path = folder / "notes.mp4"
        path.write_text("this is a shopping list, not a film\n" * 20)
    elif kind == "truncated":
        path = folder / "truncated.mp4"
        data = clip.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    elif kind == "audio_only":
        path = folder / "tone.mp4"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=3",
                        "-c:a", "aac", str(path)], check=True)
    elif kind == "too_short":
        path = folder / "blink.mp4"
        make_clip(path, [4], fps=24, size=(160, 90))
    elif kind == "missing":
        path = folder / "nowhere.mp4"
    else:
        raise ValueError(kind)
    return path


@pytest.mark.parametrize("kind", ["empty", "text", "truncated", "audio_only", "too_short", "missing"])
def test_bad_input_is_one_line_nonzero_and_leaves_nothing(kind: str, tmp_path: Path, clip) -> None:
    video = make_bad_input(kind, tmp_path, clip[0])
    out = tmp_path / "out"
    before = set(tmp_path.iterdir())
    result = run_cli("score", video, "-o", out, "-q")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert video.name in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert set(tmp_path.iterdir()) == before, "a staging folder or partial output was left behind"


@pytest.mark.slow
def test_demo_scores_a_generated_clip(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = run_cli("demo", "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    for name in ("spotting.json", "melody.mid", "melody.abc", "assessment.json", "scheme.json", "plan.json",
                 "arrangement.mid", "project.rpp", "master.wav", "demo_clip.mp4"):
        assert (out / name).is_file(), name
    assert "6 shots" in result.stdout
    # the self-contained project refers to the copied clip by a relative path
    assert 'FILE "demo_clip.mp4"' in (out / "project.rpp").read_text()


def test_spot_json_prints_a_spotting(clip) -> None:
    from fc_backend.model import Spotting

    result = run_cli("spot", clip[0], "--json")
    assert result.returncode == 0, result.stderr
    spotting = Spotting.from_json(result.stdout)
    assert len(spotting.cuts) == len(clip[1])


def test_spot_takes_edited_spots_and_writes_stills(clip, tmp_path: Path) -> None:
    import json

    from fc_backend.model import Spotting

    spots = tmp_path / "spots.json"
    spots.write_text(json.dumps([{"time": 2.0, "strength": 1.0, "kind": "cut"}]))
    result = run_cli("spot", clip[0], "--json", "--spots", spots, "--stills", tmp_path / "stills",
                     "--no-hardware-decode")
    assert result.returncode == 0, result.stderr
    assert Spotting.from_json(result.stdout).cuts == [2.0]
    stills = sorted(p.name for p in (tmp_path / "stills").iterdir() if p.name != MANIFEST)
    assert stills == ["shot_001.jpg", "shot_002.jpg"]

    spots.write_text("[{\"time\": 2.0}]")  # no strength
    result = run_cli("spot", clip[0], "--spots", spots, "--stills", tmp_path / "other")
    assert result.returncode == 2 and "spots.json" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert not (tmp_path / "other").exists()


def test_a_missing_soundfont_is_refused_before_any_work(tmp_path: Path, clip) -> None:
    out = tmp_path / "out"
    result = run_cli("score", clip[0], "-o", out, "-q", "--soundfont", tmp_path / "missing.sf2")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "missing.sf2" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_failure_in_the_last_stage_leaves_nothing(tmp_path: Path, clip, monkeypatch) -> None:
    """Realize dies after writing half its files: no OUT, no staging folder."""
    from fc_backend import pipeline

    def half_realize(plan, out_dir, config, **_):
        (Path(out_dir) / "project.rpp").write_text("<REAPER_PROJECT")
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "realize", half_realize)
    with pytest.raises(RuntimeError, match="disk full"):
        pipeline.score(clip[0], tmp_path / "out", show_progress=False)
    assert list(tmp_path.iterdir()) == []


def test_rescoring_replaces_our_artifacts_and_keeps_the_users_files(tmp_path: Path, clip) -> None:
    from fc_backend.config import Config
    from fc_backend.pipeline import score

    out = tmp_path / "out"
    first = score(clip[0], out, Config(seed=1), show_progress=False)
    (out / "my_notes.txt").write_text("cue 1M1: keep the horns down")
    second = score(clip[0], out, Config(seed=2), show_progress=False)
    assert (out / "my_notes.txt").read_text() == "cue 1M1: keep the horns down"
    assert [n.pitch for n in first.melody.notes] != [n.pitch for n in second.melody.notes]
    on_disk = pretty_midi.PrettyMIDI(str(out / "melody.mid")).instruments[0].notes
    assert [n.pitch for n in on_disk] == [n.pitch for n in second.melody.notes]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_render_replans_from_an_edited_scheme(tmp_path: Path, scored) -> None:
    import json
    import shutil

    out = tmp_path / "out"
    shutil.copytree(scored.out_dir, out)
    scheme = json.loads((out / "scheme.json").read_text())
    scheme["tracks"][0]["instrument"] = "oboe"
    scheme["tracks"][0]["panning"] = 0.75
    (out / "scheme.json").write_text(json.dumps(scheme))
    before = (out / "master.wav").stat().st_mtime_ns

    result = run_cli("render", out, "-q")
    assert result.returncode == 0, result.stderr
    plan = json.loads((out / "plan.json").read_text())
    assert plan["tracks"][0]["instrument"] == "oboe" and plan["tracks"][0]["pan"] == 0.75
    assert plan["tracks"][0]["gm_program"] == 68  # General MIDI oboe
    assert (out / "master.wav").stat().st_mtime_ns > before
    assert (out / "melody.json").read_bytes() == (scored.out_dir / "melody.json").read_bytes()


def test_render_refuses_an_invalid_scheme_and_changes_nothing(tmp_path: Path, scored) -> None:
    import json
    import shutil

    out = tmp_path / "out"
    shutil.copytree(scored.out_dir, out)
    scheme = json.loads((out / "scheme.json").read_text())
    scheme["tracks"][1]["panning"] = 1.7
    (out / "scheme.json").write_text(json.dumps(scheme))
    plan_before = (out / "plan.json").read_bytes()

    result = run_cli("render", out, "-q")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "tracks[1].panning" in result.stderr and "scheme.json" in result.stderr
    assert (out / "plan.json").read_bytes() == plan_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_hardware_decoding_can_be_turned_off() -> None:
    from fc_backend.cli import _config, _parser

    on = _parser().parse_args(["score", "clip.mp4", "-o", "out"])
    off = _parser().parse_args(["score", "clip.mp4", "-o", "out", "--no-hardware-decode"])
    assert _config(on).hardware_decode is True and _config(off).hardware_decode is False
