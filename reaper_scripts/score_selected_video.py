# @description FilmComposer: Score selected video
# @version 0.2.0
# @author FilmComposer
# @about
#   Scores the selected video item: asks the FilmComposer backend (through the `filmcomposer` bridge)
#   for a score of the item's source file, shows its progress in the console without freezing REAPER,
#   then builds the tempo map, rhythm-spot markers, one track per part with MIDI, FX, pan, volume,
#   a send to a reverb bus and volume envelopes, all in one undo point, under the picture.
"""FilmComposer: Score selected video (a REAPER action; standard library and reapy only)."""

import json
import os
import sys

try:
    HERE = os.path.dirname(os.path.abspath(__file__))
except NameError:  # REAPER versions that do not set __file__
    from reaper_python import RPR_GetResourcePath

    HERE = os.path.join(RPR_GetResourcePath(), "Scripts", "FilmComposer")
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import fc_apply  # noqa: E402
import fc_bridge  # noqa: E402
from fc_plan import Placement  # noqa: E402
from fc_reapy import reapy  # noqa: E402
from reaper_python import (  # noqa: E402  (REAPER's API)
    RPR_defer,
    RPR_GetExtState,
    RPR_ShowConsoleMsg,
    RPR_ShowMessageBox,
)

TITLE = "FilmComposer: Score selected video"
STATE = {}


def selected_video():
    """(source file, Placement) of the first selected item, or (None, reason)."""
    item = reapy.Project().get_selected_item(0)
    if item.id.endswith("0x0000000000000000"):
        return None, "select the video item on the timeline first"
    take = item.active_take
    if take.id.endswith("0x0000000000000000"):
        return None, "the selected item has no take"
    filename = take.source.filename
    if not filename or not os.path.isfile(filename):
        return None, f"the selected item's source is not a file on this machine: {filename!r}"
    playrate = take.get_info_value("D_PLAYRATE")
    return filename, Placement(item.position, item.length, take.start_offset, playrate)


def marker_spots(video, place):
    """The edited markers as rhythm spots when this project holds an earlier score of `video`, else None."""
    out = fc_apply.get_state("out")
    if fc_apply.get_state("video") != video or not fc_apply.get_state("markers"):
        return None
    strengths = {}
    try:
        with open(os.path.join(out, "spotting.json"), encoding="utf-8") as f:
            strengths = {round(s["time"], 6): s["strength"] for s in json.load(f)["rhythm_spots"]}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return fc_apply.edited_spots(place, strengths)


def out_folder(video):
    project = reapy.Project().path
    stem = os.path.splitext(os.path.basename(video))[0]
    return os.path.join(project, "FilmComposer", stem)


def main():
    if fc_apply.problem:
        RPR_ShowMessageBox(f"FilmComposer cannot run: {fc_apply.problem}.", TITLE, 0)
        return
    video, place = selected_video()
    if video is None:
        RPR_ShowMessageBox(place, TITLE, 0)
        return
    bridge = fc_bridge.bridge_command(RPR_GetExtState)
    if not bridge:
        RPR_ShowMessageBox("The filmcomposer bridge was not found: run `python3 install.py --reaper` "
                           "in the FilmComposer folder, then try again.", TITLE, 0)
        return
    out = out_folder(video)
    argv = bridge + ["request", "--progress-json", "-q", "score", video, "-o", out]
    spots = marker_spots(video, place)
    if spots is not None:
        # the markers of an earlier score, as the user left them, are the rhythm spots of this one; the
        # backend's `request score` takes no spots yet, so this score runs in the bridge's own process
        os.makedirs(out, exist_ok=True)
        path = os.path.join(out, "edited_spots.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(spots, f, indent=1)
        argv = bridge + ["score", video, "-o", out, "--spots", path, "-q"]
        RPR_ShowConsoleMsg(f"FilmComposer: using {len(spots)} rhythm spots from the project's markers\n")
    RPR_ShowConsoleMsg(f"FilmComposer: scoring {os.path.basename(video)} into {out}\n")
    STATE.update(job=fc_bridge.Job(argv), out=out, place=place, video=video,
                 progress=fc_bridge.ProgressLine(RPR_ShowConsoleMsg))
    RPR_defer("poll()")


def poll():
    job = STATE["job"]
    for event in job.poll():
        STATE["progress"](event)
    if not job.done:
        RPR_defer("poll()")
        return
    local = "request" not in job.argv  # `filmcomposer score` prints no JSON events: its status says
    if job.returncode != 0 or not (local or any(e.get("event") == "result" for e in job.events)):
        RPR_ShowConsoleMsg(f"FilmComposer: scoring failed: {job.error_message()}\n")
        return
    summary = fc_apply.apply_folder(STATE["out"], STATE["place"],
                                    f"FilmComposer: score {os.path.basename(STATE['video'])}",
                                    state={"video": STATE["video"]})
    RPR_ShowConsoleMsg(
        f"FilmComposer: {summary['tracks']} tracks, {summary['notes']} notes, {summary['markers']} markers"
        f" applied (replaced {summary['removed']} earlier tracks); files in {STATE['out']}\n")


if __name__ == "__main__":
    main()
