# @description FilmComposer: Re-roll melody in region
# @version 0.3.0
# @author FilmComposer
# @about
#   Composes the melody anew in the time selection (or, without one, in the region under the edit
#   cursor) on the FilmComposer backend (through the `filmcomposer` bridge), re-plans the parts that
#   depend on it, and updates the score's tracks in one undo point. Every note outside the span stays.
"""FilmComposer: Re-roll melody in region (a REAPER action; standard library and reapy only).

This file only finds its helpers and starts the run; its state lives in action_reroll (REAPER runs
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

import action_reroll  # noqa: E402
from reaper_python import RPR_GetExtState, RPR_ShowMessageBox  # noqa: E402  (REAPER's API)

if __name__ == "__main__":
    action_reroll.run(RPR_ShowMessageBox, RPR_GetExtState)
