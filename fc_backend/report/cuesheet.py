"""The cue sheet: what a music editor files and a performing-rights society pays from.

One row per cue: its number (1M1), title, SMPTE in and out and duration in the picture's timecode
(seconds beside them), usage (BI, background instrumental, unless told), composer and publisher,
and every hit inside it with its bar|beat and how many frames it lands off the nearest beat.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from ..model import RHYTHM_SPOT_KINDS, Cue, Plan, TempoMap, Timecode
from ..timecode import frames_to_tc

COLUMNS = ("cue", "title", "in", "out", "duration", "in_s", "out_s", "usage", "composer", "publisher", "hits")
#: background instrumental: the usage code of underscore
USAGE = "BI"


def bar_beat(tempo_map: TempoMap, time: float) -> str:
    """'3|1' for the first beat of measure 3; an off-beat position keeps two decimals ('3|2.5')."""
    position = tempo_map.beat_at(time)
    if abs(position - round(position)) < 1e-6:  # a hit on a beat, a hair early in float (a film's merged
        position = float(round(position))      # tempo map): the beat, not "beat 5" of the bar before
    measure = int(math.floor(position / tempo_map.beats_per_measure)) + 1
    beat = position - (measure - 1) * tempo_map.beats_per_measure + 1
    whole = round(beat)
    return f"{measure}|{whole}" if abs(beat - whole) < 1e-6 else f"{measure}|{beat:.2f}"


def frames_off_beat(tempo_map: TempoMap, clock: Timecode, time: float) -> float:
    """Frames from the nearest beat to `time` (positive: the hit comes after the beat)."""
    beat = tempo_map.beat_at(time)
    nearest = min((tempo_map.time_at(b) for b in (math.floor(beat), math.ceil(beat))),
                  key=lambda t: abs(time - t))
    return clock.frames_off(time, nearest)


def hit_text(plan: Plan, kind: str, time: float) -> str:
    """One hit as the cue sheet and the report show it: '01:00:01;15 cut 2|1 +0.0 fr'."""
    clock = plan.clock()
    off = frames_off_beat(plan.tempo_map, clock, time)
    return f"{clock.label(time)} {kind} {bar_beat(plan.tempo_map, time)} {off:+.1f} fr"


def cue_row(plan: Plan, cue: Cue, *, composer: str = "", publisher: str = "", usage: str = USAGE) -> dict:
    """The cue sheet row of `cue`: in and out are the labels of its first frame and the frame after it."""
    clock = plan.clock()
    first, after = clock.frame_at(cue.start), clock.frame_at(cue.end)
    hits = [hit_text(plan, m.kind, m.time) for m in sorted(plan.markers, key=lambda m: m.time)
            if m.kind in RHYTHM_SPOT_KINDS and cue.start <= m.time < cue.end]
    return {"cue": cue.number, "title": cue.title, "in": clock.label(cue.start), "out": clock.label(cue.end),
            "duration": frames_to_tc(after - first, clock.fraction, drop=False),
            "in_s": f"{cue.start:.3f}", "out_s": f"{cue.end:.3f}", "usage": usage, "composer": composer,
            "publisher": publisher, "hits": "; ".join(hits)}


def cue_rows(plan: Plan, *, composer: str = "", publisher: str = "", usage: str = USAGE) -> list[dict]:
    """One row per cue of `plan`, in its order."""
    return [cue_row(plan, cue, composer=composer, publisher=publisher, usage=usage)
            for cue in plan.cue_list()]


def write_cuesheet(plan: Plan, path: str | Path, *, composer: str = "", publisher: str = "") -> Path:
    """`cuesheet.csv`: a header of COLUMNS, then one row per cue."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(cue_rows(plan, composer=composer, publisher=publisher))
    return path
