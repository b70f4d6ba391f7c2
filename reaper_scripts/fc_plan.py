# @noindex
# @version 0.3.0
"""What a FilmComposer plan means on REAPER's timeline, in the standard library only.

No REAPER call here: the tests (and the offline tools) import this module outside REAPER, where reapy
must never be imported. `fc_apply` turns these readings into reapy and ReaScript calls.

Times: a plan is in video seconds. The video item sits at `position` on the timeline, shows its source
from `offset` on and plays it at `playrate`, so video second t is project second
position + (t - offset) / playrate (`Placement`).
"""

from __future__ import annotations

import bisect
import json
import math
import re

SECTION = "FilmComposer"
TAG_KEY = "P_EXT:filmcomposer"
#: REAPER's action "Track: Toggle track volume envelope visible" (creates the envelope on selected tracks)
CMD_SHOW_VOLUME_ENVELOPE = 40406
#: ReaVerbate's parameters: 0 wet, 1 dry, 2 room size, 3 dampening (normalised 0..1)
REAVERBATE_DRY, REAVERBATE_ROOM, REAVERBATE_DAMP = 1, 2, 3
#: length of the ramp into each new envelope level; the offline renderer's RAMP (fc_backend.realize.envelope)
RAMP = 0.03
#: marker colours (r, g, b) by rhythm-spot kind; REAPER wants ColorToNative(r, g, b) | 0x1000000
MARKER_COLORS = {"cut": (230, 60, 60), "motion": (60, 140, 230), "accent": (230, 180, 40),
                 "section": (120, 200, 120)}
#: a hit's colour once the render checked its sync (the plan marker's "sync"), in place of its kind's
SYNC_COLORS = {"green": (40, 200, 60), "yellow": (250, 220, 0), "red": (255, 0, 0)}


def marker_rgb(marker: dict) -> tuple[int, int, int] | None:
    """The (r, g, b) a plan marker is drawn in: its sync colour when checked, else its kind's."""
    return SYNC_COLORS.get(marker.get("sync") or "") or MARKER_COLORS.get(marker.get("kind", "cut"))


#: the two folders a score builds (fc_backend.realize.rpp's): the rendered stems, heard; the parts as MIDI
#: on their instruments with gain, pan, envelope and reverb sends, muted (unmute it, mute the stems, to
#: play the MIDI on your own instruments)
STEMS_FOLDER, INSTRUMENTS_FOLDER = "FC Stems", "FC Instruments"


def stem_files(plan: dict) -> list[tuple[str, str]]:
    """(track name, stems/FILE.wav) of every stem the offline render writes: the parts, then the reverb
    return; file names by realize's rule (letters, digits, '-', '_', '.'; unique ignoring case)."""
    names = [t["name"] for t in plan["tracks"]] + [(plan.get("reverb") or {}).get("name", "FC Reverb")]
    files: list[str] = []
    for index, name in enumerate(names):
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or f"track{index + 1}"
        candidate, k = safe, 2
        while candidate.lower() in (f.lower() for f in files):
            candidate, k = f"{safe}_{k}", k + 1
        files.append(candidate)
    return [(f"{name} (stem)", f"stems/{file}.wav") for name, file in zip(names, files, strict=True)]


class Placement:
    """Where the video item puts video time on the project timeline."""

    def __init__(self, position: float, length: float, offset: float = 0.0, playrate: float = 1.0) -> None:
        self.position, self.length = float(position), float(length)
        self.offset, self.playrate = float(offset), float(playrate) or 1.0

    def project_time(self, t: float) -> float:
        return self.position + (t - self.offset) / self.playrate

    def video_time(self, project_time: float) -> float:
        return self.offset + (project_time - self.position) * self.playrate

    @property
    def end(self) -> float:
        return self.position + self.length

    def to_json(self) -> str:
        return json.dumps({"position": self.position, "length": self.length, "offset": self.offset,
                           "playrate": self.playrate})

    @classmethod
    def from_json(cls, text: str) -> Placement:
        d = json.loads(text)
        return cls(d["position"], d["length"], d.get("offset", 0.0), d.get("playrate", 1.0))


def envelope_breakpoints(points: list[dict], ramp: float = RAMP) -> list[tuple[float, float]]:
    """The offline renderer's reading of a volume envelope (fc_backend.realize.envelope), in stdlib:
    each level holds until the next, which is reached by a short linear ramp ending on its time."""
    out: list[tuple[float, float]] = []
    for point in sorted(points, key=lambda p: p["time"]):
        time, gain = float(point["time"]), float(point["gain"])
        if out and gain != out[-1][1]:
            start = max(time - ramp, out[-1][0])
            if start > out[-1][0]:
                out.append((start, out[-1][1]))
        if out and time <= out[-1][0]:
            out[-1] = (out[-1][0], gain)
        else:
            out.append((max(time, 0.0), max(gain, 0.0)))
    return out


def midi_channel(tracks: list[dict], index: int) -> int:
    """arrangement.mid's channel rule: drums on 10, the others in turn on the remaining 15."""
    if tracks[index].get("is_drum"):
        return 9
    melodic = [c for c in range(16) if c != 9]
    return melodic[index % len(melodic)]


#: the players' count-off click a plan with streamers gets, muted (fc_backend.realize.streamers.CLICK_NAME)
CLICK_NAME = "FC Click"


def click_notes(plan: dict) -> list[dict]:
    """realize.streamers.click_track's notes restated: a click on every beat of the tempo map, a higher,
    louder one on downbeats (General MIDI woodblocks, 60 ms), for players recording to picture."""
    changes = sorted(plan["tempo_map"]["changes"], key=lambda c: c["time"])
    num, den = plan["tempo_map"].get("meter", [4, 4])
    per_measure = num * 4.0 / den
    times, beats = [c["time"] for c in changes], [0.0]
    for a, b in (changes[i - 1:i + 1] for i in range(1, len(changes))):
        beats.append(beats[-1] + (b["time"] - a["time"]) * a["bpm"] / 60.0)

    def beat_at(t: float) -> float:
        i = max(0, bisect.bisect_right(times, t) - 1)
        return beats[i] + (t - times[i]) * changes[i]["bpm"] / 60.0

    def time_at(beat: float) -> float:
        i = max(0, bisect.bisect_right(beats, beat) - 1)
        return times[i] + (beat - beats[i]) * 60.0 / changes[i]["bpm"]

    notes = []
    for beat in range(int(math.floor(beat_at(plan["duration"]) + 1e-9)) + 1):
        t = time_at(beat)
        bar = beat_at(t) / per_measure
        down = abs(bar - round(bar)) < 1e-6
        notes.append({"pitch": 76 if down else 77, "start": t, "end": t + 0.06,
                      "velocity": 110 if down else 80})
    return notes


def bpm_at(changes: list[dict], t: float) -> float:
    current = changes[0]["bpm"]
    for change in changes:
        if change["time"] <= t + 1e-9:
            current = change["bpm"]
    return float(current)


def gain_to_db(gain: float) -> float:
    """A scheme's envelope level (linear gain, 0..2) as the dB a person edits; silence is -150 dB."""
    return 20.0 * math.log10(gain) if gain > 0 else -150.0


def db_to_gain(db: float) -> float:
    """The inverse of `gain_to_db`, clamped to the scheme's range 0..2 (+6 dB)."""
    return 0.0 if db <= -150.0 else min(10.0 ** (db / 20.0), 2.0)
