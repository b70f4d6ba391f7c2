"""Spotting on generated clips whose cuts, frame counts and colours are known."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from fc_backend.demo import make_clip
from fc_backend.errors import InputError
from fc_backend.model import VOCABULARY, Spotting, TempoMap
from fc_backend.spot import spot
from fc_backend.spot.motion import FlowTracker, shot_motion
from fc_backend.spot.tempo import cut_errors, fit_tempo
from fc_backend.tools import require

FPS = 24
#: includes 8-frame shots, one right at the start and one between two long ones
SHOT_FRAMES = (8, 30, 40, 8, 50, 24, 30, 12)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[float]]:
    path = tmp_path_factory.mktemp("spot") / "shots.mp4"
    cuts = make_clip(path, SHOT_FRAMES, fps=FPS, size=(320, 180))
    return path, cuts


@pytest.fixture(scope="module")
def spotting(clip: tuple[Path, list[float]]) -> Spotting:
    return spot(clip[0])


def _lavfi(path: Path, source: str, *codec: str) -> Path:
    subprocess.run([require("ffmpeg"), "-v", "error", "-y", "-f", "lavfi", "-i", source, *codec, str(path)],
                   check=True, capture_output=True)
    return path


def _still(path: Path, colour: str, seconds: float = 3.0) -> Path:
    return _lavfi(path, f"color=c={colour}:size=320x180:rate={FPS}:duration={seconds}",
                  "-c:v", "libx264", "-pix_fmt", "yuv420p")


def test_every_cut_found_within_a_frame_and_no_false_cut(clip, spotting):
    _, truth = clip
    found = spotting.cuts
    assert len(found) == len(truth), f"expected cuts at {truth}, found {found}"
    for want, got in zip(truth, found, strict=True):
        assert abs(got - want) <= 1.0 / FPS + 1e-9, f"cut at {want} s found at {got} s"


def test_shots_cover_the_clip_and_duration_is_counted_frames(spotting):
    assert spotting.frame_count == sum(SHOT_FRAMES)
    assert spotting.fps == FPS
    assert spotting.duration == pytest.approx(sum(SHOT_FRAMES) / FPS)
    assert spotting.shots[0].start == 0.0
    assert spotting.shots[-1].end == spotting.duration
    for a, b in zip(spotting.shots, spotting.shots[1:], strict=False):
        assert a.end == b.start and a.duration > 0
    assert (spotting.width, spotting.height) == (320, 180)


def test_motion_is_measured_per_shot(spotting):
    curve = spotting.motion_curve
    assert len(curve.times) == len(curve.values) > 0
    # the demo's sources move, the automata and the rotating bars differently: speeds differ per shot
    speeds = [s.motion_speed for s in spotting.shots]
    assert max(speeds) > 0.005 and max(speeds) > 3 * min(speeds)
    assert all(s.motion_saliency >= 0.0 for s in spotting.shots)


def _texture(seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).integers(0, 256, (180, 320 + 200), dtype=np.uint8)
    return cv2.cvtColor(cv2.GaussianBlur(noise, (0, 0), 3), cv2.COLOR_GRAY2BGR)


def test_flow_measures_known_motion_and_restarts_at_a_cut():
    """A texture panning 2 px a frame at 320 px wide moves 2 * 24 / 320 = 0.15 frame widths a second."""
    tracker = FlowTracker(FPS, flow_fps=8, width=160)
    first, second = _texture(1), _texture(2)
    for index in range(40):
        image = first if index < 12 else second
        tracker.feed(index, np.ascontiguousarray(image[:, 2 * index: 2 * index + 320]))
        if index == 14:  # the detector reports the cut at frame 12 two frames late
            tracker.cut(12)
    assert all(not s.start < 12 <= s.end for s in tracker.samples)
    assert any(s.start == 12 for s in tracker.samples)
    assert [s.magnitude for s in tracker.samples] == pytest.approx([0.15] * len(tracker.samples), rel=0.2)
    speed, saliency = shot_motion(tracker.curve(), 0.0, 12 / FPS)
    assert speed == pytest.approx(0.15, rel=0.2) and saliency < 0.02


def test_attributes_use_the_vocabulary_only(spotting):
    for shot in spotting.shots:
        for name, value in shot.attributes.to_dict().items():
            assert value is None or value in VOCABULARY[name], (name, value)
        assert shot.attributes.brightness and shot.attributes.hue and shot.attributes.emotion
        assert shot.attributes.view_scale
        assert shot.attributes.setting is None and shot.attributes.theme is None
    assert spotting.emotion in VOCABULARY["emotion"]
    weights: dict[str, float] = {}
    for shot in spotting.shots:
        weights[shot.attributes.emotion] = weights.get(shot.attributes.emotion, 0.0) + shot.duration
    assert weights[spotting.emotion] == max(weights.values())


def test_rhythm_spots_mark_every_cut_and_keep_motion_away_from_cuts(spotting):
    cut_spots = [s.time for s in spotting.rhythm_spots if s.kind == "cut"]
    assert cut_spots == spotting.cuts
    for s in spotting.rhythm_spots:
        if s.kind == "motion":
            assert 0.3 <= s.strength <= 0.8
            assert all(abs(s.time - c) >= 0.25 for c in spotting.cuts)
    times = [s.time for s in spotting.rhythm_spots]
    assert times == sorted(times)


def _reachable(cuts: list[float], bpm: float, tolerance: float = 0.12) -> list[bool]:
    """Which cuts a whole number of beats within the tolerance can reach from the last reached one."""
    anchor, out = 0.0, []
    for cut in cuts:
        span = cut - anchor
        ok = any(abs(60.0 * n / span - bpm) <= tolerance * bpm + 1e-9
                 for n in range(1, int(span * bpm / 60.0 * 2) + 2))
        out.append(ok)
        if ok:
            anchor = cut
    return out


def test_cuts_land_on_beats_when_the_fit_accepts_them(spotting):
    cuts = spotting.cuts
    assert len(spotting.cut_errors) == len(cuts)
    tempo_map = spotting.tempo_map
    base = tempo_map.changes[-1].bpm
    beats = tempo_map.beat_times(spotting.duration)
    for cut, error, reachable in zip(cuts, spotting.cut_errors, _reachable(cuts, base), strict=True):
        nearest = min(beats, key=lambda b: abs(b - cut))
        assert error == pytest.approx(cut - nearest, abs=1e-9)
        if reachable:
            assert abs(error) < 1e-3, f"cut at {cut} s is {error} s off the beat"
    assert any(abs(e) < 1e-3 for e in spotting.cut_errors)
    for change in tempo_map.changes:
        assert abs(change.bpm - base) <= 0.12 * base + 1e-9


def test_fit_prefers_downbeats_and_leaves_unreachable_cuts_off_grid():
    # at 80 bpm a beat is 0.75 s: 3.0 s is one 4/4 measure, 0.3 s is too short for any beat,
    # and 4.6 s is 2 beats after 3.0 at 75 bpm (within 12%) though not on a downbeat
    tempo_map = fit_tempo([0.3, 3.0, 4.6, 9.0], 80.0, (4, 4))
    assert tempo_map.measure_start(2) == pytest.approx(3.0)
    errors = cut_errors(tempo_map, [0.3, 3.0, 4.6, 9.0])
    assert abs(errors[0]) > 0.1
    assert errors[1:] == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)
    # 9.0 s: after the off-downbeat cut the fit returns to the bar line when it can
    assert tempo_map.beat_at(9.0) % 4 == pytest.approx(0.0, abs=1e-9)
    # 5.6 s could take 7 beats (75 bpm) or 8 (85.7 bpm): the bar line wins within the tolerance
    assert fit_tempo([5.6], 80.0, (4, 4)).beat_at(5.6) == pytest.approx(8.0)
    triple = fit_tempo([2.25], 80.0, (3, 4))
    assert triple.measure_start(2) == pytest.approx(2.25)
    assert fit_tempo([], 90.0).changes == TempoMap.constant(90.0).changes


def test_spotting_round_trips_through_json(spotting):
    assert Spotting.from_json(spotting.to_json()) == spotting


def test_still_clip_is_one_shot_without_motion(tmp_path):
    s = spot(_still(tmp_path / "white.mp4", "white"))
    assert len(s.shots) == 1 and s.cuts == [] and s.cut_errors == []
    assert s.shots[0].motion_speed < 1e-3
    assert [r for r in s.rhythm_spots] == []
    assert s.shots[0].attributes.brightness == "bright" and s.shots[0].attributes.hue == "neutral"
    assert len(s.tempo_map.changes) == 1


def test_colour_and_darkness_are_seen(tmp_path):
    red = spot(_still(tmp_path / "red.mp4", "0xE02020", 2.0)).shots[0].attributes
    assert red.hue == "red"
    dark = spot(_still(tmp_path / "night.mp4", "0x101830", 2.0)).shots[0].attributes
    assert dark.brightness == "dark"


def test_bad_inputs_name_the_file(tmp_path, clip):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n")
    audio = _lavfi(tmp_path / "tone.m4a", "sine=frequency=440:duration=1", "-c:a", "aac")
    audio_mp4 = _lavfi(tmp_path / "tone.mp4", "sine=frequency=440:duration=1", "-c:a", "aac")
    truncated = tmp_path / "truncated.mp4"
    data = clip[0].read_bytes()
    truncated.write_bytes(data[: len(data) // 3])
    for bad in (tmp_path / "missing.mp4", empty, text, audio, audio_mp4, truncated):
        with pytest.raises(InputError) as info:
            spot(bad)
        message = str(info.value)
        assert bad.name in message and "\n" not in message


def test_clip_shorter_than_a_beat_is_refused(tmp_path):
    short = _still(tmp_path / "blink.mp4", "white", 0.2)
    with pytest.raises(InputError, match=r"blink\.mp4: clip is 0\.\d+ s long, shorter than one beat"):
        spot(short)


def test_progress_is_reported(clip):
    seen: list[float] = []
    spot(clip[0], progress=seen.append)
    assert seen and seen[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in seen)
    assert seen == sorted(seen) and not math.isnan(sum(seen))
