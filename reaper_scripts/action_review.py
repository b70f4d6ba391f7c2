# @noindex
# @version 0.3.0
"""What "FilmComposer: Review scheme" does (standard library and reapy only).

The scheme lives in the project's ExtState. With ReaImGui the window in fc_review.py is drawn from a
defer loop until Accept or Cancel; without it, the scheme is written to OUT/scheme.json and opened in
the system editor (or the argv list in the global ExtState FilmComposer/editor) while REAPER's message
box waits. An accepted, changed scheme goes to `filmcomposer render OUT`, which validates and re-plans
it, and the new plan is applied. A `Review` object holds one run's state (reapy.defer calls it back),
so nothing of it sits in REAPER's shared `__main__`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import fc_apply
import fc_bridge
import fc_review
from fc_plan import Placement
from fc_reapy import reapy

TITLE = "FilmComposer: Review scheme"
OK = 1


def _show(text: str) -> None:
    from reapy import reascript_api

    reascript_api.ShowConsoleMsg(text)


class Review:
    def __init__(self, api: dict, out: str, place: Placement, previous: str) -> None:
        self.api, self.out, self.place, self.previous = api, out, place, previous
        self.path = os.path.join(out, "scheme.json")
        self.window = None
        self.job = None

    def open_in_editor(self) -> None:
        configured = self.api["get_ext_state"]("FilmComposer", "editor")
        if configured:
            subprocess.Popen(json.loads(configured) + [self.path])
        elif sys.platform == "win32":
            os.startfile(self.path)  # noqa: S606
        elif sys.platform == "darwin":
            subprocess.Popen(["open", "-t", self.path])
        else:
            subprocess.Popen(["xdg-open", self.path])

    def frame(self) -> None:
        """One ReaImGui frame; on Accept the edited scheme is re-planned."""
        decision = self.window.frame()
        if decision is None:
            reapy.defer(self.frame)
        elif decision == "accept":
            self.replan(json.dumps(self.window.edited(), indent=2))
        else:
            _show("FilmComposer: review cancelled; the score is unchanged\n")

    def in_editor(self) -> None:
        """The fallback without ReaImGui: the system editor and a message box."""
        os.makedirs(self.out, exist_ok=True)
        if not os.path.isfile(self.path):  # a scheme.json already there holds pending edits: keep it
            with open(self.path, "w", encoding="utf-8") as f:
                json.dump(json.loads(self.previous), f, indent=2)
        self.open_in_editor()
        text = (f"Edit the scheme in your editor and save it:\n{self.path}\n\nOK re-plans the score from it; "
                "Cancel keeps the current score.")
        answer = self.api["message_box"](text, TITLE, 1)
        if answer != OK:
            return
        with open(self.path, encoding="utf-8") as f:
            self.replan(f.read())

    def replan(self, edited: str) -> None:
        """Validate and re-plan `edited` (scheme JSON text) in the bridge, then apply it from poll()."""
        message_box = self.api["message_box"]
        try:
            scheme = json.loads(edited)
        except ValueError as err:
            message_box(f"scheme.json is not valid JSON ({err}); nothing changed.", TITLE, 0)
            return
        if scheme == json.loads(self.previous):
            _show("FilmComposer: the scheme is unchanged\n")
            return
        bridge = fc_bridge.bridge_command(self.api["get_ext_state"])
        if not bridge:
            message_box("The filmcomposer bridge was not found: run `python3 install.py --reaper`.", TITLE, 0)
            return
        with open(self.path, "w", encoding="utf-8") as f:
            f.write(edited)
        _show("FilmComposer: re-planning from the edited scheme\n")
        self.job = fc_bridge.Job(bridge + ["render", self.out, "-q"])
        reapy.defer(self.poll)

    def poll(self) -> None:
        self.job.poll()
        if not self.job.done:
            reapy.defer(self.poll)
            return
        if self.job.returncode != 0:
            self.api["message_box"](f"The scheme was not accepted: {self.job.error_message()}\nThe score is "
                                    f"unchanged; fix {self.path} and run Review scheme again.", TITLE, 0)
            return
        summary = fc_apply.apply_folder(self.out, self.place, "FilmComposer: apply reviewed scheme")
        _show(f"FilmComposer: scheme applied; {summary['tracks']} tracks\n")


def run(message_box, get_ext_state, resource_path: str, here: str) -> None:
    if fc_apply.problem:
        message_box(f"FilmComposer cannot run: {fc_apply.problem}.", TITLE, 0)
        return
    out = fc_apply.out_dir()
    placement = fc_apply.get_state("placement")
    scheme = fc_apply.get_state("scheme")
    if not out or not placement or not scheme:
        message_box("This project has no FilmComposer score yet: run \"FilmComposer: Score selected video\" "
                    "first.", TITLE, 0)
        return
    review = Review({"message_box": message_box, "get_ext_state": get_ext_state}, out,
                    Placement.from_json(placement), scheme)
    imgui = fc_review.load_imgui(resource_path)
    if imgui is not None:
        current = json.loads(scheme)
        review.window = fc_review.ReviewWindow(imgui, current, fc_review.instrument_keys(here, current))
        reapy.defer(review.frame)
        return
    review.in_editor()
