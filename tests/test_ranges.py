"""Every value of plan.json and scheme.json is checked against its stated range before any work.

Issue 14, case 4: a duration of 1e7 s, a sample rate of 1e9, 1e5 tracks, 1e6 notes, a scheme with 1e6
tracks and a NaN pan were all accepted (or took minutes to refuse). Each is now one line, at once.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from fc_backend import ranges
from fc_backend.errors import InputError
from fc_backend.schemes import scheme_schema, validate_scheme

NOTE = {"pitch": 60, "start": 0.0, "end": 0.5, "velocity": 80}
TRACK = {"name": "Violins", "role": "melody", "instrument": "strings1_ensemble", "gm_program": 48,
         "fx": ["ReaSynth"], "notes": [NOTE], "pan": 0.0, "volume": 0.8, "reverb_send": 0.2,
         "volume_envelope": [{"time": 0.0, "gain": 0.5}], "is_drum": False}
PLAN = {"duration": 10.0, "tempo_map": {"changes": [{"time": 0.0, "bpm": 96.0}], "meter": [4, 4]},
        "key": "D minor", "tracks": [TRACK], "markers": [{"time": 1.0, "name": "cut", "kind": "cut"}],
        "sample_rate": 48000}
SCHEME = {"version": 1, "tempo": {"bpm": 96, "meter": [4, 4], "map": [[1, 96]]}, "key": "D minor",
          "measures": 8, "sections": [{"name": "A", "measures": [1, 8], "intensity": 0.3}],
          "tracks": [{"track_index": 1, "name": "Violins I", "role": "melody",
                      "instrument": "strings1_ensemble", "source": "melody", "panning": -0.4,
                      "reverb_space": 0.3, "volume_envelope": {"measure1": 0.3}}]}


def _edit(base: dict[str, Any], change: Any) -> dict[str, Any]:
    data = copy.deepcopy(base)
    change(data)
    return data


PLAN_CASES = {
    "duration": (lambda d: d.update(duration=1e7), "duration"),
    "sample_rate": (lambda d: d.update(sample_rate=10**9), "sample_rate"),
    "tracks": (lambda d: d.update(tracks=[{"pan": 0}] * 100_000), "tracks"),
    "notes": (lambda d: d["tracks"][0].update(notes=[NOTE] * (ranges.MAX_NOTES_PER_TRACK + 1)),
              "tracks[0].notes"),
    "nan_pan": (lambda d: d["tracks"][0].update(pan=float("nan")), "tracks[0].pan"),
    "inf_volume": (lambda d: d["tracks"][0].update(volume=float("inf")), "tracks[0].volume"),
    "nan_gain": (lambda d: d["tracks"][0]["volume_envelope"][0].update(gain=float("nan")),
                 "tracks[0].volume_envelope[0].gain"),
    "envelope_points": (lambda d: d["tracks"][0].update(volume_envelope=[{"time": 0, "gain": 1}] * 10**5),
                        "tracks[0].volume_envelope"),
    "huge_pan": (lambda d: d["tracks"][0].update(pan=5), "tracks[0].pan"),
    "nan_bpm": (lambda d: d["tempo_map"]["changes"][0].update(bpm=float("nan")), "tempo_map.changes[0].bpm"),
}


@pytest.mark.parametrize("case", sorted(PLAN_CASES))
def test_each_out_of_range_plan_value_is_one_line_at_once(case: str, tmp_path: Path) -> None:
    change, key = PLAN_CASES[case]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_edit(PLAN, change)))
    started = time.perf_counter()
    with pytest.raises(InputError) as err:
        ranges.read_artifact(path, "Plan")
    assert time.perf_counter() - started < 1.0
    message = str(err.value)
    assert message.startswith(f"{path}: {key}:"), message
    assert "\n" not in message and len(message) < 300


def test_a_valid_plan_passes() -> None:
    ranges.check("Plan", PLAN, "plan.json")
    ranges.check("Scheme", SCHEME, "scheme.json")


def test_a_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    notes = ",".join([json.dumps(NOTE)] * 1_000_000)  # 1e6 notes, about 50 MB
    path.write_text(json.dumps(PLAN)[:-1] + f', "extra": [{notes}]}}')
    started = time.perf_counter()
    with pytest.raises(InputError, match="MB accepted"):
        ranges.read_artifact(path, "Plan")
    assert time.perf_counter() - started < 1.0


def test_a_scheme_with_a_million_tracks_is_refused_at_once(tmp_path: Path) -> None:
    data = _edit(SCHEME, lambda d: d.update(tracks=[d["tracks"][0]] * 1_000_000))
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"scheme.json: tracks: has 1000000 items"):
        validate_scheme(data, "scheme.json")
    assert time.perf_counter() - started < 1.0


def test_a_nan_panning_in_a_scheme_is_refused() -> None:
    data = _edit(SCHEME, lambda d: d["tracks"][0].update(panning=float("nan")))
    with pytest.raises(InputError, match=r"tracks\[0\]\.panning: must be a finite number"):
        validate_scheme(data, "scheme.json")


def test_the_schema_and_the_ranges_state_the_same_counts() -> None:
    """The JSON Schema (what an LLM is shown) and the ranges module must not disagree."""
    schema = scheme_schema()
    assert schema["properties"]["tracks"]["maxItems"] == ranges.MAX_SCHEME_TRACKS
    assert schema["properties"]["sections"]["maxItems"] == ranges.MAX_SECTIONS
    assert schema["properties"]["tempo"]["properties"]["map"]["maxItems"] == ranges.MAX_SCHEME_TEMPO_CHANGES
    assert schema["properties"]["measures"]["maximum"] == ranges.MAX_MEASURES
    assert schema["$defs"]["bpm"]["maximum"] == ranges.MAX_BPM
    track = schema["$defs"]["track"]["properties"]
    assert track["transpose"]["maximum"] == ranges.MAX_TRANSPOSE
    level = track["volume_envelope"]["patternProperties"]["^measure[0-9]+$"]
    assert level["maximum"] == ranges.MAX_SCHEME_LEVEL
    assert track["volume_envelope"]["maxProperties"] == ranges.MAX_MEASURES


def _tree(folder: Path) -> dict[str, bytes]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def test_a_nan_pan_fails_render_and_leaves_master_and_stems_as_they_were(tmp_path: Path, scored) -> None:
    out = tmp_path / "out"
    shutil.copytree(scored.out_dir, out)
    plan = json.loads((out / "plan.json").read_text())
    plan["tracks"][1]["pan"] = float("nan")
    (out / "plan.json").write_text(json.dumps(plan))  # json writes NaN, as an editor might
    before = _tree(out)
    assert "master.wav" in before and any(name.startswith("stems/") for name in before)

    result = subprocess.run([sys.executable, "-m", "fc_backend.cli", "render", str(out), "--plan", "-q"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "plan.json" in lines[0] and "tracks[1].pan" in lines[0], result.stderr
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
