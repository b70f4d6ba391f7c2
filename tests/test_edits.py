"""Edits to scheme.json are honoured by render: instrument names follow, stems still add up to the master."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from fc_backend.config import Config
from fc_backend.pipeline import render
from fc_backend.schemes import load_instruments


def _edited(scored, tmp_path: Path, edit) -> Path:  # noqa: ANN001
    out = tmp_path / "out"
    shutil.copytree(scored.out_dir, out)
    scheme = json.loads((out / "scheme.json").read_text())
    edit(scheme)
    (out / "scheme.json").write_text(json.dumps(scheme))
    return out


def test_a_changed_instrument_renames_the_track_its_stem_and_the_rpp(scored, tmp_path: Path) -> None:
    library = load_instruments()

    def edit(scheme: dict) -> None:
        scheme["tracks"][0]["instrument"] = "solo_violin"
        scheme["tracks"][1]["instrument"] = "harp"
        scheme["tracks"][1]["name"] = "My Harp"

    out = _edited(scored, tmp_path, edit)
    old_names = [t["name"] for t in json.loads((out / "plan.json").read_text())["tracks"]]
    violin = "solo_violin"
    render(out, Config(), show_progress=False)
    plan = json.loads((out / "plan.json").read_text())
    assert plan["tracks"][0]["name"] == library[violin].name
    assert plan["tracks"][1]["name"] == "My Harp"  # the user's own name stays
    stems = {p.name for p in (out / "stems").iterdir()}
    assert f"{library[violin].name.replace(' ', '_')}.wav" in stems and "My_Harp.wav" in stems
    assert f"{old_names[0].replace(' ', '_')}.wav" not in stems  # our old stem of that track is gone
    rpp = (out / "project.rpp").read_text()
    assert f'NAME "{library[violin].name}"' in rpp and f'NAME "{old_names[0]}"' not in rpp


ARRANGEMENTS = {
    "celesta_pad_harp": ["celesta", "synth_pad_warm", "harp"],
    "strings": ["violins_1", "violas", "cellos"],
    "brass_and_timpani": ["french_horns", "trombones", "timpani"],
}


@pytest.mark.parametrize("name", sorted(ARRANGEMENTS))
def test_stems_sum_to_the_master_for_every_arrangement(scored, tmp_path: Path, name: str) -> None:
    """Summed as they are (no filter), the stems are the master wherever the limiter did not act."""
    library = load_instruments()
    keys = ARRANGEMENTS[name]
    assert set(keys) <= set(library)

    def edit(scheme: dict) -> None:
        for track, key in zip(scheme["tracks"], keys * 4, strict=False):
            track["instrument"] = key
            track["reverb_space"] = 0.6

    out = _edited(scored, tmp_path, edit)
    render(out, Config(loudness=-24.0), show_progress=False)
    total = sum(sf.read(p, dtype="float64")[0] for p in (out / "stems").iterdir())
    master, _ = sf.read(out / "master.wav", dtype="float64")
    assert total.shape == master.shape
    error = 10 * math.log10(np.mean((total - master) ** 2) / np.mean(master**2))
    assert error < -60, f"stems differ from the master by {error:.1f} dB"
    level = 10 * math.log10(np.mean(total**2) / np.mean(master**2))
    assert abs(level) < 0.01


def test_reroll_plans_on_the_edited_scheme_and_keeps_it(scored, tmp_path: Path) -> None:
    from fc_backend.pipeline import reroll

    def edit(scheme: dict) -> None:
        scheme["tracks"][0]["panning"] = -0.9

    out = _edited(scored, tmp_path, edit)
    edited = (out / "scheme.json").read_bytes()
    melody_before = (out / "melody.json").read_bytes()
    reroll(out, 2.0, 4.0, Config(), seed=7, show_progress=False)
    assert (out / "scheme.json").read_bytes() == edited
    assert (out / "melody.json").read_bytes() != melody_before
    assert json.loads((out / "plan.json").read_text())["tracks"][0]["pan"] == pytest.approx(-0.9)
