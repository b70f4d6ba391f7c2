"""Every failure a user can cause is one line and a non-zero status: disks, pipes, spans, long clips."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from fc_backend.cli import main
from fc_backend.config import Config
from fc_backend.demo import make_clip
from fc_backend.errors import InputError
from fc_backend.formats.midi import MidiPart, write_midi
from fc_backend.model import Note, TempoChange, TempoMap
from fc_backend.pipeline import score
from fc_backend.staging import DiskFull, staged_output

CLI = [sys.executable, "-m", "fc_backend.cli"]


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 24 MB filesystem (tmpfs), mounted for the test and removed after it."""
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)
        mount.rmdir()


def test_a_score_that_cannot_fit_on_the_disk_is_one_line_and_leaves_nothing(
        clip, small_disk: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["score", str(clip[0]), "-o", str(small_disk / "out"), "-q"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "disk" in line and str(small_disk / "out") in line
    assert list(small_disk.iterdir()) == []


def test_the_disk_filling_up_while_writing_is_one_line_and_leaves_nothing(small_disk: Path) -> None:
    out = small_disk / "out"
    noise = np.random.default_rng(0).uniform(-0.5, 0.5, (48000, 2))
    with (pytest.raises(DiskFull, match="disk is full"), staged_output(out) as staging,
          sf.SoundFile(staging / "master.wav", "w", 48000, 2, subtype="PCM_24") as wav):
        for _ in range(1000):  # 288 MB into 24 MB: libsndfile reports a short write, no errno
            wav.write(noise)
    assert list(small_disk.iterdir()) == []


def test_assess_json_serialises_every_verdict(tmp_path: Path) -> None:
    """numpy scores made `passed` a numpy bool, which json cannot write."""
    path = tmp_path / "tune.mid"
    tm = TempoMap([TempoChange(0.0, 120.0)], (4, 4))
    steps = [0, 2, 4, 5, 7, 5, 4, 2, 0]
    notes = [Note(60 + step, 0.5 * i, 0.5 * i + 0.45, 90) for i, step in enumerate(steps)]
    write_midi(path, tm, [MidiPart("Melody", notes, 0)])
    run = subprocess.run([*CLI, "assess", str(path), "--json"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert isinstance(data["passed"], bool) and len(data["criteria"]) == 19


def test_assess_into_a_closed_pipe_ends_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "tune.mid"
    tm = TempoMap([TempoChange(0.0, 100.0)], (3, 4))
    notes = [Note(62 + (i * 5) % 12, 0.6 * i, 0.6 * i + 0.5, 80) for i in range(24)]
    write_midi(path, tm, [MidiPart("Melody", notes, 0)])
    cmd = " ".join([*CLI, "assess", str(path)]) + " | true"  # the reader is gone before the first line
    run = subprocess.run(["bash", "-c", f"set -o pipefail; {cmd}"], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 141
    assert "broken pipe" in _one_line(run.stderr)


def test_a_reversed_reroll_span_is_named_as_reversed(scored, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out"
    shutil.copytree(scored.out_dir, out)
    assert main(["reroll", str(out), "--from", "9", "--to", "6", "-q"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "reversed" in line and "--from 6 --to 9" in line


def test_a_clip_longer_than_the_maximum_is_refused_before_decoding(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture) -> None:
    """A 2-hour clip (tiny frames, 1 fps, so it is quick to make) stops at once, with nothing written."""
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg
    clip = tmp_path / "two_hours.mp4"
    subprocess.run([ffmpeg, "-v", "error", "-f", "lavfi", "-i", "color=c=gray:size=32x32:rate=1",
                    "-t", "7200", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    str(clip)], check=True)
    assert main(["score", str(clip), "-o", str(tmp_path / "out"), "-q"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "120.0 minutes" in line and f"at most {Config.max_duration / 60:g} minutes" in line
    assert not (tmp_path / "out").exists()


def test_max_duration_is_a_setting(tmp_path: Path) -> None:
    clip = tmp_path / "c.mp4"
    make_clip(clip, [24, 24], fps=24, size=(160, 90))
    with pytest.raises(InputError, match="at most 0.01 minutes"):
        score(clip, tmp_path / "out", Config(max_duration=0.6), show_progress=False)


@pytest.mark.parametrize("tail", [0.0, 3.5])
def test_tail_sets_how_long_the_master_runs_past_the_picture(scored, tmp_path: Path, tail: float) -> None:
    out = tmp_path / "out"
    shutil.copytree(scored.out_dir, out)
    assert main(["render", str(out), "--tail", str(tail), "-q"]) == 0
    info = sf.info(out / "master.wav")
    assert info.frames / info.samplerate == pytest.approx(scored.spotting.duration + tail, abs=1e-3)
    for stem in (out / "stems").iterdir():
        assert sf.info(stem).frames == info.frames


def test_a_bad_tail_is_refused_by_the_parser(scored, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["render", str(scored.out_dir), "--tail", "nan"])
    assert exit_.value.code == 2 and "--tail" in capsys.readouterr().err


def test_a_read_only_out_is_refused_before_any_work(clip, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture) -> None:
    """A real read-only filesystem: even root cannot write there."""
    mount = tmp_path / "ro"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a read-only tmpfs here (needs root)")
    try:
        assert main(["score", str(clip[0]), "-o", str(mount / "out"), "-q"]) == 2
        line = _one_line(capsys.readouterr().err)
        assert "not writable" in line and str(mount) in line
    finally:
        subprocess.run(["umount", str(mount)], check=True)
