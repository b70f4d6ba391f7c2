# @noindex
# @version 0.3.0
"""Apply a FilmComposer plan.json to the open REAPER project with python-reapy, in one undo block.

Standard library, reapy and REAPER's API only: REAPER's embedded Python crashes when a compiled package
(numpy, pyzmq, opencv) is imported a second time, so everything heavy happened in the bridge process
and this module only turns a finished plan into reapy calls. Tracks the product creates carry
P_EXT:filmcomposer, and the markers it adds are remembered in the project's ExtState by what REAPER
can read back (number, position, colour: EnumProjectMarkers3 never returns a marker's name), so a
re-score removes exactly those and nothing of the user's.

reapy does the projects, tracks, items, takes, notes, FX, sends, markers, ExtState and the undo block.
The raw API (reapy.reascript_api, which inside REAPER is `reaper_python` itself) does what reapy 0.10.0
cannot: tempo markers, envelope points (InsertEnvelopePoint with ScaleToEnvelopeMode, unsorted, then
Envelope_SortPoints), marker enumeration (reapy's Project.markers numbers markers by their position in
the list, not by their marker number), the project's file (EnumProjects), and FX parameters (its
FXParam.normalized setter reads an `id`
its FX objects do not have).
"""

from __future__ import annotations

import json
import os
import wave

from fc_plan import (
    CLICK_NAME,
    CMD_SHOW_VOLUME_ENVELOPE,
    INSTRUMENTS_FOLDER,
    REAVERBATE_DAMP,
    REAVERBATE_DRY,
    REAVERBATE_ROOM,
    SECTION,
    STEMS_FOLDER,
    TAG_KEY,
    Placement,
    bpm_at,
    click_notes,
    envelope_breakpoints,
    marker_rgb,
    midi_channel,
    stem_files,
)
from fc_reapy import problem, reapy

if reapy is not None:
    from reapy import reascript_api as RPR

__all__ = ["Placement", "apply_folder", "apply_plan", "edited_spots", "get_state", "markers_edited",
           "out_dir", "problem", "project_folder", "scored_video", "set_state"]
#: how far (seconds) a marker may sit from where it was made and still count as not moved
SAME_PLACE = 1e-6


# --------------------------------------------------------------------------------------- ExtState


def get_state(key: str) -> str:
    return reapy.Project().get_ext_state(SECTION, key)


def set_state(key: str, value: str) -> None:
    reapy.Project().set_ext_state(SECTION, key, value)


# ------------------------------------------------------------------------------------ the project


def tagged_tracks(project) -> list:
    """The tracks the product created, by their P_EXT tag."""
    return [track for track in project.tracks if track.get_info_string(TAG_KEY)]


def project_folder() -> str:
    """The folder of the saved project file; "" while the project was never saved. (GetProjectPathEx
    is the recording path, which is neither.)"""
    filename = RPR.EnumProjects(-1, "", 4096)[2]
    return os.path.dirname(filename) if filename else ""


def _beside_project(path: str) -> str:
    """A path the ExtState holds, absolute: an offline project.rpp records them relative to itself."""
    if not path or os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(project_folder(), path))


def out_dir() -> str:
    """The score's folder (ExtState `out`), absolute; "" when the project holds no score."""
    return _beside_project(get_state("out"))


def scored_video() -> str:
    """The video the project's score is of (ExtState `video`), absolute."""
    return _beside_project(get_state("video"))


def project_markers(project) -> list[tuple]:
    """(isrgn, pos, rgnend, number, color) of every marker and region, in REAPER's order (no name:
    EnumProjectMarkers3 hands back the name buffer it was given)."""
    out = []
    for index in range(RPR.CountProjectMarkers(project.id, 0, 0)[0]):
        _, _, _, isrgn, pos, rgnend, _, number, color = RPR.EnumProjectMarkers3(project.id, index, False, 0.0,
                                                                                0.0, "", 0, 0)
        out.append((bool(isrgn), pos, rgnend, number, color))
    return out


def _made(project) -> dict[int, dict]:
    """The markers the last apply made: {number: {"kind", "pos", "color"}}."""
    made = {}
    for number, entry in json.loads(project.get_ext_state(SECTION, "markers") or "{}").items():
        if isinstance(entry, dict):
            made[int(number)] = entry
    return made


def _ours(made: dict[int, dict], number: int, pos: float, color: int) -> dict | None:
    """The record of a marker the product made (a marker the user moved keeps its number and colour),
    or None: a user's marker that took a freed number has another colour and place."""
    entry = made.get(number)
    if entry is None:
        return None
    if abs(entry["pos"] - pos) <= SAME_PLACE or entry["color"] == color:
        return entry
    return None


def remove_previous(project) -> int:
    """Delete the tracks and markers an earlier score created; the user's own are never touched."""
    tracks = tagged_tracks(project)
    for track in tracks:
        track.delete()
    made = _made(project)
    for isrgn, pos, _, number, color in project_markers(project):
        if not isrgn and _ours(made, number, pos, color) is not None:
            RPR.DeleteProjectMarker(project.id, number, False)
    project.set_ext_state(SECTION, "markers", "")
    _remove_regions(project)
    return len(tracks)


def _remove_regions(project) -> None:
    """Delete the cue regions an earlier score made (recorded by number, start and end); a region the
    user made, or one of ours they moved, stays."""
    made = json.loads(project.get_ext_state(SECTION, "regions") or "{}")
    for isrgn, pos, end, number, _ in project_markers(project):
        entry = made.get(str(number))
        if isrgn and isinstance(entry, dict) and abs(entry.get("pos", -1) - pos) <= SAME_PLACE \
                and abs(entry.get("end", -1) - end) <= SAME_PLACE:
            RPR.DeleteProjectMarker(project.id, number, True)
    project.set_ext_state(SECTION, "regions", "")


def _add_regions(project, plan: dict, place: Placement) -> dict[int, dict]:
    """A region per cue of the plan (one over the whole plan when it lists none), named by its number
    (1M1) and clipped to the item's span, so REAPER's region render can write one file per cue."""
    cues = plan.get("cues") or [{"number": "1M1", "start": 0.0, "end": plan["duration"]}]
    made = {}
    for cue in sorted(cues, key=lambda c: c["start"]):
        start = max(place.position, place.project_time(cue["start"]))
        end = min(place.end, place.project_time(cue["end"]))
        if end > start:
            number = RPR.AddProjectMarker2(project.id, True, start, end, cue["number"], -1, 0)
            made[int(number)] = {"name": cue["number"], "pos": start, "end": end}
    return made


def markers_edited(place: Placement) -> bool:
    """Whether the user added, moved or deleted a marker in the item's span since the last apply."""
    project = reapy.Project()
    made = _made(project)
    seen = set()
    for isrgn, pos, _, number, color in project_markers(project):
        if isrgn or not place.position <= pos < place.end:
            continue
        entry = _ours(made, number, pos, color)
        if entry is None or abs(entry["pos"] - pos) > SAME_PLACE:
            return True  # the user's own marker, or one of ours moved
        seen.add(number)
    return seen != {n for n, e in made.items() if place.position <= e["pos"] < place.end}


def _replace_tempo(project, plan: dict, place: Placement) -> None:
    """Tempo markers inside the item's span become the plan's (scaled by the playrate)."""
    for i in reversed(range(RPR.CountTempoTimeSigMarkers(project.id))):
        time = RPR.GetTempoTimeSigMarker(project.id, i, 0, 0, 0, 0, 0, 0, False)[3]
        if place.position - 1e-9 <= time <= place.end + 1e-9:
            RPR.DeleteTempoTimeSigMarker(project.id, i)
    changes = plan["tempo_map"]["changes"]
    num, den = plan["tempo_map"].get("meter", [4, 4])
    first = True
    points = [(place.offset, bpm_at(changes, place.offset))]
    points += [(c["time"], c["bpm"]) for c in changes if c["time"] > place.offset + 1e-9]
    for time, bpm in points:
        at = place.project_time(time)
        if at >= place.end - 1e-9:
            break
        RPR.SetTempoTimeSigMarker(project.id, -1, at, -1, -1, bpm * place.playrate, num if first else 0,
                                  den if first else 0, False)
        first = False


def _add_markers(project, plan: dict, place: Placement) -> dict[int, dict]:
    """Project markers for the plan's markers in the item's span, recorded as REAPER then reports them:
    {marker number: {"kind", "pos", "color"}}."""
    kinds = {}
    for marker in plan["markers"]:
        at = place.project_time(marker["time"])
        if place.position - 1e-9 <= at < place.end:
            kind = marker.get("kind", "cut")
            made = project.add_marker(at, marker["name"], marker_rgb(marker) or 0)
            kinds[made.index] = kind
    return {number: {"kind": kinds[number], "pos": pos, "color": color}
            for isrgn, pos, _, number, color in project_markers(project) if not isrgn and number in kinds}


def edited_spots(place: Placement, strengths: dict[float, float]) -> list[dict]:
    """The rhythm spots the markers now say: every marker (not region) in the item's span except the
    product's section markers, in video seconds. A marker the product made (its number, and its place
    or colour) keeps its kind, moved or not; any other is an accent the user added. Strength comes from
    the earlier spotting at the same time (1 ms), else 1.0."""
    project = reapy.Project()
    made = _made(project)
    spots = []
    for isrgn, pos, _, number, color in project_markers(project):
        entry = _ours(made, number, pos, color)
        kind = entry["kind"] if entry else "accent"
        if isrgn or kind == "section" or not place.position <= pos < place.end:
            continue
        t = round(place.video_time(pos), 6)
        strength = next((s for when, s in strengths.items() if abs(when - t) < 1e-3), 1.0)
        spots.append({"time": t, "strength": strength, "kind": kind})
    return sorted(spots, key=lambda s: s["time"])


def _new_track(project, name: str, tag: str, volume: float, pan: float):
    track = project.add_track(project.n_tracks, name)
    track.set_info_string(TAG_KEY, tag)
    track.set_info_value("D_VOL", float(volume))
    track.set_info_value("D_PAN", min(max(float(pan), -1.0), 1.0))
    return track


def _add_fx(track, names: list[str], warn) -> None:
    for position, name in enumerate(names or ["ReaSynth"]):
        try:
            track.add_fx(name)
        except ValueError:  # reapy: REAPER knows no FX by that name
            if position == 0:
                warn(f"FX {name!r} is not installed; using ReaSynth instead\n")
                track.add_fx("ReaSynth")
            else:
                warn(f"FX {name!r} is not installed; left out\n")


def _add_notes(track, notes: list[dict], channel: int, place: Placement) -> int:
    """One MIDI item over the video item; notes in ppq, inserted unsorted and sorted once."""
    take = track.add_midi_item(place.position, place.end).active_take
    count = 0
    for note in notes:
        start, end = place.project_time(note["start"]), place.project_time(note["end"])
        if end <= place.position or start >= place.end:
            continue
        start, end = max(start, place.position), min(end, place.end)
        on = round(take.time_to_ppq(start))
        off = max(on + 1, round(take.time_to_ppq(end)))
        take.add_note(on, off, int(note["pitch"]), int(note.get("velocity", 80)), channel, unit="ppq",
                      sort=False)
        count += 1
    take.sort_events()
    return count


def _add_volume_envelope(project, track, points: list[dict], place: Placement) -> int:
    breakpoints = envelope_breakpoints(points)
    if not breakpoints:
        return 0
    track.make_only_selected_track()
    project.perform_action(CMD_SHOW_VOLUME_ENVELOPE)
    try:
        env = track.envelopes["Volume"]
    except KeyError:
        raise RuntimeError("REAPER did not create the volume envelope") from None
    mode = RPR.GetEnvelopeScalingMode(env.id)
    for time, gain in breakpoints:
        at = place.project_time(time)
        if at < place.end:
            # shape 0 = linear: REAPER plays the ramps the offline mix rendered
            RPR.InsertEnvelopePoint(env.id, at, RPR.ScaleToEnvelopeMode(mode, gain), 0, 0, False, True)
    RPR.Envelope_SortPoints(env.id)
    return len(breakpoints)


def _stems(out_dir: str | None, plan: dict, warn) -> list[tuple[str, str, float]]:
    """(track name, file, seconds) of every rendered stem in OUT/stems; [] when any is missing."""
    found = []
    for name, relative in stem_files(plan):
        path = os.path.join(out_dir or "", *relative.split("/"))
        try:
            with wave.open(path, "rb") as f:
                found.append((name, path, f.getnframes() / f.getframerate()))
        except (OSError, EOFError, wave.Error):
            if out_dir:
                warn(f"no rendered stem {path}: the project plays the MIDI on its instruments instead\n")
            return []
    return found


def _stem_track(project, name: str, tag: str, path: str, seconds: float, place: Placement):
    """A stem as the offline project holds it: unity, centre, no FX, no sends (it holds its mix)."""
    track = _new_track(project, name, tag, 1.0, 0.0)
    item = RPR.AddMediaItemToTrack(track.id)
    take = RPR.AddTakeToMediaItem(item)
    RPR.SetMediaItemTake_Source(take, RPR.PCM_Source_CreateFromFile(path))
    RPR.SetMediaItemInfo_Value(item, "D_POSITION", place.position)
    RPR.SetMediaItemInfo_Value(item, "D_LENGTH", max(seconds - place.offset, 0.0) / place.playrate)
    RPR.SetMediaItemTakeInfo_Value(take, "D_STARTOFFS", place.offset)  # stems start at video second 0
    RPR.SetMediaItemTakeInfo_Value(take, "D_PLAYRATE", place.playrate)
    return track


def apply_plan(plan: dict, place: Placement, warn=None, out_dir: str | None = None) -> dict:
    """Replace the product's tracks, markers and tempo in the item's span with the plan's.

    With the rendered stems in OUT/stems, the folder STEMS_FOLDER plays them (what master.wav is made
    of) and the MIDI parts sit in the muted folder INSTRUMENTS_FOLDER; without them, the MIDI parts
    play. The caller holds the undo block. Returns counts of what was created.
    """
    warn = warn or RPR.ShowConsoleMsg
    project = reapy.Project()
    tag = plan.get("tag", "filmcomposer")
    removed = remove_previous(project)
    selection = {track.id for track in project.tracks if track.is_selected}
    _replace_tempo(project, plan, place)
    markers = _add_markers(project, plan, place)
    project.set_ext_state(SECTION, "markers", json.dumps(markers))
    project.set_ext_state(SECTION, "regions", json.dumps(_add_regions(project, plan, place)))
    stems = _stems(out_dir, plan, warn)
    if stems:
        _new_track(project, STEMS_FOLDER, tag, 1.0, 0.0).set_info_value("I_FOLDERDEPTH", 1)
        for number, (name, path, seconds) in enumerate(stems):
            track = _stem_track(project, name, tag, path, seconds, place)
            if number == len(stems) - 1:
                track.set_info_value("I_FOLDERDEPTH", -1)
    folder = _new_track(project, INSTRUMENTS_FOLDER, tag, 1.0, 0.0)
    folder.set_info_value("I_FOLDERDEPTH", 1)
    folder.set_info_value("B_MUTE", 1 if stems else 0)
    created, notes, points = [], 0, 0
    for index, part in enumerate(plan["tracks"]):
        track = _new_track(project, part["name"], tag, part.get("volume", 1.0), part.get("pan", 0.0))
        _add_fx(track, part.get("fx") or [], warn)
        notes += _add_notes(track, part["notes"], midi_channel(plan["tracks"], index), place)
        points += _add_volume_envelope(project, track, part.get("volume_envelope", []), place)
        created.append((track, float(part.get("reverb_send", 0.0))))
    reverb = plan.get("reverb") or {}
    bus = _new_track(project, reverb.get("name", "FC Reverb"), tag, reverb.get("volume", 1.0), 0.0)
    bus.set_info_value("I_FOLDERDEPTH", -1)
    try:
        fx = bus.add_fx(reverb.get("fx", "ReaVerbate")).index
    except ValueError:
        warn(f"FX {reverb.get('fx')!r} is not installed; the reverb bus has no reverb\n")
    else:
        RPR.TrackFX_SetParamNormalized(bus.id, fx, REAVERBATE_DRY, 0.0)  # a send bus: 100 % wet
        RPR.TrackFX_SetParamNormalized(bus.id, fx, REAVERBATE_ROOM, float(reverb.get("room_size", 0.6)))
        RPR.TrackFX_SetParamNormalized(bus.id, fx, REAVERBATE_DAMP, float(reverb.get("damping", 0.5)))
    clicks = _add_click(project, plan, tag, place)
    sends = 0
    for track, level in created:
        if level > 0:
            send = track.add_send(bus)
            send.set_info("I_SENDMODE", 0)  # post-fader
            send.volume = level
            sends += 1
    for track in project.tracks:  # give the user their track selection back
        if track.id in selection:
            track.select()
        else:
            track.unselect()
    project.set_ext_state(SECTION, "placement", place.to_json())
    return {"removed": removed, "tracks": len(created) + 1, "stems": len(stems), "notes": notes,
            "markers": len(markers), "envelope_points": points, "sends": sends, "clicks": clicks}


def _add_click(project, plan: dict, tag: str, place: Placement) -> int:
    """With streamers on (the offline writer's option), the players' muted click track on every beat,
    as project.rpp has it; returns the clicks made (0 without streamers)."""
    if not plan.get("streamers"):
        return 0
    track = _new_track(project, CLICK_NAME, tag, 1.0, 0.0)
    track.set_info_value("B_MUTE", 1)
    track.add_fx("ReaSynth")
    return _add_notes(track, click_notes(plan), 9, place)


def apply_folder(out_dir: str, place: Placement, undo_name: str, warn=None,
                 state: dict | None = None) -> dict:
    """Read OUT/plan.json (and scheme.json) and apply it as ONE undo point."""
    with open(os.path.join(out_dir, "plan.json"), encoding="utf-8") as f:
        plan = json.load(f)
    project = reapy.Project()
    with reapy.undo_block(undo_name, -1), reapy.prevent_ui_refresh():
        summary = apply_plan(plan, place, warn, out_dir)
        project.set_ext_state(SECTION, "out", out_dir)
        for key, value in (state or {}).items():
            project.set_ext_state(SECTION, key, value)
        scheme = os.path.join(out_dir, "scheme.json")
        if os.path.isfile(scheme):
            with open(scheme, encoding="utf-8") as f:  # one line: ExtState values are single-line
                project.set_ext_state(SECTION, "scheme", json.dumps(json.load(f), separators=(",", ":")))
    reapy.update_arrange()
    return summary
