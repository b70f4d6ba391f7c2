# @noindex
# @version 0.3.0
"""What "FilmComposer: Review scheme" does (standard library and reapy only).

The scheme lives in the project's ExtState. A film in cues (OUT/cue_schemes.json) is reviewed one cue at
a time: the cue the time selection overlaps most, else the one under the edit cursor; its own scheme is
shown, and an accepted change goes into that cue's entry of cue_schemes.json (scheme.json is then only
the film's overview, which render refuses edited), so render re-plans that cue and the others as they were.

With ReaImGui the window in fc_review.py is drawn from a defer loop until Accept or Cancel; without it,
the scheme is written to OUT/scheme.json (a cue's to OUT/cue_scheme_<number>.json) and opened in the
system editor (or the argv list in the global ExtState FilmComposer/editor) while REAPER's message
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
CUE_SCHEMES = "cue_schemes.json"


def _show(text: str) -> None:
    from reapy import reascript_api

    reascript_api.ShowConsoleMsg(text)


def cue_schemes(out: str) -> dict | None:
    """OUT/cue_schemes.json when OUT's plan is a film in more than one cue, else None (a single-cue
    score is reviewed through scheme.json, as before; a stale cue_schemes.json there is ignored)."""
    path = os.path.join(out, CUE_SCHEMES)
    if len(plan_cues(out)) < 2 or not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def plan_cues(out: str) -> list[dict]:
    """The cues of OUT/plan.json (number, start, end in video seconds)."""
    try:
        with open(os.path.join(out, "plan.json"), encoding="utf-8") as f:
            return json.load(f).get("cues") or []
    except (OSError, ValueError):
        return []


def chosen_cue(out: str, place: Placement) -> dict | None:
    """The cue the user means: the one the time selection overlaps most, else the one the edit cursor
    is in (so the region under it); None when that falls between cues."""
    cues = plan_cues(out)
    project = reapy.Project()
    selection = project.time_selection
    if selection.end > selection.start:
        t0, t1 = place.video_time(selection.start), place.video_time(selection.end)
        best = max(cues, key=lambda c: min(t1, c["end"]) - max(t0, c["start"]))
        return best if min(t1, best["end"]) - max(t0, best["start"]) > 0 else None
    t = place.video_time(project.cursor_position)
    return next((c for c in cues if c["start"] <= t < c["end"]), None)


class Review:
    def __init__(self, api: dict, out: str, place: Placement, previous: str, cue: str = "") -> None:
        self.api, self.out, self.place, self.previous, self.cue = api, out, place, previous, cue
        # a cue's scheme is edited in a file of its own, then put back into cue_schemes.json
        self.path = os.path.join(out, f"cue_scheme_{cue}.json" if cue else "scheme.json")
        self.target = os.path.join(out, CUE_SCHEMES) if cue else self.path
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
        # a scheme.json already there holds pending edits: keep it (a cue's are in cue_schemes.json)
        if self.cue or not os.path.isfile(self.path):
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
        self.write(scheme, edited)
        what = f"scheme of cue {self.cue}" if self.cue else "scheme"
        _show(f"FilmComposer: re-planning from the edited {what}\n")
        self.job = fc_bridge.Job(bridge + ["render", self.out, "-q"])
        reapy.defer(self.poll)

    def write(self, scheme: dict, edited: str) -> None:
        """scheme.json as edited, or the cue's entry of cue_schemes.json (the other cues' as they were)."""
        if not self.cue:
            with open(self.path, "w", encoding="utf-8") as f:
                f.write(edited)
            return
        document = cue_schemes(self.out)
        document["schemes"][self.cue] = scheme
        with open(self.target, "w", encoding="utf-8") as f:
            json.dump(document, f, indent=2)

    def poll(self) -> None:
        self.job.poll()
        if not self.job.done:
            reapy.defer(self.poll)
            return
        if self.job.returncode != 0:
            self.api["message_box"](f"The scheme was not accepted: {self.job.error_message()}\nThe score is "
                                    f"unchanged; fix {self.where()} and run Review scheme again.", TITLE, 0)
            return
        summary = fc_apply.apply_folder(self.out, self.place, "FilmComposer: apply reviewed scheme")
        _show(f"FilmComposer: scheme applied; {summary['tracks']} tracks\n")


    def where(self) -> str:
        return f"cue {self.cue} in {self.target}" if self.cue else self.path


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
    place, cue = Placement.from_json(placement), ""
    schemes = cue_schemes(out)
    if schemes is not None:
        chosen = chosen_cue(out, place)
        if chosen is None:
            message_box("This film is scored in cues: put the edit cursor in a cue's region (or make a time "
                        "selection over it) to review that cue's scheme.", TITLE, 0)
            return
        cue = chosen["number"]
        scheme = json.dumps(schemes["schemes"][cue])
        _show(f"FilmComposer: reviewing cue {cue} ({chosen['start']:.1f}-{chosen['end']:.1f} s of the video)"
              "\n")
    review = Review({"message_box": message_box, "get_ext_state": get_ext_state}, out, place, scheme, cue)
    imgui = fc_review.load_imgui(resource_path)
    if imgui is not None:
        current = json.loads(scheme)
        review.window = fc_review.ReviewWindow(imgui, current, fc_review.instrument_keys(here, current))
        reapy.defer(review.frame)
        return
    review.in_editor()
