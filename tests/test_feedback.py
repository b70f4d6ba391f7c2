"""Feedback a user can act on: why a cut is off the beat, what the report's marks mean, one shot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fc_backend.demo import make_clip

CLI = [sys.executable, "-m", "fc_backend.cli"]


def test_spot_says_why_a_cut_is_off_the_beat(tmp_path: Path) -> None:
    clip = tmp_path / "close_cuts.mp4"
    cuts = make_clip(clip, [48, 7, 48], fps=24, size=(160, 90))  # cuts 0.29 s apart: no beat fits between
    run = subprocess.run([*CLI, "spot", str(clip), "--no-hardware-decode"], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stdout.splitlines() if line.split()[:1] == ["cut"]]
    assert len(lines) == len(cuts)
    off = [line for line in lines if "off the beat" in line]
    assert off and all("tempo fit could not reach it" in line for line in off)
    for line in off:
        assert float(line.split(" frames off")[0].split()[-1]) != 0.0


def test_a_single_shot_clip_reads_one_shot_and_has_no_empty_cut_table(tmp_path: Path) -> None:
    clip = tmp_path / "one_shot.mp4"
    make_clip(clip, [96], fps=24, size=(160, 90))
    out = tmp_path / "out"
    run = subprocess.run([*CLI, "score", str(clip), "-o", str(out), "-q", "--no-hardware-decode"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("1 shot, ")
    html = (out / "report.html").read_text()
    assert "1 shot," in html and "1 shots" not in html
    assert "cut (s)" not in html and "One shot, no cuts" in html
