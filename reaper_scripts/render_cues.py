# @description FilmComposer: Render cues (master and stems per region)
# @version 0.3.0
# @author FilmComposer
# @about
#   Renders every region (one per cue, named by its number: 1M1, 1M2, ...) as the master and each
#   stem, 48 kHz 24-bit WAV, into OUT/cues/<cue>/ with the region's name in each file name ($region).
"""FilmComposer: Render cues (a REAPER action; standard library and reapy only)."""

import os
import sys

try:
    HERE = os.path.dirname(os.path.abspath(__file__))
except NameError:  # REAPER versions that do not set __file__
    from reaper_python import RPR_GetResourcePath

    HERE = os.path.join(RPR_GetResourcePath(), "Scripts", "FilmComposer")
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import action_render  # noqa: E402
from reaper_python import RPR_ShowMessageBox  # noqa: E402  (REAPER's API)

if __name__ == "__main__":
    action_render.run(RPR_ShowMessageBox, per_cue=True)
