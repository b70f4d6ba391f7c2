"""Timecode: SMPTE labels (drop-frame included), clips' rates and start labels into .RPP and cue sheet."""

from __future__ import annotations

import csv
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
import rpp

from fc_backend.config import Config
from fc_backend.demo import make_clip
from fc_backend.errors import InputError
from fc_backend.model import Marker, Plan, Timecode
from fc_backend.realize.rpp import project_text
from fc_backend.report.cuesheet import write_cuesheet
from fc_backend.spot import spot
from fc_backend.timecode import frames_to_tc, parse_rate, tc_to_frames

NTSC = Fraction(30000, 1001)


@pytest.mark.parametrize(("frames", "rate", "drop", "label"), [
    (0, NTSC, True, "00:00:00;00"),
    (1799, NTSC, True, "00:00:59;29"),
    (1800, NTSC, True, "00:01:00;02"),  # frame numbers 00 and 01 of minute 1 are skipped
    (17982, NTSC, True, "00:10:00;00"),  # ... but not those of minute 10
    (107892, NTSC, True, "01:00:00;00"),
    (3600, Fraction(60000, 1001), True, "00:01:00;04"),
    (86400, Fraction(24000, 1001), False, "01:00:00:00"),  # 23.976 counts 24 a second, non-drop
    (90000, Fraction(25), False, "01:00:00:00"),
])
def test_labels_of_known_frames(frames: int, rate: Fraction, drop: bool, label: str) -> None:
    assert frames_to_tc(frames, rate, drop) == label
    assert tc_to_frames(label, rate) == frames


def test_every_drop_frame_label_reads_back_to_its_frame() -> None:
    for rate in (NTSC, Fraction(60000, 1001)):
        for frame in range(0, 200_000, 7):
            assert tc_to_frames(frames_to_tc(frame, rate, True), rate) == frame


@pytest.mark.parametrize("label", ["00:01:00;00", "00:01:00;01", "25:00", "00:00:00:30", "00:61:00:00"])
def test_impossible_labels_are_refused(label: str) -> None:
    with pytest.raises(ValueError):
        tc_to_frames(label, NTSC)


def test_decimal_rates_snap_to_ntsc() -> None:
    assert parse_rate("29.97") == NTSC and parse_rate("23.976") == Fraction(24000, 1001)
    assert parse_rate("25") == 25


# ---------------------------------------------------------------------- clips into projects and sheets

#: (rate, container, timecode tag, what REAPER's TIMEMODE must say: preset, whole fps, flag)
CLIPS = [("24000/1001", "mp4", None, (0, 24, 2)),
         ("25", "mp4", None, (2, 25, 0)),
         ("30000/1001", "mov", "01:00:00;00", (3, 30, 1))]
SHOT_FRAMES = (40, 30, 50)


def _frame_count(path: Path) -> int:
    """Frames in the clip as ffprobe counts them by decoding (not the container's claim)."""
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                          "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip().split(",")[0])


@pytest.fixture(scope="module", params=CLIPS, ids=["23.976", "25", "29.97DF"])
def spotted(request, tmp_path_factory: pytest.TempPathFactory):
    rate, container, tag, timemode = request.param
    path = tmp_path_factory.mktemp("tc") / f"clip.{container}"
    cuts = make_clip(path, SHOT_FRAMES, fps=rate, size=(96, 54), timecode=tag)
    spotting = spot(path, Config(hardware_decode=False, reel=2))
    return path, cuts, tag or ("00:00:00:00"), timemode, spotting


def _plan(spotting) -> Plan:
    markers = [Marker(s.time, "cut", s.kind) for s in spotting.rhythm_spots]
    return Plan(spotting.duration, spotting.tempo_map, None, [], markers, timecode=spotting.timecode,
                cues=spotting.cue_list())


def test_spotting_reads_the_clips_rate_and_start(spotted) -> None:
    _path, cuts, start, _timemode, spotting = spotted
    tc = spotting.timecode
    assert tc.start == start and tc.drop_frame == (";" in start)
    assert abs(tc.fps - spotting.fps) < 1e-6
    assert spotting.cuts == pytest.approx(cuts, abs=1e-6)
    assert [c.number for c in spotting.cue_list()] == ["2M1"]


def test_project_frame_rate_start_time_and_region_read_back(spotted, tmp_path: Path) -> None:
    _path, _cuts, start, (preset, whole, flag), spotting = spotted
    root = rpp.loads(project_text(_plan(spotting), timestamp=0))
    timemode = root.find("TIMEMODE")
    assert [int(v) for v in timemode[2:3] + timemode[4:6]] == [preset, whole, flag]
    rate = spotting.timecode.fraction
    offset = float(root.find("PROJOFFS")[1])
    assert frames_to_tc(round(offset * rate), rate, flag == 1) == start  # the ruler starts at its label
    assert float(root.find("SMPTESYNC")[2]) == pytest.approx(float(rate), abs=1e-5)
    regions = [m for m in root.findall("MARKER") if int(m[4]) & 1]
    assert [(r[1], r[3]) for r in regions] == [("1", "2M1"), ("1", "")]
    assert [float(r[2]) for r in regions] == pytest.approx([0.0, spotting.duration], abs=1e-9)


def test_cue_sheet_in_and_out_are_exact_to_the_frame(spotted, tmp_path: Path) -> None:
    path, cuts, start, _timemode, spotting = spotted
    sheet = write_cuesheet(_plan(spotting), tmp_path / "cuesheet.csv", composer="A. Composer")
    (row,) = list(csv.DictReader(sheet.open(encoding="utf-8")))
    tc, rate = spotting.timecode, spotting.timecode.fraction
    first = tc_to_frames(start, rate)
    frames = _frame_count(path)
    assert frames == sum(SHOT_FRAMES)
    assert row["in"] == start and row["out"] == frames_to_tc(first + frames, rate, tc.drop_frame)
    assert tc_to_frames(row["duration"], rate, False) == frames
    assert (row["cue"], row["usage"], row["composer"], row["publisher"]) == ("2M1", "BI", "A. Composer", "")
    cut_labels = [frames_to_tc(first + f, rate, tc.drop_frame) for f in (40, 70)]
    hits = [h for h in row["hits"].split("; ") if " cut " in h]
    assert [h.split()[0] for h in hits] == cut_labels
    assert all(h.endswith(" fr") and "|" in h.split()[2] for h in hits)


def test_a_bad_start_timecode_is_one_error_before_decoding(spotted) -> None:
    path = spotted[0]
    with pytest.raises(InputError, match="--start-tc"):
        spot(path, Config(hardware_decode=False, start_tc="01:00:00:99"))


def test_start_tc_overrides_the_tag(spotted) -> None:
    path = spotted[0]
    rate = spotted[4].timecode.fraction
    label = "10:00:00;00" if rate.denominator == 1001 and round(rate) == 30 else "10:00:00:00"
    assert spot(path, Config(hardware_decode=False, start_tc=label)).timecode == Timecode(
        spotted[4].timecode.rate, ";" in label, label)


def test_spot_prints_every_time_in_timecode_with_each_hits_weight_and_frames_off(spotted, capsys) -> None:
    from fc_backend.cli import _print_spotting

    path, _cuts, start, _timemode, spotting = spotted
    _print_spotting(path, spotting)
    out = capsys.readouterr().out
    tc = spotting.timecode
    assert f"starts {start}" in out and "cue 2M1" in out
    for hit in spotting.rhythm_spots:
        line = next(x for x in out.splitlines() if x.strip().startswith(hit.kind) and tc.label(hit.time) in x)
        assert f"({hit.time:7.3f} s)" in line and f"weight {hit.weight:.2f}" in line and "frames off" in line


# ------------------------------------------------------------------ a whole score of a 29.97 DF clip


@pytest.fixture(scope="module")
def scored_df(tmp_path_factory: pytest.TempPathFactory):
    from fc_backend.pipeline import score

    folder = tmp_path_factory.mktemp("df")
    clip = folder / "reel.mov"
    make_clip(clip, SHOT_FRAMES, fps="30000/1001", size=(96, 54), timecode="01:00:00;00")
    out = folder / "out"
    score(clip, out, Config(hardware_decode=False, burn_in=True, reel=4, cue_publisher="Pub"),
          show_progress=False)
    return clip, out


def _duration(path: Path, stream: str) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", stream, "-show_entries",
                          "stream=duration", "-of", "csv=p=0", str(path)], capture_output=True, text=True,
                         check=True).stdout
    return float(out.strip().splitlines()[0])


def test_a_scored_drop_frame_reel_reads_back_as_the_clip(scored_df) -> None:
    clip, out = scored_df
    root = rpp.loads((out / "project.rpp").read_text(encoding="utf-8"))
    timemode = root.find("TIMEMODE")
    assert (int(timemode[2]), int(timemode[4]), int(timemode[5])) == (3, 30, 1)  # 29.97 drop-frame
    assert frames_to_tc(round(float(root.find("PROJOFFS")[1]) * NTSC), NTSC, True) == "01:00:00;00"
    regions = [m for m in root.findall("MARKER") if int(m[4]) & 1]
    assert [r[3] for r in regions] == ["4M1", ""]
    (row,) = list(csv.DictReader((out / "cuesheet.csv").open(encoding="utf-8")))
    frames = _frame_count(clip)
    last = frames_to_tc(107892 + frames, NTSC, True)
    assert (row["cue"], row["in"], row["out"]) == ("4M1", "01:00:00;00", last)
    assert row["publisher"] == "Pub"


def test_preview_has_the_clips_picture_and_the_master_within_a_frame(scored_df) -> None:
    clip, out = scored_df
    preview = out / "preview.mp4"
    video, audio = _duration(preview, "v:0"), _duration(preview, "a:0")
    frame = 1001 / 30000
    assert abs(video - _duration(clip, "v:0")) <= frame
    assert abs(audio - video) <= frame
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'src="preview.mp4"' in page and "4M1" in page and "01:00:00;00" in page
    assert "Sync check" in page and "frames off" in page
