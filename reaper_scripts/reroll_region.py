# @description FilmComposer: Re-roll melody in region
# @version 0.2.0
# @author FilmComposer
# @about
#   Composes the melody anew in the time selection (or, without one, in the region under the edit
#   cursor) on the FilmComposer backend (through the `filmcomposer` bridge), re-plans the parts that
#   depend on it, and updates the score's tracks in one undo point. Every note outside the span stays.
"""FilmComposer: Re-roll melody in region (a REAPER action; standard library and reapy only).

The re-roll runs on the backend like a score does: `filmcomposer request --progress-json -q reroll OUT
--from T0 --to T1` uploads OUT's JSON artifacts, streams progress, and writes back only the files it
rewrote; this action polls it from a defer loop and applies the new plan.
"""

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

TITLE = "FilmComposer: Re-roll melody in region"
STATE = {}


def span():
    """(start, end) in project seconds: the time selection, else the region under the edit cursor."""
    project = reapy.Project()
    selection = project.time_selection
    if selection.end > selection.start:
        return selection.start, selection.end
    cursor = project.cursor_position
    for isrgn, pos, rgnend, _, _ in fc_apply.project_markers(project):
        if isrgn and pos <= cursor < rgnend:
            return pos, rgnend
    return None


def main():
    if fc_apply.problem:
        RPR_ShowMessageBox(f"FilmComposer cannot run: {fc_apply.problem}.", TITLE, 0)
        return
    out = fc_apply.get_state("out")
    placement = fc_apply.get_state("placement")
    if not out or not placement or not os.path.isfile(os.path.join(out, "plan.json")):
        RPR_ShowMessageBox("This project has no FilmComposer score yet: run "
                           "\"FilmComposer: Score selected video\" first.", TITLE, 0)
        return
    chosen = span()
    if chosen is None:
        RPR_ShowMessageBox("Make a time selection (or put the edit cursor in a region) over the part "
                           "to re-roll.", TITLE, 0)
        return
    place = Placement.from_json(placement)
    start, end = max(chosen[0], place.position), min(chosen[1], place.end)
    if end <= start:
        RPR_ShowMessageBox("The selection does not overlap the scored video item.", TITLE, 0)
        return
    bridge = fc_bridge.bridge_command(RPR_GetExtState)
    if not bridge:
        RPR_ShowMessageBox("The filmcomposer bridge was not found: run `python3 install.py --reaper`.",
                           TITLE, 0)
        return
    t0, t1 = place.video_time(start), place.video_time(end)
    argv = bridge + ["request", "--progress-json", "-q", "reroll", out, "--from", f"{t0:.6f}",
                     "--to", f"{t1:.6f}"]
    RPR_ShowConsoleMsg(f"FilmComposer: re-rolling {t0:.2f}-{t1:.2f} s of the video\n")
    STATE.update(job=fc_bridge.Job(argv), out=out, place=place, span=(t0, t1),
                 progress=fc_bridge.ProgressLine(RPR_ShowConsoleMsg))
    RPR_defer("poll()")


def poll():
    job = STATE["job"]
    for event in job.poll():
        STATE["progress"](event)
    if not job.done:
        RPR_defer("poll()")
        return
    result = next((e for e in job.events if e.get("event") == "result"), None)
    if job.returncode != 0 or result is None:
        RPR_ShowConsoleMsg(f"FilmComposer: re-roll failed: {job.error_message()}\n")
        return
    t0, t1 = STATE["span"]
    summary = fc_apply.apply_folder(STATE["out"], STATE["place"],
                                    f"FilmComposer: re-roll {t0:.1f}-{t1:.1f} s")
    RPR_ShowConsoleMsg(f"FilmComposer: re-rolled; {summary['notes']} notes on {summary['tracks']} tracks\n")


if __name__ == "__main__":
    main()
