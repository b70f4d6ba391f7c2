# @description FilmComposer: Score selected video
# @version 0.3.0
# @author FilmComposer
# @about
#   Scores the selected video item: asks the FilmComposer backend (through the `filmcomposer` bridge)
#   for a score of the item's source file, shows its progress in the console without freezing REAPER,
#   then builds the tempo map, rhythm-spot markers, one track per part (its rendered stem, and its MIDI
#   for your own instruments), all in one undo point, under the picture.
"""FilmComposer: Score selected video (a REAPER action; standard library and reapy only).

REAPER runs every Python action in one interpreter and one `__main__`: this file only finds its
helpers and starts the run, whose state lives in action_score (RPR_defer and friends are REAPER's
names in `__main__`, never in reaper_python; reapy.defer uses them).
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

import action_score  # noqa: E402
from reaper_python import RPR_GetExtState, RPR_ShowMessageBox  # noqa: E402  (REAPER's API)

if __name__ == "__main__":
    action_score.run(RPR_ShowMessageBox, RPR_GetExtState)
