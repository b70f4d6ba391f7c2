# @description FilmComposer: Review scheme
# @version 0.3.0
# @author FilmComposer
# @about
#   Shows the score's arrangement scheme for review: a ReaImGui window when ReaImGui is installed
#   (which tracks exist, each track's instrument, pan, reverb send and volume per measure), else the
#   scheme opened in your text editor. When you accept, the backend validates and re-plans it and the
#   score's tracks are updated in one undo point; a scheme that does not validate changes nothing.
"""FilmComposer: Review scheme (a REAPER action; standard library and reapy only).

This file only finds its helpers and starts the run; its state lives in action_review (REAPER runs
every Python action in one `__main__`).
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

import action_review  # noqa: E402
from reaper_python import RPR_GetExtState, RPR_GetResourcePath, RPR_ShowMessageBox  # noqa: E402

if __name__ == "__main__":
    action_review.run(RPR_ShowMessageBox, RPR_GetExtState, RPR_GetResourcePath(), HERE)
