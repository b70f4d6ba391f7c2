"""`render OUT --cues`: each cue's master and stems, cut sample-exact from the rendered files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import soundfile as sf

from fc_backend.model import Plan
from fc_backend.realize.rpp import stem_files
from tests.test_cli import run_cli


def _with_cues(out: Path, cues: list[dict]) -> Plan:
    data = json.loads((out / "plan.json").read_text())
    data["cues"] = cues
    (out / "plan.json").write_text(json.dumps(data))
    return Plan.from_dict(data)


def test_render_cues_cuts_master_and_stems_exact_to_the_sample(tmp_path: Path, scored) -> None:
    out = tmp_path / "out"
    shutil.copytree(scored.out_dir, out)
    duration = json.loads((out / "plan.json").read_text())["duration"]
    split = duration * 0.4123457  # not on a sample boundary
    plan = _with_cues(out, [{"number": "1M1", "start": 0.0, "end": split, "title": "Opening"},
                            {"number": "1M2", "start": split, "end": duration, "title": "Chase"}])
    (out / "cues" / "1M1").mkdir(parents=True)
    (out / "cues" / "1M1" / "my notes.txt").write_text("keep me")

    result = run_cli("render", out, "--plan", "--cues", "-q")
    assert result.returncode == 0, result.stderr

    master, rate = sf.read(out / "master.wav", dtype="int32")
    assert rate == 48000 and sf.info(str(out / "master.wav")).subtype == "PCM_24"
    stems = {Path(f).stem: sf.read(out / f, dtype="int32")[0] for _, f in stem_files(plan)}
    for cue in plan.cues:
        start, end = round(cue.start * rate), round(cue.end * rate)
        folder = out / "cues" / cue.number
        cut, cut_rate = sf.read(folder / f"{cue.number} master.wav", dtype="int32")
        assert cut_rate == rate and sf.info(str(folder / f"{cue.number} master.wav")).subtype == "PCM_24"
        assert len(cut) == end - start
        assert np.array_equal(cut, master[start:end])
        for name, audio in stems.items():
            stem_cut, _ = sf.read(folder / f"{cue.number} {name}.wav", dtype="int32")
            assert np.array_equal(stem_cut, audio[start:end]), name
    assert (out / "cues" / "1M1" / "my notes.txt").read_text() == "keep me"

    # one cue fewer: our files of the cue that went are removed, the user's note stays
    _with_cues(out, [{"number": "1M1", "start": 0.0, "end": duration, "title": "All"}])
    result = run_cli("render", out, "--plan", "--cues", "-q")
    assert result.returncode == 0, result.stderr
    assert not list((out / "cues").glob("1M2/*.wav"))
    whole = sf.read(out / "cues" / "1M1" / "1M1 master.wav")[0]
    assert len(whole) == min(round(duration * rate), len(master))
    assert (out / "cues" / "1M1" / "my notes.txt").read_text() == "keep me"


def test_render_cues_refuses_to_replace_a_cue_file_the_user_changed(tmp_path: Path, scored) -> None:
    out = tmp_path / "out"
    shutil.copytree(scored.out_dir, out)
    assert run_cli("render", out, "--plan", "--cues", "-q").returncode == 0
    number = Plan.from_dict(json.loads((out / "plan.json").read_text())).cue_list()[0].number
    edited = out / "cues" / number / f"{number} master.wav"
    edited.write_bytes(edited.read_bytes()[:-6] + b"\x01" * 6)

    result = run_cli("render", out, "--plan", "--cues", "-q")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and "--force" in result.stderr
    assert edited.read_bytes().endswith(b"\x01" * 6)
