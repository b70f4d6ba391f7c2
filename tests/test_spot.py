"""Spotting on generated clips whose cuts, frame counts and colours are known."""

from __future__ import annotations

import base64
import json
import math
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from fc_backend.config import Config
from fc_backend.demo import make_clip
from fc_backend.errors import InputError
from fc_backend.model import VOCABULARY, Spotting, TempoMap
from fc_backend.spot import spot
from fc_backend.spot.attributes import active_area
from fc_backend.spot.motion import FlowTracker, shot_motion
from fc_backend.spot.tempo import STEP_LIMIT, base_tempo, cut_errors, fit_tempo, tempo_steps
from fc_backend.tools import require
from tests.fake_llm import fake_llm

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
        assert shot.attributes.setting is None  # test patterns: no sky, grass or water to claim one by
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


def _base_bpm(spotting: Spotting) -> float:
    """The scene's tempo the fit started from: the emotion's range, placed by the clip's motion."""
    speed = sum(s.motion_speed * s.duration for s in spotting.shots) / spotting.duration
    return base_tempo(spotting.emotion, speed)[0]


def test_cuts_land_on_beats_when_the_fit_accepts_them(spotting):
    cuts = spotting.cuts
    assert len(spotting.cut_errors) == len(cuts)
    tempo_map = spotting.tempo_map
    base = _base_bpm(spotting)
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


def test_fit_looks_ahead_to_put_a_later_cut_on_a_bar_line():
    """At 80 bpm, 7.6 s is 9, 10 or 11 beats (none a bar line) and the next 5.48 s is 7 or 8 beats.
    The nearest tempo (10 beats) leaves the second cut mid-measure; 9 beats (71 bpm) then 7 put it
    on beat 16, a bar line. Choosing span by span cannot see that; the fit chooses for all spans."""
    tempo_map = fit_tempo([7.6, 13.08], 80.0, (4, 4))
    assert tempo_map.beat_at(7.6) == pytest.approx(9.0)
    assert tempo_map.beat_at(13.08) == pytest.approx(16.0)
    assert all(abs(c.bpm - 80.0) <= 0.12 * 80.0 + 1e-9 for c in tempo_map.changes)


def test_the_tempo_steps_at_most_ten_percent_at_a_cut_where_the_cuts_allow():
    """At 100 bpm (88-112 within the tolerance) 2.162 s holds 4 beats only at 111 bpm; the next
    2.697 s holds 4 beats at 89 bpm (a bar line, nearer 100) or 5 at 111.2 bpm. The bar line would be a
    20 % jump: the fit takes 5 beats and the tempo holds."""
    cuts = [2.162, 2.162 + 2.697]
    tempo_map = fit_tempo(cuts, 100.0)
    assert cut_errors(tempo_map, cuts) == pytest.approx([0.0, 0.0], abs=1e-9)
    assert tempo_map.beat_at(cuts[1]) == pytest.approx(9.0)
    assert max(size for _, size in tempo_steps(tempo_map)) <= STEP_LIMIT + 1e-9
    # after the last cut the tempo heads back to the scene's, by no more than the limit
    assert tempo_map.changes[-1].bpm == pytest.approx(111.23 * (1 - STEP_LIMIT), abs=0.01)


def test_a_cut_only_a_jump_reaches_still_lands_on_a_beat():
    """2.0225 s after a 111 bpm span holds 3 beats only at 89 bpm: the cut is hit, the tempo jumps at
    the cut before it."""
    cuts = [2.162, 2.162 + 2.0225]
    tempo_map = fit_tempo(cuts, 100.0)
    assert cut_errors(tempo_map, cuts) == pytest.approx([0.0, 0.0], abs=1e-9)
    jumps = [(time, size) for time, size in tempo_steps(tempo_map) if size > STEP_LIMIT + 1e-9]
    assert [time for time, _ in jumps] == pytest.approx([cuts[0]])
    assert all(abs(c.bpm - 100.0) <= 12.0 + 1e-9 for c in tempo_map.changes)


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


# ------------------------------------------------------------------------------ odd and bad input


def _ffmpeg(*args: str) -> None:
    subprocess.run([require("ffmpeg"), "-v", "error", "-y", *args], check=True, capture_output=True)


@pytest.mark.slow
def test_variable_frame_rate_places_cuts_by_timestamps(tmp_path):
    """Frames 30+ are shown 0.5 s late and frames 60+ another 0.25 s: the cuts (frames 48, 84) move too."""
    path = tmp_path / "vfr.mp4"
    sources = ("testsrc2", "mandelbrot", "smptehdbars")
    inputs = []
    for source, frames in zip(sources, (48, 36, 36), strict=True):
        inputs += ["-f", "lavfi", "-i", f"{source}=size=320x180:rate={FPS},trim=end_frame={frames},"
                                        "setpts=PTS-STARTPTS"]
    _ffmpeg(*inputs, "-filter_complex",
            "[0:v][1:v][2:v]concat=n=3:v=1:a=0,"
            "setpts='PTS+if(gte(N,30),0.5/TB,0)+if(gte(N,60),0.25/TB,0)',format=yuv420p[v]",
            "-map", "[v]", "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "veryfast", str(path))
    s = spot(path)
    assert s.frame_count == 120
    assert s.cuts == pytest.approx([48 / FPS + 0.5, 84 / FPS + 0.75], abs=1e-6)
    assert s.duration == pytest.approx(120 / FPS + 0.75, abs=1e-6)
    assert s.shots[-1].end == s.duration
    assert [r.time for r in s.rhythm_spots if r.kind == "cut"] == s.cuts
    assert max(s.motion_curve.times) < s.duration


@pytest.mark.slow
def test_odd_and_tiny_frame_sizes_are_spotted(tmp_path):
    odd = tmp_path / "odd.mp4"
    _ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=320x180:rate={FPS}:duration=2,scale=321:181",
            "-c:v", "libx264", "-pix_fmt", "yuv444p", str(odd))
    s = spot(odd)
    assert (s.width, s.height) == (321, 181) and s.frame_count == 2 * FPS
    assert s.shots[0].motion_speed > 0.01
    tiny = tmp_path / "tiny.mp4"
    _ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=16x16:rate={FPS}:duration=2", "-c:v", "libx264",
            "-pix_fmt", "yuv420p", str(tiny))
    s = spot(tiny)
    assert (s.width, s.height) == (16, 16) and s.duration == pytest.approx(2.0)
    assert all(v is None or v in VOCABULARY[k] for k, v in s.shots[0].attributes.to_dict().items())


@pytest.mark.slow
def test_rotation_metadata_gives_the_displayed_size(tmp_path):
    plain = _still(tmp_path / "plain.mp4", "0x3050A0", 2.0)
    rotated = tmp_path / "rotated.mp4"
    _ffmpeg("-i", str(plain), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated))
    s = spot(rotated)
    assert (s.width, s.height) == (180, 320)
    assert s.frame_count == 2 * FPS


def test_a_single_frame_clip_is_refused_as_shorter_than_a_beat(tmp_path):
    one = tmp_path / "one.mp4"
    _ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=320x180:rate={FPS}", "-frames:v", "1", "-c:v", "libx264",
            "-pix_fmt", "yuv420p", str(one))
    with pytest.raises(InputError, match=r"one\.mp4: clip is 0\.04 s long, shorter than one beat"):
        spot(one)


def _boxed(path: Path, picture: str, pad: str) -> Path:
    _ffmpeg("-f", "lavfi", "-i", picture, "-vf", pad, "-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            str(path))
    return path


@pytest.mark.slow
def test_letterbox_bars_are_neither_darkness_nor_detail(tmp_path):
    """A 2.39:1 picture in a 16:9 frame reads like the same picture without its bars."""
    grey = f"color=c=0xC8C8C8:size=640x268:rate={FPS}"
    boxed = spot(_boxed(tmp_path / "scope.mp4", grey, "pad=640:360:0:46:black")).shots[0].attributes
    assert boxed.brightness == "bright"  # the bars would pull the mean luma to "normal"
    assert boxed.view_scale == "close-up"  # the bars' edges are not detail
    pattern = f"testsrc2=size=640x268:rate={FPS}"
    bare = spot(_boxed(tmp_path / "bare.mp4", pattern, "null")).shots[0].attributes
    scope = spot(_boxed(tmp_path / "pattern.mp4", pattern, "pad=640:360:0:46:black")).shots[0].attributes
    assert (scope.brightness, scope.hue, scope.view_scale) == (bare.brightness, bare.hue, bare.view_scale)


def test_active_area_finds_paired_bars_only():
    frame = np.full((180, 320, 3), 150, np.uint8)
    assert active_area(frame) is None
    scope = frame.copy()
    scope[:23], scope[-23:] = 0, 0
    assert active_area(scope) == (23, 157, 0, 320)
    pillar = frame.copy()
    pillar[:, :40], pillar[:, -40:] = 0, 0
    assert active_area(pillar) == (0, 180, 40, 280)
    night = frame.copy()
    night[:70] = 5  # a dark sky above a lit street: picture, not a bar
    assert active_area(night) is None
    assert active_area(np.zeros((180, 320, 3), np.uint8)) is None


# ------------------------------------------------------------------------------ what is not a cut


@pytest.mark.slow
def test_a_slow_pan_is_not_a_cut(tmp_path):
    pan = tmp_path / "pan.mp4"
    _ffmpeg("-f", "lavfi", "-i", f"mandelbrot=size=1280x360:rate={FPS}",
            "-vf", "crop=320:180:x='t*(1280-320)/3':y=90", "-t", "3", "-c:v", "libx264",
            "-pix_fmt", "yuv420p", str(pan))
    s = spot(pan)
    assert s.cuts == []
    assert s.shots[0].motion_speed > 0.05  # it does move: about a third of a frame width a second


@pytest.mark.slow
def test_a_two_frame_flash_is_an_accent_not_a_cut_and_a_cut_after_it_stays(tmp_path):
    flash = tmp_path / "flash.mp4"
    white = "drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='between(n,30,31)'"
    _ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=320x180:rate={FPS}:duration=3", "-vf", white,
            "-c:v", "libx264", "-pix_fmt", "yuv420p", str(flash))
    alone = spot(flash)
    assert alone.cuts == []
    # the flash is not a shot, but the music may accent it: an accent spot on its first frame
    accents = [r for r in alone.rhythm_spots if r.kind == "accent"]
    assert [round(r.time * FPS) for r in accents] == [30] and accents[0].strength == 0.7
    # the same flash, then a real cut 10 frames later: the cut stays
    both = tmp_path / "flash_then_cut.mp4"
    _ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=320x180:rate={FPS},trim=end_frame=42,setpts=PTS-STARTPTS",
            "-f", "lavfi", "-i", f"mandelbrot=size=320x180:rate={FPS},trim=end_frame=48,setpts=PTS-STARTPTS",
            "-filter_complex", f"[0:v]{white}[a];[a][1:v]concat=n=2:v=1:a=0,format=yuv420p[v]", "-map", "[v]",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", str(both))
    both_spotted = spot(both)
    assert both_spotted.cuts == pytest.approx([42 / FPS])
    assert [(r.kind, round(r.time * FPS)) for r in both_spotted.rhythm_spots if r.kind != "motion"] == [
        ("accent", 30), ("cut", 42)]


# ------------------------------------------------------------------------------ vision LLM


@pytest.fixture(scope="module")
def two_shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("vision") / "two.mp4"
    make_clip(path, (30, 30), fps=FPS, size=(320, 180))
    return path


def _vision_config(base_url: str) -> Config:
    config = Config(llm_base_url=base_url, llm_max_retries=1)
    config.vlm_model = "vision-test"  # read with getattr: the Config field may not exist yet
    return config


LABELS = {"setting": "city", "brightness": "dim", "hue": "blue", "behaviour": "running",
          "view_scale": "long shot", "emotion": "tense", "theme": "mystery"}


def _images(request: dict) -> list[np.ndarray]:
    parts = request["messages"][1]["content"]
    uris = [p["image_url"]["url"] for p in parts if p["type"] == "image_url"]
    assert all(u.startswith("data:image/jpeg;base64,") for u in uris)
    return [cv2.imdecode(np.frombuffer(base64.b64decode(u.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)
            for u in uris]


def test_a_vision_model_labels_every_shot_from_sampled_frames(two_shots):
    with fake_llm(lambda request: json.dumps(LABELS)) as server:
        s = spot(two_shots, _vision_config(server.base_url))
    assert len(server.requests) == len(s.shots) == 2
    for request in server.requests:
        assert request["model"] == "vision-test"
        assert request["response_format"] == {"type": "json_object"}
        images = _images(request)
        assert 1 <= len(images) <= 3 and all(i is not None and i.shape[1] == 320 for i in images)
        assert "mystery" in request["messages"][0]["content"]  # the vocabulary travels in the prompt
    assert all(shot.attributes.to_dict() == LABELS for shot in s.shots)
    assert s.emotion == "tense"


def test_bad_vision_answers_are_sent_back_then_replaced_by_the_offline_estimate(two_shots, caplog):
    offline = spot(two_shots)
    answers = iter(["the shot is nice", json.dumps({**LABELS, "emotion": "angry"}),  # shot 1: 2 bad answers
                    "{", json.dumps({**LABELS, "brightness": None})])  # shot 2: bad, then good with a null
    with fake_llm(lambda request: next(answers)) as server:
        s = spot(two_shots, _vision_config(server.base_url))
    assert len(server.requests) == 4
    retry = server.requests[1]["messages"]
    assert retry[2] == {"role": "assistant", "content": "the shot is nice"}
    assert "not usable" in retry[3]["content"] and "JSON" in retry[3]["content"]
    assert s.shots[0].attributes == offline.shots[0].attributes
    assert "offline estimate is used" in caplog.text
    # a measured attribute the model leaves null keeps the pixels' answer
    assert s.shots[1].attributes.brightness == offline.shots[1].attributes.brightness
    assert s.shots[1].attributes.theme == "mystery"


def test_a_failing_or_absent_vision_endpoint_leaves_the_offline_estimate(two_shots, caplog):
    offline = spot(two_shots)

    def crash(request: dict) -> str:
        raise RuntimeError("out of memory")

    with fake_llm(crash) as server:
        s = spot(two_shots, _vision_config(server.base_url))
    assert len(server.requests) == 4  # HTTP 500 each time: retried, then the offline labels
    assert [shot.attributes for shot in s.shots] == [shot.attributes for shot in offline.shots]
    with fake_llm(crash) as server:
        closed = server.base_url
    caplog.clear()
    s = spot(two_shots, _vision_config(closed))
    assert [shot.attributes for shot in s.shots] == [shot.attributes for shot in offline.shots]
    assert caplog.text.count("cannot be reached") == 1  # asked once, not once per shot


def test_decoding_ahead_gives_the_frames_in_order_and_stops_cleanly(clip):
    """The background decoder hands over every frame, raises the caller's errors and never outlives it."""
    import threading

    from fc_backend.spot.video import frames, frames_ahead, open_video

    plain = [(frame[::40, ::40].copy(), stamp) for frame, stamp in frames(open_video(clip[0])[0])]
    ahead = list(frames_ahead(open_video(clip[0])[0], lambda f: f[::40, ::40].copy(), depth=2))
    assert len(ahead) == len(plain) > 100
    for (_frame, small, stamp), (expected, expected_stamp) in zip(ahead, plain, strict=True):
        assert stamp == expected_stamp and np.array_equal(small, expected)

    def broken(frame: np.ndarray) -> np.ndarray:
        raise ValueError("prepare failed")

    with pytest.raises(ValueError, match="prepare failed"):
        list(frames_ahead(open_video(clip[0])[0], broken))
    stream = frames_ahead(open_video(clip[0])[0], lambda f: f, depth=2)
    next(stream)
    stream.close()  # the caller stops after one frame
    assert not any(t.name == "fc-decode" for t in threading.enumerate())


def test_still_picker_keeps_few_frames_and_picks_a_little_after_each_cut():
    """Memory stays flat however long the clip: only the opening second of the current shot is held."""
    from fc_backend.spot.stills import StillPicker

    fps, shot_frames, shots = 25, 200, 40
    picker = StillPicker(width=8)
    most = 0
    for index in range(shot_frames * shots):
        picker.feed(index, index / fps, np.full((4, 8, 3), index % 256, np.uint8))
        if index % shot_frames == 6 and index > shot_frames:  # the detector confirms cuts 6 frames late
            picker.cut(index - 6)
        most = max(most, len(picker._kept))
    assert most <= fps + picker.lag + 2
    bounds = [(k * shot_frames / fps, (k + 1) * shot_frames / fps) for k in range(shots)]
    stills = picker.finish(bounds)
    assert len(stills) == shots and all(s is not None for s in stills)
    # each still is the frame 1 s (25 frames) after its cut
    assert [int(s[0, 0, 0]) for s in stills] == [(k * shot_frames + fps) % 256 for k in range(shots)]


def test_asking_for_a_hardware_decoder_falls_back_to_the_same_frames(clip):
    """Where OpenCV's FFmpeg has no hardware decoder (as here) the request changes nothing."""
    from fc_backend.spot.video import frames, open_video

    software = [frame for frame, _ in frames(open_video(clip[0], hardware=False)[0])]
    hardware = [frame for frame, _ in frames(open_video(clip[0], hardware=True)[0])]
    assert len(hardware) == len(software) > 100
    assert all(np.array_equal(a, b) for a, b in zip(hardware, software, strict=True))
    assert spot(clip[0], Config(hardware_decode=False)).cuts == spot(clip[0]).cuts


def test_a_bounce_is_an_impact_though_the_speed_never_drops():
    """A texture pans right, then left at the same speed: the magnitude stays flat, the directogram's
    rightward bin falls at the turn, and that is the one motion spot (CMT's visual beat)."""
    from fc_backend.spot.rhythm import motion_spots

    tracker = FlowTracker(FPS, flow_fps=8, width=160)
    texture = _texture(3)
    turn = 36
    for index in range(72):
        x = 2 * index if index <= turn else 2 * (2 * turn - index)
        tracker.feed(index, np.ascontiguousarray(texture[:, 100 + x: 100 + x + 320]))
    curve = tracker.curve()
    assert curve.values == pytest.approx([0.15] * len(curve.values), rel=0.25)
    assert len(curve.impacts) == len(curve.values)
    strongest = int(np.argmax(curve.impacts))
    assert abs(curve.times[strongest] - turn / FPS) <= 2 / 8  # within two flow samples of the turn
    assert curve.impacts[strongest] > 0.1 and sorted(curve.impacts)[-3] < 0.03
    spots = motion_spots(curve, [])
    assert [round(s.time * FPS) for s in spots] == pytest.approx([turn], abs=6)
    # the speed alone would have seen nothing
    assert motion_spots(type(curve)(curve.times, curve.values), []) == []


def test_accents_and_impacts_near_a_stronger_spot_are_the_same_event():
    from fc_backend.model import MotionCurve
    from fc_backend.spot.rhythm import rhythm_spots

    spots = rhythm_spots([2.0], MotionCurve(), accents=[1.9, 3.0, 3.1, 5.0])
    assert [(s.kind, s.time) for s in spots] == [("cut", 2.0), ("accent", 3.0), ("accent", 5.0)]
