# @description FilmComposer: Review scheme
# @version 0.2.0
# @author FilmComposer
# @about
#   Shows the score's arrangement scheme for review: a ReaImGui window when ReaImGui is installed
#   (which tracks exist, each track's instrument, pan, reverb send and volume per measure), else the
#   scheme opened in your text editor. When you accept, the backend validates and re-plans it and the
#   score's tracks are updated in one undo point; a scheme that does not validate changes nothing.
"""FilmComposer: Review scheme (a REAPER action; standard library and reapy only).

The scheme lives in the project's ExtState. With ReaImGui (its Python binding in Scripts/ReaTeam
Extensions/API) the window in fc_review.py is drawn from a defer loop until Accept or Cancel. Without
it, the plain fallback: the scheme is written to OUT/scheme.json and opened in the system editor (or
the command in the global ExtState FilmComposer/editor, a JSON argv list) while REAPER's message box
waits for the user to accept. Either way an accepted, changed scheme goes to `filmcomposer render OUT`,
which validates and re-plans it, and the new plan is applied.
"""

import json
import os
import subprocess
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
import fc_review  # noqa: E402
from fc_plan import Placement  # noqa: E402
from reaper_python import (  # noqa: E402  (REAPER's API)
    RPR_defer,
    RPR_GetExtState,
    RPR_GetResourcePath,
    RPR_ShowConsoleMsg,
    RPR_ShowMessageBox,
)

TITLE = "FilmComposer: Review scheme"
OK = 1
STATE = {}


def open_in_editor(path):
    configured = RPR_GetExtState("FilmComposer", "editor")
    if configured:
        subprocess.Popen(json.loads(configured) + [path])
    elif sys.platform == "win32":
        os.startfile(path)  # noqa: S606
    elif sys.platform == "darwin":
        subprocess.Popen(["open", "-t", path])
    else:
        subprocess.Popen(["xdg-open", path])


def main():
    if fc_apply.problem:
        RPR_ShowMessageBox(f"FilmComposer cannot run: {fc_apply.problem}.", TITLE, 0)
        return
    out = fc_apply.get_state("out")
    placement = fc_apply.get_state("placement")
    scheme = fc_apply.get_state("scheme")
    if not out or not placement or not scheme:
        RPR_ShowMessageBox("This project has no FilmComposer score yet: run "
                           "\"FilmComposer: Score selected video\" first.", TITLE, 0)
        return
    STATE.update(out=out, place=Placement.from_json(placement), previous=scheme,
                 path=os.path.join(out, "scheme.json"))
    imgui = fc_review.load_imgui(RPR_GetResourcePath())
    if imgui is not None:
        current = json.loads(scheme)
        STATE["window"] = fc_review.ReviewWindow(imgui, current, fc_review.instrument_keys(HERE, current))
        RPR_defer("frame()")
        return
    review_in_editor()


def frame():
    """One ReaImGui frame; on Accept the edited scheme is re-planned."""
    decision = STATE["window"].frame()
    if decision is None:
        RPR_defer("frame()")
    elif decision == "accept":
        replan(json.dumps(STATE["window"].edited(), indent=2))
    else:
        RPR_ShowConsoleMsg("FilmComposer: review cancelled; the score is unchanged\n")


def review_in_editor():
    """The fallback without ReaImGui: the system editor and a message box."""
    path = STATE["path"]
    os.makedirs(STATE["out"], exist_ok=True)
    if not os.path.isfile(path):  # a scheme.json already there holds the user's pending edits: keep it
        with open(path, "w", encoding="utf-8") as f:
            json.dump(json.loads(STATE["previous"]), f, indent=2)
    open_in_editor(path)
    answer = RPR_ShowMessageBox(f"Edit the scheme in your editor and save it:\n{path}\n\nOK re-plans the "
                                "score from it; Cancel keeps the current score.", TITLE, 1)
    if answer != OK:
        return
    with open(path, encoding="utf-8") as f:
        replan(f.read())


def replan(edited):
    """Validate and re-plan `edited` (scheme JSON text) in the bridge, then apply it from poll()."""
    try:
        scheme = json.loads(edited)
    except ValueError as err:
        RPR_ShowMessageBox(f"scheme.json is not valid JSON ({err}); nothing changed.", TITLE, 0)
        return
    if scheme == json.loads(STATE["previous"]):
        RPR_ShowConsoleMsg("FilmComposer: the scheme is unchanged\n")
        return
    bridge = fc_bridge.bridge_command(RPR_GetExtState)
    if not bridge:
        RPR_ShowMessageBox("The filmcomposer bridge was not found: run `python3 install.py --reaper`.",
                           TITLE, 0)
        return
    with open(STATE["path"], "w", encoding="utf-8") as f:
        f.write(edited)
    RPR_ShowConsoleMsg("FilmComposer: re-planning from the edited scheme\n")
    STATE["job"] = fc_bridge.Job(bridge + ["render", STATE["out"], "-q"])
    RPR_defer("poll()")


def poll():
    job = STATE["job"]
    job.poll()
    if not job.done:
        RPR_defer("poll()")
        return
    if job.returncode != 0:
        RPR_ShowMessageBox(f"The scheme was not accepted: {job.error_message()}\nThe score is unchanged; "
                           f"fix {STATE['path']} and run Review scheme again.", TITLE, 0)
        return
    summary = fc_apply.apply_folder(STATE["out"], STATE["place"], "FilmComposer: apply reviewed scheme")
    RPR_ShowConsoleMsg(f"FilmComposer: scheme applied; {summary['tracks']} tracks\n")


if __name__ == "__main__":
    main()
