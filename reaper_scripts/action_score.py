# @noindex
# @version 0.3.0
"""What "FilmComposer: Score selected video" does (standard library and reapy only).

The action file only starts `run()`. Everything a run needs lives in its own `Scoring` object, which
reapy.defer calls back: REAPER runs every Python action in one interpreter and one `__main__`, so a
second action started while this one polls must find nothing of it there to overwrite.
"""

from __future__ import annotations

import json
import os

import fc_apply
import fc_bridge
from fc_plan import Placement
from fc_reapy import reapy

TITLE = "FilmComposer: Score selected video"


def _api():
    from reapy import reascript_api

    return reascript_api


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


def marker_spots(video: str, place: Placement) -> list[dict] | None:
    """The markers as rhythm spots when this project holds an earlier score of `video` and the user
    added, moved or deleted one of them; else None (the backend spots the clip itself)."""
    out = fc_apply.out_dir()
    same = os.path.normpath(fc_apply.scored_video()) == os.path.normpath(video)
    if not same or not fc_apply.get_state("markers"):
        return None
    if not fc_apply.markers_edited(place):
        return None
    strengths = {}
    try:
        with open(os.path.join(out, "spotting.json"), encoding="utf-8") as f:
            strengths = {round(s["time"], 6): s["strength"] for s in json.load(f)["rhythm_spots"]}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return fc_apply.edited_spots(place, strengths)


def out_folder(video: str) -> str | None:
    """FilmComposer/<video name> beside the saved project file; None while the project is unsaved."""
    folder = fc_apply.project_folder()
    if not folder:
        return None
    stem = os.path.splitext(os.path.basename(video))[0]
    return os.path.join(folder, "FilmComposer", stem)


class Scoring:
    """One run of the action: its bridge job, where it writes, and where the picture sits."""

    def __init__(self, argv: list[str], out: str, place: Placement, video: str) -> None:
        show = _api().ShowConsoleMsg
        self.job, self.out, self.place, self.video = fc_bridge.Job(argv), out, place, video
        self.progress = fc_bridge.ProgressLine(show)

    def poll(self) -> None:
        show = _api().ShowConsoleMsg
        for event in self.job.poll():
            self.progress(event)
        if not self.job.done:
            reapy.defer(self.poll)
            return
        local = "request" not in self.job.argv  # `filmcomposer score` prints no JSON events
        finished = local or any(e.get("event") == "result" for e in self.job.events)
        if self.job.returncode != 0 or not finished:
            show(f"FilmComposer: scoring failed: {self.job.error_message()}\n")
            return
        name = os.path.basename(self.video)
        summary = fc_apply.apply_folder(self.out, self.place, f"FilmComposer: score {name}",
                                        state={"video": self.video})
        show(f"FilmComposer: {summary['tracks']} tracks, {summary['notes']} notes, {summary['markers']} "
             f"markers applied (replaced {summary['removed']} earlier tracks); files in {self.out}\n")


def run(message_box, get_ext_state) -> None:
    """Start scoring the selected video item; `message_box` and `get_ext_state` are REAPER's."""
    if fc_apply.problem:
        message_box(f"FilmComposer cannot run: {fc_apply.problem}.", TITLE, 0)
        return
    video, place = selected_video()
    if video is None:
        message_box(place, TITLE, 0)
        return
    out = out_folder(video)
    if out is None:
        message_box("Save the project first (File > Save project): FilmComposer writes the score's files "
                    "into a FilmComposer folder beside the project file.", TITLE, 0)
        return
    bridge = fc_bridge.bridge_command(get_ext_state)
    if not bridge:
        message_box("The filmcomposer bridge was not found: run `python3 install.py --reaper` in the "
                    "FilmComposer folder (or put `filmcomposer` on PATH), then try again.", TITLE, 0)
        return
    show = _api().ShowConsoleMsg
    argv = bridge + ["request", "--progress-json", "-q", "score", video, "-o", out]
    spots = marker_spots(video, place)
    if spots is not None:
        # the markers as the user left them are this score's rhythm spots; the backend's `request score`
        # takes no spots yet, so this score runs in the bridge's own process
        os.makedirs(out, exist_ok=True)
        path = os.path.join(out, "edited_spots.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(spots, f, indent=1)
        argv = bridge + ["score", video, "-o", out, "--spots", path, "-q"]
        show(f"FilmComposer: using {len(spots)} rhythm spots from the project's markers\n")
    show(f"FilmComposer: scoring {os.path.basename(video)} into {out}\n")
    reapy.defer(Scoring(argv, out, place, video).poll)
