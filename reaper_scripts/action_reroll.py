# @noindex
# @version 0.3.0
"""What "FilmComposer: Re-roll melody in region" does (standard library and reapy only).

The re-roll runs on the backend like a score does: `filmcomposer request --progress-json -q reroll OUT
--from T0 --to T1` uploads OUT's JSON artifacts, streams progress, and writes back only the files it
rewrote; a `Rerolling` object polls it through reapy.defer (its state is its own, never `__main__`'s)
and applies the new plan.
"""

from __future__ import annotations

import os

import fc_apply
import fc_bridge
from fc_plan import Placement
from fc_reapy import reapy

TITLE = "FilmComposer: Re-roll melody in region"


def _show(text: str) -> None:
    from reapy import reascript_api

    reascript_api.ShowConsoleMsg(text)


def span():
    """(start, end) in project seconds: the time selection, else the region under the edit cursor."""
    project = reapy.Project()
    selection = project.time_selection
    if selection.end > selection.start:
        return selection.start, selection.end
    cursor = project.cursor_position
    for isrgn, pos, rgnend, _number, _color in fc_apply.project_markers(project):
        if isrgn and pos <= cursor < rgnend:
            return pos, rgnend
    return None


class Rerolling:
    def __init__(self, argv: list[str], out: str, place: Placement, t0: float, t1: float) -> None:
        self.job, self.out, self.place, self.span = fc_bridge.Job(argv), out, place, (t0, t1)
        self.progress = fc_bridge.ProgressLine(_show)

    def poll(self) -> None:
        for event in self.job.poll():
            self.progress(event)
        if not self.job.done:
            reapy.defer(self.poll)
            return
        result = next((e for e in self.job.events if e.get("event") == "result"), None)
        if self.job.returncode != 0 or result is None:
            _show(f"FilmComposer: re-roll failed: {self.job.error_message()}\n")
            return
        t0, t1 = self.span
        summary = fc_apply.apply_folder(self.out, self.place, f"FilmComposer: re-roll {t0:.1f}-{t1:.1f} s")
        _show(f"FilmComposer: re-rolled; {summary['notes']} notes on {summary['tracks']} tracks\n")


def run(message_box, get_ext_state) -> None:
    if fc_apply.problem:
        message_box(f"FilmComposer cannot run: {fc_apply.problem}.", TITLE, 0)
        return
    out = fc_apply.out_dir()
    placement = fc_apply.get_state("placement")
    if not out or not placement or not os.path.isfile(os.path.join(out, "plan.json")):
        message_box("This project has no FilmComposer score yet: run \"FilmComposer: Score selected video\" "
                    "first.", TITLE, 0)
        return
    chosen = span()
    if chosen is None:
        message_box("Make a time selection (or put the edit cursor in a region) over the part to re-roll.",
                    TITLE, 0)
        return
    place = Placement.from_json(placement)
    start, end = max(chosen[0], place.position), min(chosen[1], place.end)
    if end <= start:
        message_box("The selection does not overlap the scored video item.", TITLE, 0)
        return
    bridge = fc_bridge.bridge_command(get_ext_state)
    if not bridge:
        message_box("The filmcomposer bridge was not found: run `python3 install.py --reaper`.", TITLE, 0)
        return
    t0, t1 = place.video_time(start), place.video_time(end)
    argv = bridge + ["request", "--progress-json", "-q", "reroll", out, "--from", f"{t0:.6f}",
                     "--to", f"{t1:.6f}"]
    _show(f"FilmComposer: re-rolling {t0:.2f}-{t1:.2f} s of the video\n")
    reapy.defer(Rerolling(argv, out, place, t0, t1).poll)
