"""Feedback a user can act on: why a cut is off the beat, what the report's marks mean, one shot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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


def test_spot_says_where_the_tempo_jumps_to_hit_a_cut(capsys) -> None:  # noqa: ANN001
    """Cuts 2.162 s and 2.0225 s apart at 100 bpm: only 111 then 89 bpm put both on beats, a 20 % jump
    at the first cut; its line says so, and no other line does."""
    import dataclasses

    from fc_backend.cli import _print_spotting
    from fc_backend.spot.tempo import cut_errors, fit_tempo
    from tests.test_arrange import make_spotting

    spotting = make_spotting("calm", [2.162, 2.0225, 3.0], [0.01, 0.01, 0.01])
    tempo_map = fit_tempo(spotting.cuts, 100.0)
    errors = cut_errors(tempo_map, spotting.cuts)
    spotting = dataclasses.replace(spotting, tempo_map=tempo_map, cut_errors=errors)
    _print_spotting(Path("clip.mp4"), spotting)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.split()[:1] == ["cut"]]
    assert len(lines) == 2
    assert "tempo jumps 20% here" in lines[0] and "within 10%" in lines[0] and "off the beat" not in lines[0]
    assert "tempo jumps" not in lines[1] and "off the beat" not in lines[1]


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


def test_install_shows_pips_progress_line_by_line(capsys) -> None:  # noqa: ANN001
    import importlib.util
    import subprocess as sp

    root = Path(__file__).parents[1]
    spec = importlib.util.spec_from_file_location("fc_install_progress", root / "install.py")
    install = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(install)
    fake_pip = [sys.executable, "-c", "print('Requirement already satisfied: numpy');"
                " print('Collecting mido==1.3'); print('Installing collected packages: mido');"
                " print('Successfully installed mido-1.3')"]
    install.run_pip(fake_pip)
    out = capsys.readouterr().out.splitlines()
    assert out == ["install: pip: Collecting mido==1.3", "install: pip: Installing collected packages: mido",
                   "install: pip: Successfully installed mido-1.3"]
    try:
        install.run_pip([sys.executable, "-c", "raise SystemExit(3)"])
    except sp.CalledProcessError as err:
        assert err.returncode == 3
    else:
        raise AssertionError("a failing pip must stop the install")


def test_demo_says_what_it_does_before_any_work(tmp_path: Path) -> None:
    proc = subprocess.Popen([*CLI, "demo", "-o", str(tmp_path / "out"), "-q"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stderr.readline()  # arrives before the clip is made, not after the ~12 s of work
        assert first.startswith("demo: making a short clip")
    finally:
        proc.terminate()
        proc.communicate(timeout=60)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_the_engraved_melody_ends_on_a_full_bar_and_shows_every_tempo() -> None:
    from fc_backend.formats.abc import read_abc
    from fc_backend.model import Melody, Note, TempoChange, TempoMap
    from fc_backend.notate import notate
    from fc_backend.report.notation import engrave
    from fc_backend.theory import parse_key

    tm = TempoMap([TempoChange(0.0, 60.0), TempoChange(6.0, 90.0)], (3, 4))  # 90 bpm from bar 3
    pitches = [69, 71, 72, 74, 76, 74, 72, 71, 69, 72, 76]
    notes = [Note(p, tm.time_at(b), tm.time_at(b + 0.9), 90) for b, p in enumerate(pitches)]  # ends in bar 4
    abc = notate(Melody(notes, parse_key("A minor"), tm))
    body = abc.split("\nK:", 1)[1]
    assert body.rstrip().endswith("|]")
    bars = [bar for bar in body.split("\n", 1)[1].replace("\\\n", "").split("|") if bar.strip(" ]\n")]
    last = bars[-1]
    assert "z" in last  # the bar is filled with a rest, not left short
    assert bars[2].strip().startswith("[Q:1/4=90]") and body.count("[Q:") == 1  # bar 3, and only there
    again = read_abc(abc)
    assert [n.pitch for n in again.notes] == pitches
    assert len(again.tempo_map.changes) == 2 and again.tempo_map.changes[1].bpm == pytest.approx(90, abs=0.01)
    assert "<svg" in engrave(abc)


def test_stdout_stays_the_result_channel_on_a_ci_machine() -> None:
    """pyFluidSynth prints where it found its library when CI is set; `score`'s summary and `assess
    --json` are read from stdout, so importing the backend (and pretty_midi after it) must print nothing."""
    import os

    imports = "import fc_backend.cli, pretty_midi, fc_backend.realize.render"
    run = subprocess.run([sys.executable, "-c", imports], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "CI": "1"})
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
