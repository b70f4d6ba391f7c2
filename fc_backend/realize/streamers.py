"""Streamers and punches: the cue marks a player reads while recording to picture.

A streamer is a vertical bar that sweeps across the picture for 2 s and ends in a punch (a flash of
a disc) on the hit frame; green marks a cue's start, yellow a hit inside it, red its end (the
convention of scoring stages). REAPER draws them live with its video processor, whose code this
module writes: each event is one line that runs only near its time, using the documented variables
`project_time`, `framerate`, `project_w`, `project_h` and the functions `gfx_blit`, `gfx_set` and
`gfx_fillrect` (../shared/reference/reaper-docs/video-processor-api.md).
"""

from __future__ import annotations

from ..model import RHYTHM_SPOT_KINDS, Note, Plan, PlanTrack

#: (r, g, b) of a streamer and its punch, by what it announces
COLORS = {"start": (0.0, 1.0, 0.0), "hit": (1.0, 1.0, 0.0), "end": (1.0, 0.0, 0.0)}
#: seconds a streamer takes to cross the picture
LENGTH = 2.0
NAME = "FC Streamers"


def streamer_events(plan: Plan) -> list[tuple[float, str]]:
    """(project time, "start" | "hit" | "end") for every cue start and end and every hit, in time order."""
    events = []
    for cue in plan.cue_list():
        events += [(cue.start, "start"), (cue.end, "end")]
    events += [(m.time, "hit") for m in plan.markers if m.kind in RHYTHM_SPOT_KINDS]
    return sorted(events)


def _n(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".") or "0"


def streamer_code(events: list[tuple[float, str]], *, length: float = LENGTH) -> list[str]:
    """The video processor's EEL2 code, one line a statement: the picture below passed through, then
    per event a streamer over the `length` seconds before it and a punch on the frame it falls on."""
    lines = ["// FilmComposer streamers and punches",
             f"//@param 1:len 'Streamer seconds' {_n(length)} 0.5 8 2 0.1",
             "gfx_blit(0, 1);",
             "t = project_time;",
             "f = 0.5 / framerate;",
             "bar = project_w / 80 + 2;",
             "r = project_h / 10;"]
    for time, kind in events:
        color = ", ".join(_n(c) for c in COLORS[kind])
        at = _n(time)
        lines.append(f"(t >= {at} - len && t < {at} - f) ? (gfx_set({color}, 0.85);"
                     f" gfx_fillrect((t - {at} + len) / len * project_w - bar, 0, bar, project_h));")
        lines.append(f"(abs(t - {at}) < f) ? (gfx_set({color}, 0.6);"
                     f" gfx_fillrect(project_w / 2 - r, project_h / 2 - r, 2 * r, 2 * r));")
    return lines


def video_processor(code: list[str]) -> list[str]:
    """The FX chain entry as REAPER saves a video processor: header, <CODE with '|' lines, CODEPARM."""
    params = " ".join(["2.0000000000"] + ["0.0000000000"] * 39)
    return ['VIDEO_EFFECT "Video processor" ""', "<CODE", *("|" + line for line in code), ">",
            f"CODEPARM {params}"]


CLICK_NAME = "FC Click"


def click_track(plan: Plan) -> PlanTrack:
    """A click on every beat of the tempo map (a higher one on downbeats) for players recording to
    picture; the .RPP writes it muted, to be unmuted into the players' headphones."""
    tm = plan.tempo_map
    notes = []
    for time in tm.beat_times(plan.duration):
        bar = tm.beat_at(time) / tm.beats_per_measure
        downbeat = abs(bar - round(bar)) < 1e-6
        notes.append(Note(76 if downbeat else 77, time, time + 0.06, 110 if downbeat else 80))
    return PlanTrack(CLICK_NAME, "click", "woodblock", 115, ["ReaSynth"], notes, is_drum=True,
                     reverb_send=0.0)
