# @noindex
# @version 0.1.0
"""Apply a FilmComposer plan.json to the open REAPER project with the raw ReaScript API.

Standard library and `reaper_python` only: REAPER's embedded Python crashes when a compiled package
(numpy, pyzmq, opencv) is imported a second time, so everything heavy happened in the bridge process
and this module only turns a finished plan into RPR_ calls. The caller wraps `apply_plan` in one undo
block. Tracks the product creates carry P_EXT:filmcomposer, and the markers it adds are remembered in
the project's ExtState, so a re-score removes exactly those and nothing of the user's.

Times: a plan is in video seconds. The video item sits at `position` on the timeline, shows its source
from `offset` on and plays it at `playrate`, so video second t is project second
position + (t - offset) / playrate (`Placement`).
"""

from __future__ import annotations

import json

import reaper_python as R

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


# --------------------------------------------------------------------------------------- ExtState


def get_state(key: str) -> str:
    return R.RPR_GetProjExtState(0, SECTION, key, "", 1 << 20)[4]


def set_state(key: str, value: str) -> None:
    R.RPR_SetProjExtState(0, SECTION, key, value)


# ------------------------------------------------------------------------------ what the plan means


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


def bpm_at(changes: list[dict], t: float) -> float:
    current = changes[0]["bpm"]
    for change in changes:
        if change["time"] <= t + 1e-9:
            current = change["bpm"]
    return float(current)


# ------------------------------------------------------------------------------------ the project


def tagged_tracks() -> list[str]:
    """The tracks the product created, by their P_EXT tag."""
    found = []
    for i in range(R.RPR_CountTracks(0)):
        track = R.RPR_GetTrack(0, i)
        if R.RPR_GetSetMediaTrackInfo_String(track, TAG_KEY, "", False)[3]:
            found.append(track)
    return found


def remove_previous() -> int:
    """Delete the tracks and markers an earlier score created; the user's own are never touched."""
    tracks = tagged_tracks()
    for track in tracks:
        R.RPR_DeleteTrack(track)
    made = {(int(k), v[1]) for k, v in json.loads(get_state("markers") or "{}").items()}
    for index in reversed(range(R.RPR_CountProjectMarkers(0, 0, 0)[0])):
        marker = R.RPR_EnumProjectMarkers3(0, index, False, 0.0, 0.0, "", 0, 0)
        if not marker[3] and (marker[7], marker[6]) in made:  # a number the user's marker reused stays
            R.RPR_DeleteProjectMarker(0, marker[7], False)
    set_state("markers", "")
    return len(tracks)


def _replace_tempo(plan: dict, place: Placement) -> None:
    """Tempo markers inside the item's span become the plan's (scaled by the playrate)."""
    for i in reversed(range(R.RPR_CountTempoTimeSigMarkers(0))):
        time = R.RPR_GetTempoTimeSigMarker(0, i, 0, 0, 0, 0, 0, 0, False)[3]
        if place.position - 1e-9 <= time <= place.end + 1e-9:
            R.RPR_DeleteTempoTimeSigMarker(0, i)
    changes = plan["tempo_map"]["changes"]
    num, den = plan["tempo_map"].get("meter", [4, 4])
    first = True
    points = [(place.offset, bpm_at(changes, place.offset))]
    points += [(c["time"], c["bpm"]) for c in changes if c["time"] > place.offset + 1e-9]
    for time, bpm in points:
        at = place.project_time(time)
        if at >= place.end - 1e-9:
            break
        R.RPR_SetTempoTimeSigMarker(0, -1, at, -1, -1, bpm * place.playrate, num if first else 0,
                                    den if first else 0, False)
        first = False


def _add_markers(plan: dict, place: Placement) -> dict[int, list[str]]:
    """Project markers for the plan's markers in the item's span: {marker number: [kind, name]}."""
    numbers = {}
    for marker in plan["markers"]:
        at = place.project_time(marker["time"])
        if place.position - 1e-9 <= at < place.end:
            rgb = MARKER_COLORS.get(marker.get("kind", "cut"))
            color = (R.RPR_ColorToNative(*rgb) | 0x1000000) if rgb else 0
            number = R.RPR_AddProjectMarker2(0, False, at, 0, marker["name"], -1, color)
            numbers[number] = [marker.get("kind", "cut"), marker["name"]]
    return numbers


def edited_spots(place: Placement, strengths: dict[float, float]) -> list[dict]:
    """The rhythm spots the markers now say: every marker (not region) in the item's span except the
    product's section markers, in video seconds. A marker the product made (same number and name; it may
    have moved) keeps its kind; any other is an accent the user added. Strength comes from the earlier
    spotting at the same time (1 ms), else 1.0."""
    made = {int(k): tuple(v) for k, v in json.loads(get_state("markers") or "{}").items()}
    spots = []
    for index in range(R.RPR_CountProjectMarkers(0, 0, 0)[0]):
        marker = R.RPR_EnumProjectMarkers3(0, index, False, 0.0, 0.0, "", 0, 0)
        isrgn, pos, name, number = marker[3], marker[4], marker[6], marker[7]
        kind, made_name = made.get(number, ("accent", None))
        kind = kind if made_name == name else "accent"
        if isrgn or kind == "section" or not place.position <= pos < place.end:
            continue
        t = round(place.video_time(pos), 6)
        strength = next((s for when, s in strengths.items() if abs(when - t) < 1e-3), 1.0)
        spots.append({"time": t, "strength": strength, "kind": kind})
    return sorted(spots, key=lambda s: s["time"])


def _new_track(name: str, tag: str, volume: float, pan: float) -> str:
    index = R.RPR_CountTracks(0)
    R.RPR_InsertTrackAtIndex(index, True)
    track = R.RPR_GetTrack(0, index)
    R.RPR_GetSetMediaTrackInfo_String(track, "P_NAME", name, True)
    R.RPR_GetSetMediaTrackInfo_String(track, TAG_KEY, tag, True)
    R.RPR_SetMediaTrackInfo_Value(track, "D_VOL", float(volume))
    R.RPR_SetMediaTrackInfo_Value(track, "D_PAN", min(max(float(pan), -1.0), 1.0))
    return track


def _add_fx(track: str, names: list[str], warn) -> None:
    for position, name in enumerate(names or ["ReaSynth"]):
        if R.RPR_TrackFX_AddByName(track, name, False, -1) >= 0:
            continue
        if position == 0:
            warn(f"FX {name!r} is not installed; using ReaSynth instead\n")
            R.RPR_TrackFX_AddByName(track, "ReaSynth", False, -1)
        else:
            warn(f"FX {name!r} is not installed; left out\n")


def _add_notes(track: str, notes: list[dict], channel: int, place: Placement) -> int:
    """One MIDI item over the video item; notes in ppq, inserted unsorted and sorted once."""
    item = R.RPR_CreateNewMIDIItemInProj(track, place.position, place.end, False)
    take = R.RPR_GetActiveTake(item)
    count = 0
    for note in notes:
        start, end = place.project_time(note["start"]), place.project_time(note["end"])
        if end <= place.position or start >= place.end:
            continue
        start, end = max(start, place.position), min(end, place.end)
        on = round(R.RPR_MIDI_GetPPQPosFromProjTime(take, start))
        off = max(on + 1, round(R.RPR_MIDI_GetPPQPosFromProjTime(take, end)))
        R.RPR_MIDI_InsertNote(take, False, False, on, off, channel, int(note["pitch"]),
                              int(note.get("velocity", 80)), True)
        count += 1
    R.RPR_MIDI_Sort(take)
    return count


def _add_volume_envelope(track: str, points: list[dict], place: Placement) -> int:
    breakpoints = envelope_breakpoints(points)
    if not breakpoints:
        return 0
    R.RPR_SetOnlyTrackSelected(track)
    R.RPR_Main_OnCommand(CMD_SHOW_VOLUME_ENVELOPE, 0)
    env = R.RPR_GetTrackEnvelopeByName(track, "Volume")
    if env.endswith("0x0000000000000000"):
        raise RuntimeError("REAPER did not create the volume envelope")
    mode = R.RPR_GetEnvelopeScalingMode(env)
    for time, gain in breakpoints:
        at = place.project_time(time)
        if at < place.end:
            # shape 0 = linear: REAPER plays the ramps the offline mix rendered
            R.RPR_InsertEnvelopePoint(env, at, R.RPR_ScaleToEnvelopeMode(mode, gain), 0, 0, False, True)
    R.RPR_Envelope_SortPoints(env)
    return len(breakpoints)


def _selected_tracks() -> list[str]:
    return [R.RPR_GetTrack(0, i) for i in range(R.RPR_CountTracks(0))
            if R.RPR_IsTrackSelected(R.RPR_GetTrack(0, i))]


def apply_plan(plan: dict, place: Placement, warn=R.RPR_ShowConsoleMsg) -> dict:
    """Replace the product's tracks, markers and tempo in the item's span with the plan's.

    The caller holds the undo block. Returns counts of what was created.
    """
    tag = plan.get("tag", "filmcomposer")
    removed = remove_previous()
    selection = _selected_tracks()
    _replace_tempo(plan, place)
    markers = _add_markers(plan, place)
    set_state("markers", json.dumps(markers))
    created, notes, points = [], 0, 0
    for index, part in enumerate(plan["tracks"]):
        track = _new_track(part["name"], tag, part.get("volume", 1.0), part.get("pan", 0.0))
        _add_fx(track, part.get("fx") or [], warn)
        notes += _add_notes(track, part["notes"], midi_channel(plan["tracks"], index), place)
        points += _add_volume_envelope(track, part.get("volume_envelope", []), place)
        created.append((track, float(part.get("reverb_send", 0.0))))
    reverb = plan.get("reverb") or {}
    bus = _new_track(reverb.get("name", "FC Reverb"), tag, reverb.get("volume", 1.0), 0.0)
    fx = R.RPR_TrackFX_AddByName(bus, reverb.get("fx", "ReaVerbate"), False, -1)
    if fx >= 0:
        R.RPR_TrackFX_SetParamNormalized(bus, fx, REAVERBATE_DRY, 0.0)  # a send bus: 100 % wet
        R.RPR_TrackFX_SetParamNormalized(bus, fx, REAVERBATE_ROOM, float(reverb.get("room_size", 0.6)))
        R.RPR_TrackFX_SetParamNormalized(bus, fx, REAVERBATE_DAMP, float(reverb.get("damping", 0.5)))
    else:
        warn(f"FX {reverb.get('fx')!r} is not installed; the reverb bus has no reverb\n")
    sends = 0
    for track, level in created:
        if level > 0:
            send = R.RPR_CreateTrackSend(track, bus)
            R.RPR_SetTrackSendInfo_Value(track, 0, send, "I_SENDMODE", 0)  # post-fader
            R.RPR_SetTrackSendInfo_Value(track, 0, send, "D_VOL", level)
            sends += 1
    for i in range(R.RPR_CountTracks(0)):  # give the user their track selection back
        track = R.RPR_GetTrack(0, i)
        R.RPR_SetTrackSelected(track, track in selection)
    set_state("placement", place.to_json())
    return {"removed": removed, "tracks": len(created) + 1, "notes": notes, "markers": len(markers),
            "envelope_points": points, "sends": sends}


def apply_folder(out_dir: str, place: Placement, undo_name: str, warn=R.RPR_ShowConsoleMsg,
                 state: dict | None = None) -> dict:
    """Read OUT/plan.json (and scheme.json) and apply it as ONE undo point."""
    import os

    with open(os.path.join(out_dir, "plan.json"), encoding="utf-8") as f:
        plan = json.load(f)
    R.RPR_Undo_BeginBlock2(0)
    R.RPR_PreventUIRefresh(1)
    try:
        summary = apply_plan(plan, place, warn)
        set_state("out", out_dir)
        for key, value in (state or {}).items():
            set_state(key, value)
        scheme = os.path.join(out_dir, "scheme.json")
        if os.path.isfile(scheme):
            with open(scheme, encoding="utf-8") as f:  # one line: ExtState values are single-line
                set_state("scheme", json.dumps(json.load(f), separators=(",", ":")))
    finally:
        R.RPR_PreventUIRefresh(-1)
        R.RPR_Undo_EndBlock2(0, undo_name, -1)
    R.RPR_UpdateArrange()
    return summary
