"""Streamers and punches: REAPER's video processor code, run frame by frame, marks every hit on its frame."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import rpp

from fc_backend.model import Cue, Marker, Plan, TempoMap, Timecode
from fc_backend.realize.rpp import project_text
from fc_backend.realize.streamers import CLICK_NAME, COLORS, NAME, streamer_code, streamer_events

DOCS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "reaper-docs" / "video-processor-api.md"
#: what the code calls, each documented for the video processor (gfx_*) or in its EEL2 appendix (abs)
USED_FUNCTIONS = {"gfx_blit", "gfx_set", "gfx_fillrect", "abs"}
#: the special variables it reads, each documented under "Special Variables Used by Processors"
USED_VARIABLES = {"project_time", "framerate", "project_w", "project_h"}
RATE = Fraction(30000, 1001)


def _plan() -> Plan:
    markers = [Marker(float(Fraction(75) / RATE), "cut 1", "cut"),
               Marker(float(Fraction(140) / RATE), "hit", "accent")]
    return Plan(6.0, TempoMap.constant(100.0), None, [], markers, timecode=Timecode("30000/1001", True),
                cues=[Cue("1M1", float(Fraction(30) / RATE), float(Fraction(170) / RATE))], streamers=True)


def test_the_code_uses_only_documented_functions_and_variables() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_0-9]+)\(", docs))
    code = "\n".join(line for line in streamer_code(streamer_events(_plan())) if not line.startswith("//"))
    called = set(re.findall(r"\b([a-z_][a-z_0-9]*)\s*\(", code))
    assert called == USED_FUNCTIONS and called <= documented
    for name in USED_VARIABLES:
        assert f"`{name}`" in docs and name in code


class _Frame:
    """Runs the generated code (its own small statement forms) for one frame; records the drawing."""

    def __init__(self, time: float, fps: float, width: int = 640, height: int = 360) -> None:
        self.calls: list[tuple] = []
        self.scope = {"project_time": time, "framerate": fps, "project_w": width, "project_h": height,
                      "abs": abs, "gfx_blit": lambda *a: self.calls.append(("blit", *a)),
                      "gfx_set": lambda *a: self.calls.append(("set", *a)),
                      "gfx_fillrect": lambda *a: self.calls.append(("rect", *a))}

    def run(self, code: list[str]) -> list[tuple]:
        for line in code:
            param = re.match(r"//@param \d+:(\w+) '[^']*' ([\d.]+)", line)
            if param:
                self.scope[param.group(1)] = float(param.group(2))
            elif line.startswith("//"):
                continue
            elif conditional := re.fullmatch(r"\((.*)\) \? \((.*)\);", line):
                if eval(conditional.group(1).replace("&&", " and "), self.scope):  # noqa: S307
                    for statement in conditional.group(2).split("; "):
                        exec(statement, self.scope)  # noqa: S102
            else:
                exec(line.rstrip(";"), self.scope)  # noqa: S102
        return self.calls


def test_each_punch_lands_on_its_hit_frame_after_a_two_second_streamer() -> None:
    plan = _plan()
    code = streamer_code(streamer_events(plan))
    fps = float(RATE)
    punches: dict[int, list[tuple]] = {}
    streamer_frames: dict[tuple, list[int]] = {}
    for frame in range(0, 200):
        calls = _Frame(float(Fraction(frame) / RATE), fps).run(code)
        assert calls[0] == ("blit", 0, 1)  # the picture below passes through first
        colour = None
        for call in calls[1:]:
            if call[0] == "set":
                colour = call[1:4]
            elif call[2] == 0:  # a full-height bar: a streamer
                streamer_frames.setdefault(colour, []).append(frame)
            else:  # the centred disc: a punch
                punches.setdefault(frame, []).append(colour)
    hit_frames = {75: COLORS["hit"], 140: COLORS["hit"], 30: COLORS["start"], 170: COLORS["end"]}
    assert punches == {frame: [colour] for frame, colour in hit_frames.items()}
    # the yellow streamers run through the 2 s (60 frames at 29.97) before each hit, not on it
    yellow = streamer_frames[COLORS["hit"]]
    assert set(range(76 - 60, 75)) <= set(yellow) and 75 not in yellow and 140 not in yellow
    assert set(range(141 - 60, 140)) <= set(yellow) and not set(range(0, 15)) & set(yellow)


def test_the_streamer_track_sits_above_the_picture_in_the_project() -> None:
    plan = _plan()
    root = rpp.loads(project_text(plan, video="clip.mov", timestamp=0))
    tracks = root.findall("TRACK")
    assert tracks[0].find("NAME")[1] == NAME and tracks[1].find("NAME")[1] == "Video"
    effect = tracks[0].find("FXCHAIN").find("VIDEO_EFFECT")
    assert list(effect.attrib) == ["Video processor", ""]
    code = [line if isinstance(line, str) else " ".join(line) for line in effect.find("CODE").children]
    assert code[0] == "|// FilmComposer streamers and punches" and len(code) == len(streamer_code(
        streamer_events(plan)))
    assert Plan.from_json(plan.to_json()).streamers is True


def test_a_click_track_on_every_beat_is_written_muted() -> None:
    plan = _plan()
    root = rpp.loads(project_text(plan, timestamp=0))
    (click,) = [t for t in root.findall("TRACK") if t.find("NAME")[1] == CLICK_NAME]
    assert click.find("MUTESOLO")[1] == "1"
    events = click.find(".//SOURCE").findall("E")
    ons = [e for e in events if int(e[2], 16) & 0xF0 == 0x90 and int(e[4], 16) > 0]
    assert len(ons) == len(plan.tempo_map.beat_times(plan.duration)) == 11  # 6 s at 100 bpm: beats 0..10
    assert sum(int(e[3], 16) == 76 for e in ons) == 3  # the downbeats of bars 1, 2 and 3
