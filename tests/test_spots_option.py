"""`score --spots FILE`: a person's rhythm spots replace the detected ones, and the cuts follow them."""

from __future__ import annotations

import json

import pretty_midi
import pytest

from fc_backend.cli import main
from fc_backend.errors import InputError
from fc_backend.model import Plan, RhythmSpot, Spotting
from fc_backend.spot import spot
from tests.conftest import CLIP_FPS
from tests.test_spot import _base_bpm, _reachable


@pytest.fixture(scope="module")
def detected(clip) -> Spotting:
    return spot(clip[0])


def _edited(detected: Spotting) -> tuple[list[dict], list[float]]:
    """Delete the first cut, move the second 2.4 frames later, add a cut at 6.0 s and an accent at 8.0 s.

    Returns the spot list and the cuts it implies (the moved one snapped to its nearest frame).
    """
    cuts = detected.cuts
    moved = cuts[1] + 2.4 / CLIP_FPS
    spots = [s.to_dict() for s in detected.rhythm_spots if s.kind != "cut"]
    spots += [{"time": moved, "strength": 1.0, "kind": "cut"}, {"time": 6.0, "strength": 0.9, "kind": "cut"},
              {"time": 8.0, "strength": 0.6, "kind": "accent"}]
    spots += [{"time": c, "strength": 1.0, "kind": "cut"} for c in cuts[2:]]
    expected = sorted([round(moved * CLIP_FPS) / CLIP_FPS, 6.0, *cuts[2:]])
    return spots, expected


def test_user_cuts_become_the_shots_and_the_tempo_map_hits_them(clip, detected, tmp_path):
    spots, expected = _edited(detected)
    path = tmp_path / "spots.json"
    path.write_text(json.dumps(spots))
    s = spot(clip[0], rhythm_spots=path)
    assert s.cuts == pytest.approx(expected, abs=1e-9)
    assert [r.time for r in s.rhythm_spots if r.kind == "cut"] == s.cuts
    assert any(r.kind == "accent" and r.time == 8.0 for r in s.rhythm_spots)
    assert s.shots[0].start == 0.0 and s.shots[-1].end == s.duration == detected.duration
    # the tempo map is fitted to the new cuts: those a whole number of beats can reach sit on beats
    assert len(s.cut_errors) == len(s.cuts)
    base = _base_bpm(s)
    reachable = _reachable(s.cuts, base)
    assert sum(reachable) >= 2
    for cut, error, reached in zip(s.cuts, s.cut_errors, reachable, strict=True):
        assert (abs(error) < 1e-6) == reached, f"cut {cut:.3f} s: error {error:+.3f} s"
    # motion is measured over the new shots: the merged first shot spans what two shots were
    merged = s.shots[0]
    assert merged.end == pytest.approx(expected[0])
    assert merged.attributes.emotion is not None


def test_a_spotting_json_given_back_changes_nothing(clip, detected, tmp_path):
    path = tmp_path / "spotting.json"
    detected.save(path)
    again = spot(clip[0], rhythm_spots=path)
    assert again.cuts == detected.cuts
    assert again.rhythm_spots == detected.rhythm_spots
    assert again.tempo_map == detected.tempo_map and again.cut_errors == detected.cut_errors


@pytest.mark.parametrize("content, problem", [
    ("[{]", "not valid JSON"),
    ('{"spots": []}', "neither a list of rhythm spots"),
    ('[{"time": 1.0, "strength": 1.0, "kind": "boom"}]', "rhythm spot 1: rhythm spot kind must be one of"),
    ('[{"time": 1.0, "strength": 2.0}]', "rhythm spot 1: rhythm spot strength must be in"),
    ('[{"time": -1.0, "strength": 0.5}]', "rhythm spot 1: time must be seconds >= 0"),
    ('[{"time": 1.0, "strength": 0.5, "when": 2}]', "rhythm spot 1: RhythmSpot: unknown key 'when'"),
    ('[{"time": 99.0, "strength": 1.0, "kind": "cut"}]', "cut spot at 99.000 s is past the clip's end"),
    ('[{"time": 0.0, "strength": 1.0, "kind": "cut"}]', "a cut must fall inside the clip"),
])
def test_a_bad_spots_file_is_one_line_naming_it(clip, tmp_path, content, problem):
    path = tmp_path / "bad_spots.json"
    path.write_text(content)
    with pytest.raises(InputError) as info:
        spot(clip[0], rhythm_spots=path)
    message = str(info.value)
    assert message.startswith(str(path)) and problem in message and "\n" not in message


def test_score_spots_on_the_command_line(clip, detected, tmp_path, capsys):
    spots, expected = _edited(detected)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(spots))
    out = tmp_path / "out"
    assert main(["score", str(clip[0]), "-o", str(out), "--spots", str(path), "-q"]) == 0
    written = Spotting.load(out / "spotting.json")
    assert written.cuts == pytest.approx(expected, abs=1e-9)
    plan = Plan.load(out / "plan.json")
    assert [m.time for m in plan.markers if m.kind == "cut"] == pytest.approx(expected, abs=1e-9)
    assert any(m.kind == "accent" and m.time == 8.0 for m in plan.markers)
    melody = pretty_midi.PrettyMIDI(str(out / "melody.mid"))
    onsets = [n.start for inst in melody.instruments for n in inst.notes]
    for cut, error in zip(written.cuts, written.cut_errors, strict=True):
        if abs(error) < 1e-6:
            assert min(abs(o - cut) for o in onsets) < 0.005, f"no melody onset at the user's cut {cut:.3f} s"

    missing = tmp_path / "nowhere.json"
    assert main(["score", str(clip[0]), "-o", str(tmp_path / "out2"), "--spots", str(missing), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"filmcomposer: error: {missing}: no such file"
    assert not (tmp_path / "out2").exists()


def test_stills_follow_the_user_shots(clip, detected, tmp_path):
    """With edited spots the stills are of the person's shots: one each, each like its own shot."""
    import cv2
    import numpy as np

    spots, _expected = _edited(detected)
    s = spot(clip[0], rhythm_spots=[*map(RhythmSpot.from_dict, spots)], stills_to=tmp_path / "stills")
    files = sorted((tmp_path / "stills").iterdir())
    assert [f.name for f in files] == [f"shot_{n:03d}.jpg" for n in range(1, len(s.shots) + 1)]
    stills = [cv2.imread(str(f)).astype(float) for f in files]
    capture = cv2.VideoCapture(str(clip[0]))
    frames = []
    for shot in s.shots:
        capture.set(cv2.CAP_PROP_POS_FRAMES, int((shot.start + min(shot.duration / 2, 1.0)) * s.fps))
        ok, frame = capture.read()
        assert ok
        h, w = stills[0].shape[:2]
        frames.append(cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA).astype(float))
    capture.release()
    for i, still in enumerate(stills):
        nearest = int(np.argmin([np.abs(still - frame).mean() for frame in frames]))
        assert nearest == i, f"still {i + 1} looks like shot {nearest + 1}"
